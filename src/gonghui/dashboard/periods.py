"""The dashboard's periods: a month, a quarter, a year or a custom range of local days.

A period is a run of whole Asia/Shanghai days, ``first`` to ``last`` (both included, what a
person reads), and the half-open interval of aware UTC datetimes ``[start, end)`` that the
figures count (``start`` is local midnight of ``first``, ``end`` local midnight after ``last``).
The previous period, the comparison, has the same length: the calendar month, quarter or year
before, or for a custom range the same number of days just before it."""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext_lazy as _

from gonghui.core.timeutil import local_midnight, local_today


class Kind(enum.StrEnum):
    MONTH = "month"
    QUARTER = "quarter"
    YEAR = "year"
    CUSTOM = "custom"

    @property
    def label(self) -> Any:
        return KIND_LABELS[self]


KIND_LABELS = {
    Kind.MONTH: _("Month"),
    Kind.QUARTER: _("Quarter"),
    Kind.YEAR: _("Year"),
    Kind.CUSTOM: _("Custom range"),
}

#: The longest custom range (days): the day-by-day trend and the queries stay bounded.
MAX_DAYS = 366 * 3


@dataclass(frozen=True)
class Period:
    kind: Kind
    first: dt.date  # first local day
    last: dt.date  # last local day (included)

    @property
    def start(self) -> dt.datetime:
        return local_midnight(self.first)

    @property
    def end(self) -> dt.datetime:
        return local_midnight(self.last + dt.timedelta(days=1))

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    def previous(self) -> Period:
        """The period of the same length just before this one (see the module docstring)."""
        if self.kind == Kind.CUSTOM:
            last = self.first - dt.timedelta(days=1)
            return Period(Kind.CUSTOM, last - dt.timedelta(days=self.days - 1), last)
        return period_of(self.kind, self.first - dt.timedelta(days=1))

    def params(self) -> dict[str, str]:
        """The GET parameters naming this period (``end`` inclusive, as the UI shows it)."""
        return {
            "period": self.kind.value,
            "start": self.first.isoformat(),
            "end": self.last.isoformat(),
        }


def _month_end(year: int, month: int) -> dt.date:
    nxt = dt.date(year + (month == 12), month % 12 + 1, 1)
    return nxt - dt.timedelta(days=1)


def period_of(kind: Kind, day: dt.date) -> Period:
    """The calendar month, quarter or year that holds ``day``."""
    if kind == Kind.MONTH:
        return Period(kind, day.replace(day=1), _month_end(day.year, day.month))
    if kind == Kind.QUARTER:
        first_month = (day.month - 1) // 3 * 3 + 1
        return Period(
            kind, dt.date(day.year, first_month, 1), _month_end(day.year, first_month + 2)
        )
    if kind == Kind.YEAR:
        return Period(kind, dt.date(day.year, 1, 1), dt.date(day.year, 12, 31))
    raise ValueError("a custom period needs both of its days")


def _date(value: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value or "")
    except ValueError:
        return None


def period_from_params(
    period: str | None, start: str | None, end: str | None, *, today: dt.date | None = None
) -> Period:
    """The period the GET parameters name; anything missing or malformed falls back to the
    month (quarter, year) that holds ``start`` or today. A custom range is put in order and
    kept within :data:`MAX_DAYS`."""
    today = today or local_today()
    try:
        kind = Kind(period or Kind.MONTH)
    except ValueError:
        kind = Kind.MONTH
    first, last = _date(start), _date(end)
    if kind == Kind.CUSTOM:
        if first is None or last is None:
            return period_of(Kind.MONTH, first or last or today)
        if last < first:
            first, last = last, first
        if (last - first).days >= MAX_DAYS:
            first = last - dt.timedelta(days=MAX_DAYS - 1)
        return Period(Kind.CUSTOM, first, last)
    return period_of(kind, first or today)


def month_starts(period: Period) -> list[dt.date]:
    """The first day of each calendar month the period touches (clipped to the period)."""
    out: list[dt.date] = []
    day = period.first
    while day <= period.last:
        out.append(day)
        day = _month_end(day.year, day.month) + dt.timedelta(days=1)
    return out


def buckets(period: Period) -> list[tuple[dt.date, dt.date]]:
    """The trend's buckets (first, last day included): days for a period of at most 31 days,
    else months (clipped to the period)."""
    if period.days <= 31:
        return [
            (period.first + dt.timedelta(days=i), period.first + dt.timedelta(days=i))
            for i in range(period.days)
        ]
    starts = month_starts(period)
    return [(s, min(_month_end(s.year, s.month), period.last)) for s in starts]
