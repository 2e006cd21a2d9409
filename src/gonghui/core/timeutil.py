"""Aware UTC inside, Asia/Shanghai at the edges.

Every date or time a person reads goes through ``format_date``, ``format_datetime`` or
``format_range`` (templates: ``{% load gh_time %}``, filters ``local_date``, ``local_dt`` and
``local_range``): local time, the year shown only where it is not the current one, and a range
that spans days shows both dates."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from django.utils import timezone
from django.utils.translation import gettext as _

SHANGHAI = ZoneInfo("Asia/Shanghai")


def now() -> dt.datetime:
    return timezone.now()


def local_today() -> dt.date:
    return now().astimezone(SHANGHAI).date()


def local_midnight(day: dt.date) -> dt.datetime:
    """The start of the local (Asia/Shanghai) day ``day``, as an aware UTC datetime: the bound
    of a half-open period [start, end) of local days."""
    return dt.datetime.combine(day, dt.time.min, tzinfo=SHANGHAI).astimezone(dt.UTC)


def to_local(value: dt.datetime) -> dt.datetime:
    return value.astimezone(SHANGHAI)


def _local(value: dt.datetime) -> dt.datetime:
    # A naive datetime is taken as already local (forms, fixtures); an aware one is converted.
    return value if timezone.is_naive(value) else to_local(value)


def format_date(value: dt.date | dt.datetime | None, *, today: dt.date | None = None) -> str:
    """「1月2日」 this year, 「2027年1月2日」 otherwise (a datetime: its local date)."""
    if value is None:
        return ""
    day = _local(value).date() if isinstance(value, dt.datetime) else value
    this_year = (today or local_today()).year
    parts = {"year": day.year, "month": day.month, "day": day.day}
    if day.year == this_year:
        return _("%(month)02d-%(day)02d") % parts
    return _("%(year)04d-%(month)02d-%(day)02d") % parts


def format_datetime(value: dt.datetime | None, *, today: dt.date | None = None) -> str:
    """「1月2日 08:00」 in local time, with the year where it is not the current one."""
    if value is None:
        return ""
    local = _local(value)
    return f"{format_date(local, today=today)} {local:%H:%M}"


def format_range(
    start: dt.datetime | None, end: dt.datetime | None, *, today: dt.date | None = None
) -> str:
    """Same local day: 「1月2日 08:00–10:00」; different days: both dates and times."""
    if start is None:
        return ""
    if end is None:
        return format_datetime(start, today=today)
    s, e = _local(start), _local(end)
    if s.date() == e.date():
        return f"{format_date(s, today=today)} {s:%H:%M}–{e:%H:%M}"
    return f"{format_datetime(s, today=today)} – {format_datetime(e, today=today)}"
