"""The dashboard's tables: what the page shows and what its .xlsx export holds, built once.

A :class:`Table` has columns with a unit and rows of raw values (fen, counts, Decimal hours,
‰, text); the page formats them (``Cell.__str__``), the export writes them as numbers
(amounts in yuan) through ``core.xlsx``."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.http import Http404
from django.utils.translation import gettext as _

from gonghui.core.money import format_fen
from gonghui.core.timeutil import format_date
from gonghui.members.figures import Figure, Unit
from gonghui.orgs.models import Org

from . import selectors
from .periods import Period

TEXT = "text"


@dataclass(frozen=True)
class Cell:
    value: Any
    unit: str = TEXT  # a members.figures.Unit value, "percent", or "text"

    def __str__(self) -> str:
        return show(self.value, self.unit)


@dataclass
class Row:
    cells: list[Cell]
    link: str | None = None  # a figure key or an org id the row leads to (see the page)


@dataclass
class Table:
    name: str
    title: Any
    columns: list[Any]
    rows: list[Row] = field(default_factory=list)
    key: str | None = None  # the figure of a breakdown (its export names it)

    def values(self) -> list[list[Any]]:
        return [[c.value for c in r.cells] for r in self.rows]


def show(value: Any, unit: str) -> str:
    """A value as a person reads it."""
    if value is None or value == "":
        return "—" if unit != TEXT else ""
    if unit == Unit.FEN:
        return format_fen(int(value))
    if unit == Unit.PERMILLE:
        return f"{Decimal(value) / 10:.1f}%"
    if unit == Unit.HOURS:
        return f"{Decimal(value):,.1f}"
    if unit == Unit.COUNT:
        return f"{int(value):,}"
    if unit == "percent":
        return f"{value:+}%"
    return str(value)


def _compared_columns() -> list[Any]:
    return [
        _("Figure"),
        _("This period"),
        _("Previous period"),
        _("Difference"),
        _("Difference (per cent)"),
    ]


def _compared_row(c: selectors.Compared) -> list[Cell]:
    u = str(c.figure.unit)
    return [
        Cell(str(c.figure.label)),
        Cell(c.value, u),
        Cell(c.previous, u),
        Cell(c.delta, u),
        Cell(c.percent, "percent"),
    ]


def headline(org: Org, period: Period) -> Table:
    t = Table("headline", _("Headline figures"), _compared_columns())
    for c in selectors.headline(org, period):
        t.rows.append(Row(_compared_row(c), c.figure.key))
    return t


def kinds(org: Org, period: Period) -> Table:
    t = Table(
        "kinds",
        _("By service kind"),
        [_("Service kind"), _("Person-times"), _("Previous period"), _("Amount"),
         _("What the amount is")],
    )  # fmt: skip
    for r in selectors.kinds(org, period):
        cells = [
            Cell(str(r.label)),
            Cell(r.person_times, Unit.COUNT),
            Cell(r.previous, Unit.COUNT),
            Cell(r.amount_fen, Unit.FEN),
            Cell(str(r.meaning)),
        ]
        t.rows.append(Row(cells, r.key))
    return t


def trend(org: Org, period: Period) -> Table:
    by_day = period.days <= 31
    t = Table(
        "trend",
        _("Person-times by day") if by_day else _("Person-times by month"),
        [_("Day") if by_day else _("Calendar month"), _("Person-times")],
    )
    for p in selectors.person_times_trend(org, period):
        label = (
            format_date(p.first)
            if by_day
            else _("%(year)d-%(month)02d") % {"year": p.first.year, "month": p.first.month}
        )
        t.rows.append(Row([Cell(label), Cell(p.value, Unit.COUNT)]))
    return t


def daily_active(org: Org, period: Period) -> Table:
    t = Table("daily_active", _("Daily active members"), [_("Day"), _("Active members")])
    for p in selectors.daily_active(org, period):
        t.rows.append(Row([Cell(format_date(p.first)), Cell(p.value, Unit.COUNT)]))
    return t


def funds(org: Org, period: Period) -> Table:
    t = Table(
        "funds",
        _("Funds spent by fund and purpose"),
        [_("Fund"), _("Purpose"), _("Amount spent")],
    )
    for r in selectors.funds_spending(org, period):
        cells = [Cell(str(r.fund_label)), Cell(str(r.purpose_label)), Cell(r.amount_fen, Unit.FEN)]
        t.rows.append(Row(cells))
    return t


def figures(org: Org, period: Period) -> Table:
    """Every registered figure, by section."""
    t = Table("figures", _("Figures of the services"), [_("Section"), *_compared_columns()])
    for s in selectors.registered(org, period):
        for c in s.figures:
            t.rows.append(Row([Cell(str(s.label)), *_compared_row(c)], c.figure.key))
    return t


def breakdown(f: Figure, org: Org, period: Period) -> Table:
    b = selectors.breakdown(f, org, period)
    t = Table(
        "breakdown",
        _("%(figure)s by union") % {"figure": f.label},
        [_("Union"), f.label],
        key=f.key,
    )
    u = str(f.unit)
    for p in b.parts:
        name = p.org.name if p.org else str(selectors.OWN_LEVEL)
        t.rows.append(Row([Cell(name), Cell(p.value, u)], str(p.org.pk) if p.org else None))
    t.rows.append(Row([Cell(str(_("Total"))), Cell(b.total, u)]))
    return t


def build(name: str, org: Org, period: Period, key: str | None = None) -> Table:
    """The table called ``name`` (Http404 for an unknown name or figure)."""
    builders = {
        "headline": headline,
        "kinds": kinds,
        "trend": trend,
        "daily_active": daily_active,
        "funds": funds,
        "figures": figures,
    }
    if name == "breakdown":
        return breakdown(selectors.figure(key or ""), org, period)
    if name not in builders:
        raise Http404
    return builders[name](org, period)


def xlsx(t: Table, org: Org, period: Period) -> bytes:
    """The table as an .xlsx workbook (core.xlsx): amounts in yuan, rates and changes in %."""
    from gonghui.core.xlsx import workbook

    buf = io.BytesIO()
    book = workbook(buf)
    sheet = book.add_worksheet(re.sub(r"[\[\]:*?/\\]", " ", str(t.title))[:31])
    yuan = book.add_format({"num_format": "#,##0.00"})
    title = f"{t.title} · {org.name} · {format_date(period.first)} – {format_date(period.last)}"
    sheet.write_string(0, 0, title)
    for col, label in enumerate(t.columns):
        sheet.write_string(2, col, str(label))
    for r, row in enumerate(t.rows, start=3):
        for col, cell in enumerate(row.cells):
            value, unit = cell.value, cell.unit
            if value is None or value == "":
                sheet.write_blank(r, col, None)
            elif unit == Unit.FEN:
                sheet.write_number(r, col, int(value) / 100, yuan)
            elif unit == Unit.PERMILLE:
                sheet.write_number(r, col, int(value) / 10)
            elif unit in (Unit.COUNT, Unit.HOURS, "percent"):
                sheet.write_number(r, col, float(value))
            else:
                sheet.write_string(r, col, str(value))
    sheet.write_string(1, 0, str(_("Amounts in yuan; rates and changes in per cent.")))
    sheet.set_column(0, max(len(t.columns) - 1, 0), 20)
    book.close()
    return buf.getvalue()
