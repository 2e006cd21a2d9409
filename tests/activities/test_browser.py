"""In Debian's Chromium: a member registers on the H5 and shows their code; the organiser's gate
page checks them in with it; the organiser's live check-in count (htmx, every 2 s) moves."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore

from gonghui.activities.models import CheckIn, Registration
from gonghui.core import timeutil
from gonghui.members.session import SESSION_MEMBER_KEY
from gonghui.orgs.models import Role
from tests.factories import make_member, make_staff, org_child, org_root

from .factories import make_activity, make_session

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def add_session(context, live_server, data: dict) -> None:
    store = SessionStore()
    for k, v in data.items():
        store[k] = v
    store.create()
    context.add_cookies([{"name": "sessionid", "value": store.session_key, "url": live_server.url}])


def test_register_then_gate_checks_in_and_live_count_moves(browser, page, live_server):
    union = org_child(org_root())
    member = make_member(union)
    organiser = make_staff(union, Role.ORGANISER)
    activity = make_activity(union, title="职工羽毛球赛")
    session = make_session(
        activity, capacity=10, starts_at=timeutil.now() + dt.timedelta(minutes=30)
    )
    problems: list[str] = []
    page.on("pageerror", lambda e: problems.append(str(e)))

    # The member registers on the H5.
    add_session(page.context, live_server, {SESSION_MEMBER_KEY: member.pk})
    page.goto(f"{live_server.url}/m/activities/")
    page.click(f"[data-testid=activity-{activity.pk}]")
    page.click(f"[data-testid=register-{session.pk}]")
    page.wait_for_url("**/m/activities/mine/")
    reg = Registration.objects.get(session=session, member=member)
    assert reg.status == Registration.Status.CONFIRMED
    card = page.locator(f"[data-testid=registration-{reg.pk}]")
    assert card.locator("[data-testid=reg-status]").inner_text().strip() in ("已确认", "Confirmed")

    # … and shows their code.
    page.goto(f"{live_server.url}/m/code/")
    page.wait_for_function(
        "() => (document.querySelector('[data-testid=code-digits]').dataset.code || '').length === 20"
    )
    code = page.get_attribute("[data-testid=code-digits]", "data-code")

    # The organiser watches the live count; a gate page (another tab) takes the code.
    staff = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    organiser.backend = "django.contrib.auth.backends.ModelBackend"
    add_session(
        staff,
        live_server,
        {
            SESSION_KEY: str(organiser.pk),
            BACKEND_SESSION_KEY: organiser.backend,
            HASH_SESSION_KEY: organiser.get_session_auth_hash(),
        },
    )
    try:
        live = staff.new_page()
        live.set_default_timeout(15000)
        live.goto(f"{live_server.url}/admin/activities/session/{session.pk}/checkin/")
        count = live.locator("[data-testid=count-checked-in]")
        assert count.inner_text().strip() == "0"

        gate = staff.new_page()
        gate.set_default_timeout(15000)
        gate.goto(f"{live_server.url}/admin/activities/session/{session.pk}/checkin/")
        gate.fill("[data-testid=gate-code]", code)
        gate.click("[data-testid=gate-submit]")
        result = gate.locator("[data-testid=gate-result]")
        result.wait_for()
        assert member.name[:1] in result.inner_text()
        assert CheckIn.objects.filter(session=session, member=member).count() == 1

        # the organiser's page was not reloaded: htmx polling moves the count
        live.wait_for_function(
            "() => document.querySelector('[data-testid=count-checked-in]').textContent.trim() === '1'",
            timeout=10000,
        )
    finally:
        staff.close()

    # The member sees the check-in in "My registrations".
    page.goto(f"{live_server.url}/m/activities/mine/")
    assert page.locator("[data-testid=checked-in]").is_visible()
    assert not problems, problems
