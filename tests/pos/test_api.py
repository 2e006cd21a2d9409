"""The checkout API (/api/v1/pos/): terminal key and cashier sessions, scans with the bill,
idempotent retries, refusals that change nothing, today's list and voiding the last one."""

from __future__ import annotations

import json
import uuid

import pytest
from django.test import Client

from gonghui.benefits.models import Offer, Redemption
from gonghui.codes.models import ScanRecord
from gonghui.core.identifiers import masked_name
from gonghui.funds.models import LedgerTransaction
from tests.benefits.factories import make_merchant, make_store, make_terminal_with_key
from tests.factories import make_staff

API = "/api/v1/pos/"


def key_headers(shop, idem: str | None = None) -> dict[str, str]:
    headers = {"HTTP_AUTHORIZATION": f"Terminal {shop.key}"}
    if idem is not None:
        headers["HTTP_IDEMPOTENCY_KEY"] = idem
    return headers


def post(client, path, body, **headers):
    return client.post(
        API + path, data=json.dumps(body), content_type="application/json", **headers
    )


def scan(client, shop, *, bill="100", code=None, idem=None, **extra):
    body = {"code": code or shop.code(), "bill": bill, **extra}
    return post(client, "scan", body, **key_headers(shop, idem or uuid.uuid4().hex))


def nothing_changed(shop) -> bool:
    shop.offer.refresh_from_db()
    return (
        Redemption.objects.count() == 0
        and shop.offer.stock_left == 10
        and LedgerTransaction.objects.filter(kind="benefits.subsidy").count() == 0
    )


# --- terminal ---------------------------------------------------------------------------------


def test_terminal_whoami_with_key(client, shop):
    r = client.get(API + "terminal", **key_headers(shop))
    assert r.status_code == 200
    body = r.json()
    assert body["id"] == shop.terminal.pk
    assert body["place"] == "玉环海鲜大排档 · 城关店"
    assert body["takes_codes"] is True


def test_terminal_refuses_bad_key_disabled_and_anonymous(client, shop):
    assert client.get(API + "terminal").status_code == 401
    r = client.get(API + "terminal", HTTP_AUTHORIZATION="Terminal ght_wrong")
    assert r.status_code == 401 and r.json()["code"] == "terminal_unknown"
    shop.terminal.is_active = False
    shop.terminal.disabled_reason = "lost tablet"
    shop.terminal.save()
    r = client.get(API + "terminal", **key_headers(shop))
    assert r.status_code == 403 and "lost tablet" in r.json()["message"]


def test_cashier_session_names_a_terminal_of_their_merchant(client, shop):
    client.force_login(shop.cashier)
    r = client.get(API + "terminal")
    assert r.status_code == 400 and r.json()["field"] == "terminal_id"
    assert client.get(API + f"terminal?terminal_id={shop.terminal.pk}").status_code == 200
    other_store = make_store(make_merchant(shop.root))
    other, _key = make_terminal_with_key(other_store)
    assert client.get(API + f"terminal?terminal_id={other.pk}").status_code == 404


def test_union_staff_with_a_role_above_the_terminal_may_operate_it(client, shop):
    staff = make_staff(shop.root, "federation_admin")
    client.force_login(staff)
    assert client.get(API + f"terminal?terminal_id={shop.terminal.pk}").status_code == 200
    outsider = make_staff(shop.union, "union_admin")  # below the merchant's org
    client.force_login(outsider)
    assert client.get(API + f"terminal?terminal_id={shop.terminal.pk}").status_code == 404


# --- scans ------------------------------------------------------------------------------------


def test_scan_approves_with_the_discount_and_what_the_member_pays(client, shop):
    r = scan(client, shop, bill="128.50")
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["ok"] is True
    receipt = body["result"]
    assert receipt["bill_fen"] == 12850
    assert receipt["discount_fen"] == 2570  # 20%
    assert receipt["pay_fen"] == 10280
    assert receipt["subsidy_fen"] == 2570
    assert receipt["offer"]["title"] == "会员八折"
    assert receipt["remaining"]["stock"] == 9
    assert receipt["remaining"]["member_today"] == 1
    red = Redemption.objects.get()
    assert red.terminal_id == shop.terminal.pk and red.member_id == shop.member.pk


