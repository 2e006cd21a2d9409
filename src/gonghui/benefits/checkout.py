"""What a checkout needs to know about its store, read in one SELECT (the redemption hot path).

A scan at a store needs the store, its merchant and the merchant's union, the offers running
at the store with their unions, budgets and budget accounts, and the union's payable to the
merchant (the accounts with their orgs, which the ledger checks). Through the ORM that is four
queries with ``select_related`` over up to four tables, about two milliseconds of Python per
scan; here it is one fixed SELECT (``core.db.Row`` builds
complete instances from it, related objects attached as ``select_related`` would). The ORM
version of the same reads is kept in ``tests/benefits/test_checkout.py``, which checks that
both agree.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from django.db import connection

from gonghui.core.db import Row
from gonghui.funds.models import AccountKind, Budget, FundAccount
from gonghui.orgs.models import Org

from .models import Merchant, Offer, Store

PAYABLE_PARTY = "benefits.merchant"

_STORE = Row(Store, "s")
_MERCHANT = Row(Merchant, "m")
_MERCHANT_ORG = Row(Org, "mo")
_PAYABLE = Row(FundAccount, "p")
_PAYABLE_ORG = Row(Org, "po")
_OFFER = Row(Offer, "o")
_OFFER_ORG = Row(Org, "oo")
_BUDGET = Row(Budget, "b")
_ACCOUNT = Row(FundAccount, "a")
_ACCOUNT_ORG = Row(Org, "ao")
_ROWS = (
    _STORE,
    _MERCHANT,
    _MERCHANT_ORG,
    _PAYABLE,
    _PAYABLE_ORG,
    _OFFER,
    _OFFER_ORG,
    _BUDGET,
    _ACCOUNT,
    _ACCOUNT_ORG,
)


@dataclass(frozen=True)
class Checkout:
    store: Store
    #: The active offers of the store's merchant that run at this store, by ascending id.
    offers: list[Offer]
    #: The union's payable to the merchant; None until first opened.
    payable: FundAccount | None


@functools.cache
def _sql(vendor: str) -> str:
    """The SELECT (built once per database vendor)."""
    q = connection.ops.quote_name
    offer_stores = q(Offer.stores.through._meta.db_table)
    return (
        f"SELECT {', '.join(r.select(q) for r in _ROWS)} "  # noqa: S608 - no user input
        f"FROM {q(Store._meta.db_table)} s "
        f"JOIN {q(Merchant._meta.db_table)} m ON m.id = s.merchant_id "
        f"JOIN {q(Org._meta.db_table)} mo ON mo.id = m.org_id "
        f"LEFT JOIN {q(FundAccount._meta.db_table)} p ON p.org_id = m.org_id "
        "AND p.kind = %s AND p.party_type = %s AND p.party_id = CAST(m.id AS TEXT) "
        f"LEFT JOIN {q(Org._meta.db_table)} po ON po.id = p.org_id "
        f"LEFT JOIN {q(Offer._meta.db_table)} o ON o.merchant_id = s.merchant_id AND o.is_active "
        f"AND (o.all_stores OR EXISTS (SELECT 1 FROM {offer_stores} os "
        "WHERE os.offer_id = o.id AND os.store_id = s.id)) "
        f"LEFT JOIN {q(Org._meta.db_table)} oo ON oo.id = o.org_id "
        f"LEFT JOIN {q(Budget._meta.db_table)} b ON b.id = o.budget_id "
        f"LEFT JOIN {q(FundAccount._meta.db_table)} a ON a.id = b.account_id "
        f"LEFT JOIN {q(Org._meta.db_table)} ao ON ao.id = a.org_id "
        "WHERE s.id = %s ORDER BY o.id"
    )


def checkout_load(store_id: int) -> Checkout | None:
    """The store ``store_id`` with everything a redemption there reads, or None."""
    with connection.cursor() as cursor:
        cursor.execute(
            _sql(connection.vendor), [AccountKind.MERCHANT_PAYABLE, PAYABLE_PARTY, store_id]
        )
        rows = cursor.fetchall()
    if not rows:
        return None
    starts = []
    at = 0
    for r in _ROWS:
        starts.append(at)
        at += len(r)
    first = rows[0]
    seen: dict[object, object] = {}  # the same union (and account) recurs: read each once
    store = _STORE.read(first, starts[0])
    merchant = _MERCHANT.read(first, starts[1])
    merchant.org = _MERCHANT_ORG.read(first, starts[2], seen=seen)
    store.merchant = merchant
    payable = _PAYABLE.read(first, starts[3], seen=seen)
    if payable is not None:
        payable.org = _PAYABLE_ORG.read(first, starts[4], seen=seen)
    offers: list[Offer] = []
    for row in rows:
        offer = _OFFER.read(row, starts[5])
        if offer is None:
            continue
        offer.merchant = merchant
        offer.org = _OFFER_ORG.read(row, starts[6], seen=seen)
        budget = _BUDGET.read(row, starts[7], seen=seen)
        if budget is not None:
            budget.account = _ACCOUNT.read(row, starts[8], seen=seen)
            budget.account.org = _ACCOUNT_ORG.read(row, starts[9], seen=seen)
        offer.budget = budget
        offers.append(offer)
    return Checkout(store=store, offers=offers, payable=payable)
