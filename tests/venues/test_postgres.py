"""PostgreSQL: no double booking under concurrency, and the database itself refuses overlaps.

- 50 exclusive bookings of one slot at once → exactly 1;
- 50 exclusive bookings of one time range (no slot) by 50 unions at once → exactly 1;
- 50 bare INSERTs of overlapping exclusive bookings at once (no service, no lock) → exactly 1:
  the EXCLUSION constraint alone;
- 50 members at once for a shared slot of 10 places → exactly 10;
- a raw overlapping INSERT is refused by the database.
"""

from __future__ import annotations

import datetime as dt
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import IntegrityError, connection, connections, transaction

from gonghui.core.errors import Refused
from gonghui.members.models import ServiceEvent
from gonghui.orgs.models import Role
from gonghui.venues import services
from gonghui.venues.models import Booking, Mode, Slot, Venue
from tests.conftest import postgres_only
from tests.factories import make_member, make_staff, org_child

from .factories import local_at, make_slot, make_venue

pytestmark = [postgres_only(), pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

N = 50


def run_at_once(n, fn):
    barrier = threading.Barrier(n)

    def worker(i):
        try:
            barrier.wait(timeout=30)
            return fn(i)
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=n) as pool:
        return list(pool.map(worker, range(n)))


def outcome(fn):
    try:
        fn()
        return "ok"
    except Refused as exc:
        return exc.code


def test_50_exclusive_bookings_of_one_slot_at_once_exactly_one(federation, union):
    room = make_venue(
        federation, kind=Venue.Kind.MEETING_ROOM, exclusive_by=Venue.ExclusiveBy.MEMBERS
    )
    slot = make_slot(room, mode=Mode.EXCLUSIVE)
    members = [make_member(union) for _ in range(N)]
    results = run_at_once(
        N, lambda i: outcome(lambda: services.booking_create(slot=slot, member=members[i]))
    )
    assert results.count("ok") == 1, results
    assert set(results) == {"ok", "taken"}
    assert Booking.objects.filter(status=Booking.Status.ACTIVE).count() == 1
    assert Slot.objects.get(pk=slot.pk).places_left == 0
    assert ServiceEvent.objects.filter(kind="venues.booking").count() == 1


def test_50_unions_book_one_time_range_at_once_exactly_one(federation):
    room = make_venue(federation, kind=Venue.Kind.MEETING_ROOM)
    unions = [org_child(federation) for _ in range(N)]
    admins = [make_staff(u, Role.UNION_ADMIN) for u in unions]
    starts = local_at(2, 14)

    def book(i):
        # Ranges that all overlap each other, shifted by up to 49 minutes.
        s = starts + dt.timedelta(minutes=i)
        return outcome(
            lambda: services.booking_create(
                venue=room,
                starts_at=s,
                ends_at=s + dt.timedelta(hours=1),
                org=unions[i],
                actor=admins[i],
            )
        )

    results = run_at_once(N, book)
    assert results.count("ok") == 1, results
    assert set(results) == {"ok", "taken"}
    assert Booking.objects.filter(venue=room, status=Booking.Status.ACTIVE).count() == 1


def test_50_bare_overlapping_inserts_at_once_the_constraint_keeps_one(federation):
    """No service and no lock: only the EXCLUSION constraint stands between them."""
    room = make_venue(federation, kind=Venue.Kind.MEETING_ROOM)
    unions = [org_child(federation) for _ in range(N)]
    starts = local_at(2, 9)

    def insert(i):
        try:
            with transaction.atomic():
                Booking.objects.create(
                    venue=room,
                    starts_at=starts + dt.timedelta(minutes=i),
                    ends_at=starts + dt.timedelta(hours=2),
                    mode=Mode.EXCLUSIVE,
                    booker_org=unions[i],
                )
            return "ok"
        except IntegrityError:
            return "refused"

    results = run_at_once(N, insert)
    assert results.count("ok") == 1 and results.count("refused") == N - 1
    assert Booking.objects.filter(venue=room).count() == 1


def test_50_members_at_once_for_10_shared_places_exactly_10(venue, union):
    slot = make_slot(venue, capacity=10)
    members = [make_member(union) for _ in range(N)]
    results = run_at_once(
        N, lambda i: outcome(lambda: services.booking_create(slot=slot, member=members[i]))
    )
    assert results.count("ok") == 10, results
    assert results.count("full") == N - 10
    slot.refresh_from_db()
    assert slot.places_left == 0
    assert Booking.objects.filter(slot=slot, status=Booking.Status.ACTIVE).count() == 10
    assert ServiceEvent.objects.filter(kind="venues.booking").count() == 10


def test_one_member_books_10_slots_at_once_within_the_limit(venue, member):
    """The per-member limit holds under concurrency (the member row is locked)."""
    venue.max_active_bookings = 3
    venue.save()
    slots = [make_slot(venue, hour=8 + i) for i in range(10)]
    results = run_at_once(
        10, lambda i: outcome(lambda: services.booking_create(slot=slots[i], member=member))
    )
    assert results.count("ok") == 3 and results.count("limit_reached") == 7
    assert Booking.objects.filter(member=member, status=Booking.Status.ACTIVE).count() == 3


def test_raw_overlapping_insert_refused_by_the_database(venue, union):
    a = local_at(3, 10)
    b = local_at(3, 11)
    sql = (
        "INSERT INTO venues_booking (venue_id, booker_org_id, starts_at, ends_at, mode, status, "
        "purpose, cancel_reason, created_at) VALUES (%s, %s, %s, %s, 'exclusive', %s, '', '', now())"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [venue.pk, union.pk, a, a + dt.timedelta(hours=2), "active"])
        with (
            pytest.raises(IntegrityError, match="venues_booking_no_exclusive_overlap"),
            transaction.atomic(),
        ):
            cursor.execute(sql, [venue.pk, union.pk, b, b + dt.timedelta(hours=2), "active"])
        # an attended booking still holds the room; a cancelled one does not
        with (
            pytest.raises(IntegrityError, match="venues_booking_no_exclusive_overlap"),
            transaction.atomic(),
        ):
            cursor.execute(sql, [venue.pk, union.pk, b, b + dt.timedelta(hours=2), "attended"])
        cursor.execute(sql, [venue.pk, union.pk, b, b + dt.timedelta(hours=2), "cancelled"])
        # touching ranges are allowed ([start, end))
        cursor.execute(
            sql,
            [venue.pk, union.pk, a + dt.timedelta(hours=2), a + dt.timedelta(hours=3), "active"],
        )
    assert Booking.objects.filter(venue=venue).count() == 3


def test_places_left_check_constraint(venue):
    slot = make_slot(venue, capacity=2)
    with pytest.raises(IntegrityError), transaction.atomic():
        Slot.objects.filter(pk=slot.pk).update(places_left=3)
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE venues_slot SET places_left = -1 WHERE id = %s", [slot.pk])


def test_one_booking_cancelled_10_times_at_once_frees_one_place(venue, member):
    slot = make_slot(venue, capacity=3)
    booking = services.booking_create(slot=slot, member=member)
    results = run_at_once(
        10, lambda i: outcome(lambda: services.booking_cancel(booking=booking, member=member))
    )
    assert results.count("ok") == 1 and results.count("not_active") == 9
    assert Slot.objects.get(pk=slot.pk).places_left == 3
