"""Member H5 pages (/m/aid/) and the console flows: enrolment batch, invoice (.xlsx, premiums
received), a claim entered by staff, the review (check, approve, reject, pay)."""

from __future__ import annotations

import io

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from gonghui.core.models import AuditEntry
from gonghui.funds.models import AccountKind, FundAccount
from gonghui.mutualaid.models import AidClaim, AidEnrolment, EnrolmentBatch, PremiumInvoice
from gonghui.orgs.models import Role
from tests.factories import make_member, make_staff

from .factories import PDF, build_world, fund, submit
from .test_permissions import member_client

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast_hasher(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def world():
    return build_world()


def staff(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def test_home_tile_and_aid_page(world):
    c = member_client(world.member)
    home = c.get("/m/").content.decode()
    assert 'data-testid="service-mutualaid"' in home and "/m/aid/" in home
    page = c.get("/m/aid/")
    assert page.status_code == 200 and page["Cache-Control"] == "private, no-store"
    html = page.content.decode()
    assert world.plan.name in html and 'data-testid="aid-new-claim"' in html
    outsider = make_member(world.union)
    assert 'data-testid="aid-no-plan"' in member_client(outsider).get("/m/aid/").content.decode()
    assert Client().get("/m/aid/").status_code == 302  # sign in first


def test_member_submits_and_sees_the_payout_after_review(world):
    c = member_client(world.member)
    r = c.post(
        "/m/aid/claims/new",
        {
            "category": world.inpatient.pk,
            "hospital": "玉环市人民医院",
            "invoice_no": "ZY2026-0001",
            "invoice_date": "2026-03-01",
            "amount": "20000",
            "documents": SimpleUploadedFile("发票.pdf", PDF, content_type="application/pdf"),
        },
    )
    assert r.status_code == 302
    claim = AidClaim.objects.get()
    assert r["Location"] == f"/m/aid/claims/{claim.pk}/"
    detail = c.get(r["Location"]).content.decode()
    assert 'data-testid="aid-status"' in detail and 'data-testid="aid-payout"' not in detail
    # the same invoice again: refused, naming the first claim
    again = c.post(
        "/m/aid/claims/new",
        {
            "category": world.inpatient.pk,
            "hospital": "x",
            "invoice_no": "zy2026-0001",
            "invoice_date": "2026-03-02",
            "amount": "1",
            "documents": SimpleUploadedFile("b.pdf", PDF),
        },
    )
    assert again.status_code == 400 and claim.number in again.content.decode()

    fund(world.plan, 5_000_000)
    reviewer = staff(make_staff(world.union, Role.REVIEWER))
    base = f"/admin/mutualaid/aidclaim/{claim.pk}"
    page = reviewer.get(f"{base}/change/").content.decode()
    assert 'data-testid="claim-check"' in page and 'data-testid="claim-preview"' in page
    for step in ("check", "approve", "pay"):
        assert reviewer.post(f"{base}/{step}/").status_code == 302
    claim.refresh_from_db()
    assert claim.status == "paid" and claim.payout_fen == 1_050_000
    detail = c.get(f"/m/aid/claims/{claim.pk}/").content.decode()
    assert "¥10,500.00" in detail and 'data-testid="aid-explanation"' in detail
    assert detail.count("<li>") >= 6
    api = c.get(f"/api/v1/mutualaid/my/claims/{claim.pk}").json()
    assert api["payout_fen"] == 1_050_000 and len(api["explanation"]) >= 6


def test_console_refuses_an_illegal_step_with_a_message(world):
    claim = submit(world)
    c = staff(make_staff(world.union, Role.REVIEWER))
    r = c.post(f"/admin/mutualaid/aidclaim/{claim.pk}/pay/", follow=True)
    assert r.status_code == 200
    assert AidClaim.objects.get(pk=claim.pk).status == "submitted"
    errors = [str(m) for m in r.context["messages"] if m.level_tag == "error"]
    assert len(errors) == 1 and str(claim.get_status_display()) in errors[0]
    r = c.post(
        f"/admin/mutualaid/aidclaim/{claim.pk}/reject/",
        {"reason": "waiting_period", "text": ""},
    )
    assert r.status_code == 302
    claim.refresh_from_db()
    assert (claim.status, claim.reject_reason) == ("rejected", "waiting_period")
    assert c.get(f"/admin/mutualaid/aidclaim/{claim.pk}/pay/").status_code == 405


def test_console_batch_invoice_xlsx_and_premiums(world):
    admin = make_staff(world.union, Role.UNION_ADMIN)
    newcomer = make_member(world.union, enterprise=world.enterprise)
    c = staff(admin)
    assert c.get("/admin/mutualaid/enrolmentbatch/add/").status_code == 200
    r = c.post(
        "/admin/mutualaid/enrolmentbatch/add/",
        {
            "plan": world.plan.pk,
            "enterprise": world.enterprise.pk,
            "shares": 1,
            "paid_by": "unit",
            "member_numbers": "",
        },
    )
    assert r.status_code == 302, r.content.decode()[:2000]
    batch = EnrolmentBatch.objects.latest("id")
    assert (batch.enrolled_count, batch.skipped_count) == (1, 2)
    assert AidEnrolment.objects.get(member=newcomer).paid_by == "unit"
    invoice = PremiumInvoice.objects.get(batch=batch)
    x = c.get(f"/admin/mutualaid/premiuminvoice/{invoice.pk}/xlsx/")
    assert x.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(x.content)).active
    values = [c.value for row in sheet.iter_rows() for c in row if c.value is not None]
    assert invoice.number in values and newcomer.member_no in values
    assert newcomer.id_number_masked in values
    r = c.post(
        "/admin/mutualaid/premiuminvoice/",
        {"action": "mark_paid", "_selected_action": [invoice.pk]},
    )
    assert r.status_code == 302
    invoice.refresh_from_db()
    assert invoice.status == "paid"
    assert (
        FundAccount.objects.get(org=world.federation, kind=AccountKind.MUTUAL_AID).balance_fen
        == 5000
    )
    # a reviewer may not enrol; another tree's admin gets 404 on the invoice
    assert staff(make_staff(world.union, Role.REVIEWER)).get(
        "/admin/mutualaid/enrolmentbatch/add/"
    ).status_code in (403, 404)
    other = build_world("乙")
    outsider = staff(make_staff(other.union, Role.UNION_ADMIN))
    assert outsider.get(f"/admin/mutualaid/premiuminvoice/{invoice.pk}/xlsx/").status_code == 404
    assert outsider.get(f"/admin/mutualaid/premiuminvoice/{invoice.pk}/change/").status_code == 404


def test_staff_enter_a_claim_for_a_member(world):
    c = staff(make_staff(world.union, Role.CASE_WORKER))
    assert c.get("/admin/mutualaid/aidclaim/add/").status_code == 200
    r = c.post(
        "/admin/mutualaid/aidclaim/add/",
        {
            "member_no": world.member.member_no,
            "category": world.inpatient.pk,
            "hospital": "玉环市第二人民医院",
            "invoice_no": "STAFF-1",
            "invoice_date": "2026-04-01",
            "amount": "5000",
            "documents": SimpleUploadedFile("scan.pdf", PDF),
        },
    )
    assert r.status_code == 302
    claim = AidClaim.objects.get(invoice_no="STAFF-1")
    assert claim.submitted_by is not None and claim.documents.count() == 1
    assert AuditEntry.objects.filter(action="mutualaid.claim.create").count() == 1
    # a member of another tree cannot be named
    other = build_world("乙")
    r = c.post(
        "/admin/mutualaid/aidclaim/add/",
        {
            "member_no": other.member.member_no,
            "category": other.inpatient.pk,
            "hospital": "x",
            "invoice_no": "STAFF-2",
            "invoice_date": "2026-04-01",
            "amount": "5000",
        },
    )
    assert r.status_code == 200 and not AidClaim.objects.filter(invoice_no="STAFF-2").exists()


def test_reject_reason_is_not_preselected_and_is_required(world):
    """Issue #12 item 4: the reject form preselected 「发票重复」, so a click rejected for it."""
    claim = submit(world)
    c = staff(make_staff(world.union, Role.REVIEWER))
    page = c.get(f"/admin/mutualaid/aidclaim/{claim.pk}/change/").content.decode()
    select = page[
        page.index('name="reason"') : page.index("</select>", page.index('name="reason"'))
    ]
    assert '<option value="" selected>' in select
    assert 'value="duplicate_invoice" selected' not in select
    r = c.post(f"/admin/mutualaid/aidclaim/{claim.pk}/reject/", {"reason": "", "text": ""})
    assert r.status_code == 302
    assert AidClaim.objects.get(pk=claim.pk).status == "submitted"
