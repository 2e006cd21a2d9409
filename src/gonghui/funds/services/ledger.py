"""The ledger's transactions, in two steps that a caller with its own locks can interleave.

1. ``ledger_rows_write``: validate, insert the transaction row (its unique source key makes a
   duplicate wait there, holding no shared lock; a retry of a booked source returns the first,
   ``Posting.replayed``) and its entries. These rows lock nothing that others wait for.
2. ``ledger_settle``: the rows that every posting of a budget or an account shares, each locked
   to COMMIT, in the fixed order: the budget charged (``charge=``), then the touched accounts by
   ascending pk, whose cached balances move by conditional UPDATEs; then the audit entry.

A caller that writes its own rows pointing at the transaction does so between the two steps
(``benefits.services.redeem``), so that the shared rows stay locked as briefly as possible. The
one-call ``transaction_post`` (and ``transaction_reverse``, ``fund_allocate``) is the two steps in
one ``service_atomic`` for everyone else. Both steps must run inside one database transaction.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, connection
from django.utils.translation import gettext as _

from gonghui.core.actors import is_staff_actor
from gonghui.core.audit import audit_record
from gonghui.core.db import insert_many, insert_or_skip, service_atomic
from gonghui.core.errors import Refused
from gonghui.core.money import format_fen
from gonghui.orgs.models import Org

from ..models import Budget, FundAccount, LedgerEntry, LedgerTransaction
from .budgets import budget_take
from .common import (
    _KIND_RE,
    KIND_ALLOCATION,
    KIND_REVERSAL,
    MAX_ENTRIES,
    Entries,
    Source,
    _check_amount,
    _check_occurred_at,
    _clean_ref,
)


def _validate_entries(entries: Entries) -> list[tuple[FundAccount, int]]:
    try:
        items = list(entries)
    except TypeError:
        raise Refused(
            code="invalid_entries",
            message=_("Entries are a list of (account, amount)."),
            field="entries",
        ) from None
    if len(items) < 2:
        raise Refused(
            code="too_few_entries",
            message=_("A transaction needs at least two entries."),
            field="entries",
        )
    if len(items) > MAX_ENTRIES:
        raise Refused(
            code="too_many_entries",
            message=_("A transaction has too many entries."),
            field="entries",
        )
    clean: list[tuple[FundAccount, int]] = []
    for item in items:
        try:
            account, amount = item
        except (TypeError, ValueError):
            raise Refused(
                code="invalid_entries",
                message=_("Entries are a list of (account, amount)."),
                field="entries",
            ) from None
        if not isinstance(account, FundAccount) or account.pk is None:
            raise Refused(
                code="invalid_account",
                message=_("An entry needs a saved fund account."),
                field="entries",
            )
        clean.append((account, _check_amount(amount, field="entries", positive=False)))
    if sum(amount for _account, amount in clean) != 0:
        raise Refused(
            code="unbalanced",
            message=_("The entries of a transaction must sum to zero (debits equal credits)."),
            field="entries",
        )
    return clean


def _same_postings(
    txn: LedgerTransaction, org: Org, entries: list[tuple[FundAccount, int]]
) -> bool:
    stored = sorted(txn.entries.values_list("account_id", "amount_fen"))
    wanted = sorted((account.pk, amount) for account, amount in entries)
    return txn.org_id == org.pk and stored == wanted


def _existing_for_source(
    kind: str, source_type: str, source_id: str, org: Org, entries: list[tuple[FundAccount, int]]
) -> LedgerTransaction | None:
    existing = LedgerTransaction.objects.filter(
        kind=kind, source_type=source_type, source_id=source_id
    ).first()
    if existing is None:
        return None
    if not _same_postings(existing, org, entries):
        raise Refused(
            code="source_reused",
            message=_("This source has already been booked with different entries."),
            field="source",
            status=409,
        )
    return existing


@dataclass
class Posting:
    """What ``ledger_rows_write`` wrote (or found), for ``ledger_settle`` to finish.

    ``replayed``: the source was already booked (a retry): ``txn`` is the first posting, nothing
    was written and ``ledger_settle`` does nothing."""

    txn: LedgerTransaction
    replayed: bool
    org: Org
    kind: str
    actor: Any = None
    entries: list[tuple[FundAccount, int]] = field(default_factory=list)
    account_ids: list[int] = field(default_factory=list)
    when: dt.datetime | None = None
    check_active: bool = True
    source_type: str = ""
    source_id: str = ""
    reverses: LedgerTransaction | None = None
    settled: bool = False


def _in_transaction() -> None:
    if not connection.in_atomic_block:
        raise RuntimeError("the ledger's two steps run inside one database transaction")


def ledger_rows_write(
    *,
    org: Org,
    kind: str,
    entries: Entries,
    memo: str = "",
    source: Source | None = None,
    actor: Any = None,
    occurred_at: dt.datetime | None = None,
    reverses: LedgerTransaction | None = None,
    check_active: bool = True,
) -> Posting:
    """Step 1 of a posting: validate, then write the transaction row and its entries.

    Refuses (writing nothing) as ``transaction_post`` does. With a ``source`` already booked for
    this kind, returns the first posting (``replayed``; the same entries, else
    ``source_reused``). Locks no row that other postings share. Call inside a transaction and
    finish with ``ledger_settle`` in the same one."""
    _in_transaction()
    if not isinstance(kind, str) or not _KIND_RE.match(kind) or len(kind) > 48:
        raise Refused(
            code="invalid_kind",
            message=_("A transaction kind is like 'benefits.subsidy'."),
            field="kind",
        )
    memo = (memo or "").strip()
    if len(memo) > 200:
        raise Refused(
            code="invalid_memo", message=_("The memo is at most 200 characters."), field="memo"
        )
    clean = _validate_entries(entries)
    source_type, source_id = _clean_ref(source, field="source")
    when = _check_occurred_at(occurred_at)

    # The transaction row, unless its source (or what it reverses) is already booked: then a
    # retry returns the first posting. A racing duplicate waits at this INSERT, holding no
    # account lock, until the first commits (or rolls back, and then it inserts).
    txn = LedgerTransaction(
        org=org,
        kind=kind,
        memo=memo,
        occurred_at=when,
        created_by=actor if is_staff_actor(actor) else None,
        source_type=source_type,
        source_id=source_id,
        reverses=reverses,
    )
    if not insert_or_skip(txn):
        if source_type:
            existing = _existing_for_source(kind, source_type, source_id, org, clean)
            if existing is not None:
                return Posting(txn=existing, replayed=True, org=org, kind=kind)
        if reverses is not None and LedgerTransaction.objects.filter(reverses=reverses).exists():
            raise Refused(
                code="already_reversed",
                message=_("This transaction has already been reversed."),
                status=409,
            )
        raise IntegrityError("ledger transaction conflicts with a unique constraint")

    # The accounts exist and belong to the transaction's federation (no lock: an account's org
    # never changes).
    ids = sorted({account.pk for account, _amount in clean})
    if all(FundAccount.org.is_cached(account) for account, _amount in clean):
        # read with their orgs in this transaction (e.g. the checkout's one SELECT)
        paths = {account.pk: account.org.path for account, _amount in clean}
    else:
        paths = dict(FundAccount.objects.filter(pk__in=ids).values_list("pk", "org__path"))
    if len(paths) != len(ids):
        raise Refused(
            code="invalid_account",
            message=_("An account of this transaction does not exist."),
            field="entries",
        )
    home = org.deployment_path
    if any(Org.deployment_path_of(path) != home for path in paths.values()):
        raise Refused(
            code="cross_deployment",
            message=_("All accounts of a transaction must belong to the same federation."),
            field="entries",
        )

    # The entries, in the order given (their rows lock nothing that others wait for).
    insert_many(
        [
            LedgerEntry(transaction=txn, account_id=account.pk, amount_fen=amount, occurred_at=when)
            for account, amount in clean
        ]
    )
    return Posting(
        txn=txn,
        replayed=False,
        org=org,
        kind=kind,
        actor=actor,
        entries=clean,
        account_ids=ids,
        when=when,
        check_active=check_active,
        source_type=source_type,
        source_id=source_id,
        reverses=reverses,
    )


def ledger_settle(
    posting: Posting, *, charge: tuple[Budget, int] | None = None
) -> LedgerTransaction:
    """Step 2 of a posting: lock and move the rows that every posting shares, to COMMIT.

    In the fixed order: the budget charged (``charge=(budget, amount_fen)``: ``budget_take``,
    refused with ``budget_exhausted`` or ``budget_closed``), then the accounts by ascending pk,
    whose cached balances move by conditional UPDATEs (never below zero unless allowed; a closed
    account is refused unless the posting is a reversal). A replayed posting settles nothing.
    Returns the transaction."""
    _in_transaction()
    txn = posting.txn
    if posting.replayed:
        return txn
    if posting.settled:
        raise RuntimeError("a posting is settled once")
    posting.settled = True
    if charge is not None:
        budget, amount = charge
        budget_take(budget=budget, amount_fen=amount, at=posting.when)
    raw: dict[int, int] = defaultdict(int)
    sides = {account.pk: account for account, _amount in posting.entries}
    for account, amount in posting.entries:
        raw[account.pk] += amount
    deltas = [(pk, sides[pk].side_sign * raw[pk]) for pk in posting.account_ids]
    inactive_ok = not posting.check_active
    with connection.cursor() as cursor:  # the hot span: fixed statements, no query building
        for pk, delta in deltas:  # ascending pk: the lock order every posting keeps
            cursor.execute(_BALANCE_MOVE, [delta, pk, inactive_ok, delta, delta])
            if cursor.rowcount != 1:
                raise _account_refusal([(pk, delta)])

    if is_staff_actor(posting.actor):
        audit_record(
            actor=posting.actor,
            action="funds.transaction.post",
            obj=txn,
            org=posting.org,
            data={
                "kind": posting.kind,
                "entries": [[account.pk, amount] for account, amount in posting.entries],
                "source": [posting.source_type, posting.source_id] if posting.source_type else None,
                "reverses": posting.reverses.pk if posting.reverses is not None else None,
            },
        )
    return txn


def _post(
    *,
    org: Org,
    kind: str,
    entries: Entries,
    memo: str,
    source: Source | None,
    actor: Any,
    occurred_at: dt.datetime | None,
    reverses: LedgerTransaction | None = None,
    check_active: bool = True,
    charge: tuple[Budget, int] | None = None,
) -> LedgerTransaction:
    """The two steps back to back; a replayed posting comes back with ``txn.replayed``."""
    posting = ledger_rows_write(
        org=org,
        kind=kind,
        entries=entries,
        memo=memo,
        source=source,
        actor=actor,
        occurred_at=occurred_at,
        reverses=reverses,
        check_active=check_active,
    )
    if posting.replayed:
        posting.txn.replayed = True
        return posting.txn
    return ledger_settle(posting, charge=charge)


_BALANCE_MOVE = (
    f"UPDATE {connection.ops.quote_name(FundAccount._meta.db_table)} "  # noqa: S608 - no input
    'SET "balance_fen" = "balance_fen" + %s WHERE "id" = %s AND (%s OR "is_active") '
    'AND (%s >= 0 OR "allow_negative" OR "balance_fen" + %s >= 0)'
)


def _account_refusal(unmoved: list[tuple[int, int]]) -> Refused:
    """Why the balance UPDATE did not move these accounts (their rows are as before it): the
    first closed account, or the first that would go below zero."""
    accounts = FundAccount.objects.in_bulk([pk for pk, _delta in unmoved])
    for pk, _delta in unmoved:
        account = accounts.get(pk)
        if account is not None and not account.is_active:
            return Refused(
                code="account_inactive",
                message=_("The account %(account)s is closed.") % {"account": account.name},
                field="entries",
            )
    for pk, delta in unmoved:
        account = accounts.get(pk)
        if account is not None and account.balance_fen + delta < 0 and not account.allow_negative:
            return Refused(
                code="insufficient_funds",
                message=_("%(account)s holds %(balance)s, less than the %(amount)s needed.")
                % {
                    "account": account.name,
                    "balance": format_fen(account.balance_fen),
                    "amount": format_fen(-delta),
                },
                field="entries",
                status=409,
            )
    return Refused(
        code="invalid_account",
        message=_("An account of this transaction does not exist."),
        field="entries",
    )


@service_atomic
def transaction_post(
    *,
    org: Org,
    kind: str,
    entries: Entries,
    memo: str = "",
    source: Source | None = None,
    actor: Any = None,
    occurred_at: dt.datetime | None = None,
    charge: tuple[Budget, int] | None = None,
) -> LedgerTransaction:
    """Book ``entries`` [(account, signed fen: debit +, credit -), ...] as one transaction.

    Refuses (and writes nothing) unless there are >= 2 non-zero entries summing to zero, on
    active accounts of one federation, leaving no non-negative account below zero. With a
    ``source`` (type, id), a second post of the same kind and source returns the first (with
    ``replayed`` set). ``charge=(budget, amount_fen)`` takes the amount from the budget in the
    same transaction (``budget_take``: refused with ``budget_exhausted`` or ``budget_closed``),
    after the rows are written and before the balances move, so that the shared rows stay
    locked briefly. ``ledger_rows_write`` then ``ledger_settle``, in one call."""
    return _post(
        org=org,
        kind=kind,
        entries=entries,
        memo=memo,
        source=source,
        actor=actor,
        occurred_at=occurred_at,
        charge=charge,
    )


@service_atomic
def transaction_reverse(
    *,
    txn: LedgerTransaction,
    actor: Any,
    memo: str = "",
    kind: str = KIND_REVERSAL,
    source: Source | None = None,
    occurred_at: dt.datetime | None = None,
) -> LedgerTransaction:
    """Book the mirror of ``txn`` (every entry negated). A transaction is reversed at most once,
    and a reversal is never reversed (post a new transaction instead). Reversals may touch
    closed accounts, so that a correction is always possible; balances still may not go below
    zero (reversing a top-up that has already been spent is refused)."""
    original = LedgerTransaction.objects.filter(pk=txn.pk).first()
    if original is None:
        raise Refused(code="not_found", message=_("No such transaction."), status=404)
    if original.reverses_id is not None:
        raise Refused(
            code="reversal_of_reversal", message=_("A reversal cannot be reversed."), status=409
        )
    if source is not None:
        source_type, source_id = _clean_ref(source, field="source")
        again = LedgerTransaction.objects.filter(
            kind=kind, source_type=source_type, source_id=source_id, reverses=original
        ).first()
        if again is not None:
            again.replayed = True
            return again
    if LedgerTransaction.objects.filter(reverses=original).exists():
        raise Refused(
            code="already_reversed",
            message=_("This transaction has already been reversed."),
            status=409,
        )
    mirror = [
        (e.account, -e.amount_fen)
        for e in original.entries.select_related("account").order_by("id")
    ]
    return _post(
        org=original.org,
        kind=kind,
        entries=mirror,
        memo=memo or _("Reversal of #%(id)s") % {"id": original.pk},
        source=source,
        actor=actor,
        occurred_at=occurred_at,
        reverses=original,
        check_active=False,
    )


@service_atomic
def fund_allocate(
    *,
    org: Org,
    from_account: FundAccount,
    to_account: FundAccount,
    amount_fen: int,
    memo: str = "",
    actor: Any = None,
    source: Source | None = None,
    occurred_at: dt.datetime | None = None,
) -> LedgerTransaction:
    """Raise ``to_account``'s balance by ``amount_fen`` against ``from_account``.

    E.g. a welfare top-up: from the bank account (debit bank: the money arrives) to the welfare
    fund (credit welfare: it is earmarked for welfare); or union funds → welfare fund (debit
    union funds: they shrink; credit welfare). Whether ``from_account``'s balance rises or falls
    follows from its normal side."""
    amount = _check_amount(amount_fen)
    if from_account.pk == to_account.pk:
        raise Refused(
            code="same_account", message=_("Choose two different accounts."), field="to_account"
        )
    to_raw = to_account.side_sign * amount
    return _post(
        org=org,
        kind=KIND_ALLOCATION,
        entries=[(from_account, -to_raw), (to_account, to_raw)],
        memo=memo,
        source=source,
        actor=actor,
        occurred_at=occurred_at,
    )
