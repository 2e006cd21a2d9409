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
- order of a posting: the transaction row (its unique source key makes a duplicate wait there),
  the entries, then the rows others share, each locked to COMMIT: the budget charged
  (``charge=``, or ``budget_take`` called before), then the touched accounts by ascending pk;
- inside ``core.db.atomic_whole`` these services join the caller's transaction without
  savepoints (``core.db.service_atomic``).
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from collections.abc import Callable, Sequence
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from gonghui.core.audit import audit_record
from gonghui.core.db import insert_many, insert_or_skip, service_atomic
from gonghui.core.errors import Refused
from gonghui.core.money import format_fen
from gonghui.core.timeutil import now
from gonghui.orgs.models import Org

from .models import (
    NEGATIVE_ALLOWED_KINDS,
    AccountKind,
    Budget,
    BudgetScope,
    FundAccount,
    LedgerEntry,
    LedgerTransaction,
    normal_side_of,
)

#: The largest amount one entry or one budget may carry: 100 billion yuan.
MAX_AMOUNT_FEN = 10**13
#: The most entries one transaction may have.
MAX_ENTRIES = 500

KIND_ALLOCATION = "allocation"
KIND_REVERSAL = "reversal"

_KIND_RE = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)*$")

Source = tuple[str, Any]
Entries = Sequence[tuple[FundAccount, int]]


# --- helpers ---------------------------------------------------------------------------------
def _is_staff_actor(actor: Any) -> bool:
    return bool(getattr(actor, "is_authenticated", False))


def _deployment(org_path: str) -> str:
    """The root federation's path: every org of one deployment shares it."""
    return org_path[: Org.steplen]


def _check_amount(amount_fen: Any, *, field: str = "amount_fen", positive: bool = True) -> int:
    if not isinstance(amount_fen, int) or isinstance(amount_fen, bool):
        raise Refused(
            code="invalid_amount",
            message=_("An amount must be a whole number of fen."),
            field=field,
        )
    if positive and amount_fen <= 0:
        raise Refused(
            code="invalid_amount", message=_("The amount must be more than zero."), field=field
        )
    if amount_fen == 0:
        raise Refused(code="zero_entry", message=_("A ledger entry cannot be zero."), field=field)
    if abs(amount_fen) > MAX_AMOUNT_FEN:
        raise Refused(code="amount_too_large", message=_("The amount is too large."), field=field)
    return amount_fen


def _clean_ref(ref: Source | None, *, field: str) -> tuple[str, str]:
    """A (type, id) reference as two non-empty strings of at most 64 characters, or ("", "")."""
    if ref is None:
        return "", ""
    try:
        ref_type, ref_id = ref
    except (TypeError, ValueError):
        raise Refused(
            code="invalid_reference", message=_("A reference is a (type, id) pair."), field=field
        ) from None
    ref_type, ref_id = str(ref_type).strip(), str(ref_id).strip()
    if not ref_type or not ref_id or len(ref_type) > 64 or len(ref_id) > 64:
        raise Refused(
            code="invalid_reference",
            message=_("A reference needs a type and an id of at most 64 characters each."),
            field=field,
        )
    return ref_type, ref_id


def _check_occurred_at(occurred_at: dt.datetime | None) -> dt.datetime:
    if occurred_at is None:
        return now()
    if timezone.is_naive(occurred_at):
        raise Refused(
            code="naive_time", message=_("The time must carry a time zone."), field="occurred_at"
        )
    return occurred_at


# --- accounts --------------------------------------------------------------------------------
@transaction.atomic
def account_open(
    *,
    org: Org,
    kind: str,
    party: Source | None = None,
    name: str = "",
    allow_negative: bool | None = None,
    actor: Any = None,
) -> FundAccount:
    """Get or create the org's account of ``kind`` (for ``party``, e.g. ("benefits.merchant", 7))."""
    if kind not in AccountKind.values:
        raise Refused(code="invalid_kind", message=_("Unknown account kind."), field="kind")
    party_type, party_id = _clean_ref(party, field="party")
    if not name:
        name = str(AccountKind(kind).label) + (f" {party_type}:{party_id}" if party_type else "")
    if len(name) > 120:
        raise Refused(code="invalid_name", message=_("The name is too long."), field="name")
    account, created = FundAccount.objects.get_or_create(
        org=org,
        kind=kind,
        party_type=party_type,
        party_id=party_id,
        defaults={
            "name": name,
            "normal_side": normal_side_of(kind),
            "allow_negative": kind in NEGATIVE_ALLOWED_KINDS
            if allow_negative is None
            else allow_negative,
        },
    )
    if created and _is_staff_actor(actor):
        audit_record(
            actor=actor,
            action="funds.account.open",
            obj=account,
            org=org,
            data={"kind": kind, "party": [party_type, party_id] if party_type else None},
        )
    return account


