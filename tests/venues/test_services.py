"""Booking rules, each with a clear refusal; recurring bookings all or nothing; cancellations;
no-shows; slot generation."""

from __future__ import annotations

import datetime as dt

import pytest

from gonghui.core.audit import AuditEntry
from gonghui.core.errors import NotFound, Refused
from gonghui.core.timeutil import local_today
from gonghui.members.models import ServiceEvent
from gonghui.orgs.models import Role
from gonghui.venues import services
from gonghui.venues.models import Booking, Closure, Mode, Slot, SlotTemplate, Venue
from tests.factories import make_member, make_staff, org_child, org_root

from .factories import local_at, make_slot, make_venue

pytestmark = pytest.mark.django_db


def refused(fn, **kw) -> Refused:
    with pytest.raises(Refused) as info:
        fn(**kw)
    assert str(info.value.message), "a refusal says why"
    return info.value


def test_shared_booking_takes_a_place_and_counts_a_service(venue, member):
    slot = make_slot(venue, capacity=3)
    booking = services.booking_create(slot=slot, member=member)
    slot.refresh_from_db()
    assert slot.places_left == 2
    assert booking.status == Booking.Status.ACTIVE and booking.mode == Mode.SHARED
    assert booking.starts_at == slot.starts_at and booking.venue == venue
    event = ServiceEvent.objects.get(kind="venues.booking")
    assert event.member == member and event.source_id == str(booking.pk)


def test_full_slot_refused_and_nothing_changes(venue, union):
    slot = make_slot(venue, capacity=1)
    services.booking_create(slot=slot, member=make_member(union))
    late = make_member(union)
    exc = refused(services.booking_create, slot=slot, member=late)
    assert exc.code == "full" and exc.status == 409
    assert Booking.objects.filter(member=late).count() == 0
    assert ServiceEvent.objects.filter(member=late).count() == 0
    slot.refresh_from_db()
    assert slot.places_left == 0


def test_same_slot_twice_refused(venue, member):
    slot = make_slot(venue)
    services.booking_create(slot=slot, member=member)
    exc = refused(services.booking_create, slot=slot, member=member)
    assert exc.code == "already_booked"
    slot.refresh_from_db()
    assert slot.places_left == 9


def test_active_bookings_per_member_limit(venue, member):
    venue.max_active_bookings = 2
    venue.save()
    for hour in (9, 11):
        services.booking_create(slot=make_slot(venue, hour=hour), member=member)
    third = make_slot(venue, hour=14)
    exc = refused(services.booking_create, slot=third, member=member)
    assert exc.code == "limit_reached" and "2" in str(exc.message)
    # Cancelling one frees the allowance.
    first = Booking.objects.filter(member=member).order_by("starts_at").first()
    services.booking_cancel(booking=first, member=member)
    services.booking_create(slot=third, member=member)


def test_too_far_ahead(venue, member):
    venue.book_ahead_days = 3
    venue.save()
    far = make_slot(venue, days=5)
    exc = refused(services.booking_create, slot=far, member=member)
    assert exc.code == "too_far_ahead" and "3" in str(exc.message)
    services.booking_create(slot=make_slot(venue, days=3), member=member)


def test_outside_opening_hours(venue, member):
    late = make_slot(venue, hour=21, hours=2)  # 21:00–23:00, the venue closes at 22:00
    exc = refused(services.booking_create, slot=late, member=member)
    assert exc.code == "outside_hours"


def test_closure_refused_with_its_reason(venue, member):
    slot = make_slot(venue, days=2)
    day = local_today() + dt.timedelta(days=2)
    Closure.objects.create(venue=venue, starts_on=day, ends_on=day, reason="Floor repairs")
    exc = refused(services.booking_create, slot=slot, member=member)
    assert exc.code == "closed" and "Floor repairs" in str(exc.message)


def test_past_slot_refused(venue, member):
    slot = make_slot(venue, days=-1)
    assert refused(services.booking_create, slot=slot, member=member).code == "past"


