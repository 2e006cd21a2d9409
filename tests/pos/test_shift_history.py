"""Today's totals, the printable shift summary and the history beyond today (issue #12 item 7):
voided redemptions listed and left out of every total; the shift starts at the cashier's sign-in;
the history's range is checked and it shows only the stores the principal operates."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import translation

from gonghui.benefits import services as benefits_services
from gonghui.benefits.models import MerchantStaff, Redemption
from gonghui.core.timeutil import SHANGHAI, local_today
from tests.benefits.factories import make_merchant, make_offer, make_store, make_terminal_with_key
from tests.factories import make_staff
from tests.pos.test_api import API, key_headers, post

pytestmark = pytest.mark.django_db


def midnight(day: dt.date | None = None) -> dt.datetime:
    return dt.datetime.combine(day or local_today(), dt.time(0, 0), tzinfo=SHANGHAI)


@pytest.fixture
def offer(shop):
    """An offer without stock or limits (10% off, union-paid): many redemptions a day."""
    shop.offer.is_active = False
    shop.offer.save()
    return make_offer(shop.merchant, title="会员九折", percent_bp=1000)


def redeem(terminal, member, bill_fen, at) -> Redemption:
    return benefits_services.redemption_create(
        terminal=terminal, member=member, bill_fen=bill_fen, at=at
    )


def void(shop, redemption) -> None:
    body = {"redemption_id": redemption.pk, "reason": "顾客退单"}
    r = post(Client(), "void", body, **key_headers(shop, uuid.uuid4().hex))
    assert r.status_code == 200, r.json()


@pytest.fixture
def other(shop):
    """Merchant B with a store, a terminal, an offer and a cashier of its own."""
    merchant = make_merchant(shop.root, name="乙家面馆")
    store = make_store(merchant, name="乙店")
    terminal, key = make_terminal_with_key(store)
    make_offer(merchant, title="乙家八折", percent_bp=2000)
    cashier = make_staff(None, None, username="cashier_b")
    cashier.is_staff = False
    cashier.save(update_fields=["is_staff"])
    MerchantStaff.objects.create(user=cashier, merchant=merchant)
    return type(
        "B",
        (),
        {
            "merchant": merchant,
            "store": store,
            "terminal": terminal,
            "key": key,
            "cashier": cashier,
        },
    )


# --- today -------------------------------------------------------------------------------------


def test_today_totals_leave_voids_out(client, shop, offer):
    base = midnight() + dt.timedelta(minutes=1)
    kept = redeem(shop.terminal, shop.member, 10_000, base)
    gone = redeem(shop.terminal, shop.member, 5_000, base + dt.timedelta(seconds=1))
    void(shop, gone)
    body = client.get(API + "today", **key_headers(shop)).json()
    assert [i["id"] for i in body["items"]] == [gone.pk, kept.pk]
    assert [i["voided"] for i in body["items"]] == [True, False]
    assert body["totals"] == {
        "count": 1,
        "voided": 1,
        "bill_fen": 10_000,
        "discount_fen": 1_000,
        "subsidy_fen": 1_000,
        "pay_fen": 9_000,
    }


def test_today_is_the_stores_only(client, shop, offer, other):
    redeem(other.terminal, shop.member, 10_000, midnight() + dt.timedelta(minutes=1))
    body = client.get(API + "today", **key_headers(shop)).json()
    assert body["items"] == [] and body["totals"]["count"] == 0


# --- the shift summary ---------------------------------------------------------------------------


def test_shift_summary_since_sign_in_with_totals_and_voids(client, shop, offer):
    start = midnight() + dt.timedelta(hours=2)
    before = redeem(shop.terminal, shop.member, 30_000, start - dt.timedelta(hours=1))
    kept = redeem(shop.terminal, shop.member, 10_000, start + dt.timedelta(minutes=5))
    gone = redeem(shop.terminal, shop.member, 5_000, start + dt.timedelta(minutes=6))
    void(shop, gone)
    shop.cashier.first_name = "小王"
    shop.cashier.save()
    client.force_login(shop.cashier)
    get_user_model().objects.filter(pk=shop.cashier.pk).update(last_login=start)
    r = client.get(f"/pos/shift/?terminal_id={shop.terminal.pk}", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert r.status_code == 200
    html = r.content.decode()
    ctx = r.context
    assert [row["id"] for row in ctx["rows"]] == [kept.pk, gone.pk]  # not the one before
    assert before.pk not in [row["id"] for row in ctx["rows"]]
    assert ctx["totals"]["count"] == 1 and ctx["totals"]["voided"] == 1
    assert ctx["totals"]["bill"] == "¥100.00" and ctx["totals"]["pay"] == "¥90.00"
    assert ctx["totals"]["subsidy"] == "¥10.00"
    assert "交班单" in html and "小王" in html and "玉环海鲜大排档 · 城关店" in html
    assert "已撤销 1 笔，不计入合计。" in html
    assert ctx["start"].endswith("02:00")  # local time (Asia/Shanghai), not UTC
    assert (
        "@media print"
        in open(  # noqa: SIM115 - the print stylesheet the page links
            "src/gonghui/pos/static/pos/report.css", encoding="utf-8"
        ).read()
    )
    assert "pos/report.css" in html


def test_shift_of_a_cashier_signed_in_yesterday_starts_at_midnight(client, shop, offer):
    redeem(shop.terminal, shop.member, 10_000, midnight() + dt.timedelta(minutes=1))
    client.force_login(shop.cashier)
    get_user_model().objects.filter(pk=shop.cashier.pk).update(
        last_login=midnight() - dt.timedelta(hours=3)
    )
    r = client.get(f"/pos/shift/?terminal_id={shop.terminal.pk}")
    assert r.context["totals"]["count"] == 1


def test_shift_refuses_another_merchants_terminal_and_anonymous(client, shop, offer, other):
    assert client.get(f"/pos/shift/?terminal_id={shop.terminal.pk}").status_code == 302
    client.force_login(shop.cashier)
    assert client.get(f"/pos/shift/?terminal_id={other.terminal.pk}").status_code == 404
    assert client.get("/pos/shift/?terminal_id=x").status_code == 404


# --- history -----------------------------------------------------------------------------------


def test_history_default_last_seven_days_of_the_cashiers_merchant_only(client, shop, offer, other):
    today = local_today()
    second_store = make_store(shop.merchant, name="二号店")
    second_terminal, _key = make_terminal_with_key(second_store)
    recent = redeem(shop.terminal, shop.member, 10_000, midnight(today - dt.timedelta(days=3)))
    sister = redeem(second_terminal, shop.member, 10_000, midnight(today - dt.timedelta(days=4)))
    old = redeem(shop.terminal, shop.member, 10_000, midnight(today - dt.timedelta(days=10)))
    theirs = redeem(other.terminal, shop.member, 10_000, midnight(today - dt.timedelta(days=1)))
    client.force_login(shop.cashier)
    mine = f"terminal_id={shop.terminal.pk}"
    body = client.get(API + f"history?{mine}").json()
    assert body["date_to"] == today.isoformat()
    assert body["date_from"] == (today - dt.timedelta(days=6)).isoformat()
    assert [i["id"] for i in body["items"]] == [recent.pk, sister.pk]  # both stores of A
    assert body["totals"]["count"] == 2
    month = (today - dt.timedelta(days=30)).isoformat()
    body = client.get(API + f"history?{mine}&date_from={month}").json()
    assert [i["id"] for i in body["items"]] == [recent.pk, sister.pk, old.pk]
    assert theirs.pk not in [i["id"] for i in body["items"]]
    # Naming merchant B's terminal is 404, on the API and the page.
    assert client.get(API + f"history?terminal_id={other.terminal.pk}").status_code == 404
    assert client.get(f"/pos/history/?terminal_id={other.terminal.pk}").status_code == 404
    assert client.get("/pos/history/").status_code == 404
    # The page shows the same, and never merchant B's.
    r = client.get(f"/pos/history/?{mine}&date_from={month}")
    assert [row["id"] for row in r.context["rows"]] == [recent.pk, sister.pk, old.pk]
    # Merchant B's cashier sees theirs only, and A's terminal is 404 to them.
    client.force_login(other.cashier)
    body = client.get(API + f"history?terminal_id={other.terminal.pk}&date_from={month}").json()
    assert [i["id"] for i in body["items"]] == [theirs.pk]
    assert client.get(API + f"history?{mine}").status_code == 404


def test_history_with_a_terminal_key_is_its_store_only(client, shop, offer, other):
    mine = redeem(shop.terminal, shop.member, 10_000, midnight() - dt.timedelta(days=1))
    redeem(other.terminal, shop.member, 10_000, midnight() - dt.timedelta(days=1))
    body = client.get(API + "history", **key_headers(shop)).json()
    assert [i["id"] for i in body["items"]] == [mine.pk]


def test_history_refuses_anonymous_and_who_operates_no_terminal(client, shop, offer):
    redeem(shop.terminal, shop.member, 10_000, midnight() - dt.timedelta(days=1))
    mine = f"terminal_id={shop.terminal.pk}"
    assert client.get(API + f"history?{mine}").status_code == 401
    assert client.get(f"/pos/history/?{mine}").status_code == 302
    auditor = make_staff(shop.root, "auditor", username="auditor1")
    client.force_login(auditor)
    assert client.get(API + f"history?{mine}").status_code == 404
    assert client.get(f"/pos/history/?{mine}").status_code == 404


def test_history_totals_leave_voids_out_and_page(client, shop, offer):
    day = midnight() - dt.timedelta(days=2)
    made = [
        redeem(shop.terminal, shop.member, 1_000, day + dt.timedelta(seconds=i)) for i in range(51)
    ]
    Redemption.objects.filter(pk=made[0].pk).update(status=Redemption.Status.VOIDED)
    client.force_login(shop.cashier)
    mine = f"terminal_id={shop.terminal.pk}"
    body = client.get(API + f"history?{mine}").json()
    assert body["pages"] == 2 and len(body["items"]) == 50
    assert body["totals"]["count"] == 50 and body["totals"]["voided"] == 1
    assert body["totals"]["bill_fen"] == 50 * 1_000
    body = client.get(API + f"history?{mine}&page=2").json()
    assert [i["id"] for i in body["items"]] == [made[0].pk] and body["items"][0]["voided"]


@pytest.mark.parametrize(
    ("query", "code", "field"),
    [
        ("date_from=2026-13-01", "date_invalid", "date_from"),
        ("date_to=yesterday", "date_invalid", "date_to"),
        ("date_from={today}&date_to={ago10}", "date_invalid", "date_from"),
        ("date_to={tomorrow}", "date_invalid", "date_to"),
        ("date_from={ago92}", "range_too_long", "date_from"),
    ],
)
def test_history_refuses_bad_ranges(client, shop, query, code, field):
    today = local_today()
    query = query.format(
        today=today.isoformat(),
        ago10=(today - dt.timedelta(days=10)).isoformat(),
        tomorrow=(today + dt.timedelta(days=1)).isoformat(),
        ago92=(today - dt.timedelta(days=92)).isoformat(),
    )
    client.force_login(shop.cashier)
    with translation.override("zh-hans"):
        r = client.get(
            API + f"history?terminal_id={shop.terminal.pk}&" + query,
            HTTP_ACCEPT_LANGUAGE="zh-hans",
        )
    assert r.status_code == 400
    assert r.json()["code"] == code and r.json()["field"] == field
    assert not r.json()["message"].isascii()  # zh-hans
    page = client.get(
        f"/pos/history/?terminal_id={shop.terminal.pk}&" + query, HTTP_ACCEPT_LANGUAGE="zh-hans"
    )
    assert page.status_code == 400
    assert r.json()["message"] in page.content.decode()


def test_history_accepts_exactly_92_days(client, shop):
    client.force_login(shop.cashier)
    start = local_today() - dt.timedelta(days=91)
    r = client.get(API + f"history?terminal_id={shop.terminal.pk}&date_from={start.isoformat()}")
    assert r.status_code == 200 and r.json()["date_from"] == start.isoformat()
