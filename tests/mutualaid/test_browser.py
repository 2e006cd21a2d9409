"""Playwright in Debian's Chromium: a member submits a claim with a document on the H5, a
reviewer checks, approves and pays it in the console, and the member sees the payout and the
calculator's explanation."""

from __future__ import annotations

import re

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.test import Client

from gonghui.members.session import SESSION_MEMBER_KEY
from gonghui.mutualaid.models import AidClaim
from gonghui.orgs.models import Role
from tests.factories import make_staff

from .factories import PDF, build_world, fund


@pytest.fixture(autouse=True)
def _fast_hasher(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_member_claims_reviewer_approves_member_sees_payout(browser, live_server, tmp_path):
    w = build_world("浏览器", members=1)
    fund(w.plan, 5_000_000)
    reviewer = make_staff(w.union, Role.REVIEWER)

    session = SessionStore()
    session[SESSION_MEMBER_KEY] = w.member.pk
    session.create()
    phone = browser.new_context(locale="zh-CN", viewport={"width": 390, "height": 844})
    phone.add_cookies([{"name": "sessionid", "value": session.session_key, "url": live_server.url}])
    page = phone.new_page()
    page.set_default_timeout(15000)

    page.goto(f"{live_server.url}/m/")
    page.get_by_test_id("service-mutualaid").click()
    page.wait_for_url(re.compile(r"/m/aid/$"))
    page.get_by_test_id("aid-new-claim").click()
    page.select_option("#id_category", str(w.inpatient.pk))
    page.fill("#id_hospital", "玉环市人民医院")
    page.fill("#id_invoice_no", "ZY-2026-0042")
    page.fill("#id_invoice_date", "2026-03-01")
    page.fill("#id_amount", "20000")
    document = tmp_path / "发票.pdf"
    document.write_bytes(PDF)
    page.set_input_files("#id_documents", str(document))
    page.get_by_test_id("aid-submit").click()
    page.wait_for_url(re.compile(r"/m/aid/claims/\d+/$"))
    claim = AidClaim.objects.get(invoice_no="ZY-2026-0042")
    assert claim.status == "submitted" and claim.documents.count() == 1
    assert page.get_by_test_id("aid-payout").count() == 0

    staff_client = Client()
    staff_client.force_login(reviewer)
    desk = browser.new_context(locale="zh-CN")
    desk.add_cookies(
        [
            {
                "name": "sessionid",
                "value": staff_client.cookies["sessionid"].value,
                "url": live_server.url,
            }
        ]
    )
    console = desk.new_page()
    console.set_default_timeout(15000)
    console.goto(f"{live_server.url}/admin/mutualaid/aidclaim/{claim.pk}/change/")
    assert console.get_by_test_id("claim-doc").count() == 1
    for step in ("claim-check", "claim-approve", "claim-pay"):
        console.get_by_test_id(step).click()
        console.wait_for_load_state()
    console.get_by_test_id("claim-explanation").wait_for()
    claim.refresh_from_db()
    assert claim.status == "paid" and claim.payout_fen == 1_050_000

    page.reload()
    assert page.get_by_test_id("aid-payout").inner_text().strip() == "¥10,500.00"
    lines = page.get_by_test_id("aid-explanation").locator("li").all_inner_texts()
    assert len(lines) == 8
    assert "¥10,500.00" in lines[-1]
    assert any("¥9,000.00" in line and "50%" in line for line in lines)  # the first band
    page.goto(f"{live_server.url}/m/aid/")
    assert page.get_by_test_id(f"aid-claim-{claim.number}").count() == 1
    phone.close()
    desk.close()
