"""offer_quote: each kind, rounding half up in the member's favour, ceilings, bill checks."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gonghui.benefits.models import Offer, OfferKind, Payer
from gonghui.benefits.services import MAX_BILL_FEN, bill_check, offer_quote
from gonghui.core.errors import Refused


def offer(**kw) -> Offer:
    kw.setdefault("payer", Payer.UNION)
    return Offer(title="t", **kw)


def test_percent_rounds_half_up_and_caps():
    o = offer(kind=OfferKind.PERCENT, percent_bp=1500)
    # 15 % of 10 fen = 1.5 fen -> 2 fen (half up, the member's favour)
    q = offer_quote(offer=o, member=None, bill_fen=10)
    assert (q.discount_fen, q.subsidy_fen, q.pay_fen) == (2, 2, 8)
    # 15 % of 3 fen = 0.45 -> 0
    assert offer_quote(offer=o, member=None, bill_fen=3).discount_fen == 0
    o.max_subsidy_fen = 500
    q = offer_quote(offer=o, member=None, bill_fen=10_000)  # 15 % = 1500 > cap 500
    assert (q.discount_fen, q.pay_fen) == (500, 9500)
    assert "¥5.00" in q.explanation


def test_threshold_amount_off():
    o = offer(kind=OfferKind.FIXED_THRESHOLD, threshold_fen=10_000, amount_off_fen=2_000)
    assert offer_quote(offer=o, member=None, bill_fen=9_999).discount_fen == 0
    q = offer_quote(offer=o, member=None, bill_fen=10_000)
    assert (q.discount_fen, q.pay_fen) == (2_000, 8_000)


def test_free_item_and_member_price():
    free = offer(kind=OfferKind.FREE_ITEM, list_price_fen=1_200, item_name="豆浆")
    assert offer_quote(offer=free, member=None, bill_fen=1_199).discount_fen == 0
    assert offer_quote(offer=free, member=None, bill_fen=5_000).discount_fen == 1_200
    mp = offer(kind=OfferKind.MEMBER_PRICE, list_price_fen=3_800, member_price_fen=2_800)
    q = offer_quote(offer=mp, member=None, bill_fen=3_800)
    assert (q.discount_fen, q.pay_fen) == (1_000, 2_800)


def test_merchant_paid_discount_has_no_subsidy():
    o = offer(kind=OfferKind.PERCENT, percent_bp=1000, payer=Payer.MERCHANT)
    q = offer_quote(offer=o, member=None, bill_fen=10_000)
    assert (q.discount_fen, q.subsidy_fen, q.pay_fen) == (1_000, 0, 9_000)


@pytest.mark.parametrize("bad", [0, -1, -10_000, MAX_BILL_FEN + 1, 10**18, 12.5, "100", None, True])
def test_bill_invalid(bad):
    with pytest.raises(Refused) as exc:
        bill_check(bad)
    assert exc.value.code == "bill_invalid" and exc.value.status == 400


kinds = st.sampled_from(list(OfferKind.values))


@settings(max_examples=100, deadline=None)
@given(
    kind=kinds,
    bill=st.integers(min_value=1, max_value=MAX_BILL_FEN),
    bp=st.integers(min_value=1, max_value=10_000),
    cap=st.none() | st.integers(min_value=0, max_value=100_000),
    a=st.integers(min_value=0, max_value=200_000),
    b=st.integers(min_value=0, max_value=200_000),
    payer=st.sampled_from([Payer.UNION, Payer.MERCHANT]),
)
def test_quote_invariants(kind, bill, bp, cap, a, b, payer):
    hi, lo = max(a, b), min(a, b)
    o = offer(
        kind=kind,
        payer=payer,
        percent_bp=bp,
        max_subsidy_fen=cap,
        threshold_fen=hi,
        amount_off_fen=lo,
        list_price_fen=hi,
        member_price_fen=lo,
    )
    q = offer_quote(offer=o, member=None, bill_fen=bill)
    assert 0 <= q.discount_fen <= bill
    assert q.pay_fen == bill - q.discount_fen
    assert q.subsidy_fen == (q.discount_fen if payer == Payer.UNION else 0)
    if kind == OfferKind.PERCENT:
        exact = Fraction(bill * bp, 10_000)
        expected = int(exact) + (1 if exact - int(exact) >= Fraction(1, 2) else 0)
        assert q.discount_fen == (min(expected, cap) if cap is not None else expected)