def test_inactive_venue_and_member_refused(venue, member, union):
    slot = make_slot(venue)
    Venue.objects.filter(pk=venue.pk).update(is_active=False)
    assert refused(services.booking_create, slot=slot, member=member).code == "venue_closed"
    Venue.objects.filter(pk=venue.pk).update(is_active=True)
    gone = make_member(union)
    gone.status = gone.Status.LEFT
    gone.save()
    assert refused(services.booking_create, slot=slot, member=gone).code == "member_inactive"


def test_exclusive_slot_members_only_where_allowed(venue, union):
    room = make_venue(venue.org, kind=Venue.Kind.MEETING_ROOM)
    slot = make_slot(room, mode=Mode.EXCLUSIVE)
    a, b = make_member(union), make_member(union)
    assert refused(services.booking_create, slot=slot, member=a).code == "exclusive_unions_only"
    room.exclusive_by = Venue.ExclusiveBy.MEMBERS
    room.save()
    services.booking_create(slot=slot, member=a)
    exc = refused(services.booking_create, slot=slot, member=b)
    assert exc.code == "taken" and exc.status == 409


def test_union_books_a_range_exclusively(venue, union, union_admin, other_union):
    starts = local_at(2, 14)
    booking = services.booking_create(
        venue=venue,
        starts_at=starts,
        ends_at=starts + dt.timedelta(hours=2),
        org=union,
        actor=union_admin,
        purpose="Members' meeting",
    )
    assert booking.mode == Mode.EXCLUSIVE and booking.booker_org == union
    assert AuditEntry.objects.filter(action="venues.booking.create").count() == 1
    # overlapping: refused, naming the time taken
    exc = refused(
        services.booking_create,
        venue=venue,
        starts_at=starts + dt.timedelta(hours=1),
        ends_at=starts + dt.timedelta(hours=3),
        org=union,
        actor=union_admin,
    )
    assert exc.code == "taken" and "14:00" in str(exc.message)
    # touching ranges are fine ([start, end))
    services.booking_create(
        venue=venue,
        starts_at=starts + dt.timedelta(hours=2),
        ends_at=starts + dt.timedelta(hours=3),
        org=union,
        actor=union_admin,
    )
    # another union's admin cannot book for this union: 404
    with pytest.raises(NotFound):
        services.booking_create(
            venue=venue,
            starts_at=local_at(3, 9),
            ends_at=local_at(3, 10),
            org=union,
            actor=make_staff(other_union, Role.UNION_ADMIN),
        )


def test_union_outside_the_venue_subtree_refused(venue, union):
    elsewhere = org_child(org_root())
    admin = make_staff(elsewhere, Role.UNION_ADMIN)
    exc = refused(
        services.booking_create,
        venue=venue,
        starts_at=local_at(2, 9),
        ends_at=local_at(2, 10),
        org=elsewhere,
        actor=admin,
    )
    assert exc.code == "org_not_eligible"


def test_exclusive_and_shared_exclude_each_other(venue, member, union, union_admin):
    slot = make_slot(venue, hour=10)
    services.booking_create(slot=slot, member=member)
    exc = refused(
        services.booking_create,
        venue=venue,
        starts_at=local_at(1, 9),
        ends_at=local_at(1, 11),
        org=union,
        actor=union_admin,
    )
    assert exc.code == "in_use"
    services.booking_create(
        venue=venue,
        starts_at=local_at(1, 14),
        ends_at=local_at(1, 16),
        org=union,
        actor=union_admin,
    )
    later = make_slot(venue, hour=15)
    exc = refused(services.booking_create, slot=later, member=make_member(union))
    assert exc.code == "taken"
    later.refresh_from_db()
    assert later.places_left == 10


def test_bad_ranges_refused(venue, union, union_admin):
    s = local_at(2, 10)
    for ends, field in ((s, "ends_at"), (s + dt.timedelta(hours=13), "ends_at")):
        exc = refused(
            services.booking_create,
            venue=venue,
            starts_at=s,
            ends_at=ends,
            org=union,
            actor=union_admin,
        )
        assert exc.code == "invalid" and exc.field == field
    assert Booking.objects.count() == 0


