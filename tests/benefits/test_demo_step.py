"""The benefits demo step: every offer kind, funded budgets, a terminal per store, the cashier;
a second run creates nothing; a demo offer can be redeemed."""

from __future__ import annotations

import pytest

from gonghui.benefits import services
from gonghui.benefits.models import Merchant, MerchantStaff, Offer, OfferKind, Payer, Store
from gonghui.codes.models import Terminal
from gonghui.demo import data
from gonghui.demo.steps import benefits as step
from gonghui.funds.selectors import ledger_verify
from gonghui.orgs.models import Org, Role
from tests.factories import make_member, make_staff, org_child, org_root

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast_hasher(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def test_demo_step_loads_once_and_works():
    root = org_root(code=data.FEDERATION.code)
    cashier_name = next(s.username for s in data.STAFF if s.role == Role.MERCHANT_STAFF)
    cashier = make_staff(root, Role.MERCHANT_STAFF, username=cashier_name)
    assert step.load() > 0
    assert Merchant.objects.count() == 8 and Store.objects.count() == 13
    offers = Offer.objects.all()
    assert offers.count() == 12
    assert {o.kind for o in offers} == set(OfferKind.values)
    assert {o.payer for o in offers} == set(Payer.values)
    assert all(o.budget is not None for o in offers if o.payer == Payer.UNION)
    assert all(o.stock_left == o.stock_total for o in offers)
    assert Terminal.objects.filter(context_type=services.CONTEXT_TYPE).count() == 13
    assert MerchantStaff.objects.filter(user=cashier).count() == 1
    assert step.load() == 0  # a second run creates nothing

    member = make_member(org_child(Org.objects.get(pk=root.pk)))
    store = Store.objects.get(merchant__uscc=step._uscc(8))
    terminal = Terminal.objects.get(context_type=services.CONTEXT_TYPE, context_id=str(store.pk))
    red = services.redemption_create(terminal=terminal, member=member, bill_fen=50_000)
    assert red.subsidy_fen == 7_500 and red.pay_fen == 42_500
    assert ledger_verify().ok
