"""In Debian's Chromium: a member finds a matched post on the H5 and applies; the employer's
staff user sees the application in the console and invites the member to an interview."""

from __future__ import annotations

import re

import pytest
from django.contrib.sessions.backends.db import SessionStore

from gonghui.jobs.models import Application, Posting
from gonghui.members.session import SESSION_MEMBER_KEY
from tests.factories import make_member, org_child, org_root

from .factories import make_employer_staff, make_enterprise, make_posting

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "pass-Word-123"


@pytest.fixture(autouse=True)
def _fast_hasher(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def sign_in_member(page, live_server, member):
    session = SessionStore()
    session[SESSION_MEMBER_KEY] = member.pk
    session.create()
    page.context.add_cookies(
        [{"name": "sessionid", "value": session.session_key, "url": live_server.url}]
    )


def test_member_applies_and_employer_sees_it(live_server, browser):
    union = org_child(org_root())
    ent = make_enterprise(union, name="玉环阀门有限公司", region_code=union.region_code)
    other = make_enterprise(union, name="别家公司", region_code="110101")
    make_posting(other, title="仓库理货员")
    posting = make_posting(
        ent, title="数控车工", skills=["数控车床"], kind=Posting.Kind.UNION_PUSHED
    )
    member = make_member(union, name="王小明", skills=["数控车床", "钳工"])
    make_employer_staff(ent, username="hr_valve", password=PASSWORD)
    make_employer_staff(other, username="hr_other", password=PASSWORD)

    problems: list[str] = []
    context = browser.new_context(locale="zh-CN", viewport={"width": 390, "height": 844})
    page = context.new_page()
    page.set_default_timeout(15000)
    page.on("pageerror", lambda e: problems.append(str(e)))
    # Script errors, CSP refusals, and any page resource that fails (the browser's own favicon
    # request is not a page resource and is not reported as a response).
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
        sign_in_member(page, live_server, member)
        page.goto(f"{live_server.url}/m/")
        page.click("[data-testid=service-jobs]")
        page.wait_for_selector("[data-testid=job-list]")
        first = page.locator("[data-testid=job-list] > li").first
        assert first.get_attribute("data-testid") == f"job-{posting.pk}"  # best match first
        assert first.locator("[data-code=skills]").count() == 1
        first.locator("a.job-title").click()
        page.wait_for_selector("[data-testid=posting-title]:has-text('数控车工')")
        page.click("[data-testid=apply]")
        page.wait_for_selector("[data-testid=applied-ok]")
        application = Application.objects.get(member=member)
        row = page.locator(f"[data-testid=application-{application.pk}]")
        assert "数控车工" in row.inner_text()
        assert problems == []
    finally:
        context.close()

    staff = browser.new_context(locale="zh-CN")
    page = staff.new_page()
    page.set_default_timeout(15000)
    try:
        console_login(page, live_server, "hr_valve")
        page.goto(f"{live_server.url}/admin/jobs/application/")
        page.wait_for_selector("#result_list")
        assert page.locator("#result_list tbody tr").count() == 1
        assert "王小明" in page.inner_text("#result_list")
        page.check(f"#result_list input[name=_selected_action][value='{application.pk}']")
        page.select_option("select[name=action]", "move_to_viewed")
        page.click("button[name=index]")
        page.wait_for_selector("#result_list")
        application.refresh_from_db()
        assert application.status == "viewed"
    finally:
        staff.close()

    # Another employer's staff sees none of it: an empty list, and 404 for the application.
    rival = browser.new_context(locale="zh-CN")
    page = rival.new_page()
    page.set_default_timeout(15000)
    try:
        console_login(page, live_server, "hr_other")
        page.goto(f"{live_server.url}/admin/jobs/application/")
        assert page.locator("#result_list tbody tr").count() == 0
        assert "王小明" not in page.content()
        r = page.goto(f"{live_server.url}/admin/jobs/application/{application.pk}/change/")
        assert r is not None and r.status == 404
    finally:
        rival.close()


def console_login(page, live_server, username):
    page.goto(f"{live_server.url}/admin/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("#login-form [type=submit]")
    page.wait_for_url(re.compile(r".*/admin/$"))
