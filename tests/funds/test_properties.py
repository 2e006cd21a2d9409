"""Property tests (hypothesis, rule-based): for any sequence of top-ups, postings, subsidies
against a budget, reversals and refunds, the ledger stays consistent:

- every transaction sums to zero and has at least two entries;
- every cached balance equals the sum of its entries (and a plain Python model of them);
- no account that may not go negative is below zero;
- every budget stays within 0 <= spent <= cap;
- a refused operation writes nothing at all.

Each run works in its own savepoint (rolled back at teardown) on its own federation."""

from __future__ import annotations

from collections import defaultdict

import pytest
from django.db import transaction
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    consumes,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from gonghui.core.errors import Refused
from gonghui.funds.models import AccountKind, Budget, FundAccount, LedgerEntry, LedgerTransaction
from gonghui.funds.selectors import ledger_verify
from gonghui.funds.services import (
    account_open,
    budget_create,
    budget_release,
    budget_take,
    fund_allocate,
    transaction_post,
    transaction_reverse,
)
from tests.factories import org_child, org_root

pytestmark = pytest.mark.django_db

amounts = st.integers(min_value=1, max_value=50_000)


class _Rollback(Exception):
    pass


class LedgerMachine(RuleBasedStateMachine):
    posted = Bundle("posted")

    def __init__(self) -> None:
        super().__init__()
        self._atomic = transaction.atomic()
        self._atomic.__enter__()
        self.source_seq = 0
        self.refusals = 0

    @initialize()
    def open_books(self) -> None:
        self.fed = org_root()
        self.union = org_child(self.fed)
        kinds = [
            (AccountKind.BANK, None),
            (AccountKind.WELFARE, None),
            (AccountKind.UNION_FUNDS, None),
            (AccountKind.MERCHANT_PAYABLE, ("benefits.merchant", "1")),
            (AccountKind.MERCHANT_PAYABLE, ("benefits.merchant", "2")),
            (AccountKind.CLEARING, None),
        ]
        self.accounts = [account_open(org=self.fed, kind=k, party=p) for k, p in kinds]
        self.bank, self.welfare, self.union_funds, self.pay1, self.pay2, self.clearing = (
            self.accounts
        )
        # The model: raw signed sums (debit +, credit -) per account, and spent per budget.
        self.raw: dict[int, int] = defaultdict(int)
        self.budget = budget_create(
            org=self.union, name="offer", account=self.welfare, cap_fen=200_000
        )
        self.spent = 0
        self.reversed: set[int] = set()
        self.subsidy_budget: dict[int, int] = {}  # subsidy txn id -> amount taken from the budget

    # --- helpers ---------------------------------------------------------------------------
    def _snapshot(self):
        ids = [a.pk for a in self.accounts]
        return (
            LedgerTransaction.objects.filter(org__path__startswith=self.fed.path).count(),
            LedgerEntry.objects.filter(account_id__in=ids).count(),
            sorted(FundAccount.objects.filter(pk__in=ids).values_list("pk", "balance_fen")),
            Budget.objects.get(pk=self.budget.pk).spent_fen,
        )

    def _try(self, fn, *args, **kw):
        """Run fn; on Refused check that nothing at all was written, and return None."""
        before = self._snapshot()
        try:
            return fn(*args, **kw)
        except Refused:
            self.refusals += 1
            assert self._snapshot() == before, "a refusal wrote something"
            return None

    def _book(self, txn: LedgerTransaction) -> None:
        for account_id, amount in txn.entries.values_list("account_id", "amount_fen"):
            self.raw[account_id] += amount

    def _next_source(self) -> tuple[str, int]:
        self.source_seq += 1
        return ("test.prop", self.source_seq)

    # --- rules -----------------------------------------------------------------------------
    @rule(target=posted, amount=amounts)
    def top_up(self, amount):
        txn = self._try(
            fund_allocate,
            org=self.fed,
            from_account=self.bank,
            to_account=self.welfare,
            amount_fen=amount,
        )
        assert txn is not None  # a top-up raises both balances: never refused
        self._book(txn)
        return txn.pk

    @rule(target=posted, amount=amounts)
    def move_to_union_funds(self, amount):
        txn = self._try(
            fund_allocate,
            org=self.fed,
            from_account=self.welfare,
            to_account=self.union_funds,
            amount_fen=amount,
        )
        if txn is None:
            assert -self.raw[self.welfare.pk] < amount  # refused only when welfare is short
            return None
        self._book(txn)
        return txn.pk

    @rule(
        target=posted,
        parts=st.lists(
            st.tuples(st.integers(0, 5), st.integers(-30_000, 30_000)), min_size=1, max_size=5
        ),
        balance_on=st.integers(0, 5),
    )
    def arbitrary_post(self, parts, balance_on):
        """Any balanced set of non-zero entries; refused iff it would take a protected account
        below zero (or an entry is zero)."""
        entries = [(self.accounts[i], amt) for i, amt in parts]
        rest = -sum(amt for _i, amt in parts)
        entries.append((self.accounts[balance_on], rest))
        txn = self._try(transaction_post, org=self.fed, kind="test.post", entries=entries)
        any_zero = any(amt == 0 for _a, amt in entries)
        projected = dict(self.raw)
        for account, amt in entries:
            projected[account.pk] = projected.get(account.pk, 0) + amt
        goes_negative = any(
            not a.allow_negative and a.side_sign * projected.get(a.pk, 0) < 0 for a in self.accounts
        )
        if txn is None:
            assert any_zero or goes_negative
            return None
        assert not any_zero and not goes_negative
        self._book(txn)
        return txn.pk

    @rule(target=posted, amount=st.integers(1, 40_000), merchant=st.integers(0, 1))
    def subsidy(self, amount, merchant):
        """A redemption: budget take and ledger posting in one transaction."""
        payable = (self.pay1, self.pay2)[merchant]

        def redeem():
            with transaction.atomic():
                budget_take(budget=self.budget, amount_fen=amount)
                return transaction_post(
                    org=self.union,
                    kind="benefits.subsidy",
                    entries=[(self.welfare, amount), (payable, -amount)],
                    source=self._next_source(),
                )

        txn = self._try(redeem)
        if txn is None:
            assert self.spent + amount > self.budget.cap_fen or -self.raw[self.welfare.pk] < amount
            return None
        self.spent += amount
        self.subsidy_budget[txn.pk] = amount
        self._book(txn)
        return txn.pk

    @rule(txn_id=consumes(posted))
    def reverse(self, txn_id):
        if txn_id is None:
            return
        txn = LedgerTransaction.objects.get(pk=txn_id)
        taken = self.subsidy_budget.get(txn_id)

        def refund():
            with transaction.atomic():
                if taken:
                    budget_release(budget=self.budget, amount_fen=taken)
                return transaction_reverse(txn=txn, actor=None)

        rev = self._try(refund)
        if rev is None:
            # refused only when undoing it would take a protected account below zero
            projected = dict(self.raw)
            for account_id, amt in txn.entries.values_list("account_id", "amount_fen"):
                projected[account_id] = projected.get(account_id, 0) - amt
            assert any(
                not a.allow_negative and a.side_sign * projected.get(a.pk, 0) < 0
                for a in self.accounts
            )
            return
        self.reversed.add(txn_id)
        if taken:
            self.spent -= taken
        self._book(rev)
        # a second reversal and a reversal of the reversal are refused, writing nothing
        assert self._try(transaction_reverse, txn=txn, actor=None) is None
        assert self._try(transaction_reverse, txn=rev, actor=None) is None

    @precondition(lambda self: self.source_seq > 0)
    @rule()
    def retry_last_subsidy_source(self):
        """A retried subsidy with a source already booked returns the first transaction."""
        last = (
            LedgerTransaction.objects.filter(
                kind="benefits.subsidy", source_type="test.prop", org=self.union
            )
            .order_by("-id")
            .first()
        )
        if last is None:
            return
        entries = [(e.account, e.amount_fen) for e in last.entries.select_related("account")]
        again = self._try(
            transaction_post,
            org=self.union,
            kind="benefits.subsidy",
            entries=entries,
            source=(last.source_type, last.source_id),
        )
        assert again is not None and again.pk == last.pk

    # --- invariants ------------------------------------------------------------------------
    @invariant()
    def ledger_is_consistent(self):
        if not hasattr(self, "accounts"):
            return
        check = ledger_verify(
            accounts=FundAccount.objects.filter(pk__in=[a.pk for a in self.accounts])
        )
        assert check.ok, check
        balances = dict(
            FundAccount.objects.filter(pk__in=[a.pk for a in self.accounts]).values_list(
                "pk", "balance_fen"
            )
        )
        for a in self.accounts:
            assert balances[a.pk] == a.side_sign * self.raw[a.pk]
            if not a.allow_negative:
                assert balances[a.pk] >= 0

    @invariant()
    def budget_within_cap(self):
        if not hasattr(self, "budget"):
            return
        b = Budget.objects.get(pk=self.budget.pk)
        assert 0 <= b.spent_fen <= b.cap_fen
        assert b.spent_fen == self.spent

    def teardown(self) -> None:
        transaction.set_rollback(True)
        self._atomic.__exit__(None, None, None)


def test_ledger_state_machine():
    run_state_machine_as_test(
        LedgerMachine,
        settings=settings(
            max_examples=25,
            stateful_step_count=20,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        ),
    )
