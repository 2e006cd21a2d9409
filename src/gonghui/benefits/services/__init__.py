"""Writes of merchant benefits. Keyword-only, typed, one transaction each; ``Refused`` on bad input.

- ``redeem.py``: a redemption, its lock plan named in one place (usage → redemption and event →
  ledger rows → budget → balances by key → stock), returning a ``RedeemResult``;
- ``voids.py``: voids, giving back in the same order (the service event stays; a second,
  negative one is appended);
- ``settlements.py``: settlements and their statements;
- ``merchants.py``: merchants and offers' stock, written from the console;
- ``common.py``: event and ledger kinds, the merchant's payable, a terminal's store.

The pure parts live beside the services: the bill (``bill.py``), the price of an offer
(``pricing.py``), who may use it (``eligibility.py``) and which of several is best for the member
(``choice.py``); the scan handler is ``scan.py``.
Money is integer fen; percentages round half up, in the member's favour (docs/benefits.md).
"""

from ..bill import MAX_BILL_FEN, bill_check
from ..checkout import PAYABLE_PARTY
from ..eligibility import offer_at_store, offer_refusal
from ..pricing import Quote, offer_limits, offer_quote, period_starts
from .common import (
    CONTEXT_TYPE,
    EVENT_REDEMPTION,
    EVENT_VOID,
    LEDGER_SETTLEMENT,
    LEDGER_SUBSIDY,
    LEDGER_VOID,
    payable_account,
    store_of_terminal,
)
from .merchants import merchant_create, offer_stock_init, offer_stock_set
from .redeem import RedeemResult, redemption_create, redemption_options, redemption_redeem
from .settlements import settlement_create, settlement_mark_paid, settlement_statement_xlsx
from .voids import redemption_void, redemption_void_at_terminal

__all__ = [
    "CONTEXT_TYPE",
    "EVENT_REDEMPTION",
    "EVENT_VOID",
    "LEDGER_SETTLEMENT",
    "LEDGER_SUBSIDY",
    "LEDGER_VOID",
    "MAX_BILL_FEN",
    "PAYABLE_PARTY",
    "Quote",
    "RedeemResult",
    "bill_check",
    "merchant_create",
    "offer_at_store",
    "offer_limits",
    "offer_quote",
    "offer_refusal",
    "offer_stock_init",
    "offer_stock_set",
    "payable_account",
    "period_starts",
    "redemption_create",
    "redemption_options",
    "redemption_redeem",
    "redemption_void",
    "redemption_void_at_terminal",
    "settlement_create",
    "settlement_mark_paid",
    "settlement_statement_xlsx",
    "store_of_terminal",
]
