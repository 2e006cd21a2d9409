"""Reads on the funds ledger: balances, statements, totals, and the ledger's self-check.

Statement periods are half-open, [start, end), on ``occurred_at``. Amounts are fen; an
account's balance is presented on its normal side (see models.py)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, IntegerField, OuterRef, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from gonghui.core.errors import NotFound
from gonghui.orgs.models import Org
from gonghui.orgs.scoping import scope

from .models import AccountKind, Budget, FundAccount, LedgerEntry, LedgerTransaction, NormalSide

VIEW = "funds.view"


def _positive() -> Q:
    return Q(amount_fen__gt=0)


def _negative() -> Q:
    return Q(amount_fen__lt=0)


# --- scoped querysets (every staff read goes through these) --------------------------------------
def accounts_visible(*, user: Any) -> QuerySet[FundAccount]:
    return scope(FundAccount.objects.select_related("org"), user, VIEW)


def budgets_visible(*, user: Any) -> QuerySet[Budget]:
    return scope(Budget.objects.select_related("org", "account"), user, VIEW)


def transactions_visible(*, user: Any) -> QuerySet[LedgerTransaction]:
    return scope(LedgerTransaction.objects.select_related("org"), user, VIEW)


def account_get_visible(*, user: Any, account_id: int) -> FundAccount:
    """The account if ``user`` may see it; otherwise NotFound (404), absent or out of scope alike."""
    account = accounts_visible(user=user).filter(pk=account_id).first()
    if account is None:
        raise NotFound()
    return account


def transaction_for_source(*, kind: str, source: tuple[str, Any]) -> LedgerTransaction | None:
    """The transaction booked for (kind, source), if any (for callers that check before acting)."""
    return LedgerTransaction.objects.filter(
        kind=kind, source_type=str(source[0]), source_id=str(source[1])
    ).first()


# --- balances --------------------------------------------------------------------------------
def account_balance(*, account: FundAccount) -> int:
    """The account's balance on its normal side, as committed now (fen)."""
    return FundAccount.objects.values_list("balance_fen", flat=True).get(pk=account.pk)


def _entry_sum(qs: QuerySet[LedgerEntry]) -> int:
    return int(qs.aggregate(total=Coalesce(Sum("amount_fen"), Value(0)))["total"])


def account_balance_computed(*, account: FundAccount, at: dt.datetime | None = None) -> int:
    """The balance recomputed from the entries (optionally of those before ``at``)."""
    qs = LedgerEntry.objects.filter(account_id=account.pk)
    if at is not None:
        qs = qs.filter(occurred_at__lt=at)
    return account.side_sign * _entry_sum(qs)


@dataclass(frozen=True)
class BalanceMismatch:
    account_id: int
    account_name: str
    cached_fen: int
    computed_fen: int


@dataclass(frozen=True)
class LedgerCheck:
    """The result of ``ledger_verify``: empty lists mean the ledger is consistent."""

    accounts_checked: int
    mismatches: list[BalanceMismatch]
    negative_accounts: list[int]
    unbalanced_transactions: list[int]

    @property
    def ok(self) -> bool:
        return not (self.mismatches or self.negative_accounts or self.unbalanced_transactions)


def ledger_verify(*, accounts: QuerySet[FundAccount] | None = None) -> LedgerCheck:
    """Recompute every balance from the entries and compare it with the cached one; list
    non-negative accounts below zero and transactions (of these accounts) that do not sum to
    zero or have fewer than two entries."""
    scoped = accounts is not None
    accounts = FundAccount.objects.all() if accounts is None else accounts
    sums = (
        LedgerEntry.objects.filter(account_id=OuterRef("pk"))
        .order_by()
        .values("account_id")
        .annotate(total=Sum("amount_fen"))
        .values("total")
    )
    rows = (
        accounts.order_by("pk")
        .annotate(raw_total=Coalesce(Subquery(sums, output_field=IntegerField()), Value(0)))
        .values_list("pk", "name", "normal_side", "allow_negative", "balance_fen", "raw_total")
    )
    mismatches: list[BalanceMismatch] = []
    negative: list[int] = []
    count = 0
    for pk, name, side, allow_negative, cached, raw_total in rows:
        count += 1
        computed = (1 if side == NormalSide.DEBIT else -1) * int(raw_total)
        if computed != cached:
            mismatches.append(BalanceMismatch(pk, name, cached, computed))
        if not allow_negative and cached < 0:
            negative.append(pk)
    txns = LedgerTransaction.objects.filter(entries__account__in=accounts).distinct().values("pk")
    unbalanced = list(
        LedgerEntry.objects.filter(transaction_id__in=txns)
        .order_by()
        .values("transaction_id")
        .annotate(total=Sum("amount_fen"), n=Count("id"))
        .exclude(total=0, n__gte=2)
        .values_list("transaction_id", flat=True)
    )
    # A transaction with no entries at all (impossible on PostgreSQL: the deferred trigger).
    empty = LedgerTransaction.objects.filter(entries__isnull=True)
    if scoped:
        empty = empty.filter(org__in=Org.objects.filter(fund_accounts__in=accounts))
    unbalanced += list(empty.values_list("pk", flat=True))
    return LedgerCheck(count, mismatches, negative, sorted(set(unbalanced)))


