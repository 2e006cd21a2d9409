"""Console: merchants (payable opened), cashier logins, offers (stock, budget figures,
validation), redemptions (void with reason), settlements (create, statement, mark paid); all
org-scoped (another federation → 404) and audited."""

from __future__ import annotations

import datetime as dt
import io

import openpyxl
import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from gonghui.benefits import services
from gonghui.benefits.models import Merchant, MerchantStaff, Offer, Redemption, Settlement
from gonghui.core.models import AuditEntry
from gonghui.core.timeutil import SHANGHAI
from gonghui.funds.models import AccountKind, FundAccount
from gonghui.funds.selectors import ledger_verify
from gonghui.orgs.models import Role, RoleAssignment
from tests.factories import make_staff, org_root, uscc_for

from .factories import make_budget, make_offer

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast_hasher(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def staff_client(org, role=Role.FEDERATION_ADMIN):
    user = make_staff(org, role)
    c = Client()
    c.force_login(user)
    return user, c


def test_lists_and_scope(world):
    offer = make_offer(world.merchant, stock_total=5)
    red = services.redemption_create(
        terminal=world.terminal, member=world.member, bill_fen=1_000, offer_id=None
    )
    _admin, c = staff_client(world.root)
    for url in (
        "/admin/benefits/merchant/",
        "/admin/benefits/store/",
        "/admin/benefits/offer/",
        "/admin/benefits/redemption/",
        "/admin/benefits/settlement/",
        "/admin/benefits/merchantstaff/",
        f"/admin/benefits/offer/{offer.pk}/change/",
        f"/admin/benefits/redemption/{red.pk}/change/",
        f"/admin/benefits/redemption/{red.pk}/void/",
    ):
        assert c.get(url).status_code == 200, url
    page = c.get("/admin/benefits/offer/").content.decode()
    assert "4 / 5" in page and "¥998.00" in page  # stock, budget left (cap ¥1,000, spent ¥2)
    _outsider, oc = staff_client(org_root())
    for url in (
        f"/admin/benefits/merchant/{world.merchant.pk}/change/",
        f"/admin/benefits/store/{world.store.pk}/change/",
        f"/admin/benefits/offer/{offer.pk}/change/",
        f"/admin/benefits/redemption/{red.pk}/change/",
        f"/admin/benefits/redemption/{red.pk}/void/",
    ):
        assert oc.get(url).status_code == 404, url
    assert world.merchant.name not in oc.get("/admin/benefits/merchant/").content.decode()
    before = Redemption.objects.get(pk=red.pk).status
    oc.post(f"/admin/benefits/redemption/{red.pk}/void/", {"reason": "x"})
    assert Redemption.objects.get(pk=red.pk).status == before


def test_create_merchant_opens_payable_and_audits(world):
    admin, c = staff_client(world.root)
    r = c.post(
        "/admin/benefits/merchant/add/",
        {
            "name": "玉环测试商户",
            "uscc": uscc_for(777001).lower(),
            "org": world.root.pk,
            "contact_name": "李",
            "contact_phone": "13800000000",
            "settlement_account": "bank 1",
            "is_active": "on",
        },
    )
    assert r.status_code == 302, r.content.decode()[:3000]
    merchant = Merchant.objects.get(name="玉环测试商户")
    assert merchant.uscc == uscc_for(777001)
    assert FundAccount.objects.filter(
        kind=AccountKind.MERCHANT_PAYABLE, party_id=str(merchant.pk)
    ).exists()
    assert AuditEntry.objects.filter(action="benefits.merchant.create", actor=admin).exists()
    bad = c.post(
        "/admin/benefits/merchant/add/",
        {
            "name": "x",
            "uscc": uscc_for(777002)[:17] + ("0" if uscc_for(777002)[17] != "0" else "1"),
            "org": world.root.pk,
        },
    )
    assert bad.status_code == 200 and Merchant.objects.filter(name="x").count() == 0


def test_create_cashier_login(world):
    _admin, c = staff_client(world.root)
    r = c.post(
        "/admin/benefits/merchantstaff/add/",
        {"merchant": world.merchant.pk, "username": "till-1", "password": "a-Long-pass-2026"},
    )
    assert r.status_code == 302, r.content.decode()[:3000]
    user = get_user_model().objects.get(username="till-1")
    assert user.is_staff and user.check_password("a-Long-pass-2026")
    assert MerchantStaff.objects.filter(user=user, merchant=world.merchant).exists()
    assert RoleAssignment.objects.filter(user=user, role=Role.MERCHANT_STAFF).exists()
    assert AuditEntry.objects.filter(action="benefits.merchantstaff.create").exists()
    taken = c.post(
        "/admin/benefits/merchantstaff/add/",
        {"merchant": world.merchant.pk, "username": "till-1", "password": "a-Long-pass-2026"},
    )
    assert taken.status_code == 200 and MerchantStaff.objects.count() == 1


def offer_form(world, **kw):
    data = {
        "merchant": world.merchant.pk,
        "title": "console offer",
        "kind": "percent",
        "payer": "union",
        "is_active": "on",
        "percent_bp": "1500",
        "all_stores": "on",
        "org": world.root.pk,
        "weekdays": "1234567",
        "stock_total": "20",
    }
    data.update(kw)
    return {k: v for k, v in data.items() if v is not None}


def test_offer_console_create_validate_and_stock(world):
    admin, c = staff_client(world.root)
    budget = make_budget(world.root, 50_000)
    no_budget = c.post("/admin/benefits/offer/add/", offer_form(world))
    assert no_budget.status_code == 200 and not Offer.objects.exists()
    bad_kind = c.post(
        "/admin/benefits/offer/add/",
        offer_form(world, kind="fixed_threshold", percent_bp=None, budget=budget.pk),
    )
    assert bad_kind.status_code == 200 and not Offer.objects.exists()
    r = c.post("/admin/benefits/offer/add/", offer_form(world, budget=budget.pk))
    assert r.status_code == 302, r.content.decode()[:3000]
    offer = Offer.objects.get()
    assert offer.stock_left == 20
    services.redemption_create(
        terminal=world.terminal, member=world.member, bill_fen=1_000, offer_id=offer.pk
    )
    # raising the stock keeps what is used; a concurrent take is never overwritten by the form
    r = c.post(
        f"/admin/benefits/offer/{offer.pk}/change/",
        offer_form(world, budget=budget.pk, stock_total="30", title="renamed"),
    )
    assert r.status_code == 302, r.content.decode()[:3000]
    offer.refresh_from_db()
    assert (offer.stock_total, offer.stock_left, offer.title) == (30, 29, "renamed")
    assert AuditEntry.objects.filter(action="benefits.offer.stock", actor=admin).exists()
    assert AuditEntry.objects.filter(action="benefits.offer.change", actor=admin).exists()


def test_void_from_console_is_audited(world):
    offer = make_offer(world.merchant, stock_total=5)
    red = services.redemption_create(
        terminal=world.terminal, member=world.member, bill_fen=1_000, offer_id=offer.pk
    )
    # an auditor sees the redemption but may not void it
    _auditor, ac = staff_client(world.root, Role.AUDITOR)
    assert ac.get(f"/admin/benefits/redemption/{red.pk}/change/").status_code == 200
    ac.post(f"/admin/benefits/redemption/{red.pk}/void/", {"reason": "x"})
    assert Redemption.objects.get(pk=red.pk).status == "active"
    admin, c = staff_client(world.root)
    r = c.post(f"/admin/benefits/redemption/{red.pk}/void/", {"reason": "returned goods"})
    assert r.status_code == 302
    red.refresh_from_db()
    assert red.status == "voided" and red.void_reason == "returned goods"
    assert AuditEntry.objects.filter(action="benefits.redemption.void", actor=admin).exists()
    offer.refresh_from_db()
    assert offer.stock_left == 5


def test_settlement_from_console(world):
    offer = make_offer(world.merchant)
    yesterday = dt.datetime.now(tz=SHANGHAI) - dt.timedelta(days=1)
    reds = [
        services.redemption_create(
            terminal=world.terminal,
            member=world.member,
            bill_fen=bill,
            offer_id=offer.pk,
            at=yesterday,
        )
        for bill in (1_000, 2_345)
    ]
    today = services.redemption_create(
        terminal=world.terminal, member=world.member, bill_fen=5_000, offer_id=offer.pk
    )
    admin, c = staff_client(world.root)
    day = reds[0].local_date.isoformat()
    open_period = c.post(
        "/admin/benefits/settlement/new/",
        {
            "merchant": world.merchant.pk,
            "period_start": day,
            "period_end": dt.datetime.now(tz=SHANGHAI).date(),
        },
    )
    assert open_period.status_code == 200 and not Settlement.objects.exists()
    r = c.post(
        "/admin/benefits/settlement/new/",
        {"merchant": world.merchant.pk, "period_start": day, "period_end": day},
    )
    assert r.status_code == 302, r.content.decode()[:3000]
    settlement = Settlement.objects.get()
    assert settlement.count == 2 and settlement.total_subsidy_fen == 200 + 469
    assert today.pk not in settlement.redemptions.values_list("pk", flat=True)
    x = c.get(f"/admin/benefits/settlement/{settlement.pk}/statement/")
    assert x.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(x.content))
    values = [cell.value for row in book.active.iter_rows() for cell in row]
    assert 6.69 in values and world.merchant.uscc in values
    payable = FundAccount.objects.get(
        kind=AccountKind.MERCHANT_PAYABLE, party_id=str(world.merchant.pk)
    )
    bank = FundAccount.objects.get(org=world.root, kind=AccountKind.BANK)
    bank_before, payable_before = bank.balance_fen, payable.balance_fen
    _outsider, oc = staff_client(org_root())
    assert oc.post(f"/admin/benefits/settlement/{settlement.pk}/mark-paid/").status_code == 404
    assert c.get(f"/admin/benefits/settlement/{settlement.pk}/mark-paid/").status_code == 200
    assert c.post(f"/admin/benefits/settlement/{settlement.pk}/mark-paid/").status_code == 302
    settlement.refresh_from_db()
    payable.refresh_from_db()
    bank.refresh_from_db()
    assert settlement.status == "paid" and settlement.paid_by == admin
    assert payable.balance_fen == payable_before - 669 and bank.balance_fen == bank_before - 669
    assert settlement.paid_txn.kind == "benefits.settlement"
    # paying twice books nothing more
    c.post(f"/admin/benefits/settlement/{settlement.pk}/mark-paid/")
    assert FundAccount.objects.get(pk=bank.pk).balance_fen == bank_before - 669
    assert AuditEntry.objects.filter(action="benefits.settlement.paid", actor=admin).count() == 1
    assert AuditEntry.objects.filter(action="benefits.settlement.create", actor=admin).count() == 1
    assert ledger_verify().ok
    # a union admin (no benefits.settle) cannot create settlements
    _ua, uc = staff_client(world.root, Role.UNION_ADMIN)
    uc.post(
        "/admin/benefits/settlement/new/",
        {"merchant": world.merchant.pk, "period_start": day, "period_end": day},
    )
    assert Settlement.objects.count() == 1