@transaction.atomic
def account_update(
    *, account: FundAccount, actor: Any, name: str | None = None, is_active: bool | None = None
) -> FundAccount:
    """Rename or (de)activate an account; never touches its balance."""
    locked = FundAccount.objects.select_for_update().get(pk=account.pk)
    changed: list[str] = []
    if name is not None and name != locked.name:
        if not name.strip() or len(name) > 120:
            raise Refused(
                code="invalid_name", message=_("A name is 1 to 120 characters."), field="name"
            )
        locked.name = name.strip()
        changed.append("name")
    if is_active is not None and is_active != locked.is_active:
        locked.is_active = is_active
        changed.append("is_active")
    if changed:
        locked.save(update_fields=changed)
        if _is_staff_actor(actor):
            audit_record(
                actor=actor,
                action="funds.account.update",
                obj=locked,
                org=locked.org,
                data={f: getattr(locked, f) for f in changed},
            )
    return locked


# --- transactions ----------------------------------------------------------------------------
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
    existing.replayed = True
    if not _same_postings(existing, org, entries):
        raise Refused(
            code="source_reused",
            message=_("This source has already been booked with different entries."),
            field="source",
            status=409,
        )
    return existing


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
    written: Callable[[LedgerTransaction], None] | None = None,
) -> LedgerTransaction:
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

    # 1. The transaction row, unless its source (or what it reverses) is already booked: then a
    #    retry returns the first posting. A racing duplicate waits at this INSERT, holding no
    #    account lock, until the first commits (or rolls back, and then it inserts).
    txn = LedgerTransaction(
        org=org,
        kind=kind,
        memo=memo,
        occurred_at=when,
        created_by=actor if _is_staff_actor(actor) else None,
        source_type=source_type,
        source_id=source_id,
        reverses=reverses,
    )
    if not insert_or_skip(txn):
        if source_type:
            existing = _existing_for_source(kind, source_type, source_id, org, clean)
            if existing is not None:
                return existing
        if reverses is not None and LedgerTransaction.objects.filter(reverses=reverses).exists():
            raise Refused(
                code="already_reversed",
                message=_("This transaction has already been reversed."),
                status=409,
            )
        raise IntegrityError("ledger transaction conflicts with a unique constraint")

    # 2. The accounts exist and belong to the transaction's federation (no lock: an account's
    #    org never changes).
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
    home = _deployment(org.path)
    if any(_deployment(path) != home for path in paths.values()):
        raise Refused(
            code="cross_deployment",
            message=_("All accounts of a transaction must belong to the same federation."),
            field="entries",
        )

    # 3. The entries, in the order given (their rows lock nothing that others wait for).
    insert_many(
        [
            LedgerEntry(transaction=txn, account_id=account.pk, amount_fen=amount, occurred_at=when)
            for account, amount in clean
        ]
    )

    if written is not None:
        written(txn)

    # 4. Last, the rows that every posting of a budget or an account shares, each locked to
    #    COMMIT, in the fixed order: the budget charged, then the accounts by ascending pk. The
    #    cached balances move by conditional UPDATEs (never below zero unless allowed; a closed
    #    account is refused unless ``check_active`` is off, as for reversals).
    if charge is not None:
        budget, amount = charge
        budget_take(budget=budget, amount_fen=amount, at=when)
    raw: dict[int, int] = defaultdict(int)
    sides = {account.pk: account for account, _amount in clean}
    for account, amount in clean:
        raw[account.pk] += amount
    deltas = [(pk, sides[pk].side_sign * raw[pk]) for pk in ids]
    with connection.cursor() as cursor:  # the hot span: fixed statements, no query building
        for pk, delta in deltas:  # ascending pk: the lock order every posting keeps
            cursor.execute(_BALANCE_MOVE, [delta, pk, not check_active, delta, delta])
            if cursor.rowcount != 1:
                raise _account_refusal([(pk, delta)])

    if _is_staff_actor(actor):
        audit_record(
            actor=actor,
            action="funds.transaction.post",
            obj=txn,
            org=org,
            data={
                "kind": kind,
                "entries": [[account.pk, amount] for account, amount in clean],
                "source": [source_type, source_id] if source_type else None,
                "reverses": reverses.pk if reverses is not None else None,
            },
        )
    return txn


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
    written: Callable[[LedgerTransaction], None] | None = None,
) -> LedgerTransaction:
    """Book ``entries`` [(account, signed fen: debit +, credit -), ...] as one transaction.

    Refuses (and writes nothing) unless there are >= 2 non-zero entries summing to zero, on
    active accounts of one federation, leaving no non-negative account below zero. With a
    ``source`` (type, id), a second post of the same kind and source returns the first.
    ``charge=(budget, amount_fen)`` takes the amount from the budget in the same transaction
    (``budget_take``: refused with ``budget_exhausted`` or ``budget_closed``), after the rows
    are written and before the balances move, so that the shared rows stay locked briefly.
    ``written(txn)`` is called once the rows are written and before any shared row is locked:
    the place for the caller's own rows that point at the transaction."""
    return _post(
        org=org,
        kind=kind,
        entries=entries,
        memo=memo,
        source=source,
        actor=actor,
        occurred_at=occurred_at,
        charge=charge,
        written=written,
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


# --- budgets ---------------------------------------------------------------------------------
def _check_window(valid_from: dt.datetime | None, valid_until: dt.datetime | None) -> None:
    for value, field in ((valid_from, "valid_from"), (valid_until, "valid_until")):
        if value is not None and timezone.is_naive(value):
            raise Refused(
                code="naive_time", message=_("The time must carry a time zone."), field=field
            )
    if valid_from is not None and valid_until is not None and valid_until <= valid_from:
        raise Refused(
            code="invalid_window",
            message=_("The end of the window must come after its start."),
            field="valid_until",
        )


@transaction.atomic
def budget_create(
    *,
    org: Org,
    name: str,
    account: FundAccount,
    cap_fen: int,
    scope_kind: str = BudgetScope.OTHER,
    source: Source | None = None,
    valid_from: dt.datetime | None = None,
    valid_until: dt.datetime | None = None,
    actor: Any = None,
) -> Budget:
    """A budget of ``cap_fen`` drawing on ``account`` (one of the same federation)."""
    name = (name or "").strip()
    if not name or len(name) > 120:
        raise Refused(
            code="invalid_name", message=_("A name is 1 to 120 characters."), field="name"
        )
    if (
        not isinstance(cap_fen, int)
        or isinstance(cap_fen, bool)
        or cap_fen < 0
        or cap_fen > MAX_AMOUNT_FEN
    ):
        raise Refused(
            code="invalid_amount",
            message=_("The cap must be a whole number of fen, zero or more."),
            field="cap_fen",
        )
    if scope_kind not in BudgetScope.values:
        raise Refused(code="invalid_scope", message=_("Unknown budget scope."), field="scope_kind")
    source_type, source_id = _clean_ref(source, field="source")
    _check_window(valid_from, valid_until)
    account_org = Org.objects.only("path").get(pk=account.org_id)
    if _deployment(account_org.path) != _deployment(Org.objects.only("path").get(pk=org.pk).path):
        raise Refused(
            code="cross_deployment",
            message=_("A budget must draw on an account of the same federation."),
            field="account",
        )
    budget = Budget.objects.create(
        org=org,
        name=name,
        scope_kind=scope_kind,
        source_type=source_type,
        source_id=source_id,
        account=account,
        cap_fen=cap_fen,
        valid_from=valid_from,
        valid_until=valid_until,
    )
    if _is_staff_actor(actor):
        audit_record(
            actor=actor,
            action="funds.budget.create",
            obj=budget,
            org=org,
            data={"cap_fen": cap_fen, "account": account.pk, "scope": scope_kind},
        )
    return budget


_UNSET: Any = object()


@transaction.atomic
def budget_update(
    *,
    budget: Budget,
    actor: Any,
    name: str | None = None,
    cap_fen: int | None = None,
    valid_from: Any = _UNSET,
    valid_until: Any = _UNSET,
    is_active: bool | None = None,
) -> Budget:
    """Change a budget's name, cap, window or state under a row lock; ``spent_fen`` is never
    written here (it moves only through budget_take/budget_release), and the cap may not go
    below what is already spent."""
    locked = Budget.objects.select_for_update().get(pk=budget.pk)
    changed: dict[str, Any] = {}
    if name is not None and name.strip() != locked.name:
        if not name.strip() or len(name.strip()) > 120:
            raise Refused(
                code="invalid_name", message=_("A name is 1 to 120 characters."), field="name"
            )
        changed["name"] = name.strip()
    if cap_fen is not None and cap_fen != locked.cap_fen:
        if (
            not isinstance(cap_fen, int)
            or isinstance(cap_fen, bool)
            or cap_fen < 0
            or cap_fen > MAX_AMOUNT_FEN
        ):
            raise Refused(
                code="invalid_amount",
                message=_("The cap must be a whole number of fen, zero or more."),
                field="cap_fen",
            )
        if cap_fen < locked.spent_fen:
            raise Refused(
                code="cap_below_spent",
                message=_("The cap may not be below what is already spent (%(spent)s).")
                % {"spent": format_fen(locked.spent_fen)},
                field="cap_fen",
            )
        changed["cap_fen"] = cap_fen
    new_from = locked.valid_from if valid_from is _UNSET else valid_from
    new_until = locked.valid_until if valid_until is _UNSET else valid_until
    _check_window(new_from, new_until)
    if new_from != locked.valid_from:
        changed["valid_from"] = new_from
    if new_until != locked.valid_until:
        changed["valid_until"] = new_until
    if is_active is not None and is_active != locked.is_active:
        changed["is_active"] = is_active
    if changed:
        for field, value in changed.items():
            setattr(locked, field, value)
        locked.save(update_fields=list(changed))
        if _is_staff_actor(actor):
            audit_record(
                actor=actor,
                action="funds.budget.update",
                obj=locked,
                org=locked.org,
                data={
                    k: (v.isoformat() if isinstance(v, dt.datetime) else v)
                    for k, v in changed.items()
                },
            )
    return locked


_BUDGET_TAKE = (
    f"UPDATE {connection.ops.quote_name(Budget._meta.db_table)} "  # noqa: S608 - no input
    'SET "spent_fen" = "spent_fen" + %s WHERE "id" = %s AND "is_active" '
    'AND ("valid_from" IS NULL OR "valid_from" <= %s) '
    'AND ("valid_until" IS NULL OR "valid_until" > %s) AND "spent_fen" <= "cap_fen" - %s'
)


@service_atomic
def budget_take(*, budget: Budget, amount_fen: int, at: dt.datetime | None = None) -> None:
    """Take ``amount_fen`` from the budget, or refuse with ``budget_exhausted`` / ``budget_closed``.

    One conditional UPDATE: it succeeds only while spent + amount <= cap (the row lock it takes
    serialises concurrent takers; the CHECK constraint stands behind it). Call it inside the
    same transaction as the ledger posting it pays for."""
    amount = _check_amount(amount_fen)
    when = _check_occurred_at(at)
    with connection.cursor() as cursor:  # a hot row: a fixed statement, no query building
        at_db = connection.ops.adapt_datetimefield_value(when)
        cursor.execute(_BUDGET_TAKE, [amount, budget.pk, at_db, at_db, amount])
        if cursor.rowcount == 1:
            return
    open_now = (
        Q(is_active=True)
        & (Q(valid_from__isnull=True) | Q(valid_from__lte=when))
        & (Q(valid_until__isnull=True) | Q(valid_until__gt=when))
    )
    current = Budget.objects.filter(pk=budget.pk).first()
    if current is None:
        raise Refused(code="not_found", message=_("No such budget."), status=404)
    if not Budget.objects.filter(open_now, pk=budget.pk).exists():
        raise Refused(code="budget_closed", message=_("This budget is not open now."), status=409)
    raise Refused(
        code="budget_exhausted",
        message=_("The budget has %(left)s left, less than the %(amount)s needed.")
        % {"left": format_fen(current.left_fen), "amount": format_fen(amount)},
        status=409,
    )


@service_atomic
def budget_release(*, budget: Budget, amount_fen: int) -> None:
    """Give ``amount_fen`` back to the budget (a refund); never below zero spent."""
    amount = _check_amount(amount_fen)
    released = Budget.objects.filter(pk=budget.pk, spent_fen__gte=amount).update(
        spent_fen=F("spent_fen") - amount
    )
    if released != 1:
        raise Refused(
            code="budget_release_exceeds",
            message=_("More would be released than the budget has spent."),
            status=409,
        )
