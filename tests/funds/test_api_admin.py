"""The funds API and console: scoped by org subtree (out of scope → 404), capability-checked,
console writes through the services and audited."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from gonghui.core.models import AuditEntry
from gonghui.core.timeutil import SHANGHAI
from gonghui.funds.models import AccountKind, Budget, FundAccount, LedgerTransaction
from gonghui.funds.services import (
    account_open,
    budget_create,
    budget_take,
    fund_allocate,
    transaction_post,
)
from gonghui.orgs.models import Org, Role
from tests.factories import make_staff, org_child, org_root

pytestmark = pytest.mark.django_db

API = "/api/v1/funds"


@pytest.fixture
def world():
    city = org_root(name="玉环市总工会", code="YHF")
    town = org_child(city, Org.Kind.DISTRICT, name="楚门镇总工会", code="YHF-A")
    union = org_child(town, name="楚门阀门厂工会", code="YHF-A-1")
    far = org_root(name="温岭市总工会", code="WLF")
    w = {
        "city": city,
        "town": town,
        "union": union,
        "far": far,
        "bank": account_open(org=city, kind=AccountKind.BANK, name="City bank"),
        "welfare": account_open(org=city, kind=AccountKind.WELFARE, name="City welfare"),
        "payable": account_open(org=city, kind=AccountKind.MERCHANT_PAYABLE, name="City payable"),
        "town_welfare": account_open(org=town, kind=AccountKind.WELFARE, name="Town welfare"),
        "far_welfare": account_open(org=far, kind=AccountKind.WELFARE, name="Far welfare"),
        "far_bank": account_open(org=far, kind=AccountKind.BANK, name="Far bank"),
    }
    day = dt.datetime(2025, 3, 10, 9, 0, tzinfo=SHANGHAI)
    fund_allocate(
        org=city,
        from_account=w["bank"],
        to_account=w["welfare"],
        amount_fen=50_000,
        occurred_at=day,
    )
    fund_allocate(
        org=city,
        from_account=w["welfare"],
        to_account=w["town_welfare"],
        amount_fen=8_000,
        occurred_at=day,
    )
    w["subsidy"] = transaction_post(
        org=union,
        kind="benefits.subsidy",
        entries=[(w["welfare"], 1_200), (w["payable"], -1_200)],
        occurred_at=day + dt.timedelta(days=1),
        memo="noodles",
    )
    w["far_txn"] = fund_allocate(
        org=far,
        from_account=w["far_bank"],
        to_account=w["far_welfare"],
        amount_fen=9_900,
        occurred_at=day,
    )
    w["budget"] = budget_create(
        org=town, name="Town offer budget", account=w["town_welfare"], cap_fen=5_000
    )
    budget_take(budget=w["budget"], amount_fen=1_250)
    w["far_budget"] = budget_create(
        org=far, name="Far budget", account=w["far_welfare"], cap_fen=100
    )
    return w


# --- API -----------------------------------------------------------------------------------
def test_api_needs_a_signed_in_staff_user(client, world):
    assert client.get(f"{API}/accounts").status_code == 401
    member_like = make_staff(world["city"], Role.FEDERATION_ADMIN)
    member_like.is_staff = False
    member_like.save()
    client.force_login(member_like)
    assert client.get(f"{API}/accounts").status_code == 401


def test_api_accounts_are_scoped(client, world):
    client.force_login(make_staff(world["city"], Role.FEDERATION_ADMIN))
    body = client.get(f"{API}/accounts").json()
    names = {a["name"] for a in body["items"]}
    assert names == {"City bank", "City welfare", "City payable", "Town welfare"}
    welfare = next(a for a in body["items"] if a["name"] == "City welfare")
    assert welfare["balance_fen"] == 50_000 - 8_000 - 1_200
    assert welfare["normal_side"] == "credit" and welfare["kind"] == "welfare"
    only = client.get(f"{API}/accounts", {"kind": "bank"}).json()
    assert [a["name"] for a in only["items"]] == ["City bank"]

    client.force_login(make_staff(world["town"], Role.UNION_ADMIN))
    body = client.get(f"{API}/accounts").json()
    assert [a["name"] for a in body["items"]] == ["Town welfare"]


@pytest.mark.parametrize("role", [Role.REVIEWER, Role.CASE_WORKER, Role.MERCHANT_STAFF])
def test_api_roles_without_funds_view_see_nothing(client, world, role):
    client.force_login(make_staff(world["city"], role))
    assert client.get(f"{API}/accounts").json()["items"] == []
    assert client.get(f"{API}/budgets").json()["items"] == []
    r = client.get(f"{API}/accounts/{world['welfare'].pk}/statement")
    assert r.status_code == 404


def test_api_statement(client, world):
    client.force_login(make_staff(world["city"], Role.AUDITOR))
    r = client.get(
        f"{API}/accounts/{world['welfare'].pk}/statement",
        {"start": "2025-03-01", "end": "2025-03-31"},
    )
    assert r.status_code == 200, r.content
    st = r.json()
    assert (st["opening_fen"], st["debits_fen"], st["credits_fen"], st["closing_fen"]) == (
        0,
        9_200,
        50_000,
        40_800,
    )
    assert st["line_count"] == 3 and st["account"]["name"] == "City welfare"
    assert [line["balance_fen"] for line in st["lines"]] == [50_000, 42_000, 40_800]
    assert st["lines"][2]["memo"] == "noodles" and st["lines"][2]["debit_fen"] == 1_200
    # the end day is included, in local time: 11 March only
    r = client.get(
        f"{API}/accounts/{world['welfare'].pk}/statement",
        {"start": "2025-03-11", "end": "2025-03-11"},
    )
    st = r.json()
    assert (st["opening_fen"], st["line_count"], st["closing_fen"]) == (42_000, 1, 40_800)


def test_api_statement_bad_periods(client, world):
    client.force_login(make_staff(world["city"], Role.FEDERATION_ADMIN))
    url = f"{API}/accounts/{world['welfare'].pk}/statement"
    r = client.get(url, {"start": "2025-03-31", "end": "2025-03-01"})
    assert r.status_code == 400 and r.json()["code"] == "invalid_period"
    r = client.get(url, {"start": "2023-01-01", "end": "2025-03-01"})
    assert r.status_code == 400 and r.json()["code"] == "period_too_long"
    r = client.get(url, {"start": "not-a-date"})
    assert r.status_code == 422 and r.json()["field"] == "start"
    r = client.get(url, {"limit": "100000"})
    assert r.status_code == 422


def test_api_statement_out_of_scope_is_404(client, world):
    client.force_login(make_staff(world["city"], Role.FEDERATION_ADMIN))
    r = client.get(f"{API}/accounts/{world['far_welfare'].pk}/statement")
    assert r.status_code == 404 and r.json()["code"] == "not_found"
    absent = client.get(f"{API}/accounts/999999999/statement")
    assert absent.status_code == 404 and absent.json() == r.json()
    client.force_login(make_staff(world["town"], Role.UNION_ADMIN))
    assert client.get(f"{API}/accounts/{world['welfare'].pk}/statement").status_code == 404
    assert client.get(f"{API}/accounts/{world['town_welfare'].pk}/statement").status_code == 200


def test_api_budgets(client, world):
    client.force_login(make_staff(world["town"], Role.UNION_ADMIN))
    items = client.get(f"{API}/budgets").json()["items"]
    assert [(b["name"], b["cap_fen"], b["spent_fen"], b["left_fen"]) for b in items] == [
        ("Town offer budget", 5_000, 1_250, 3_750)
    ]
    client.force_login(make_staff(world["far"], Role.FEDERATION_ADMIN))
    assert [b["name"] for b in client.get(f"{API}/budgets").json()["items"]] == ["Far budget"]


# --- console -------------------------------------------------------------------------------
def test_console_accounts_scoped_with_balances(client, world):
    client.force_login(make_staff(world["city"], Role.FEDERATION_ADMIN))
    r = client.get(reverse("admin:funds_fundaccount_changelist"))
    assert r.status_code == 200
    body = r.content.decode()
    assert "City welfare" in body and "¥408.00" in body and "Far welfare" not in body
    far = reverse("admin:funds_fundaccount_change", args=[world["far_welfare"].pk])
    assert client.get(far).status_code == 404
    own = reverse("admin:funds_fundaccount_change", args=[world["welfare"].pk])
    assert client.get(own).status_code == 200


def test_console_statement_and_ledger_check(client, world):
    client.force_login(make_staff(world["city"], Role.AUDITOR))
    url = reverse("admin:funds_fundaccount_statement", args=[world["welfare"].pk])
    r = client.get(url, {"start": "2025-03-01", "end": "2025-03-31"})
    assert r.status_code == 200
    body = r.content.decode()
    assert 'data-closing="40800"' in body and "noodles" in body
    far = reverse("admin:funds_fundaccount_statement", args=[world["far_welfare"].pk])
    assert client.get(far).status_code == 404
    r = client.get(reverse("admin:funds_fundaccount_check_ledger"))
    assert r.status_code == 200 and 'data-ledger-check="ok"' in r.content.decode()
    FundAccount.objects.filter(pk=world["welfare"].pk).update(balance_fen=1)
    r = client.get(reverse("admin:funds_fundaccount_check_ledger"))
    assert 'data-ledger-check="failed"' in r.content.decode()


def test_console_transactions_read_only_with_entries(client, world):
    staff = make_staff(world["city"], Role.FEDERATION_ADMIN)
    client.force_login(staff)
    r = client.get(reverse("admin:funds_ledgertransaction_change", args=[world["subsidy"].pk]))
    assert r.status_code == 200
    body = r.content.decode()
    assert "City payable" in body and "¥12.00" in body
    assert client.get(reverse("admin:funds_ledgertransaction_add")).status_code == 403
    before = LedgerTransaction.objects.count()
    r = client.post(
        reverse("admin:funds_ledgertransaction_change", args=[world["subsidy"].pk]), {"memo": "x"}
    )
    assert r.status_code == 403 and LedgerTransaction.objects.count() == before
    far = reverse("admin:funds_ledgertransaction_change", args=[world["far_txn"].pk])
    assert client.get(far).status_code == 404
    listing = client.get(reverse("admin:funds_ledgertransaction_changelist")).content.decode()
    assert "noodles" in listing


def test_console_roles_without_capability(client, world):
    client.force_login(make_staff(world["city"], Role.REVIEWER))
    assert client.get(reverse("admin:funds_fundaccount_changelist")).status_code == 403
    assert client.get(reverse("admin:funds_budget_changelist")).status_code == 403
    client.force_login(make_staff(world["town"], Role.UNION_ADMIN))  # funds.view, not manage
    assert client.get(reverse("admin:funds_fundaccount_changelist")).status_code == 200
    assert client.get(reverse("admin:funds_fundaccount_add")).status_code == 403
    assert client.get(reverse("admin:funds_budget_add")).status_code == 403


def test_console_opens_an_account_through_the_service(client, world):
    staff = make_staff(world["city"], Role.FEDERATION_ADMIN)
    client.force_login(staff)
    data = {
        "org": world["town"].pk,
        "kind": AccountKind.ASSISTANCE,
        "name": "Town assistance",
        "party_type": "",
        "party_id": "",
    }
    r = client.post(reverse("admin:funds_fundaccount_add"), data)
    assert r.status_code == 302, r.content.decode()[:3000]
    account = FundAccount.objects.get(name="Town assistance")
    assert (
        account.normal_side == "credit" and account.balance_fen == 0 and not account.allow_negative
    )
    assert AuditEntry.objects.filter(
        action="funds.fundaccount.create", object_id=str(account.pk), actor=staff
    ).exists()
    # the same (org, kind, party) twice is a form error, not a second account
    r = client.post(reverse("admin:funds_fundaccount_add"), data)
    assert (
        r.status_code == 200
        and FundAccount.objects.filter(org=world["town"], kind=AccountKind.ASSISTANCE).count() == 1
    )
    # an org outside the scope is not a valid choice
    r = client.post(
        reverse("admin:funds_fundaccount_add"), {**data, "org": world["far"].pk, "name": "x"}
    )
    assert r.status_code == 200 and not FundAccount.objects.filter(name="x").exists()


def test_console_account_change_never_touches_the_balance(client, world):
    client.force_login(make_staff(world["city"], Role.FEDERATION_ADMIN))
    welfare = world["welfare"]
    url = reverse("admin:funds_fundaccount_change", args=[welfare.pk])
    r = client.post(url, {"name": "Renamed welfare", "is_active": "on", "balance_fen": "999999999"})
    assert r.status_code == 302
    welfare.refresh_from_db()
    assert welfare.name == "Renamed welfare" and welfare.balance_fen == 40_800


def test_console_budget_create_and_change(client, world):
    staff = make_staff(world["city"], Role.FEDERATION_ADMIN)
    client.force_login(staff)
    data = {
        "org": world["town"].pk,
        "name": "Spring fair",
        "scope_kind": "campaign",
        "source_type": "",
        "source_id": "",
        "account": world["town_welfare"].pk,
        "cap_yuan": "12.34",
        "valid_from_0": "",
        "valid_from_1": "",
        "valid_until_0": "",
        "valid_until_1": "",
    }
    r = client.post(reverse("admin:funds_budget_add"), data)
    assert r.status_code == 302, r.content.decode()[:3000]
    budget = Budget.objects.get(name="Spring fair")
    assert (budget.cap_fen, budget.spent_fen) == (1_234, 0)
    assert AuditEntry.objects.filter(
        action="funds.budget.create", object_id=str(budget.pk)
    ).exists()
    # an account of another federation is not a valid choice
    r = client.post(
        reverse("admin:funds_budget_add"),
        {**data, "name": "Bad", "account": world["far_welfare"].pk},
    )
    assert r.status_code == 200 and not Budget.objects.filter(name="Bad").exists()

    # change: the cap may not fall below spent; spent is never written from the form
    town_budget = world["budget"]
    url = reverse("admin:funds_budget_change", args=[town_budget.pk])
    change = {
        "name": "Town offer budget",
        "cap_yuan": "12.49",
        "is_active": "on",
        "spent_fen": "0",
        "valid_from_0": "",
        "valid_from_1": "",
        "valid_until_0": "",
        "valid_until_1": "",
    }
    r = client.post(url, change)
    # the console answers in zh-hans: "The cap may not be below what is already spent (…)."
    assert r.status_code == 200 and "额度不能低于已使用的金额" in r.content.decode()
    r = client.post(url, {**change, "cap_yuan": "80"})
    assert r.status_code == 302
    town_budget.refresh_from_db()
    assert (town_budget.cap_fen, town_budget.spent_fen) == (8_000, 1_250)
    assert AuditEntry.objects.filter(
        action="funds.budget.change", object_id=str(town_budget.pk)
    ).exists()
    listing = client.get(reverse("admin:funds_budget_changelist")).content.decode()
    assert "<meter" in listing and "¥67.50" in listing  # left = 80.00 - 12.50
    assert "Far budget" not in listing
    assert (
        client.get(reverse("admin:funds_budget_change", args=[world["far_budget"].pk])).status_code
        == 404
    )


def test_api_absurd_inputs_get_a_clear_4xx(client, world):
    client.force_login(make_staff(world["city"], Role.FEDERATION_ADMIN))
    r = client.get(f"{API}/accounts/{2**70}/statement")
    assert r.status_code in (404, 422)
    assert client.get(f"{API}/accounts/-1/statement").status_code == 404
    assert client.get(f"{API}/accounts", {"limit": "100000"}).status_code == 422
    assert client.get(f"{API}/accounts", {"offset": "-1"}).status_code == 422
    assert client.get(f"{API}/accounts", {"kind": "gold"}).status_code == 422
    r = client.get(f"{API}/accounts/{world['welfare'].pk}/statement", {"offset": str(10**12)})
    assert r.status_code == 422
    page = client.get(f"{API}/accounts", {"limit": "2", "offset": "1"}).json()
    assert page["count"] == 4 and len(page["items"]) == 2
