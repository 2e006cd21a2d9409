"""The cashier chooses among the offers that apply (issue #12 item 7): ``choose`` on
``POST /api/v1/pos/scan`` answers 409 ``offer_choice`` with the options best first (nothing
redeemed, the code not used up); the chosen ``offer_id`` is checked again by the server."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django.utils import translation

from gonghui.benefits.models import Offer, Payer, Redemption
from gonghui.core.timeutil import now
from tests.benefits.factories import make_merchant, make_offer
from tests.pos.test_api import key_headers, post

pytestmark = pytest.mark.django_db


def choose_scan(client, shop, *, code=None, bill="100", **extra):
    body = {"code": code or shop.code(), "bill": bill, "choose": True, **extra}
    return post(client, "scan", body, **key_headers(shop, uuid.uuid4().hex))


@pytest.fixture
def second(shop) -> Offer:
    """A second offer at the shop, 10% off with no cap: ¥10 off ¥100 vs the first's ¥20."""
    return make_offer(shop.merchant, title="会员九折", percent_bp=1000)


def test_one_offer_redeems_at_once(client, shop):
    r = choose_scan(client, shop)
    assert r.status_code == 200, r.json()
    assert r.json()["result"]["offer"]["id"] == shop.offer.pk


def test_several_offers_answer_the_choice_best_first_and_redeem_nothing(client, shop, second):
    with translation.override("zh-hans"):
        r = choose_scan(client, shop, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert r.status_code == 409
    body = r.json()
    assert body["code"] == "offer_choice"
    data = body["data"]
    assert data["best_id"] == shop.offer.pk
    assert [o["id"] for o in data["offers"]] == [shop.offer.pk, second.pk]
    first, other = data["offers"]
    assert (first["discount_fen"], first["pay_fen"]) == (2000, 8000)
    assert (other["discount_fen"], other["pay_fen"]) == (1000, 9000)
    assert first["remaining"]["member_today"] == 2
    assert "8折" in first["summary"] and "9折" in other["summary"]
    assert Redemption.objects.count() == 0


def test_the_chosen_second_offer_is_redeemed_with_the_same_code(client, shop, second):
    code = shop.code()
    assert choose_scan(client, shop, code=code).status_code == 409
    r = choose_scan(client, shop, code=code, offer_id=second.pk)
    assert r.status_code == 200, r.json()
    assert r.json()["result"]["offer"]["id"] == second.pk
    assert r.json()["result"]["discount_fen"] == 1000
    assert list(Redemption.objects.values_list("offer_id", flat=True)) == [second.pk]


def test_tie_prefers_the_offer_ending_soonest(client, shop):
    ends = make_offer(
        shop.merchant, title="限时八折", percent_bp=2000, valid_until=now() + dt.timedelta(days=3)
    )
    r = choose_scan(client, shop)
    assert r.status_code == 409
    assert r.json()["data"]["best_id"] == ends.pk
    assert r.json()["data"]["offers"][0]["ends"]  # shown in local time


def test_best_counts_the_merchants_own_discount_as_the_members_saving(client, shop):
    own = make_offer(shop.merchant, title="店内七五折", percent_bp=2500, payer=Payer.MERCHANT)
    r = choose_scan(client, shop)
    assert r.json()["data"]["best_id"] == own.pk


def test_an_offer_the_member_used_up_is_not_offered(client, shop, second):
    shop.offer.limit_per_day = 1
    shop.offer.save()
    assert choose_scan(client, shop, offer_id=shop.offer.pk).status_code == 200
    r = choose_scan(client, shop)
    assert r.status_code == 200  # one option left: redeemed at once
    assert r.json()["result"]["offer"]["id"] == second.pk


def test_another_merchants_offer_is_refused_and_the_code_stays_usable(client, shop, second):
    foreign = make_offer(make_merchant(shop.root), title="别家五折", percent_bp=5000)
    code = shop.code()
    with translation.override("zh-hans"):
        r = choose_scan(
            client, shop, code=code, offer_id=foreign.pk, HTTP_ACCEPT_LANGUAGE="zh-hans"
        )
    assert r.status_code == 404
    assert r.json()["code"] == "offer_not_found"
    assert r.json()["message"] == "本门店没有这项优惠。"
    assert Redemption.objects.count() == 0
    assert choose_scan(client, shop, code=code, offer_id=second.pk).status_code == 200


def test_an_offer_the_member_may_not_use_is_refused(client, shop, second):
    gig = make_offer(shop.merchant, title="骑手专享五折", percent_bp=5000, gig_only=True)
    r = choose_scan(client, shop)
    assert gig.pk not in [o["id"] for o in r.json()["data"]["offers"]]
    r = choose_scan(client, shop, offer_id=gig.pk)
    assert r.status_code == 403 and r.json()["code"] == "not_eligible"
    assert Redemption.objects.count() == 0


def test_an_inactive_or_below_threshold_chosen_offer_is_refused(client, shop, second):
    second.is_active = False
    second.save()
    assert choose_scan(client, shop, offer_id=second.pk).status_code == 404
    threshold = make_offer(
        shop.merchant,
        title="满200减30",
        kind="fixed_threshold",
        threshold_fen=20000,
        amount_off_fen=3000,
    )
    r = choose_scan(client, shop, offer_id=threshold.pk)
    assert r.status_code == 409 and r.json()["code"] == "below_threshold"
    assert Redemption.objects.count() == 0


def test_the_choice_is_replayed_under_its_idempotency_key(client, shop, second):
    body = {"code": shop.code(), "bill": "100", "choose": True}
    key = uuid.uuid4().hex
    first = post(client, "scan", body, **key_headers(shop, key))
    again = post(client, "scan", body, **key_headers(shop, key))
    assert first.status_code == again.status_code == 409
    assert again["Idempotent-Replayed"] == "true"
    assert again.json()["data"]["offers"] == first.json()["data"]["offers"]


def test_without_choose_the_server_still_picks_the_best(client, shop, second):
    r = post(
        client,
        "scan",
        {"code": shop.code(), "bill": "100"},
        **key_headers(shop, uuid.uuid4().hex),
    )
    assert r.status_code == 200 and r.json()["result"]["offer"]["id"] == shop.offer.pk


def test_a_cashier_session_chooses_too(client, shop, second):
    client.force_login(shop.cashier)
    code = shop.code()
    body = {"code": code, "bill": "100", "choose": True, "terminal_id": shop.terminal.pk}
    r = post(client, "scan", body, HTTP_IDEMPOTENCY_KEY=uuid.uuid4().hex)
    assert r.status_code == 409 and r.json()["code"] == "offer_choice"
    r = post(client, "scan", {**body, "offer_id": second.pk}, HTTP_IDEMPOTENCY_KEY=uuid.uuid4().hex)
    assert r.status_code == 200 and r.json()["result"]["offer"]["id"] == second.pk
