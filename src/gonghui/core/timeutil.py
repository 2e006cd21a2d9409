"""Aware UTC inside, Asia/Shanghai at the edges."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from django.utils import timezone

SHANGHAI = ZoneInfo("Asia/Shanghai")


def now() -> dt.datetime:
    return timezone.now()


def local_today() -> dt.date:
    return timezone.now().astimezone(SHANGHAI).date()


def to_local(value: dt.datetime) -> dt.datetime:
    return value.astimezone(SHANGHAI)
