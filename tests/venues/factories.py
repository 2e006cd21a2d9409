"""Venue test helpers: venues open every day 08:00–22:00 (local), slots tomorrow and later."""

from __future__ import annotations

import datetime as dt

from gonghui.core.timeutil import SHANGHAI, local_today
from gonghui.orgs.models import Org
from gonghui.venues.models import Mode, OpeningHours, Slot, Venue


def make_venue(org: Org, *, kind: str = Venue.Kind.GYM, name: str = "", **kw) -> Venue:
    opens = kw.pop("opens", dt.time(8, 0))
    closes = kw.pop("closes", dt.time(22, 0))
    venue = Venue.objects.create(
        org=org,
        name=name or f"{org.name} {kind}",
        kind=kind,
        region_code=kw.pop("region_code", org.region_code),
        **kw,
    )
    for weekday in range(7):
        OpeningHours.objects.create(venue=venue, weekday=weekday, opens=opens, closes=closes)
    return venue


def local_at(days: int, hour: int, minute: int = 0) -> dt.datetime:
    """An aware UTC datetime ``days`` local days from today at hour:minute Shanghai time."""
    day = local_today() + dt.timedelta(days=days)
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=SHANGHAI).astimezone(dt.UTC)


def make_slot(
    venue: Venue,
    *,
    days: int = 1,
    hour: int = 10,
    hours: int = 1,
    mode: str = Mode.SHARED,
    capacity: int = 10,
) -> Slot:
    if mode == Mode.EXCLUSIVE:
        capacity = 1
    starts = local_at(days, hour)
    return Slot.objects.create(
        venue=venue,
        starts_at=starts,
        ends_at=starts + dt.timedelta(hours=hours),
        mode=mode,
        capacity=capacity,
        places_left=capacity,
    )
