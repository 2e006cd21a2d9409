"""``{% load gh_time %}``: dates and times as a person reads them (see ``core.timeutil``).

``{{ d|local_date }}`` → 1月2日, ``{{ t|local_dt }}`` → 1月2日 08:00,
``{{ s.starts_at|local_range:s.ends_at }}`` → 1月2日 08:00–10:00 (or both dates); the year is
shown where it is not the current one."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import template

from gonghui.core.timeutil import format_date, format_datetime, format_range

register = template.Library()


@register.filter(name="local_date")
def local_date(value: Any) -> str:
    return format_date(value) if isinstance(value, dt.date) else ""


@register.filter(name="local_dt")
def local_dt(value: Any) -> str:
    if isinstance(value, dt.datetime):
        return format_datetime(value)
    return format_date(value) if isinstance(value, dt.date) else ""


@register.filter(name="local_range")
def local_range(start: Any, end: Any) -> str:
    if not isinstance(start, dt.datetime):
        return ""
    return format_range(start, end if isinstance(end, dt.datetime) else None)
