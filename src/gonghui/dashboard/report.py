"""The yearly work report (年度工作报告) of an org's subtree: figures, sentences and charts.

``report_build(org=, year=, public=)`` reads, for the local (Asia/Shanghai) calendar year, up to
today when the year is the current one:

- person-times (人次) and amounts from ``dashboard.rollups`` (``person_times_by_kind``,
  ``amounts_by_kind``: the counting rules of docs/figures.md), 月活 from ``rollups.active_members``
  month by month;
- union money used (工会经费、福利费使用): ``funds_used``, the net debits of the subtree's union
  funds and welfare fund accounts, allocations between unions (and their reversals) left out;
- every figure the service apps published in ``members.figures``, grouped by section.

Each figure is a ``Cell``: its value, the text a person reads (Chinese style: 万 with one or two
decimals from 10,000 on) and the link to the dashboard's drill-down that produced it. Marked for
publication (``public=True``), a count below ``GONGHUI_REPORT_SUPPRESS_BELOW`` reads "<5" and
its value is withheld everywhere (sentences and charts), and figures registered with
``public=False`` are left out. The HTML view and the PDF (``report_pdf``) draw the same
``Report``."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _

from gonghui.core.svgchart import BAR, HBAR, LINE, Chart, Series, height_for
from gonghui.core.timeutil import SHANGHAI, format_date, local_today
from gonghui.funds import selectors as fund_selectors
from gonghui.funds.models import AccountKind
from gonghui.members import figures as registry
from gonghui.members import servicekinds
from gonghui.orgs.models import Org

from . import rollups

USED_FUNDS = (
    AccountKind.UNION_FUNDS,
    AccountKind.WELFARE,
)  # 工会经费、福利费 (the report's "used")

_MARK = "\x00"  # where a figure goes in a translated sentence


# --- numbers, Chinese style ----------------------------------------------------------------------
def _decimals(value: Decimal, places: int = 2, keep: int = 1) -> str:
    """``value`` with up to ``places`` decimals, at least ``keep``, thousands separated."""
    q = value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    text = f"{q:,.{places}f}"
    whole, _dot, frac = text.partition(".")
    frac = frac.rstrip("0").ljust(keep, "0")
    return f"{whole}.{frac}" if frac else whole


def format_count(n: int | Decimal) -> str:
    """1,234 / 1.23万 / 63.6万 / 1.02亿."""
    value = Decimal(n)
    if abs(value) >= 100_000_000:
        return _decimals(value / 100_000_000) + "亿"
    if abs(value) >= 10_000:
        return _decimals(value / 10_000) + "万"
    if value == value.to_integral_value():
        return f"{int(value):,}"
    return _decimals(value, 1)


def format_yuan(fen: int) -> str:
    """Fen as yuan: 123.45元 / 1,708.4万元."""
    yuan = Decimal(fen) / 100
    if abs(yuan) >= 10_000:
        return _decimals(yuan / 10_000) + "万元"
    return _decimals(yuan, 2, 0) + "元"


def format_value(value: int | Decimal, unit: str) -> str:
    if unit == registry.Unit.FEN:
        return format_yuan(int(value))
    if unit == registry.Unit.HOURS:
        return _("%(n)s hours") % {"n": format_count(value)}
    if unit == registry.Unit.PERMILLE:
        return _decimals(Decimal(value) / 10, 1) + "%"
    return format_count(value)


def suppress_below() -> int:
    return int(settings.GONGHUI_REPORT_SUPPRESS_BELOW)


# --- the model -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Cell:
    """One figure as the report shows it."""

    value: int | Decimal | None  # None when suppressed
    text: str
    url: str
    suppressed: bool = False


@dataclass(frozen=True)
class Sentence:
    parts: tuple[str | Cell, ...]

    @property
    def text(self) -> str:
        return "".join(p if isinstance(p, str) else p.text for p in self.parts)

    @property
    def cells(self) -> list[Cell]:
        return [p for p in self.parts if isinstance(p, Cell)]


@dataclass(frozen=True)
class Section:
    key: str
    title: str
    sentences: list[Sentence]


@dataclass(frozen=True)
class Report:
    org: Org
    year: int
    public: bool
    start: dt.date  # first day
    end: dt.date  # last day, included (31 December, or today in the current year)
    title: str
    period_text: str
    headline: list[Sentence]
    sections: list[Section]
    charts: list[Chart] = field(default_factory=list)
    threshold: int = 5

    def all_sentences(self) -> list[Sentence]:
        return self.headline + [s for sec in self.sections for s in sec.sentences]


def sentence(template: str, *cells: Cell) -> Sentence:
    """A translated sentence whose ``%(a)s``, ``%(b)s``, … are the cells, in order."""
    names = "abcdefgh"
    text = template % {names[i]: _MARK for i in range(len(cells))}
    pieces = text.split(_MARK)
    parts: list[str | Cell] = []
    for i, piece in enumerate(pieces):
        if piece:
            parts.append(piece)
        if i < len(cells):
            parts.append(cells[i])
    return Sentence(tuple(parts))


# --- periods and links ---------------------------------------------------------------------------
def year_span(year: int, *, today: dt.date | None = None) -> tuple[dt.date, dt.date]:
    """First and last day (included) of the report's year: up to today in the current year."""
    today = today or local_today()
    last = dt.date(year, 12, 31)
    return dt.date(year, 1, 1), min(last, today) if year == today.year else last


