"""In Debian's Chromium: an anonymous person asks for help on /m/rights/new. The page's static
script (core/pow.js) solves the proof of work while the form is filled, well within a second,
with no CSP violation; the case is filed and the access code shown."""

from __future__ import annotations

import pytest

from gonghui.rights.models import RightsCase

from .factories import ensure_case_types, make_world


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_anonymous_intake_in_the_browser_solves_the_proof_quickly(live_server, page):
    make_world()
    ensure_case_types()
    csp_errors: list[str] = []
    page.on(
        "console",
        lambda msg: csp_errors.append(msg.text) if "Content Security Policy" in msg.text else None,
    )
    page.goto(f"{live_server.url}/m/rights/new")
    page.wait_for_selector("form[data-pow-ready=true]", timeout=5000)
    work_ms = int(page.get_attribute("form[data-pow]", "data-pow-ms"))
    assert work_ms < 1000, work_ms  # a person never notices it
    page.check("input[name=kind][value=consultation]")
    page.select_option("select[name=case_type]", "consultation")
    page.fill("textarea[name=description]", "加班费怎么算？请帮帮我")
    page.click("[data-testid=intake-submit]")
    page.wait_for_selector("[data-testid=access-code]")
    case = RightsCase.objects.get()
    assert case.is_anonymous and case.member is None
    assert csp_errors == []


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_sending_at_once_waits_for_the_proof(live_server, page):
    make_world()
    ensure_case_types()
    page.goto(f"{live_server.url}/m/rights/new")
    page.check("input[name=kind][value=consultation]")
    page.select_option("select[name=case_type]", "consultation")
    page.fill("textarea[name=description]", "加班费怎么算？请帮帮我")
    page.click("[data-testid=intake-submit]")
    page.wait_for_selector("[data-testid=access-code]")
    assert RightsCase.objects.count() == 1
