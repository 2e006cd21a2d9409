"""Where the dashboard reads the ServiceEvent and member-activity figures.

Today a pass-through to the live selectors of ``members``; the roll-ups replace the bodies with
the same signatures and the same answers (docs/figures.md)."""

from __future__ import annotations

import datetime as dt

from gonghui.members import selectors as member_selectors
from gonghui.orgs.models import Org


def person_times_by_kind(*, org: Org, start: dt.datetime, end: dt.datetime) -> dict[str, int]:
    return member_selectors.person_times_by_kind(org=org, start=start, end=end)


def amounts_by_kind(*, org: Org, start: dt.datetime, end: dt.datetime) -> dict[str, int]:
    return member_selectors.amounts_by_kind(org=org, start=start, end=end)


def active_members(*, org: Org, start: dt.date, end: dt.date) -> int:
    return member_selectors.active_members(org=org, start=start, end=end)


def active_by_day(*, org: Org, start: dt.date, end: dt.date) -> dict[dt.date, int]:
    return member_selectors.active_by_day(org=org, start=start, end=end)