# --- statements ------------------------------------------------------------------------------
@dataclass(frozen=True)
class StatementLine:
    entry_id: int
    transaction_id: int
    occurred_at: dt.datetime
    kind: str
    memo: str
    debit_fen: int
    credit_fen: int
    balance_fen: int  # running balance after this line, on the account's normal side


@dataclass
class Statement:
    account: FundAccount
    start: dt.datetime
    end: dt.datetime
    opening_fen: int
    debits_fen: int
    credits_fen: int
    closing_fen: int
    line_count: int
    lines: list[StatementLine] = field(default_factory=list)
    offset: int = 0


def _period_entries(
    account: FundAccount, start: dt.datetime, end: dt.datetime
) -> QuerySet[LedgerEntry]:
    return LedgerEntry.objects.filter(
        account_id=account.pk, occurred_at__gte=start, occurred_at__lt=end
    )


def account_statement(
    *,
    account: FundAccount,
    start: dt.datetime,
    end: dt.datetime,
    offset: int = 0,
    limit: int | None = None,
) -> Statement:
    """Opening balance at ``start``, the entries in [start, end) in booking order (by time,
    then id) with a running balance, and the closing balance at ``end``. ``offset``/``limit``
    page the lines; the totals always cover the whole period."""
    sign = account.side_sign
    opening = account_balance_computed(account=account, at=start)
    period = _period_entries(account, start, end)
    totals = period.order_by().aggregate(
        debits=Coalesce(Sum("amount_fen", filter=_positive()), Value(0)),
        credits=Coalesce(Sum("amount_fen", filter=_negative()), Value(0)),
        n=Count("id"),
    )
    debits, credits = int(totals["debits"]), -int(totals["credits"])
    ordered = period.order_by("occurred_at", "id")
    running = opening
    if offset:
        running += sign * _entry_sum(ordered[:offset])
    page = ordered[offset : offset + limit] if limit is not None else ordered[offset:]
    lines: list[StatementLine] = []
    for entry in page.select_related("transaction"):
        running += sign * entry.amount_fen
        lines.append(
            StatementLine(
                entry_id=entry.pk,
                transaction_id=entry.transaction_id,
                occurred_at=entry.occurred_at,
                kind=entry.transaction.kind,
                memo=entry.transaction.memo,
                debit_fen=entry.debit_fen,
                credit_fen=entry.credit_fen,
                balance_fen=running,
            )
        )
    return Statement(
        account=account,
        start=start,
        end=end,
        opening_fen=opening,
        debits_fen=debits,
        credits_fen=credits,
        closing_fen=opening + sign * (debits - credits),
        line_count=int(totals["n"]),
        lines=lines,
        offset=offset,
    )


@dataclass(frozen=True)
class PeriodSummary:
    account_id: int
    org_id: int
    kind: str
    name: str
    opening_fen: int
    debits_fen: int
    credits_fen: int
    closing_fen: int


def period_summaries(
    *, accounts: QuerySet[FundAccount], start: dt.datetime, end: dt.datetime
) -> list[PeriodSummary]:
    """Opening, debits, credits and closing of each account for [start, end), in three queries."""
    accounts_list = list(accounts.order_by("pk"))
    ids = [a.pk for a in accounts_list]
    before = dict(
        LedgerEntry.objects.filter(account_id__in=ids, occurred_at__lt=start)
        .order_by()
        .values("account_id")
        .annotate(total=Sum("amount_fen"))
        .values_list("account_id", "total")
    )
    during = {
        row["account_id"]: row
        for row in LedgerEntry.objects.filter(
            account_id__in=ids, occurred_at__gte=start, occurred_at__lt=end
        )
        .order_by()
        .values("account_id")
        .annotate(
            debits=Coalesce(Sum("amount_fen", filter=_positive()), Value(0)),
            credits=Coalesce(Sum("amount_fen", filter=_negative()), Value(0)),
        )
    }
    out: list[PeriodSummary] = []
    for a in accounts_list:
        sign = a.side_sign
        opening = sign * int(before.get(a.pk) or 0)
        row = during.get(a.pk)
        debits = int(row["debits"]) if row else 0
        credits = -int(row["credits"]) if row else 0
        out.append(
            PeriodSummary(
                a.pk,
                a.org_id,
                a.kind,
                a.name,
                opening,
                debits,
                credits,
                opening + sign * (debits - credits),
            )
        )
    return out


