"""Slot generation: the slots of every active template for the coming days (idempotent)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db import transaction

from gonghui.core import timeutil

from ..models import Closure, Mode, Slot, SlotTemplate, Venue
from .rules import (
    _aware,
    slot_horizon_days,
)


def slots_generate(
    *, venues: Iterable[Venue] | None = None, today: dt.date | None = None, days: int | None = None
) -> int:
    """Create the slots of every active template for the coming days (idempotent; closed days
    are skipped). Returns the number of slots created."""
    today = today or timeutil.local_today()
    targets = list(venues) if venues is not None else list(Venue.objects.filter(is_active=True))
    created = 0
    for venue in targets:
        horizon = days if days is not None else slot_horizon_days(venue)
        templates = list(SlotTemplate.objects.filter(venue=venue, is_active=True))
        if not templates:
            continue
        closures = list(Closure.objects.filter(venue=venue, ends_on__gte=today))
        wanted: list[Slot] = []
        for offset in range(horizon):
            day = today + dt.timedelta(days=offset)
            if any(c.starts_on <= day <= c.ends_on for c in closures):
                continue
            for t in templates:
                if t.weekday != day.weekday():
                    continue
                capacity = t.capacity if t.mode == Mode.SHARED else 1
                wanted.append(
                    Slot(
                        venue=venue,
                        template=t,
                        starts_at=_aware(day, t.start),
                        ends_at=_aware(day, t.end),
                        mode=t.mode,
                        capacity=capacity,
                        places_left=capacity,
                    )
                )
        if not wanted:
            continue
        existing = set(
            Slot.objects.filter(
                venue=venue,
                starts_at__gte=min(s.starts_at for s in wanted),
                starts_at__lte=max(s.starts_at for s in wanted),
            ).values_list("starts_at", "ends_at", "mode")
        )
        missing = [s for s in wanted if (s.starts_at, s.ends_at, s.mode) not in existing]
        with transaction.atomic():
            Slot.objects.bulk_create(missing, ignore_conflicts=True)
        created += len(missing)
    return created
