"""In Debian's Chromium: a person joins on /m/join, a reviewer approves in the console, the new
member signs in on /m/login and sees the member number on /m/.

The SMS codes are read from MemorySmsBackend.outbox: the live server runs in a thread of this
process, so the list is shared. Screenshots go to test-results/ (ignored by git)."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from django.core.cache import cache

from gonghui.core.identifiers import make_id_number
from gonghui.members.models import Enrolment, Member
from gonghui.orgs.models import Role
from tests.factories import make_staff
from tests.members.test_h5_support import CODE_RE, make_tree

RESULTS = Path(__file__).resolve().parents[2] / "test-results"
PHONE = "13712345678"
ID_NUMBER = make_id_number(region="331021", birth=dt.date(1992, 8, 8), seq=246)
PASSWORD = "Review-Pass-2026"


def code_for(outbox: list[tuple[str, str]], phone: str, after: int) -> str:
    """The code in the first SMS to ``phone`` among the messages sent after index ``after``."""
    for to, message in outbox[after:]:
        m = CODE_RE.search(message)
        if to == phone and m:
            return m.group(1)
    raise AssertionError(f"no code to {phone} in {outbox[after:]!r}")


def send_code(page, outbox) -> str:
    before = len(outbox)
    page.fill("#id_phone", PHONE)
    page.click("[data-testid=send-code]")
    page.wait_for_selector("[data-testid=otp-sent]")
    # h5.js counts down on the button after a code was sent
    page.wait_for_selector("[data-testid=send-code][disabled]")
    assert re.search(r"\d+", page.inner_text("[data-testid=send-code]"))
    return code_for(outbox, PHONE, before)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_join_on_h5_approve_in_console_then_sign_in(live_server, browser, page, sms_outbox):
    RESULTS.mkdir(exist_ok=True)
    tree = make_tree()
    make_staff(tree.union, Role.REVIEWER, username="reviewer_h5", password=PASSWORD)
    csp_errors: list[str] = []
    page.on(
        "console",
        lambda msg: csp_errors.append(msg.text) if "Content Security Policy" in msg.text else None,
    )

    # --- the applicant: step 1, phone and SMS code --------------------------------------------
    page.goto(f"{live_server.url}/m/join")
    assert page.get_attribute("html", "lang") == "zh-hans"
    # our stylesheet is served and applied (background of the page, big touch targets)
    css = page.request.get(f"{live_server.url}/static/members/h5.css")
    assert css.ok and "max-width: 480px" in css.text()
    assert page.evaluate("getComputedStyle(document.body).backgroundColor") == "rgb(245, 245, 247)"
    main_width = page.evaluate("document.querySelector('#main').getBoundingClientRect().width")
    assert main_width <= 390
    assert page.evaluate("typeof window.htmx") == "object"
    page.evaluate("window.h5NoReload = true")  # gone if a step reloads the whole page
    code = send_code(page, sms_outbox)
    page.screenshot(path=str(RESULTS / "h5-join-step1.png"), full_page=True)
    page.fill("#id_code", code)
    page.click("[data-testid=join-verify]")
    page.wait_for_selector('#join-step[data-step="2"]')

    # --- step 2: about you (the trade field shows only for gig workers) ---------------------
    page.wait_for_selector("#id_gig_trade", state="hidden")  # h5.js hides it for employees
    page.select_option("#id_employment_type", "gig")
    assert page.is_visible("#id_gig_trade")
    page.select_option("#id_employment_type", "employee")
    page.fill("#id_name", "周明")
    page.fill("#id_id_number", ID_NUMBER[:17] + ("0" if ID_NUMBER[17] != "0" else "1"))
    page.click("[data-testid=join-person]")
    page.wait_for_selector("[data-testid=error-id_number]")
    page.screenshot(path=str(RESULTS / "h5-join-step2-error.png"), full_page=True)
    page.fill("#id_id_number", ID_NUMBER)
    page.check("#id_consent")
    page.click("[data-testid=join-person]")
    page.wait_for_selector('#join-step[data-step="3"]')

    # --- step 3: search as you type, pick the employer --------------------------------------
    page.locator("[data-testid=union-search]").press_sequentially("海鲸", delay=50)
    page.wait_for_selector("[data-testid=pick-enterprise]")
    page.screenshot(path=str(RESULTS / "h5-join-step3.png"), full_page=True)
    page.click("[data-testid=pick-enterprise]")
    page.wait_for_selector('#join-step[data-step="4"]')
    assert tree.union.name in page.inner_text("[data-testid=review-union]")
    page.screenshot(path=str(RESULTS / "h5-join-step4.png"), full_page=True)
    # steps 1 to 4 were swapped in by htmx, without reloading the page
    assert page.evaluate("window.h5NoReload") is True
    page.click("[data-testid=join-submit]")
    page.wait_for_selector("[data-testid=join-submitted]")
    page.screenshot(path=str(RESULTS / "h5-join-submitted.png"), full_page=True)
    enrolment = Enrolment.objects.get()
    assert enrolment.status == Enrolment.Status.SUBMITTED and enrolment.name == "周明"

    # --- the reviewer approves in the console ------------------------------------------------
    staff = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    try:
        admin = staff.new_page()
        admin.set_default_timeout(15000)
        admin.goto(f"{live_server.url}/admin/")
        admin.fill("#id_username", "reviewer_h5")
        admin.fill("#id_password", PASSWORD)
        admin.click("#login-form [type=submit]")
        admin.wait_for_url(re.compile(r".*/admin/$"))
        admin.goto(f"{live_server.url}/admin/members/enrolment/")
        admin.click("#result_list a:has-text('周明')")
        admin.click("[data-testid=approve-enrolment]")
        admin.wait_for_url(re.compile(r".*/admin/members/enrolment/.*"))
    finally:
        staff.close()
    enrolment.refresh_from_db()
    assert enrolment.status == Enrolment.Status.APPROVED
    member = Member.objects.get()
    assert enrolment.member == member and member.org == tree.union
    assert any(member.member_no in msg for to, msg in sms_outbox if to == PHONE)

    # --- the member signs in and sees the member number --------------------------------------
    cache.clear()  # the per-phone limit (one code a minute) would refuse a code this soon
    page.goto(f"{live_server.url}/m/login")
    code = send_code(page, sms_outbox)
    page.fill("#id_code", code)
    page.click("[data-testid=login-submit]")
    page.wait_for_selector("[data-testid=member-no]")
    assert page.inner_text("[data-testid=member-no]").strip() == member.member_no
    assert page.url.rstrip("/").endswith("/m")
    page.screenshot(path=str(RESULTS / "h5-home.png"), full_page=True)

    # narrowest common phone: nothing overflows sideways
    page.set_viewport_size({"width": 360, "height": 740})
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.screenshot(path=str(RESULTS / "h5-home-360.png"), full_page=True)
    assert csp_errors == []
