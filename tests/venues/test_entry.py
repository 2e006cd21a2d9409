"""Entry by code: a gate terminal of context ``venues.venue`` scans the member's code, or the
member reverse-scans the venue's poster; once per booking; a ServiceEvent per entry."""

from __future__ import annotations

import datetime as dt

import pytest

from gonghui.codes import services as codes
from gonghui.core.timeutil import now as utcnow
from gonghui.members.models import ServiceEvent
from gonghui.venues.models import Booking, Entry, Mode
from tests.codes.conftest import code_at
from tests.factories import make_member, org_child

pytestmark = pytest.mark.django_db


@pytest.fixture
def gate(venue):
    terminal, _key = codes.terminal_create(
        actor=None,
        org=venue.org,
        kind="gate",
        name="Gym gate",
        context_type="venues.venue",
        context_id=str(venue.pk),
    )
    return terminal


def booking_now(venue, *, member=None, org=None, starts_in=10, minutes=60, mode=Mode.SHARED):
    starts = utcnow() + dt.timedelta(minutes=starts_in)
    return Booking.objects.create(
        venue=venue,
        starts_at=starts,
        ends_at=starts + dt.timedelta(minutes=minutes),
        mode=Mode.EXCLUSIVE if org is not None else mode,
        member=member,
        booker_org=org,
        slot=None if org is not None else _slot(venue, starts, minutes),
    )


def _slot(venue, starts, minutes):
    from gonghui.venues.models import Slot

    return Slot.objects.create(
        venue=venue,
        starts_at=starts,
        ends_at=starts + dt.timedelta(minutes=minutes),
        mode=Mode.SHARED,
        capacity=5,
        places_left=4,
    )


def scan(gate, member, key):
    credential, seed = codes.credential_issue(member=member)
    code = code_at(credential, seed, utcnow())
    return codes.scan_code(terminal=gate, code=code, payload={}, idempotency_key=key)


def test_gate_scan_lets_the_member_in_once(gate, venue, member):
    booking = booking_now(venue, member=member)
    result = scan(gate, member, "e-1")
    assert result.status == 200, result.body
    assert result.body["result"]["booking"] == booking.pk
    assert result.body["result"]["venue"] == venue.name
    booking.refresh_from_db()
    assert booking.status == Booking.Status.ATTENDED and booking.entered_at is not None
    assert Entry.objects.filter(booking=booking, member=member).count() == 1
    assert ServiceEvent.objects.filter(kind="venues.entry", member=member).count() == 1
    # a second scan with a fresh code: refused, nothing new
    again = scan(gate, member, "e-2")
    assert again.status == 409 and again.body["code"] == "already_entered"
    assert again.body["message"]
    assert Entry.objects.count() == 1
    assert ServiceEvent.objects.filter(kind="venues.entry").count() == 1


def test_no_booking_now_is_refused_and_the_code_is_not_used_up(gate, venue, member):
    booking_now(venue, member=member, starts_in=60)  # beyond the 15-minute grace
    credential, seed = codes.credential_issue(member=member)
    code = code_at(credential, seed, utcnow())
    result = codes.scan_code(terminal=gate, code=code, payload={}, idempotency_key="n-1")
    assert result.status == 409 and result.body["code"] == "no_booking"
    credential.refresh_from_db()
    assert credential.use_count == 0
    assert Entry.objects.count() == 0


def test_entry_allowed_until_the_end(gate, venue, member):
    booking = booking_now(venue, member=member, starts_in=-50, minutes=60)
    assert scan(gate, member, "late").status == 200
    booking.refresh_from_db()
    assert booking.status == Booking.Status.ATTENDED


def test_cancelled_booking_does_not_let_in(gate, venue, member):
    booking = booking_now(venue, member=member)
    Booking.objects.filter(pk=booking.pk).update(status=Booking.Status.CANCELLED)
    assert scan(gate, member, "c-1").body["code"] == "no_booking"


def test_members_of_a_booking_union_enter_on_its_booking(gate, venue, union, other_union):
    booking = booking_now(venue, org=union)
    sub = org_child(union)
    inside, deeper, outsider = make_member(union), make_member(sub), make_member(other_union)
    assert scan(gate, inside, "u-1").status == 200
    assert scan(gate, deeper, "u-2").status == 200
    assert scan(gate, outsider, "u-3").body["code"] == "no_booking"
    assert Entry.objects.filter(booking=booking).count() == 2
    # the union's booking has no event: each entry on it is the service (docs/figures.md)
    kinds = ServiceEvent.objects.values_list("kind", flat=True)
    assert sorted(kinds) == ["venues.group_entry", "venues.group_entry"]
    assert scan(gate, inside, "u-4").body["code"] == "already_entered"
    booking.refresh_from_db()
    assert booking.status == Booking.Status.ATTENDED


def test_reverse_scan_of_the_venue_poster_reaches_the_same_handler(gate, venue, member):
    booking = booking_now(venue, member=member)
    token = codes.poster_token(gate)
    result = codes.scan_poster(member=member, token=token, payload={}, idempotency_key="p-1")
    assert result.status == 200 and result.body["via"] == "poster"
    assert result.body["result"]["booking"] == booking.pk
    again = codes.scan_poster(member=member, token=token, payload={}, idempotency_key="p-2")
    assert again.body["code"] == "already_entered"
    assert Entry.objects.count() == 1


def test_terminal_of_an_unknown_venue(venue, member):
    terminal, _key = codes.terminal_create(
        actor=None,
        org=venue.org,
        kind="gate",
        name="Lost gate",
        context_type="venues.venue",
        context_id="999999",
    )
    booking_now(venue, member=member)
    assert scan(terminal, member, "x-1").body["code"] == "venue_unknown"
