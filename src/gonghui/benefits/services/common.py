"""What the benefits writes share: names of events and ledger kinds, the merchant's payable,
and the store a terminal stands in."""

from __future__ import annotations

from django.utils.translation import gettext as _

from gonghui.codes.models import Terminal
from gonghui.core.errors import Refused
from gonghui.funds import services as funds
from gonghui.funds.models import AccountKind, FundAccount

from ..checkout import PAYABLE_PARTY, Checkout, checkout_load
from ..models import Merchant, Store

CONTEXT_TYPE = "benefits.store"
EVENT_REDEMPTION = "benefits.redemption"
EVENT_VOID = "benefits.redemption_void"
LEDGER_SUBSIDY = "benefits.subsidy"
LEDGER_VOID = "benefits.subsidy_void"
LEDGER_SETTLEMENT = "benefits.settlement"


def payable_account(merchant: Merchant) -> FundAccount:
    """The union's payable to ``merchant`` (opened on first use)."""
    return funds.account_open(
        org=merchant.org,
        kind=AccountKind.MERCHANT_PAYABLE,
        party=(PAYABLE_PARTY, merchant.pk),
        name=_("Payable to %(merchant)s") % {"merchant": merchant.name[:90]},
    )


def _store_id_of(terminal: Terminal) -> int:
    """The id of the terminal's store (0 when its context id is not a number)."""
    if terminal.context_type != CONTEXT_TYPE:
        raise Refused(
            code="store_not_found",
            message=_("This terminal does not belong to a store."),
            status=409,
        )
    return int(terminal.context_id) if terminal.context_id.isdigit() else 0


def _store_missing() -> Refused:
    return Refused(
        code="store_not_found", message=_("This terminal's store does not exist."), status=404
    )


def store_of_terminal(terminal: Terminal) -> Store:
    store = (
        Store.objects.select_related("merchant", "merchant__org")
        .filter(pk=_store_id_of(terminal))
        .first()
    )
    if store is None:
        raise _store_missing()
    return store


def _checkout_of(terminal: Terminal) -> Checkout:
    """The terminal's store with its merchant, offers, budgets and payable (one SELECT)."""
    checkout = checkout_load(_store_id_of(terminal))
    if checkout is None:
        raise _store_missing()
    return checkout
