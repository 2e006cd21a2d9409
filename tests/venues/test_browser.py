"""In Debian's Chromium: a member opens Venues from the H5 home, books a place in a slot, sees it
in "My bookings" and cancels it; no script, CSP or resource errors on the way."""

from __future__ import annotations

import pytest
from django.contrib.sessions.backends.db import SessionStore

from gonghui.members.session import SESSION_MEMBER_KEY
from gonghui.venues.models import Booking, Slot
from tests.factories import make_member, org_child, org_root

from .factories import make_slot, make_venue

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_member_books_and_cancels_a_place(live_server, browser):
    federation = org_root()
    union = org_child(federation)
    venue = make_venue(federation, name="楚门职工健身房")
    slot = make_slot(venue, days=1, hour=10, capacity=5)
    member = make_member(union)

    problems: list[str] = []
    context = browser.new_context(locale="zh-CN", viewport={"width": 390, "height": 844})
    page = context.new_page()
    page.set_default_timeout(15000)
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.on(
        "console",
        lambda m: (
            problems.append(m.text)
            if m.type == "error" and "Content Security Policy" in m.text
            else None
        ),
    )
    page.on(
        "response", lambda r: problems.append(f"{r.status} {r.url}") if r.status >= 400 else None
    )
    try:
        session = SessionStore()
        session[SESSION_MEMBER_KEY] = member.pk
        session.create()
        context.add_cookies(
            [{"name": "sessionid", "value": session.session_key, "url": live_server.url}]
        )
        page.goto(f"{live_server.url}/m/")
        page.click("[data-testid=service-venues]")
        page.click("[data-testid=venue]:has-text('楚门职工健身房')")
        row = page.locator(f"[data-slot='{slot.pk}']")
        assert row.get_attribute("data-state") == "free"
        assert "5" in row.inner_text()
        row.locator("[data-testid=book]").click()
        page.wait_for_selector("[data-testid=booked]")
        booking = Booking.objects.get(member=member)
        assert page.locator("[data-testid=booking]").count() == 1
        assert Slot.objects.get(pk=slot.pk).places_left == 4
        # back on the calendar the slot is ours
        page.goto(f"{live_server.url}/m/venues/{venue.pk}/")
        assert page.locator(f"[data-slot='{slot.pk}']").get_attribute("data-state") == "mine"
        page.locator(f"[data-slot='{slot.pk}'] [data-testid=cancel]").click()
        page.wait_for_selector("[data-testid=cancelled]")
        booking.refresh_from_db()
        assert booking.status == Booking.Status.CANCELLED
        assert Slot.objects.get(pk=slot.pk).places_left == 5
        assert problems == []
    finally:
        context.close()
