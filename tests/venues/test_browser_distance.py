"""In Debian's Chromium at 390×844 with a granted position in Yuhuan: the member taps 按距离排序
on the venue list; the list comes back nearest first with 「30 米」/「1.3 公里」; no venue claims
to be near before that."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.contrib.sessions.backends.db import SessionStore

from gonghui.members.session import SESSION_MEMBER_KEY
from gonghui.venues.models import Venue
from tests.factories import make_member, org_child, org_root

from .factories import make_venue

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_sort_by_distance_with_a_granted_position(live_server, browser):
    federation = org_root()
    union = org_child(federation)
    member = make_member(union)
    make_venue(
        federation,
        name="楚门镇职工之家",
        kind=Venue.Kind.WORKERS_HOME,
        latitude=Decimal("28.193610"),
        longitude=Decimal("121.258790"),
    )
    make_venue(
        federation,
        name="东港职工健身房",
        latitude=Decimal("28.144000"),
        longitude=Decimal("121.243000"),
    )
    make_venue(
        federation,
        name="玉环市职工书屋",
        kind=Venue.Kind.LIBRARY,
        latitude=Decimal("28.135480"),
        longitude=Decimal("121.233760"),
    )
    make_venue(federation, name="坐标未知的会议室", kind=Venue.Kind.MEETING_ROOM)

    context = browser.new_context(
        locale="zh-CN",
        viewport={"width": 390, "height": 844},
        geolocation={"latitude": 28.1352, "longitude": 121.2338},
        permissions=["geolocation"],
    )
    page = context.new_page()
    page.set_default_timeout(15000)
    problems: list[str] = []
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.on(
        "console",
        lambda m: problems.append(m.text) if "Content Security Policy" in m.text else None,
    )
    try:
        session = SessionStore()
        session[SESSION_MEMBER_KEY] = member.pk
        session.create()
        context.add_cookies(
            [{"name": "sessionid", "value": session.session_key, "url": live_server.url}]
        )
        page.goto(f"{live_server.url}/m/venues/")
        assert page.locator("[data-testid=distance]").count() == 0
        assert "在您附近" not in page.content()
        locate = page.locator("[data-testid=locate]")
        assert locate.is_visible()
        assert locate.inner_text().strip() == "按距离排序"
        locate.click()
        page.wait_for_selector("[data-testid=located]")
        assert "lat=28.13520" in page.url and "lng=121.23380" in page.url
        names = page.locator("[data-testid=venue] .venue-name").all_inner_texts()
        assert names == ["玉环市职工书屋", "东港职工健身房", "楚门镇职工之家", "坐标未知的会议室"]
        cards = page.locator("[data-testid=venue]")
        assert cards.nth(0).locator("[data-testid=distance]").inner_text() == "30 米"
        assert cards.nth(1).locator("[data-testid=distance]").inner_text() == "1.3 公里"
        assert cards.nth(2).locator("[data-testid=distance]").inner_text() == "6.9 公里"
        assert cards.nth(3).locator("[data-testid=distance]").count() == 0
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        # a kind chip keeps the order by distance
        page.click("[data-testid=kind-library]")
        page.wait_for_selector("[data-testid=located]")
        assert page.locator("[data-testid=distance]").all_inner_texts() == ["30 米"]
        assert problems == []
    finally:
        context.close()