def local_bounds(first: dt.date, last: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """[start, end) aware datetimes of the local days ``first`` … ``last``."""
    start = dt.datetime.combine(first, dt.time(), SHANGHAI)
    end = dt.datetime.combine(last + dt.timedelta(days=1), dt.time(), SHANGHAI)
    return start, end


def months(first: dt.date, last: dt.date) -> list[tuple[dt.date, dt.date]]:
    """(first day, last day included) of each month from ``first`` to ``last``."""
    out = []
    month = first.replace(day=1)
    while month <= last:
        following = (month + dt.timedelta(days=32)).replace(day=1)
        out.append((max(month, first), min(following - dt.timedelta(days=1), last)))
        month = following
    return out


def _query(org: Org, first: dt.date, last: dt.date) -> str:
    return urlencode(
        {
            "org": org.pk,
            "period": "custom",
            "start": first.isoformat(),
            "end": last.isoformat(),
        }
    )


def _reverse(name: str, fallback: str, *, args: tuple[Any, ...] = ()) -> str:
    """The path of a dashboard page; while ``dashboard:*`` is not mounted, the path it has."""
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return fallback


def home_url(org: Org, first: dt.date, last: dt.date) -> str:
    return _reverse("dashboard:home", "/admin/dashboard/") + "?" + _query(org, first, last)


def figure_url(key: str, org: Org, first: dt.date, last: dt.date) -> str:
    path = _reverse("dashboard:figure", f"/admin/dashboard/figure/{key}/", args=(key,))
    return path + "?" + _query(org, first, last)


# --- reads ---------------------------------------------------------------------------------------
def funds_used(*, org: Org, start: dt.datetime, end: dt.datetime) -> int:
    """Union money used (fen) in [start, end) by ``org``'s subtree (工会经费、福利费): what
    ``funds.selectors.spending`` counts on the union funds and the welfare fund — spending net of
    its voids, refunds and reversals; allocations between unions and money received are not
    spending."""
    by = fund_selectors.spending(org=org, start=start, end=end)
    return sum(total for (fund, _purpose), total in by.items() if fund in USED_FUNDS)


class _Builder:
    def __init__(self, org: Org, year: int, public: bool, today: dt.date | None) -> None:
        self.org, self.year, self.public = org, year, public
        self.first, self.last = year_span(year, today=today)
        self.start, self.end = local_bounds(self.first, self.last)
        self.threshold = suppress_below()

    def count(self, n: int, url: str, text: str | None = None) -> Cell:
        if self.public and n < self.threshold:
            return Cell(None, f"<{self.threshold}", url, suppressed=True)
        return Cell(n, text if text is not None else format_count(n), url)

    def shown(self, n: int) -> tuple[float, str]:
        """A chart point: its value and label (0 and "<5" when suppressed)."""
        if self.public and n < self.threshold:
            return 0, f"<{self.threshold}"
        return n, format_count(n)

    def home(self) -> str:
        return home_url(self.org, self.first, self.last)

    # --- the headline ---
    def headline(
        self, by_kind: dict[str, int], amounts: dict[str, int], mau: list[int], used: int
    ) -> list[Sentence]:
        home = self.home()
        total = sum(by_kind.values())
        out = [
            sentence(
                _("Members were served %(a)s person-times over the year."), self.count(total, home)
            ),
            sentence(
                _("Union funds and welfare funds used: %(a)s."),
                Cell(used, format_yuan(used), home),
            ),
        ]
        if mau:
            avg = round(sum(mau) / len(mau))
            out.append(sentence(_("Monthly active users averaged %(a)s."), self.count(avg, home)))
        spent = recovered = 0
        for kind, fen in amounts.items():
            meaning = servicekinds.spec(kind).amount if kind in servicekinds.registered() else None
            if meaning == servicekinds.Amount.SPENT:
                spent += fen
            elif meaning == servicekinds.Amount.RECOVERED:
                recovered += fen
        if spent:
            out.append(
                sentence(
                    _("Money spent on members through the services: %(a)s."),
                    Cell(spent, format_yuan(spent), home),
                )
            )
        if recovered:
            out.append(
                sentence(
                    _("Economic losses recovered for workers: %(a)s."),
                    Cell(recovered, format_yuan(recovered), home),
                )
            )
        kinds = sorted(by_kind.items(), key=lambda kv: (-kv[1], kv[0]))
        for chunk in _chunks(kinds):
            items = [
                _("%(label)s %(n)s person-times")
                % {"label": _escape(str(servicekinds.label_for(k))), "n": _slot(i)}
                for i, (k, _n) in enumerate(chunk)
            ]
            template = _("By service: %(items)s.") % {"items": _("; ").join(items)}
            out.append(sentence(template, *[self.count(n, home) for _k, n in chunk]))
        return out

    # --- registered figures ---
    def sections(self) -> list[Section]:
        query = registry.Query(org=self.org, start=self.start, end=self.end)
        out = []
        for sec in registry.sections():
            cells: list[tuple[str, Cell]] = []
            for fig in registry.figures(sec.key):
                if self.public and not fig.public:
                    continue
                value = fig.compute(query)
                url = figure_url(fig.key, self.org, self.first, self.last)
                if fig.unit == registry.Unit.COUNT:
                    cell = self.count(int(value), url)
                else:
                    cell = Cell(value, format_value(value, fig.unit), url)
                cells.append((str(fig.label), cell))
            sentences = []
            for chunk in _chunks(cells):
                items = [
                    _("%(label)s: %(value)s") % {"label": _escape(label), "value": _slot(i)}
                    for i, (label, _c) in enumerate(chunk)
                ]
                template = _("%(items)s.") % {"items": _("; ").join(items)}
                sentences.append(sentence(template, *[c for _l, c in chunk]))
            if not sentences:
                continue
            out.append(Section(key=sec.key, title=str(sec.label), sentences=sentences))
        return out

    # --- charts ---
    def charts(
        self, monthly: list[int], by_kind: dict[str, int], mau: list[int], labels: list[str]
    ) -> list[Chart]:
        out = []
        points = [self.shown(n) for n in monthly]
        out.append(
            Chart(
                title=_("Person-times by month"),
                categories=labels,
                series=[
                    Series(
                        _("Person-times"), [v for v, _t in points], labels=[t for _v, t in points]
                    )
                ],
                kind=BAR,
                fmt=_axis,
            )
        )
        kinds = sorted(by_kind.items(), key=lambda kv: (-kv[1], kv[0]))
        if kinds:
            points = [self.shown(n) for _k, n in kinds]
            out.append(
                Chart(
                    title=_("Person-times by service"),
                    categories=[str(servicekinds.label_for(k)) for k, _n in kinds],
                    series=[
                        Series(
                            _("Person-times"),
                            [v for v, _t in points],
                            labels=[t for _v, t in points],
                        )
                    ],
                    kind=HBAR,
                    fmt=_axis,
                    height=height_for(HBAR, len(kinds)),
                )
            )
        points = [self.shown(n) for n in mau]
        out.append(
            Chart(
                title=_("Monthly active users"),
                categories=labels,
                series=[
                    Series(
                        _("Active users"), [v for v, _t in points], labels=[t for _v, t in points]
                    )
                ],
                kind=LINE,
                fmt=_axis,
            )
        )
        return out

    def build(self) -> Report:
        spans = months(self.first, self.last)
        monthly = []
        for first, last in spans:
            start, end = local_bounds(first, last)
            monthly.append(
                sum(rollups.person_times_by_kind(org=self.org, start=start, end=end).values())
            )
        by_kind = rollups.person_times_by_kind(org=self.org, start=self.start, end=self.end)
        amounts = rollups.amounts_by_kind(org=self.org, start=self.start, end=self.end)
        mau = [rollups.active_members(org=self.org, start=a, end=b) for a, b in spans]
        used = funds_used(org=self.org, start=self.start, end=self.end)
        labels = [_("Month %(m)s") % {"m": first.month} for first, _l in spans]
        if self.last < dt.date(self.year, 12, 31):
            period = _("Year %(year)s, as of %(date)s") % {
                "year": self.year,
                "date": format_date(self.last),
            }
        else:
            period = _("Year %(year)s") % {"year": self.year}
        return Report(
            org=self.org,
            year=self.year,
            public=self.public,
            start=self.first,
            end=self.last,
            title=_("%(org)s: work report %(year)s") % {"org": self.org.name, "year": self.year},
            period_text=period,
            headline=self.headline(by_kind, amounts, mau, used),
            sections=self.sections(),
            charts=self.charts(monthly, by_kind, mau, labels),
            threshold=self.threshold,
        )


def _slot(i: int) -> str:
    return "%(" + "abcdefgh"[i] + ")s"


def _escape(label: str) -> str:
    return label.replace("%", "%%")


def _chunks(items: list[Any], size: int = 8) -> list[list[Any]]:
    """At most eight figures to a sentence."""
    return [items[i : i + size] for i in range(0, len(items), size)]


def _axis(v: float) -> str:
    return format_count(round(v))


def report_build(
    *, org: Org, year: int, public: bool = False, today: dt.date | None = None
) -> Report:
    """The work report of ``org``'s subtree for ``year`` (see the module docstring)."""
    return _Builder(org, year, public, today).build()