# --- totals for the dashboard ----------------------------------------------------------------
def fund_totals(*, org: Org) -> dict[str, int]:
    """The summed balances of the accounts of ``org``'s subtree, by account kind (fen)."""
    rows = (
        FundAccount.objects.filter(org__path__startswith=org.path)
        .order_by()
        .values("kind")
        .annotate(total=Sum("balance_fen"))
    )
    return {row["kind"]: int(row["total"] or 0) for row in rows}


def fund_flows(*, org: Org, start: dt.datetime, end: dt.datetime) -> dict[str, dict[str, int]]:
    """Debits and credits booked in [start, end) on the subtree's accounts, by account kind."""
    rows = (
        LedgerEntry.objects.filter(
            account__org__path__startswith=org.path, occurred_at__gte=start, occurred_at__lt=end
        )
        .order_by()
        .values("account__kind")
        .annotate(
            debits=Coalesce(Sum("amount_fen", filter=_positive()), Value(0)),
            credits=Coalesce(Sum("amount_fen", filter=_negative()), Value(0)),
        )
    )
    return {
        row["account__kind"]: {
            "debits_fen": int(row["debits"]),
            "credits_fen": -int(row["credits"]),
        }
        for row in rows
    }


# --- money spent: the dashboard, the figures and the report ------------------------------

#: The accounts that hold union money (credit-normal funds): a debit on one is money spent.
FUND_KINDS = (
    AccountKind.UNION_FUNDS,
    AccountKind.WELFARE,
    AccountKind.MUTUAL_AID,
    AccountKind.ASSISTANCE,
)
#: Transaction kinds that move money between the union's own accounts: not spending.
TRANSFER_KINDS = ("allocation",)


def spending(*, org: Org, start: dt.datetime, end: dt.datetime) -> dict[tuple[str, str], int]:
    """Money spent from the funds of ``org``'s subtree in [start, end), fen, by (fund account
    kind, purpose): the one definition of money spent (the dashboard, the figures, the report).

    Spending is a debit on a fund (credit-normal: money leaves it) that reverses nothing, less
    the credits of the reversals of such debits (a voided subsidy, a refunded activity
    subsidy), each in the period it is booked — so a period's figure may be negative when it
    undoes more than it spends, and the periods add up. The purpose is the transaction's kind
    (``benefits.subsidy``, ``assistance.help``, …), a reversal's that of what it reverses.
    Money received into a fund (a premium, a top-up: a credit) and its reversal are not
    spending; allocations between the union's own accounts are not, whichever side. Only the
    funds count (``FUND_KINDS``), never payables, bank or clearing accounts. One query."""
    rows = (
        LedgerEntry.objects.filter(
            account__org__path__startswith=org.path,
            account__kind__in=FUND_KINDS,
            occurred_at__gte=start,
            occurred_at__lt=end,
        )
        .filter(
            Q(amount_fen__gt=0, transaction__reverses__isnull=True)
            | Q(amount_fen__lt=0, transaction__reverses__isnull=False)
        )
        .annotate(purpose=Coalesce("transaction__reverses__kind", "transaction__kind"))
        .exclude(purpose__in=TRANSFER_KINDS)
        .order_by()
        .values("account__kind", "purpose")
        .annotate(total=Sum("amount_fen"))
    )
    return {
        (row["account__kind"], row["purpose"]): int(row["total"]) for row in rows if row["total"]
    }


#: The funds money is spent from, as the figures registry publishes them (one figure each).
SPENDING_FUNDS = FUND_KINDS


def spent_fen(*, org: Org, kind: str, start: dt.datetime, end: dt.datetime) -> int:
    """Money spent in [start, end) from the ``kind`` fund accounts of ``org``'s subtree, net of
    reversals (fen): :func:`spending` of that fund, over every purpose."""
    by = spending(org=org, start=start, end=end)
    return sum(total for (fund, _purpose), total in by.items() if fund == kind)


def figure_spent_from(kind: str) -> Any:
    """The ``members.figures`` compute of ``spent_fen`` for one fund kind."""

    def compute(query: Any) -> int:
        return spent_fen(org=query.org, kind=kind, start=query.start, end=query.end)

    return compute
