"""Writes on the funds ledger. Keyword-only, typed, one transaction each; ``Refused`` on bad input.

The rules (docs/ledger.md):
- entries are signed fen, debit positive, credit negative, never zero; a transaction has at
  least two entries and they sum to zero (checked here; on PostgreSQL also by a deferred
  constraint trigger at commit);
- an account's cached ``balance_fen`` moves in the same database transaction as its entries,
  by a conditional UPDATE that refuses to take a non-negative account below zero (and a CHECK
  constraint behind it);
- nothing is ever changed or deleted: a correction is a reversal, at most one per transaction;
- a posting with a source (type, id) books once per kind: a retry returns the first one;
- order of a posting (``ledger.py``): step 1 ``ledger_rows_write`` — the transaction row (its
  unique source key makes a duplicate wait there), the entries; step 2 ``ledger_settle`` — the
  rows others share, each locked to COMMIT: the budget charged (``charge=``), then the touched
  accounts by ascending pk. ``transaction_post`` is both steps in one call;
- inside ``core.db.atomic_whole`` these services join the caller's transaction without
  savepoints (``core.db.service_atomic``).

Modules: ``common`` (checks), ``accounts``, ``ledger`` (transactions), ``budgets``.
"""

from .accounts import account_open, account_update
from .budgets import budget_create, budget_release, budget_take, budget_update
from .common import KIND_ALLOCATION, KIND_REVERSAL, MAX_AMOUNT_FEN, MAX_ENTRIES, Entries, Source
from .ledger import (
    Posting,
    fund_allocate,
    ledger_rows_write,
    ledger_settle,
    transaction_post,
    transaction_reverse,
)

__all__ = [
    "KIND_ALLOCATION",
    "KIND_REVERSAL",
    "MAX_AMOUNT_FEN",
    "MAX_ENTRIES",
    "Entries",
    "Posting",
    "Source",
    "account_open",
    "account_update",
    "budget_create",
    "budget_release",
    "budget_take",
    "budget_update",
    "fund_allocate",
    "ledger_rows_write",
    "ledger_settle",
    "transaction_post",
    "transaction_reverse",
]
