"""Reads of the venues app: closures and opening hours, venue lists, the calendar of free places,
a member's bookings."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Case, IntegerField, QuerySet, Value, When

from gonghui.core import timeutil
from gonghui.members.models import Member
from gonghui.orgs.scoping import scope

from .models import Booking, Closure, Mode, OpeningHours, Slot, Venue

MAX_CALENDAR_DAYS = 31


def closure_on(venue: Venue, day: dt.date) -> Closure | None:
    return Closure.objects.filter(venue=venue, starts_on__lte=day, ends_on__gte=day).first()


def within_hours(venue: Venue, starts_at: dt.datetime, ends_at: dt.datetime) -> bool:
    """Does [starts_at, ends_at) lie inside one opening window of its (local) day?"""
    start, end = timeutil.to_local(starts_at), timeutil.to_local(ends_at)
    if start.date() != end.date():
        return False
    return OpeningHours.objects.filter(
        venue=venue, weekday=start.weekday(), opens__lte=start.time(), closes__gte=end.time()
    ).exists()


def venues_for_member(
    *, member: Member | None, region: str = "", kind: str = ""
) -> QuerySet[Venue]:
    """Active venues; with a member, those of the member's region first ("near me")."""
    qs = Venue.objects.filter(is_active=True, org__is_active=True).select_related("org")
    if kind:
        qs = qs.filter(kind=kind)
    if region:
        return qs.filter(region_code=region).order_by("name")
    if member is not None:
        near = member.org.region_code
        return qs.annotate(
            far=Case(
                When(region_code=near, then=Value(0)), default=Value(1), output_field=IntegerField()
            )
        ).order_by("far", "name")
    return qs.order_by("name")


def venues_for_staff(user: Any, capability: str = "venues.view") -> QuerySet[Venue]:
    return scope(Venue.objects.select_related("org"), user, capability)


@dataclass
class SlotView:
    slot: Slot
    free: int
    state: str  # "free", "full", "taken" (booked exclusively), "mine", "past", "unions"
    my_booking: Booking | None = None

    @property
    def starts_local(self) -> dt.datetime:
        return timeutil.to_local(self.slot.starts_at)

    @property
    def ends_local(self) -> dt.datetime:
        return timeutil.to_local(self.slot.ends_at)


@dataclass
class DayView:
    date: dt.date
    closed_reason: str = ""
    slots: list[SlotView] = field(default_factory=list)
    exclusive: list[Booking] = field(default_factory=list)


def calendar(
    *, venue: Venue, member: Member | None = None, days: int = 7, now: dt.datetime | None = None
) -> list[DayView]:
    """The next ``days`` local days: each slot with its free places and state for ``member``."""
    now = now or timeutil.now()
    days = max(1, min(days, MAX_CALENDAR_DAYS))
    today = timeutil.to_local(now).date()
    last = today + dt.timedelta(days=days - 1)
    start = dt.datetime.combine(today, dt.time.min, tzinfo=timeutil.SHANGHAI)
    end = dt.datetime.combine(last + dt.timedelta(days=1), dt.time.min, tzinfo=timeutil.SHANGHAI)
    slots = list(
        Slot.objects.filter(venue=venue, starts_at__gte=start, starts_at__lt=end).order_by(
            "starts_at", "mode"
        )
    )
    exclusive = list(
        Booking.objects.filter(
            venue=venue,
            mode=Mode.EXCLUSIVE,
            status__in=[Booking.Status.ACTIVE, Booking.Status.ATTENDED],
            starts_at__lt=end,
            ends_at__gt=start,
        ).select_related("booker_org")
    )
    mine: dict[int, Booking] = {}
    if member is not None:
        mine = {
            b.slot_id: b
            for b in Booking.objects.filter(
                member=member,
                slot__in=[s.pk for s in slots],
                status__in=[Booking.Status.ACTIVE, Booking.Status.ATTENDED],
            )
            if b.slot_id is not None
        }
    closures = list(Closure.objects.filter(venue=venue, starts_on__lte=last, ends_on__gte=today))
    out: list[DayView] = []
    for offset in range(days):
        day = today + dt.timedelta(days=offset)
        closure = next((c for c in closures if c.starts_on <= day <= c.ends_on), None)
        view = DayView(date=day, closed_reason=closure.reason if closure else "")
        view.exclusive = [b for b in exclusive if timeutil.to_local(b.starts_at).date() == day]
        for s in slots:
            if timeutil.to_local(s.starts_at).date() != day:
                continue
            own = mine.get(s.pk)
            blocked = any(
                b.starts_at < s.ends_at and b.ends_at > s.starts_at and b.slot_id != s.pk
                for b in exclusive
            )
            if own is not None:
                state = "mine"
            elif s.starts_at <= now:
                state = "past"
            elif (
                closure is not None or blocked or (s.mode == Mode.EXCLUSIVE and s.places_left == 0)
            ):
                state = "taken"
            elif s.places_left == 0:
                state = "full"
            elif s.mode == Mode.EXCLUSIVE and venue.exclusive_by != Venue.ExclusiveBy.MEMBERS:
                state = "unions"  # free, but only a union may book it (in the console)
            else:
                state = "free"
            free = 0 if state in ("taken", "past") else s.places_left
            view.slots.append(SlotView(slot=s, free=free, state=state, my_booking=own))
        out.append(view)
    return out


def bookings_of_member(member: Member) -> QuerySet[Booking]:
    return (
        Booking.objects.filter(member=member)
        .select_related("venue", "slot")
        .order_by("-starts_at", "-pk")
    )


def entries_today(user: Any, *, now: dt.datetime | None = None) -> QuerySet[Any]:
    from .models import Entry

    now = now or timeutil.now()
    today = timeutil.to_local(now).date()
    start = dt.datetime.combine(today, dt.time.min, tzinfo=timeutil.SHANGHAI)
    return scope(
        Entry.objects.filter(entered_at__gte=start).select_related("venue", "member", "booking"),
        user,
        "venues.view",
        "venue__org",
    )


# --- figures published to the dashboard (members.figures) ------------------------------------


def figure_bookings(query: Any) -> int:
    """Bookings of the subtree's venues for times that start in the period, not cancelled."""
    return (
        Booking.objects.filter(
            venue__org__path__startswith=query.org.path,
            starts_at__gte=query.start,
            starts_at__lt=query.end,
        )
        .exclude(status=Booking.Status.CANCELLED)
        .count()
    )


def figure_entries(query: Any) -> int:
    """Entries into the subtree's venues in the period."""
    from .models import Entry

    return Entry.objects.filter(
        venue__org__path__startswith=query.org.path,
        entered_at__gte=query.start,
        entered_at__lt=query.end,
    ).count()
