"""Property test: for any sequence of redemptions and voids (refunds), every ledger transaction
sums to zero, no budget is below zero or over its cap, each member limit holds, and
stock + active redemptions == the initial stock. Counters equal what they count."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest
from django.db import transaction
from django.db.models import Sum
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gonghui.benefits import services
from gonghui.benefits.models import MemberOfferUsage, Offer, OfferKind, Payer, Redemption
from gonghui.core.errors import Refused
from gonghui.core.timeutil import SHANGHAI
from gonghui.funds.models import Budget
from gonghui.funds.selectors import ledger_verify
from tests.factories import make_member

from .factories import World, make_offer

pytestmark = pytest.mark.django_db

BASE = dt.datetime(2026, 3, 2, 12, 0, tzinfo=SHANGHAI)  # a Monday noon, local


@pytest.fixture
def setup(db):
    w = World()
    members = [w.member, make_member(w.union), make_member(w.union)]
    offers = [
        make_offer(
            w.merchant,
            kind=OfferKind.PERCENT,
            percent_bp=2500,
            max_subsidy_fen=3_000,
            limit_per_day=2,
            stock_total=6,
            budget_cap_fen=8_000,
        ),
        make_offer(
            w.merchant,
            kind=OfferKind.FIXED_THRESHOLD,
            percent_bp=None,
            threshold_fen=5_000,
            amount_off_fen=1_500,
            limit_per_week=3,
            budget_cap_fen=6_000,
        ),
        make_offer(
            w.merchant,
            kind=OfferKind.MEMBER_PRICE,
            payer=Payer.MERCHANT,
            list_price_fen=2_000,
            member_price_fen=1_200,
            limit_per_month=2,
            stock_total=4,
        ),
    ]
    return w, members, offers


redeem_op = st.tuples(
    st.just("redeem"),
    st.integers(0, 2),  # member
    st.none() | st.integers(0, 2),  # offer (None: the best one)
    st.integers(1, 20_000),  # bill
    st.integers(0, 9),  # days after BASE
)
void_op = st.tuples(st.just("void"), st.integers(0, 50))


def check_invariants(offers) -> None:
    check = ledger_verify()
    assert check.ok, check
    for offer in Offer.objects.filter(pk__in=[o.pk for o in offers]):
        active = Redemption.objects.filter(offer=offer, status=Redemption.Status.ACTIVE)
        if offer.stock_total is not None:
            assert offer.stock_left >= 0
            assert offer.stock_left + active.count() == offer.stock_total
        if offer.budget_id:
            budget = Budget.objects.get(pk=offer.budget_id)
            assert 0 <= budget.spent_fen <= budget.cap_fen
            assert budget.spent_fen == (active.aggregate(s=Sum("subsidy_fen"))["s"] or 0)
        limits = services.offer_limits(offer)
        counted: Counter = Counter()
        for red in active:
            for period, start in services.period_starts(red.local_date).items():
                if period in limits:
                    counted[(red.member_id, period, start)] += 1
        for (_member_id, period, _start), n in counted.items():
            assert n <= limits[period], (offer.title, period, n)
        stored = {
            (u.member_id, u.period, u.period_start): u.count
            for u in MemberOfferUsage.objects.filter(offer=offer)
            if u.count
        }
        assert stored == dict(counted)


@settings(
    max_examples=50,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(ops=st.lists(st.one_of(redeem_op, redeem_op, void_op), max_size=25))
def test_any_sequence_keeps_the_invariants(setup, ops):
    w, members, offers = setup
    with transaction.atomic():
        made: list[Redemption] = []
        for op in ops:
            if op[0] == "redeem":
                _kind, m, o, bill, days = op
                try:
                    made.append(
                        services.redemption_create(
                            terminal=w.terminal,
                            member=members[m],
                            bill_fen=bill,
                            offer_id=offers[o].pk if o is not None else None,
                            at=BASE + dt.timedelta(days=days),
                        )
                    )
                except Refused as exc:
                    assert exc.code in {
                        "stock_exhausted",
                        "member_limit",
                        "budget_exhausted",
                        "below_threshold",
                    }, exc.code
            elif made:
                red = made[op[1] % len(made)]
                try:
                    services.redemption_void(redemption=red, actor=None, reason="property")
                except Refused as exc:
                    assert exc.code == "already_voided"
            check_invariants(offers)
        transaction.set_rollback(True)