# --- recurring ---------------------------------------------------------------------------------


def test_recurring_all_or_nothing_names_the_dates(venue, union, union_admin, other_union):
    starts = local_at(1, 19)
    ends = starts + dt.timedelta(hours=2)
    # week 3 is taken by another union, week 2 is a closure
    other_admin = make_staff(other_union, Role.UNION_ADMIN)
    services.booking_create(
        venue=venue,
        starts_at=starts + dt.timedelta(weeks=2),
        ends_at=ends + dt.timedelta(weeks=2),
        org=other_union,
        actor=other_admin,
    )
    closed = local_today() + dt.timedelta(days=1, weeks=1)
    Closure.objects.create(venue=venue, starts_on=closed, ends_on=closed, reason="Holiday")
    before = Booking.objects.count()
    exc = refused(
        services.booking_create_recurring,
        venue=venue,
        org=union,
        actor=union_admin,
        starts_at=starts,
        ends_at=ends,
        weeks=4,
    )
    assert exc.code == "recurring_conflict" and exc.status == 409
    week2 = closed.isoformat()
    week3 = (local_today() + dt.timedelta(days=1, weeks=2)).isoformat()
    assert week2 in str(exc.message) and week3 in str(exc.message)
    assert [c["date"] for c in exc.data["conflicts"]] == [week2, week3]
    assert [c["code"] for c in exc.data["conflicts"]] == ["closed", "taken"]
    assert Booking.objects.count() == before  # nothing booked
    assert not AuditEntry.objects.filter(action="venues.booking.create_recurring").exists()


def test_recurring_books_every_week_in_one_group(venue, union, union_admin):
    starts = local_at(1, 19)
    bookings = services.booking_create_recurring(
        venue=venue,
        org=union,
        actor=union_admin,
        starts_at=starts,
        ends_at=starts + dt.timedelta(hours=2),
        weeks=6,
        purpose="Choir",
    )
    assert len(bookings) == 6
    assert len({b.recurrence_group for b in bookings}) == 1
    days = [b.starts_at - starts for b in bookings]
    assert days == [dt.timedelta(weeks=k) for k in range(6)]
    assert AuditEntry.objects.filter(action="venues.booking.create_recurring").count() == 1
    # staff cancel the rest of the series
    keeper = make_staff(venue.org, Role.VENUE_KEEPER)
    assert (
        services.booking_cancel_series(
            group=bookings[0].recurrence_group, actor=keeper, reason="Choir disbanded"
        )
        == 6
    )
    assert Booking.objects.filter(status=Booking.Status.CANCELLED).count() == 6


@pytest.mark.parametrize("weeks", [0, 53, -1])
def test_recurring_weeks_bounds(venue, union, union_admin, weeks):
    exc = refused(
        services.booking_create_recurring,
        venue=venue,
        org=union,
        actor=union_admin,
        starts_at=local_at(1, 19),
        ends_at=local_at(1, 20),
        weeks=weeks,
    )
    assert exc.code == "invalid" and exc.field == "weeks"


# --- cancel ----------------------------------------------------------------------------------


def test_member_cancels_before_the_deadline_and_frees_the_place(venue, member):
    slot = make_slot(venue, capacity=1)
    booking = services.booking_create(slot=slot, member=member)
    services.booking_cancel(booking=booking, member=member)
    booking.refresh_from_db()
    slot.refresh_from_db()
    assert booking.status == Booking.Status.CANCELLED and slot.places_left == 1
    exc = refused(services.booking_cancel, booking=booking, member=member)
    assert exc.code == "not_active"
    slot.refresh_from_db()
    assert slot.places_left == 1


def test_member_cannot_cancel_after_the_deadline(venue, member):
    venue.cancel_hours = 4
    venue.save()
    slot = make_slot(venue)
    booking = services.booking_create(slot=slot, member=member)
    late = slot.starts_at - dt.timedelta(hours=3)
    exc = refused(services.booking_cancel, booking=booking, member=member, now=late)
    assert exc.code == "too_late" and "4" in str(exc.message)
    booking.refresh_from_db()
    assert booking.status == Booking.Status.ACTIVE


