"""The checkout loader (one SELECT) reads exactly what the ORM would."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.models import Q
from django.test.utils import CaptureQueriesContext

from gonghui.benefits.checkout import checkout_load
from gonghui.benefits.models import Merchant, Offer, Store
from gonghui.benefits.services import payable_account
from gonghui.funds.models import FundAccount
from gonghui.orgs.models import Org

from .factories import make_merchant, make_offer, make_store


def _orm_offers(store: Store) -> list[Offer]:
    return list(
        Offer.objects.select_related("org", "budget", "budget__account")
        .filter(merchant_id=store.merchant_id, is_active=True)
        .filter(Q(all_stores=True) | Q(stores=store))
        .distinct()
        .order_by("pk")
    )


def _same(a, b) -> None:
    assert type(a) is type(b)
    for field in a._meta.concrete_fields:
        assert getattr(a, field.attname) == getattr(b, field.attname), field.name


@pytest.mark.django_db
def test_one_select_reads_the_store_its_offers_budgets_and_payable(world):
    merchant = world.merchant
    other_store = make_store(merchant)
    everywhere = make_offer(merchant, stock_total=5)
    here_only = make_offer(merchant, all_stores=False, budget_cap_fen=500)
    here_only.stores.add(world.store)
    elsewhere = make_offer(merchant, all_stores=False)
    elsewhere.stores.add(other_store)
    make_offer(merchant, is_active=False)
    make_offer(make_merchant(world.root))  # another merchant's
    payable = payable_account(merchant)

    with CaptureQueriesContext(connection) as queries:
        checkout = checkout_load(world.store.pk)
        assert checkout is not None
        offers = checkout.offers
        # related objects come with it: no further query
        touched = [(o.org.path, o.budget.account.kind if o.budget else None) for o in offers]
        _ = (checkout.store.merchant.org.path, touched)
    assert len(queries.captured_queries) == 1

    assert [o.pk for o in offers] == [everywhere.pk, here_only.pk]
    expected = _orm_offers(world.store)
    assert [o.pk for o in expected] == [o.pk for o in offers]
    for got, want in zip(offers, expected, strict=True):
        _same(got, want)
        _same(got.org, want.org)
        _same(got.budget, want.budget)
        _same(got.budget.account, want.budget.account)
    _same(checkout.store, Store.objects.get(pk=world.store.pk))
    _same(checkout.store.merchant, Merchant.objects.get(pk=merchant.pk))
    _same(checkout.store.merchant.org, Org.objects.get(pk=world.root.pk))
    assert checkout.payable is not None
    _same(checkout.payable, FundAccount.objects.get(pk=payable.pk))


@pytest.mark.django_db
def test_a_store_without_offers_or_payable_and_an_unknown_store(world):
    checkout = checkout_load(world.store.pk)
    assert checkout is not None
    assert checkout.offers == [] or all(o.merchant_id == world.merchant.pk for o in checkout.offers)
    assert checkout_load(10**9) is None
