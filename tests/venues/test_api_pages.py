"""API, member H5 pages and console: bad input gets a clear 4xx and changes nothing; staff of
another federation get 404."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.test import Client

from gonghui.core.audit import AuditEntry
from gonghui.core.timeutil import to_local
from gonghui.members.session import SESSION_MEMBER_KEY
from gonghui.orgs.models import Role
from gonghui.venues.models import Booking, Mode, Slot, SlotTemplate, Venue
from tests.factories import make_member, make_staff, org_root

from .factories import local_at, make_slot, make_venue

pytestmark = pytest.mark.django_db

API = "/api/v1/venues"


def member_client(member) -> Client:
    c = Client()
    session = c.session
    session[SESSION_MEMBER_KEY] = member.pk
    session.save()
    return c


def staff_client(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def post(c, url, body=None, raw=None):
    return c.post(
        url,
        data=raw if raw is not None else json.dumps(body or {}),
        content_type="application/json",
    )


# --- member API ------------------------------------------------------------------------------


def test_member_lists_venues_near_first(member, venue, federation):
    far = make_venue(federation, name="Far library", kind=Venue.Kind.LIBRARY, region_code="330100")
    r = member_client(member).get(f"{API}/")
    assert r.status_code == 200
    names = [v["name"] for v in r.json()]
    assert names == [venue.name, far.name]
    only = member_client(member).get(f"{API}/?kind=library").json()
    assert [v["name"] for v in only] == [far.name]
    assert member_client(member).get(f"{API}/?region=12").status_code == 422
    assert Client().get(f"{API}/").status_code == 401


def test_member_books_and_cancels_through_the_api(member, venue):
    slot = make_slot(venue, capacity=2)
    c = member_client(member)
    cal = c.get(f"{API}/{venue.pk}/calendar?days=3")
    assert cal.status_code == 200
    day1 = cal.json()[1]
    assert day1["slots"][0] == {
        "id": slot.pk,
        "starts_at": to_local(slot.starts_at).isoformat(),
        "ends_at": to_local(slot.ends_at).isoformat(),
        "mode": "shared",
        "capacity": 2,
        "free": 2,
        "state": "free",
        "my_booking": None,
    }
    r = post(c, f"{API}/bookings", {"slot_id": slot.pk})
    assert r.status_code == 201, r.json()
    booking_id = r.json()["id"]
    assert r.json()["status"] == "active"
    again = post(c, f"{API}/bookings", {"slot_id": slot.pk})
    assert again.status_code == 409 and again.json()["code"] == "already_booked"
    state = c.get(f"{API}/{venue.pk}/calendar?days=3").json()[1]["slots"][0]
    assert state["state"] == "mine" and state["my_booking"] == booking_id and state["free"] == 1
    assert [b["id"] for b in c.get(f"{API}/bookings/mine").json()] == [booking_id]
    cancel = post(c, f"{API}/bookings/{booking_id}/cancel")
    assert cancel.status_code == 200 and cancel.json()["status"] == "cancelled"
    assert Slot.objects.get(pk=slot.pk).places_left == 2


@pytest.mark.parametrize(
    "raw",
    ['{"slot_id": "x"}', "{}", '{"slot_id": -1}', "not json", '{"slot_id": 1.5}'],
)
def test_bad_input_gets_a_clear_4xx_and_changes_nothing(member, venue, raw):
    make_slot(venue)
    r = post(member_client(member), f"{API}/bookings", raw=raw)
    assert 400 <= r.status_code < 500
    body = r.json()
    # Ninja answers an unparsable body itself with {"detail": ...}; the rest is ours.
    assert (body.get("code") and body.get("message")) or body.get("detail")
    assert Booking.objects.count() == 0


def test_unknown_slot_and_someone_elses_booking_404(member, venue, union):
    c = member_client(member)
    r = post(c, f"{API}/bookings", {"slot_id": 999999})
    assert r.status_code == 404 and r.json()["field"] == "slot_id"
    other = make_member(union)
    mine = post(member_client(other), f"{API}/bookings", {"slot_id": make_slot(venue).pk}).json()
    assert post(c, f"{API}/bookings/{mine['id']}/cancel").status_code == 404
    assert Booking.objects.get(pk=mine["id"]).status == "active"
    assert c.get(f"{API}/999999/calendar").status_code == 404
    assert c.get(f"{API}/{venue.pk}/calendar?days=99").status_code == 422


def test_rule_refusals_through_the_api(member, venue):
    full = make_slot(venue, capacity=1)
    Slot.objects.filter(pk=full.pk).update(places_left=0)
    r = post(member_client(member), f"{API}/bookings", {"slot_id": full.pk})
    assert r.status_code == 409 and r.json()["code"] == "full"


# --- staff API -------------------------------------------------------------------------------


def union_body(union, starts, hours=2, weeks=1):
    return {
        "org_id": union.pk,
        "starts_at": to_local(starts).isoformat(),
        "ends_at": to_local(starts + dt.timedelta(hours=hours)).isoformat(),
        "weeks": weeks,
        "purpose": "Workshop",
    }


def test_union_books_weekly_through_the_api(venue, union, union_admin):
    c = staff_client(union_admin)
    r = post(c, f"{API}/{venue.pk}/union-bookings", union_body(union, local_at(1, 19), weeks=3))
    assert r.status_code == 201, r.json()
    assert len(r.json()) == 3 and len({b["recurrence_group"] for b in r.json()}) == 1
    clash = post(c, f"{API}/{venue.pk}/union-bookings", union_body(union, local_at(8, 20), weeks=2))
    assert clash.status_code == 409
    body = clash.json()
    assert body["code"] == "recurring_conflict"
    assert [x["date"] for x in body["data"]["conflicts"]] == [
        to_local(local_at(8, 20)).date().isoformat(),
        to_local(local_at(15, 20)).date().isoformat(),
    ]
    assert Booking.objects.count() == 3
    naive = union_body(union, local_at(2, 9))
    naive["starts_at"] = naive["starts_at"][:19]
    assert post(c, f"{API}/{venue.pk}/union-bookings", naive).status_code == 400
    assert post(c, f"{API}/{venue.pk}/union-bookings", {"org_id": "x"}).status_code == 422
    assert Booking.objects.count() == 3
    assert Client().post(f"{API}/{venue.pk}/union-bookings").status_code == 401


def test_other_federation_gets_404(venue, union, member):
    stranger = make_staff(org_root(), Role.FEDERATION_ADMIN)
    c = staff_client(stranger)
    r = post(c, f"{API}/{venue.pk}/union-bookings", union_body(union, local_at(1, 19)))
    assert r.status_code == 404
    booking = Booking.objects.create(
        venue=venue,
        slot=make_slot(venue),
        starts_at=local_at(1, 10),
        ends_at=local_at(1, 11),
        mode=Mode.SHARED,
        member=member,
    )
    r = post(c, f"{API}/staff/bookings/{booking.pk}/cancel", {"reason": "no"})
    assert r.status_code == 404
    assert Booking.objects.get(pk=booking.pk).status == "active"
    for url in (
        f"/admin/venues/venue/{venue.pk}/change/",
        f"/admin/venues/booking/{booking.pk}/change/",
        f"/admin/venues/booking/{booking.pk}/cancel/",
    ):
        assert c.get(url).status_code == 404, url


def test_keeper_cancels_through_the_api_with_a_reason(venue, member, keeper):
    slot = make_slot(venue)
    booking = post(member_client(member), f"{API}/bookings", {"slot_id": slot.pk}).json()
    c = staff_client(keeper)
    no_reason = post(c, f"{API}/staff/bookings/{booking['id']}/cancel", {})
    assert no_reason.status_code == 400 and no_reason.json()["field"] == "reason"
    ok = post(c, f"{API}/staff/bookings/{booking['id']}/cancel", {"reason": "Closed for cleaning"})
    assert ok.status_code == 200 and ok.json()["status"] == "cancelled"
    assert AuditEntry.objects.filter(action="venues.booking.cancel").count() == 1


# --- console ---------------------------------------------------------------------------------


def test_console_pages_for_the_venue_keeper(venue, member, keeper):
    SlotTemplate.objects.create(
        venue=venue, weekday=0, start=dt.time(9), end=dt.time(10), mode=Mode.SHARED, capacity=5
    )
    c = staff_client(keeper)
    for url in (
        "/admin/venues/venue/",
        f"/admin/venues/venue/{venue.pk}/change/",
        "/admin/venues/slot/",
        "/admin/venues/booking/",
        "/admin/venues/entry/",
        "/admin/venues/entry/?day=all",
    ):
        assert c.get(url).status_code == 200, url
    r = c.post(
        "/admin/venues/venue/",
        {"action": "generate_slots", "_selected_action": [venue.pk]},
    )
    assert r.status_code == 302
    assert Slot.objects.filter(venue=venue).count() >= 2
    assert AuditEntry.objects.filter(action="venues.venue.generate_slots").count() == 1


def test_console_cancel_with_reason_is_audited(venue, member, keeper):
    slot = make_slot(venue)
    booking = post(member_client(member), f"{API}/bookings", {"slot_id": slot.pk}).json()
    c = staff_client(keeper)
    url = f"/admin/venues/booking/{booking['id']}/cancel/"
    assert c.get(url).status_code == 200
    assert c.post(url, {"reason": ""}).status_code == 200  # the form asks for a reason
    assert Booking.objects.get(pk=booking["id"]).status == "active"
    r = c.post(url, {"reason": "Double-booked by mistake"})
    assert r.status_code == 302
    assert Booking.objects.get(pk=booking["id"]).status == "cancelled"
    audit = AuditEntry.objects.get(action="venues.booking.cancel")
    assert audit.data["reason"] == "Double-booked by mistake" and audit.actor == keeper


def test_console_edit_is_audited_and_hours_validated(venue, keeper, federation):
    c = staff_client(keeper)
    url = f"/admin/venues/venue/{venue.pk}/change/"
    data = {
        "org": federation.pk,
        "name": "Renamed gym",
        "kind": "gym",
        "address": "",
        "region_code": "331021",
        "capacity": 30,
        "description": "",
        "is_active": "on",
        "max_active_bookings": 3,
        "book_ahead_days": 7,
        "cancel_hours": 2,
        "exclusive_by": "unions",
        "closures-TOTAL_FORMS": 0,
        "closures-INITIAL_FORMS": 0,
        "templates-TOTAL_FORMS": 0,
        "templates-INITIAL_FORMS": 0,
    }
    # the existing 7 opening-hours rows are in the formset, plus one new (wrong) row
    hours = list(venue.hours.all())
    data["hours-TOTAL_FORMS"] = len(hours) + 1
    data["hours-INITIAL_FORMS"] = len(hours)
    for i, h in enumerate(hours):
        data[f"hours-{i}-id"] = h.pk
        data[f"hours-{i}-venue"] = venue.pk
        data[f"hours-{i}-weekday"] = h.weekday
        data[f"hours-{i}-opens"] = h.opens.strftime("%H:%M")
        data[f"hours-{i}-closes"] = h.closes.strftime("%H:%M")
    n = len(hours)
    data[f"hours-{n}-weekday"] = 0
    data[f"hours-{n}-opens"] = "18:00"
    data[f"hours-{n}-closes"] = "09:00"
    bad = c.post(url, data)
    assert bad.status_code == 200  # re-shown with the error
    venue.refresh_from_db()
    assert venue.name != "Renamed gym"
    data[f"hours-{n}-closes"] = "21:00"
    ok = c.post(url, data)
    assert ok.status_code == 302, ok.content[:2000]
    venue.refresh_from_db()
    assert venue.name == "Renamed gym" and venue.hours.count() == 8
    assert AuditEntry.objects.filter(action="venues.venue.change", actor=keeper).count() == 1


# --- member H5 -------------------------------------------------------------------------------


def test_h5_list_calendar_book_and_cancel(member, venue):
    slot = make_slot(venue, capacity=3)
    c = member_client(member)
    page = c.get("/m/venues/")
    assert page.status_code == 200 and venue.name in page.content.decode()
    detail = c.get(f"/m/venues/{venue.pk}/")
    assert detail.status_code == 200
    assert f'data-slot="{slot.pk}" data-state="free"' in detail.content.decode()
    r = c.post(f"/m/venues/slots/{slot.pk}/book")
    assert r.status_code == 302 and r["Location"].startswith("/m/venues/mine/?booked=")
    booking = Booking.objects.get(member=member)
    mine = c.get(r["Location"])
    assert mine.status_code == 200 and 'data-testid="booked"' in mine.content.decode()
    again = c.post(f"/m/venues/slots/{slot.pk}/book")
    assert again.status_code == 409 and 'data-testid="error"' in again.content.decode()
    r = c.post(f"/m/venues/bookings/{booking.pk}/cancel")
    assert r.status_code == 302
    assert Booking.objects.get(pk=booking.pk).status == "cancelled"


def test_h5_needs_a_signed_in_member(venue):
    r = Client().get("/m/venues/")
    assert r.status_code == 302 and r["Location"].startswith("/m/login")


def test_h5_menu_entry_registered(member):
    home = member_client(member).get("/m/")
    assert 'data-testid="service-venues"' in home.content.decode()


def test_console_union_admin_books_weekly_and_sees_the_union_bookings(
    venue, union, union_admin, other_union
):
    c = staff_client(union_admin)
    url = "/admin/venues/booking/book-for-union/"
    page = c.get(url)
    assert page.status_code == 200 and venue.name in page.content.decode()
    day = to_local(local_at(1, 19)).date()
    form = {
        "org": union.pk,
        "venue": venue.pk,
        "date": day.isoformat(),
        "start": "19:00",
        "end": "21:00",
        "weeks": 3,
        "purpose": "Choir",
    }
    r = c.post(url, form)
    assert r.status_code == 302, r.content.decode()[:3000]
    assert Booking.objects.filter(booker_org=union).count() == 3
    # the same again: every week taken, nothing booked, the dates listed
    again = c.post(url, form)
    assert again.status_code == 200
    assert again.content.decode().count("<li>") >= 3 and day.isoformat() in again.content.decode()
    assert Booking.objects.filter(booker_org=union).count() == 3
    # the union's admin sees the union's bookings of the federation's venue, and one of them
    listing = c.get("/admin/venues/booking/")
    assert listing.status_code == 200 and union.name in listing.content.decode()
    booking = Booking.objects.filter(booker_org=union).first()
    assert c.get(f"/admin/venues/booking/{booking.pk}/change/").status_code == 200
    # but not the federation's venue itself; another union's admin sees none of it
    assert c.get(f"/admin/venues/venue/{venue.pk}/change/").status_code == 404
    other = staff_client(make_staff(other_union, Role.UNION_ADMIN))
    assert union.name not in other.get("/admin/venues/booking/").content.decode()
    assert other.get(f"/admin/venues/booking/{booking.pk}/change/").status_code == 404
    forged = other.post(url, {**form, "org": union.pk})
    assert forged.status_code == 200 and Booking.objects.count() == 3


def test_console_booking_page_shows_the_cancel_link(venue, member, keeper):
    slot = make_slot(venue)
    booking = post(member_client(member), f"{API}/bookings", {"slot_id": slot.pk}).json()
    page = staff_client(keeper).get(f"/admin/venues/booking/{booking['id']}/change/")
    assert page.status_code == 200
    assert f"/admin/venues/booking/{booking['id']}/cancel/" in page.content.decode()


def test_h5_exclusive_slot_of_a_unions_only_room_has_no_book_button(member, federation):
    room = make_venue(federation, kind=Venue.Kind.MEETING_ROOM)
    slot = make_slot(room, mode=Mode.EXCLUSIVE)
    page = member_client(member).get(f"/m/venues/{room.pk}/").content.decode()
    assert f'data-slot="{slot.pk}" data-state="unions"' in page
    assert 'data-testid="book"' not in page
    room.exclusive_by = Venue.ExclusiveBy.MEMBERS
    room.save()
    page = member_client(member).get(f"/m/venues/{room.pk}/").content.decode()
    assert f'data-slot="{slot.pk}" data-state="free"' in page and 'data-testid="book"' in page


@pytest.mark.parametrize("weeks", [1, 3])
def test_a_union_out_of_scope_is_404_before_its_times_are_checked(venue, union, other_union, weeks):
    """Out of scope is 404 whatever else is wrong (found by the authorisation matrix: bad times
    answered 400 to a staff user who may not book for that union at all)."""
    c = staff_client(make_staff(other_union, Role.UNION_ADMIN))
    backwards = union_body(union, local_at(2, 9), hours=-1, weeks=weeks)
    assert post(c, f"{API}/{venue.pk}/union-bookings", backwards).status_code == 404
    mine = make_staff(union, Role.UNION_ADMIN)
    assert (
        post(staff_client(mine), f"{API}/{venue.pk}/union-bookings", backwards).status_code == 400
    )
    assert Booking.objects.count() == 0
