"""Factories of the benefits tests: a funded welfare fund, merchants, stores, terminals, offers."""

from __future__ import annotations

from typing import Any

from gonghui.benefits import services
from gonghui.benefits.models import Merchant, Offer, OfferKind, Payer, Store
from gonghui.codes import services as code_services
from gonghui.funds import services as funds
from gonghui.funds.models import AccountKind, Budget, FundAccount
from gonghui.orgs.models import Org
from tests.factories import next_n, uscc_for


def welfare_funded(org: Org, amount_fen: int = 100_000_000) -> FundAccount:
    """The org's welfare fund with ``amount_fen`` allocated from its bank account."""
    bank = funds.account_open(org=org, kind=AccountKind.BANK)
    welfare = funds.account_open(org=org, kind=AccountKind.WELFARE)
    funds.fund_allocate(org=org, from_account=bank, to_account=welfare, amount_fen=amount_fen)
    return welfare


def make_budget(org: Org, cap_fen: int, account: FundAccount | None = None) -> Budget:
    account = account or welfare_funded(org)
    return funds.budget_create(
        org=org, name=f"Budget {next_n()}", account=account, cap_fen=cap_fen, scope_kind="offer"
    )


def make_merchant(org: Org, **kw: Any) -> Merchant:
    n = next_n()
    return services.merchant_create(
        org=org, name=kw.pop("name", f"商户{n}"), uscc=kw.pop("uscc", uscc_for(500000 + n)), **kw
    )


def make_store(merchant: Merchant, **kw: Any) -> Store:
    kw.setdefault("name", f"门店{next_n()}")
    kw.setdefault("region_code", "331021")
    return Store.objects.create(merchant=merchant, **kw)


def make_terminal(store: Store):
    terminal, _key = code_services.terminal_create(
        actor=None,
        org=store.merchant.org,
        kind="pos",
        name=f"POS {store.name}",
        context_type=services.CONTEXT_TYPE,
        context_id=str(store.pk),
    )
    return terminal


def make_terminal_with_key(store: Store):
    return code_services.terminal_create(
        actor=None,
        org=store.merchant.org,
        kind="pos",
        name=f"POS {store.name}",
        context_type=services.CONTEXT_TYPE,
        context_id=str(store.pk),
    )


def make_offer(merchant: Merchant, *, org: Org | None = None, **kw: Any) -> Offer:
    """An offer (20% off, union-paid, budget 1,000 yuan by default)."""
    kw.setdefault("title", f"优惠{next_n()}")
    kw.setdefault("kind", OfferKind.PERCENT)
    kw.setdefault("payer", Payer.UNION)
    if kw["kind"] == OfferKind.PERCENT:
        kw.setdefault("percent_bp", 2000)
    if kw["payer"] == Payer.UNION and "budget" not in kw:
        kw["budget"] = make_budget(merchant.org, kw.pop("budget_cap_fen", 100_000))
    kw.pop("budget_cap_fen", None)
    stock = kw.pop("stock_total", None)
    offer = Offer.objects.create(
        merchant=merchant, org=org or merchant.org, stock_total=stock, stock_left=stock, **kw
    )
    return offer


class World:
    """A federation with one grassroots union, a member, a merchant, a store and a terminal."""

    def __init__(self) -> None:
        from tests.factories import make_member, org_child, org_root

        self.root = org_root()
        self.union = org_child(self.root)
        self.member = make_member(self.union)
        self.merchant = make_merchant(self.root)
        self.store = make_store(self.merchant)
        self.terminal = make_terminal(self.store)
