"""In Debian's Chromium at 390×844: a member opens 我的资料 from the home page, changes the phone
with the code sent to the new number (memory SMS backend), sets a home address; no overflow
sideways, no script or CSP errors; the old number gets the notice after commit."""

from __future__ import annotations

import pytest
from django.contrib.sessions.backends.db import SessionStore

from gonghui.members import pii
from gonghui.members.session import SESSION_MEMBER_KEY
from tests.factories import make_member
from tests.members.test_browser_join import code_for
from tests.members.test_h5_support import make_tree

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

OLD_PHONE = "13912340001"
NEW_PHONE = "13612345678"


def no_overflow(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_member_changes_phone_and_address(live_server, page, sms_outbox):
    tree = make_tree()
    member = make_member(tree.union, phone=OLD_PHONE, name="李海")
    problems: list[str] = []
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.on(
        "console",
        lambda m: problems.append(m.text) if "Content Security Policy" in m.text else None,
    )
    session = SessionStore()
    session[SESSION_MEMBER_KEY] = member.pk
    session.create()
    page.context.add_cookies(
        [{"name": "sessionid", "value": session.session_key, "url": live_server.url}]
    )

    page.goto(f"{live_server.url}/m/")
    page.click("[data-testid=link-profile]")
    page.wait_for_selector("[data-testid=profile]")
    assert page.inner_text("[data-testid=h5-title]") == "我的资料"
    assert page.inner_text("[data-testid=profile-phone]") == "139****0001"
    assert page.locator("[data-testid=h5-back]").get_attribute("href") == "/m/"
    assert page.locator(".card-icon svg").count() == 3
    assert no_overflow(page)

    # the phone change: code to the NEW number, then confirm
    before = len(sms_outbox)
    page.fill("#id_phone", NEW_PHONE)
    page.click("[data-testid=send-code]")
    page.wait_for_selector("[data-testid=otp-sent]")
    assert "136****5678" in page.inner_text("[data-testid=otp-sent]")
    page.wait_for_selector("[data-testid=send-code][disabled]")  # the countdown runs
    assert [to for to, _m in sms_outbox[before:]] == [NEW_PHONE]
    page.fill("#id_code", code_for(sms_outbox, NEW_PHONE, before))
    page.click("[data-testid=phone-submit]")
    page.wait_for_selector("[data-testid=done-phone]")
    assert page.inner_text("[data-testid=profile-phone]") == "136****5678"
    member.refresh_from_db()
    assert pii.open_phone(member) == NEW_PHONE
    assert sms_outbox[-1][0] == OLD_PHONE  # the notice, after commit
    assert no_overflow(page)

    # a wrong code on another try is shown under the field
    page.fill("#id_phone", "13612345679")
    page.fill("#id_code", "000000")
    page.click("[data-testid=phone-submit]")
    page.wait_for_selector("[data-testid=error-code]")
    member.refresh_from_db()
    assert pii.open_phone(member) == NEW_PHONE

    # the address
    address = "玉环市玉城街道机电路 8 号 3 幢 402 室"
    page.fill("#id_address", address)
    page.click("[data-testid=address-submit]")
    page.wait_for_selector("[data-testid=done-address]")
    assert page.inner_text("[data-testid=profile-address]") == address
    member.refresh_from_db()
    assert member.address == address
    assert no_overflow(page)
    assert problems == []