def test_scan_retry_with_the_same_key_returns_the_first_answer(client, shop):
    code, idem = shop.code(), uuid.uuid4().hex
    first = scan(client, shop, bill="50", code=code, idem=idem)
    again = scan(client, shop, bill="50", code=code, idem=idem)
    assert first.status_code == again.status_code == 200
    assert again["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert Redemption.objects.count() == 1
    other_body = scan(client, shop, bill="51", code=code, idem=idem)
    assert other_body.status_code == 409
    assert other_body.json()["code"] == "idempotency_key_reused"
    assert Redemption.objects.count() == 1


@pytest.mark.parametrize(
    "bill",
    ["", "abc", "0", "0.00", "-5", "1.234", "12,5x", "100000.01", "1e3", "99999999999"],
)
def test_bad_bills_are_refused_and_change_nothing(client, shop, bill):
    code = shop.code()
    r = scan(client, shop, bill=bill, code=code)
    assert r.status_code in (400, 422), (bill, r.content)
    assert r.json()["field"] == "bill"
    assert nothing_changed(shop)
    assert ScanRecord.objects.count() == 0
    # The code was not used up: it still works.
    assert scan(client, shop, bill="10", code=code).status_code == 200


@pytest.mark.parametrize("code", ["123", "1234567890123456789a", "0" * 20, "9" * 65])
def test_malformed_codes_are_refused(client, shop, code):
    r = scan(client, shop, code=code)
    assert r.status_code in (400, 422)
    assert nothing_changed(shop)


def test_a_used_code_is_refused_in_plain_words(client, shop):
    code = shop.code()
    assert scan(client, shop, code=code).status_code == 200
    r = scan(client, shop, code=code)
    assert r.status_code == 409
    body = r.json()
    assert body["ok"] is False and body["code"] == "already_used"
    assert body["message"]
    assert Redemption.objects.count() == 1


def test_scan_needs_an_idempotency_key(client, shop):
    r = post(client, "scan", {"code": shop.code(), "bill": "10"}, **key_headers(shop))
    assert r.status_code == 400 and r.json()["code"] == "idempotency_key_required"
    assert nothing_changed(shop)


def test_the_daily_limit_refuses_the_third_and_leaves_the_code_unused(client, shop):
    assert scan(client, shop).status_code == 200
    assert scan(client, shop).status_code == 200
    code = shop.code()
    r = scan(client, shop, code=code)
    assert r.status_code == 409
    assert r.json()["code"] == "member_limit"
    assert Redemption.objects.count() == 2
    shop.offer.refresh_from_db()
    assert shop.offer.stock_left == 8


def test_huge_body_is_refused(client, shop):
    r = client.post(
        API + "scan",
        data=json.dumps({"code": shop.code(), "bill": "10", "pad": "x" * 3_000_000}),
        content_type="application/json",
        **key_headers(shop, uuid.uuid4().hex),
    )
    assert 400 <= r.status_code < 500
    assert nothing_changed(shop)


def test_cashier_scan_needs_csrf_and_names_the_terminal(shop):
    client = Client(enforce_csrf_checks=True)
    client.force_login(shop.cashier)
    body = {"code": shop.code(), "bill": "20", "terminal_id": shop.terminal.pk}
    r = post(client, "scan", body, HTTP_IDEMPOTENCY_KEY=uuid.uuid4().hex)
    assert r.status_code in (401, 403)
    assert nothing_changed(shop)
    page = client.get("/pos/")
    token = page.cookies["csrftoken"].value
    r = post(client, "scan", body, HTTP_IDEMPOTENCY_KEY=uuid.uuid4().hex, HTTP_X_CSRFTOKEN=token)
    assert r.status_code == 200, r.content
    assert Redemption.objects.get().terminal_id == shop.terminal.pk


# --- today and void ---------------------------------------------------------------------------


def test_today_lists_the_store_redemptions_with_totals(client, shop):
    scan(client, shop, bill="100")
    scan(client, shop, bill="50")
    r = client.get(API + "today", **key_headers(shop))
    assert r.status_code == 200
    body = r.json()
    assert [i["bill_fen"] for i in body["items"]] == [5000, 10000]
    assert body["totals"] == {
        "count": 2,
        "voided": 0,
        "bill_fen": 15000,
        "discount_fen": 3000,
        "subsidy_fen": 3000,
        "pay_fen": 12000,
    }
    assert body["last_id"] == body["items"][0]["id"]
    assert body["items"][0]["member"].startswith(shop.member.name[0])
    assert shop.member.name not in json.dumps(body, ensure_ascii=False)


def test_void_the_last_one(client, shop):
    scan(client, shop, bill="100")
    red = Redemption.objects.get()
    idem = uuid.uuid4().hex
    r = post(client, "void", {"redemption_id": red.pk, "reason": " "}, **key_headers(shop, idem))
    assert r.status_code == 400 and r.json()["field"] == "reason"
    r = post(
        client, "void", {"redemption_id": red.pk, "reason": "wrong bill"}, **key_headers(shop, idem)
    )
    assert r.status_code == 200, r.content
    assert r.json()["redemption"]["voided"] is True
    red.refresh_from_db()
    assert red.status == Redemption.Status.VOIDED and red.void_reason == "wrong bill"
    assert Offer.objects.get(pk=shop.offer.pk).stock_left == 10
    # The same request again: the same answer; another key: already voided.
    again = post(
        client, "void", {"redemption_id": red.pk, "reason": "wrong bill"}, **key_headers(shop, idem)
    )
    assert again.status_code == 200
    other = post(
        client,
        "void",
        {"redemption_id": red.pk, "reason": "wrong bill"},
        **key_headers(shop, uuid.uuid4().hex),
    )
    assert other.status_code == 409 and other.json()["code"] == "already_voided"
    body = client.get(API + "today", **key_headers(shop)).json()
    assert body["totals"]["count"] == 0 and body["last_id"] is None
    assert body["items"][0]["voided"] is True


def test_void_of_another_store_is_not_found(client, shop):
    scan(client, shop, bill="100")
    red = Redemption.objects.get()
    other_store = make_store(shop.merchant)
    _other, other_key = make_terminal_with_key(other_store)
    r = post(
        client,
        "void",
        {"redemption_id": red.pk, "reason": "x"},
        HTTP_AUTHORIZATION=f"Terminal {other_key}",
        HTTP_IDEMPOTENCY_KEY=uuid.uuid4().hex,
    )
    assert r.status_code == 404
    red.refresh_from_db()
    assert red.status == Redemption.Status.ACTIVE


def test_codes_dispatch_is_the_same_path(client, shop):
    """The page's scan is the code app's scan: a record under the terminal and key."""
    idem = uuid.uuid4().hex
    scan(client, shop, idem=idem)
    record = ScanRecord.objects.get()
    assert record.terminal_id == shop.terminal.pk and record.idempotency_key == idem
    assert record.outcome == "ok"
    assert masked_name(shop.member.name) == record.response["member"]["name"]
