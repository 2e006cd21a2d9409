"""The benefits app's figures and its pending settlements (issue #13 item 4)."""

from __future__ import annotations

import datetime as dt

import pytest

from gonghui.benefits.models import Merchant, Payer, Redemption, Settlement
from gonghui.members import figures
from gonghui.orgs.models import Role
from tests.benefits.factories import make_merchant, make_offer, make_store
from tests.factories import make_member, make_staff
from tests.figures.helpers import AFTER, BEFORE, FIRST, IN, assert_figures, make_tree

pytestmark = pytest.mark.django_db


def _redeem(store, member, at: dt.datetime, subsidy_fen: int, **kw) -> Redemption:
    offer = make_offer(store.merchant, payer=Payer.MERCHANT)
    return Redemption.objects.create(
        offer=offer,
        merchant=store.merchant,
        store=store,
        member=member,
        bill_fen=10_000,
        discount_fen=2_000,
        subsidy_fen=subsidy_fen,
        pay_fen=8_000,
        local_date=at.date(),
        created_at=at,
        **kw,
    )


def test_benefits_figures_by_union_and_district():
    tree = make_tree()
    member = make_member(tree.a)
    store_a = make_store(make_merchant(tree.a))
    make_store(store_a.merchant, is_active=False)
    store_b = make_store(make_merchant(tree.b))
    closed = make_merchant(tree.b)
    Merchant.objects.filter(pk=closed.pk).update(is_active=False)
    make_store(closed)  # the store of an inactive merchant does not count either
    store_x = make_store(make_merchant(tree.other))
    _redeem(store_a, member, IN, 1_000)
    _redeem(store_a, member, FIRST, 500)
    _redeem(store_a, member, IN, 700, status=Redemption.Status.VOIDED)
    _redeem(store_a, member, BEFORE, 300)
    _redeem(store_a, member, AFTER, 300)
    _redeem(store_b, member, IN, 200)
    _redeem(store_x, member, IN, 900)

    assert_figures(
        tree,
        {
            "benefits.redemptions": (2, 1),
            "benefits.subsidy": (1_500, 200),
            "benefits.merchants": (1, 1),
            "benefits.stores": (1, 1),
        },
    )
    assert figures.figure("benefits.subsidy").unit == figures.Unit.FEN


def test_pending_settlements_respect_scope():
    tree = make_tree()
    merchant_a, merchant_b = make_merchant(tree.a), make_merchant(tree.b)
    day = IN.date()
    for merchant, status in [
        (merchant_a, Settlement.Status.DRAFT),
        (merchant_a, Settlement.Status.PAID),
        (merchant_b, Settlement.Status.DRAFT),
    ]:
        Settlement.objects.create(
            merchant=merchant, period_start=day, period_end=day, status=status
        )
    fed_admin = make_staff(tree.fed, Role.FEDERATION_ADMIN)
    union_admin = make_staff(tree.a, Role.UNION_ADMIN)  # may not pay settlements
    pending = next(p for p in figures.pending() if p.key == "benefits.settlements")

    assert pending.count(fed_admin, tree.a) == 1
    assert pending.count(fed_admin, tree.district) == 2
    assert pending.count(union_admin, tree.a) == 0
