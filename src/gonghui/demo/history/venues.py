"""A year of the venues: the past year's slots (``slots_generate`` from a year ago), members'
bookings made a few days ahead, most of them entered at the gate, a few cancelled, the rest
marked no-show; and the unions' meetings in the first meeting room, entered by their members
(``venues.group_entry``). All through ``venues.services`` with the clock at each moment."""

from __future__ import annotations

import datetime as dt

from gonghui.core.timeutil import to_local
from gonghui.members.models import Member
from gonghui.orgs.models import Org
from gonghui.venues import services
from gonghui.venues.models import Booking, Entry, Mode, Slot, Venue

from . import bulk
from .calendar import Year, at_local, attempt, leisure_weight

BOOKINGS = 500
ENTER_SHARE = 0.82
CANCEL_SHARE = 0.06
UNION_MEETINGS = 30
UNIONS = ("YH-YC-01", "YH-CM", "YH-KM", "YH-YC")


def _book(year: Year, slot: Slot, member: Member, venue: Venue) -> Booking | None:
    ahead = dt.timedelta(hours=year.rng.randrange(2, 24 * max(1, venue.book_ahead_days)))
    at = slot.starts_at - ahead
    # None when refused: full, the member's limit, already booked (the H5 says why)
    return attempt(at, services.booking_create, slot=slot, member=member)


def load(*, year: Year, members: list[Member], actor: object) -> int:
    rng = year.rng
    venues = list(Venue.objects.filter(is_active=True).order_by("pk"))
    if not venues:
        return 0
    services.slots_generate(venues=venues, today=year.days[0], days=len(year.days))
    end = year.days[-1] + dt.timedelta(days=1)
    past = Slot.objects.filter(
        venue__in=venues, starts_at__gte=year.start, starts_at__lt=_midnight(end)
    )
    shared = list(past.filter(mode=Mode.SHARED).select_related("venue").order_by("starts_at"))
    weights = [leisure_weight(to_local(s.starts_at).date()) for s in shared]
    by_member: dict[int, Member] = {m.pk: m for m in members}
    made: list[Booking] = []
    chosen = sorted(rng.choices(range(len(shared)), weights=weights, k=BOOKINGS))
    for index in chosen:
        slot = shared[index]
        member = rng.choice(members)
        if member.joined_on > to_local(slot.starts_at).date():
            continue
        booking = _book(year, slot, member, slot.venue)
        if booking is not None:
            made.append(booking)
    entered: list[Booking] = []
    for booking in made:
        member = by_member[booking.member_id]  # type: ignore[index]
        roll = rng.random()
        if roll < CANCEL_SHARE:
            at = booking.starts_at - dt.timedelta(hours=booking.venue.cancel_hours + 1)
            at = max(at, booking.created_at + dt.timedelta(minutes=5))
            attempt(at, services.booking_cancel, booking=booking, member=member, reason="时间冲突")
        elif roll < CANCEL_SHARE + ENTER_SHARE:
            entered.append(booking)
    _entries(year, entered, {pk: m.org_id for pk, m in by_member.items()})
    made_meetings = _union_meetings(year, past, members, actor)
    services.no_shows_mark()  # the bookings nobody came to, as the nightly task does
    return len(made) + len(entered) + made_meetings


def _entries(year: Year, bookings: list[Booking], orgs: dict[int, int]) -> None:
    """The members came on their own bookings: what ``entry_record`` writes for each (the
    entry, the booking attended, a ``venues.entry`` event at the member's union), bulk-inserted."""
    rows = []
    for booking in bookings:
        assert booking.member_id is not None  # a member's own booking
        booking.status = Booking.Status.ATTENDED
        booking.entered_at = booking.starts_at + dt.timedelta(minutes=year.rng.randrange(-5, 25))
        rows.append(
            Entry(
                booking=booking,
                venue_id=booking.venue_id,
                member_id=booking.member_id,
                entered_at=booking.entered_at,
            )
        )
    Entry.objects.bulk_create(rows, batch_size=bulk.BATCH)
    Booking.objects.bulk_update(bookings, ["status", "entered_at"], batch_size=500)
    bulk.events_write(
        "venues.entry",
        (bulk.Served(e.member_id, orgs[e.member_id], e, e.entered_at) for e in rows),
    )


def _midnight(day: dt.date) -> dt.datetime:
    return at_local(day, 0)


def _union_meetings(year: Year, past: object, members: list[Member], actor: object) -> int:
    """Unions book the exclusive meeting room for their meetings; their members enter on it."""
    rng = year.rng
    rooms = past.filter(  # type: ignore[attr-defined]
        mode=Mode.EXCLUSIVE, venue__exclusive_by=Venue.ExclusiveBy.UNIONS
    ).select_related("venue")
    slots = list(rooms.order_by("starts_at"))
    if not slots:
        return 0
    unions = {o.code: o for o in Org.objects.filter(code__in=UNIONS)}
    made = 0
    for slot in sorted(rng.sample(slots, min(UNION_MEETINGS, len(slots))), key=_start):
        union = unions.get(rng.choice(UNIONS))
        if union is None:
            continue
        booked = attempt(
            slot.starts_at - dt.timedelta(days=rng.randrange(2, 10)),
            services.booking_create,
            slot=slot,
            org=union,
            actor=actor,
            purpose="工会委员会例会",
        )
        if booked is None:
            continue
        attendees = [
            m
            for m in members
            if (
                m.org.path.startswith(union.path) and m.joined_on <= to_local(slot.starts_at).date()
            )
        ]
        for member in rng.sample(attendees, min(len(attendees), rng.randrange(4, 9))):
            at = slot.starts_at + dt.timedelta(minutes=rng.randrange(-5, 15))
            if attempt(at, services.entry_record, venue=slot.venue, member=member) is not None:
                made += 1
    return made


def _start(slot: Slot) -> dt.datetime:
    return slot.starts_at