def test_member_cannot_cancel_someone_elses(venue, member, union):
    booking = services.booking_create(slot=make_slot(venue), member=member)
    with pytest.raises(NotFound):
        services.booking_cancel(booking=booking, member=make_member(union))


def test_staff_cancel_needs_a_reason_and_is_audited(venue, member, keeper):
    slot = make_slot(venue, capacity=2)
    booking = services.booking_create(slot=slot, member=member)
    assert refused(services.booking_cancel, booking=booking, actor=keeper).code == "required"
    late = slot.starts_at - dt.timedelta(minutes=5)  # staff are not bound by the deadline
    services.booking_cancel(booking=booking, actor=keeper, reason="Pipe burst", now=late)
    entry = AuditEntry.objects.get(action="venues.booking.cancel")
    assert entry.data["reason"] == "Pipe burst" and entry.actor == keeper
    slot.refresh_from_db()
    assert slot.places_left == 2


def test_staff_of_another_federation_cannot_cancel(venue, member):
    stranger = make_staff(org_root(), Role.FEDERATION_ADMIN)
    booking = services.booking_create(slot=make_slot(venue), member=member)
    with pytest.raises(NotFound):
        services.booking_cancel(booking=booking, actor=stranger, reason="x")


# --- no-shows and slots ----------------------------------------------------------------------


def test_no_shows_marked_after_the_slot(venue, member, union):
    slot = make_slot(venue, hour=10)
    booking = services.booking_create(slot=slot, member=member)
    assert services.no_shows_mark(now=slot.ends_at - dt.timedelta(minutes=1)) == 0
    assert services.no_shows_mark(now=slot.ends_at) == 1
    booking.refresh_from_db()
    assert booking.status == Booking.Status.NO_SHOW


def test_slots_generated_ahead_idempotently_skipping_closures(federation):
    room = make_venue(federation, kind=Venue.Kind.MEETING_ROOM, book_ahead_days=7)
    for weekday in range(7):
        SlotTemplate.objects.create(
            venue=room,
            weekday=weekday,
            start=dt.time(9),
            end=dt.time(11),
            mode=Mode.EXCLUSIVE,
            capacity=30,
        )
        SlotTemplate.objects.create(
            venue=room,
            weekday=weekday,
            start=dt.time(14),
            end=dt.time(16),
            mode=Mode.SHARED,
            capacity=12,
        )
    today = local_today()
    Closure.objects.create(
        venue=room,
        starts_on=today + dt.timedelta(days=3),
        ends_on=today + dt.timedelta(days=4),
        reason="x",
    )
    created = services.slots_generate(venues=[room], today=today, days=14)
    assert created == (14 - 2) * 2
    assert services.slots_generate(venues=[room], today=today, days=14) == 0
    assert set(Slot.objects.filter(mode=Mode.EXCLUSIVE).values_list("capacity", flat=True)) == {1}
    assert set(Slot.objects.filter(mode=Mode.SHARED).values_list("places_left", flat=True)) == {12}
    first = Slot.objects.order_by("starts_at").first()
    assert first.starts_at == local_at(0, 9)


def test_management_command_generates_slots_and_marks_no_shows(venue, member):
    import io

    from django.core.management import call_command

    SlotTemplate.objects.create(
        venue=venue, weekday=0, start=dt.time(9), end=dt.time(10), mode=Mode.SHARED, capacity=4
    )
    past = make_slot(venue, days=-1)
    Booking.objects.create(
        venue=venue,
        slot=past,
        starts_at=past.starts_at,
        ends_at=past.ends_at,
        mode=Mode.SHARED,
        member=member,
    )
    out = io.StringIO()
    call_command("venues_slots", stdout=out)
    assert Slot.objects.filter(template__isnull=False).count() >= 2
    assert "no-shows marked: 1" in out.getvalue()
    assert Booking.objects.get(slot=past).status == Booking.Status.NO_SHOW
