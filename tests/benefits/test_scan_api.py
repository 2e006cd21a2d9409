"""Redemption by scanning (codes' dispatch to the benefits.store handler) and the benefits API:
members, cashiers, staff; malformed input changes nothing; other federations answer 404."""

from __future__ import annotations

import datetime as dt
import io
import json

import openpyxl
import pytest
from django.test import Client

from gonghui.benefits import services
from gonghui.benefits.models import MerchantStaff, Redemption
from gonghui.codes import services as code_services
from gonghui.codes.models import Credential, ScanRecord
from gonghui.core.timeutil import SHANGHAI
from gonghui.members.session import SESSION_MEMBER_KEY
from gonghui.orgs.models import Role, RoleAssignment
from tests.factories import make_member, make_staff, org_root

from .conftest import assert_ledger_ok, code_at, snapshot
from .factories import World, make_offer, make_store, make_terminal_with_key

pytestmark = pytest.mark.django_db

SCAN = "/api/v1/codes/scan"
API = "/api/v1/benefits"
POS = "/api/v1/pos"


@pytest.fixture(autouse=True)
def _fast_hasher(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def pos(world):
    """(terminal, key) of a second terminal at the world's store, and a union-paid offer."""
    terminal, key = make_terminal_with_key(world.store)
    offer = make_offer(world.merchant, percent_bp=2000, stock_total=10, limit_per_day=3)
    return terminal, key, offer


def scan(client, key, code, payload, idem="k-1", raw=None):
    headers = {"HTTP_AUTHORIZATION": f"Terminal {key}"}
    if idem is not None:
        headers["HTTP_IDEMPOTENCY_KEY"] = idem
    data = raw if raw is not None else json.dumps({"code": code, "payload": payload})
    return client.post(SCAN, data=data, content_type="application/json", **headers)


def member_client(member) -> Client:
    c = Client()
    session = c.session
    session[SESSION_MEMBER_KEY] = member.pk
    session.save()
    return c


def test_scan_redeems_and_replays(client, world, pos):
    _terminal, key, offer = pos
    credential, seed = code_services.credential_issue(member=world.member)
    code = code_at(credential, seed)
    r = scan(client, key, code, {"bill_fen": 8_888})
    assert r.status_code == 200, r.json()
    result = r.json()["result"]
    assert set(result) >= {
        "redemption_id",
        "offer",
        "bill_fen",
        "discount_fen",
        "pay_fen",
        "subsidy_fen",
        "member",
        "remaining",
    }
    assert (result["bill_fen"], result["discount_fen"], result["pay_fen"]) == (8_888, 1_778, 7_110)
    assert result["offer"] == {"id": offer.pk, "title": offer.title, "kind": "percent"}
    assert result["member"]["member_no"] == world.member.member_no
    assert result["member"]["name"][0] == world.member.name[0] and "*" in result["member"]["name"]
    assert result["remaining"]["stock"] == 9 and result["remaining"]["member_today"] == 2
    again = scan(client, key, code, {"bill_fen": 8_888})
    assert again.json() == r.json() and again["Idempotent-Replayed"] == "true"
    assert Redemption.objects.count() == 1
    assert_ledger_ok()


def test_handler_refusal_keeps_the_code(client, world, pos):
    _terminal, key, _offer = pos
    credential, seed = code_services.credential_issue(member=world.member)
    code = code_at(credential, seed)
    before = snapshot()
    r = scan(client, key, code, {"bill_fen": -5})
    assert r.status_code == 400 and r.json()["code"] == "bill_invalid"
    assert snapshot() == before
    assert Credential.objects.get(pk=credential.pk).use_count == 0
    ok = scan(client, key, code, {"bill_fen": 500}, idem="k-2")
    assert ok.status_code == 200 and Redemption.objects.count() == 1


@pytest.mark.parametrize(
    ("payload", "status", "reason"),
    [
        ({}, 400, "bill_invalid"),
        ({"bill_fen": 0}, 400, "bill_invalid"),
        ({"bill_fen": -100}, 400, "bill_invalid"),
        ({"bill_fen": 10_000_001}, 400, "bill_invalid"),
        ({"bill_fen": 10**30}, 400, "bill_invalid"),
        ({"bill_fen": 12.5}, 400, "bill_invalid"),
        ({"bill_fen": "100"}, 400, "bill_invalid"),
        ({"bill_fen": True}, 400, "bill_invalid"),
        ({"bill_fen": 100, "offer_id": "x"}, 404, "offer_not_found"),
        ({"bill_fen": 100, "offer_id": 987654}, 404, "offer_not_found"),
        ({"bill_fen": 100, "x": "y" * 9000}, 413, "payload_too_large"),
    ],
)
def test_malformed_payloads_change_nothing(client, world, pos, payload, status, reason):
    _terminal, key, _offer = pos
    credential, seed = code_services.credential_issue(member=world.member)
    before = snapshot()
    r = scan(client, key, code_at(credential, seed), payload)
    assert r.status_code == status, r.content
    assert r.json()["code"] == reason and r.json()["message"]
    assert snapshot() == before
    assert Credential.objects.get(pk=credential.pk).use_count == 0


@pytest.mark.parametrize("code", ["123", "abcdefghijklmnopqrst", "0" * 20, "1" * 65])
def test_bad_digits_change_nothing(client, world, pos, code):
    _terminal, key, _offer = pos
    before = snapshot()
    r = scan(client, key, code, {"bill_fen": 100})
    assert 400 <= r.status_code < 500 and r.json()["code"] in ("malformed", "invalid")
    assert snapshot() == before and ScanRecord.objects.count() == 0


def test_huge_body_changes_nothing(client, world, pos):
    _terminal, key, _offer = pos
    before = snapshot()
    raw = json.dumps({"code": "1" * 20, "payload": {"bill_fen": 1, "x": "y" * 3_000_000}})
    r = scan(client, key, None, None, raw=raw)
    assert 400 <= r.status_code < 500
    assert snapshot() == before


# --- members ---------------------------------------------------------------------------------
def test_member_offers_and_redemptions(world, pos):
    _terminal, _key, offer = pos
    elsewhere = make_store(world.merchant, region_code="330100")
    limited = make_offer(world.merchant, all_stores=False, title="only elsewhere")
    limited.stores.set([elsewhere])
    make_offer(world.merchant, org=org_root(), title="another federation's")
    services.redemption_create(
        terminal=world.terminal, member=world.member, bill_fen=1_000, offer_id=offer.pk
    )
    c = member_client(world.member)
    r = c.get(f"{API}/offers")
    assert r.status_code == 200
    titles = {o["title"]: o for o in r.json()}
    assert set(titles) == {offer.title, "only elsewhere"}
    mine = titles[offer.title]
    assert mine["remaining"]["stock"] == 9 and mine["remaining"]["member_today"] == 2
    assert mine["remaining"]["available_now"] is True
    near = c.get(f"{API}/offers", {"region_code": "331021"}).json()
    assert {o["title"] for o in near} == {offer.title}
    assert c.get(f"{API}/offers", {"region_code": "33x"}).status_code == 400
    reds = c.get(f"{API}/redemptions").json()
    assert len(reds) == 1 and reds[0]["offer"]["id"] == offer.pk and reds[0]["pay_fen"] == 800
    assert Client().get(f"{API}/offers").status_code == 401
    # another member sees none of these redemptions
    assert member_client(make_member(world.union)).get(f"{API}/redemptions").json() == []


# --- cashiers --------------------------------------------------------------------------------
def cashier(world, username="cashier1"):
    user = make_staff(world.merchant.org, Role.MERCHANT_STAFF, username=username)
    MerchantStaff.objects.create(user=user, merchant=world.merchant)
    c = Client()
    c.force_login(user)
    return user, c


def test_cashier_today_and_void(client, world, pos):
    """The cashier's today and void are the one cashier API's (/api/v1/pos/, issue #10)."""
    terminal, key, _offer = pos
    _user, c = cashier(world)
    me = c.get(f"{POS}/terminals").json()
    assert {t["id"] for t in me["terminals"]} == {world.terminal.pk, terminal.pk}
    red = services.redemption_create(
        terminal=terminal, member=world.member, bill_fen=2_000, offer_id=None
    )
    today = c.get(f"{POS}/today", {"terminal_id": terminal.pk}).json()
    assert today["totals"]["count"] == 1 and today["items"][0]["id"] == red.pk
    url = f"{POS}/void"
    body = {"redemption_id": red.pk, "reason": "wrong amount", "terminal_id": terminal.pk}
    assert c.post(url, body, content_type="application/json").status_code == 400
    r = c.post(url, body, content_type="application/json", HTTP_IDEMPOTENCY_KEY="v-1")
    assert r.status_code == 200 and r.json()["redemption"]["voided"] is True
    again = c.post(url, body, content_type="application/json", HTTP_IDEMPOTENCY_KEY="v-1")
    assert again.status_code == 200
    other = c.post(url, body, content_type="application/json", HTTP_IDEMPOTENCY_KEY="v-2")
    assert other.status_code == 409 and other.json()["code"] == "already_voided"
    # a terminal key works too, for its own store
    red2 = services.redemption_create(
        terminal=terminal, member=world.member, bill_fen=2_000, offer_id=None
    )
    t = client.post(
        url,
        {"redemption_id": red2.pk, "reason": "r"},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Terminal {key}",
        HTTP_IDEMPOTENCY_KEY="t-1",
    )
    assert t.status_code == 200
    items = client.get(f"{POS}/today", HTTP_AUTHORIZATION=f"Terminal {key}").json()["items"]
    assert sum(1 for i in items if i["voided"]) == 2
    assert_ledger_ok()


def test_cashier_of_another_merchant_gets_404(world, pos):
    other = World()
    _user, c = cashier(other, username="cashier2")
    red = services.redemption_create(
        terminal=world.terminal, member=world.member, bill_fen=2_000, offer_id=None
    )
    before = snapshot()
    for terminal_id in (world.terminal.pk, other.terminal.pk):
        r = c.post(
            f"{POS}/void",
            {"redemption_id": red.pk, "reason": "r", "terminal_id": terminal_id},
            content_type="application/json",
            HTTP_IDEMPOTENCY_KEY=f"v-{terminal_id}",
        )
        assert r.status_code == 404 and snapshot() == before
    assert c.get(f"{POS}/today", {"terminal_id": world.terminal.pk}).status_code == 404
    plain = make_staff(world.merchant.org, Role.AUDITOR)
    pc = Client()
    pc.force_login(plain)
    assert pc.get(f"{POS}/terminals").json()["terminals"] == []  # not a cashier of any store


# --- staff -----------------------------------------------------------------------------------
def staff_client(org, role=Role.FEDERATION_ADMIN):
    user = make_staff(org, role)
    c = Client()
    c.force_login(user)
    return user, c


def test_staff_redemptions_void_and_settlement_scope(world, pos):
    _terminal, _key, _offer = pos
    yesterday = dt.datetime.now(tz=SHANGHAI) - dt.timedelta(days=1)
    red = services.redemption_create(
        terminal=world.terminal, member=world.member, bill_fen=3_000, offer_id=None, at=yesterday
    )
    admin, c = staff_client(world.root)
    listed = c.get(f"{API}/staff/redemptions").json()
    assert listed["count"] == 1 and listed["items"][0]["id"] == red.pk
    # another federation's admin sees nothing and gets 404
    _outsider, oc = staff_client(org_root())
    assert oc.get(f"{API}/staff/redemptions").json()["count"] == 0
    before = snapshot()
    r = oc.post(
        f"{API}/staff/redemptions/{red.pk}/void",
        {"reason": "r"},
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="s-1",
    )
    assert r.status_code == 404 and snapshot() == before
    # an auditor may look but not void
    _auditor, ac = staff_client(world.root, Role.AUDITOR)
    assert ac.get(f"{API}/staff/redemptions").json()["count"] == 1
    assert (
        ac.post(
            f"{API}/staff/redemptions/{red.pk}/void",
            {"reason": "r"},
            content_type="application/json",
            HTTP_IDEMPOTENCY_KEY="s-1",
        ).status_code
        == 404
    )
    settlement = services.settlement_create(
        merchant=world.merchant, period_start=red.local_date, period_end=red.local_date, actor=admin
    )
    assert [s["id"] for s in c.get(f"{API}/staff/settlements").json()] == [settlement.pk]
    assert oc.get(f"{API}/staff/settlements").json() == []
    x = c.get(f"{API}/staff/settlements/{settlement.pk}/statement.xlsx")
    assert x.status_code == 200 and x["Content-Type"].startswith("application/vnd.openxml")
    book = openpyxl.load_workbook(io.BytesIO(x.content))
    cells = [c.value for row in book.active.iter_rows() for c in row if c.value is not None]
    assert world.merchant.name in cells and world.member.member_no in cells
    assert settlement.total_subsidy_fen / 100 in cells
    assert oc.get(f"{API}/staff/settlements/{settlement.pk}/statement.xlsx").status_code == 404
    assert Client().get(f"{API}/staff/redemptions").status_code == 401


def test_staff_void_through_api(world, pos):
    red = services.redemption_create(
        terminal=world.terminal, member=world.member, bill_fen=3_000, offer_id=None
    )
    union_admin = make_staff(world.root, Role.UNION_ADMIN)
    RoleAssignment.objects.filter(user=union_admin).update(org=world.merchant.org)
    c = Client()
    c.force_login(union_admin)
    r = c.post(
        f"{API}/staff/redemptions/{red.pk}/void",
        {"reason": "refund"},
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="s-9",
    )
    assert r.status_code == 200 and r.json()["status"] == "voided"
    missing = c.post(
        f"{API}/staff/redemptions/{red.pk}/void",
        {"reason": ""},
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="s-10",
    )
    assert missing.status_code == 422
