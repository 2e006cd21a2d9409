"""Ledger services: posting, refusals that write nothing, allocation, reversal, idempotency,
budgets, audit, append-only."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import transaction

from gonghui.core.errors import Refused
from gonghui.core.models import AuditEntry
from gonghui.funds.models import (
    AccountKind,
    Budget,
    BudgetScope,
    FundAccount,
    LedgerEntry,
    LedgerTransaction,
    NormalSide,
)
from gonghui.funds.selectors import (
    account_balance,
    account_balance_computed,
    ledger_verify,
    transaction_for_source,
)
from gonghui.funds.services import (
    MAX_AMOUNT_FEN,
    account_open,
    account_update,
    budget_create,
    budget_release,
    budget_take,
    budget_update,
    fund_allocate,
    transaction_post,
    transaction_reverse,
)
from gonghui.orgs.models import Role
from tests.factories import make_staff, org_root

pytestmark = pytest.mark.django_db


def _snapshot():
    return (
        LedgerTransaction.objects.count(),
        LedgerEntry.objects.count(),
        sorted(FundAccount.objects.values_list("pk", "balance_fen")),
        sorted(Budget.objects.values_list("pk", "spent_fen")),
        AuditEntry.objects.count(),
    )


def _refused(code: str, fn, **kw) -> Refused:
    before = _snapshot()
    with pytest.raises(Refused) as info:
        fn(**kw)
    assert info.value.code == code, info.value.as_dict()
    assert _snapshot() == before, "a refusal must leave nothing written"
    return info.value


def _subsidy(books, amount, source=None, **kw):
    return transaction_post(
        org=books.union,
        kind="benefits.subsidy",
        entries=[(books.welfare, amount), (books.payable, -amount)],
        source=source,
        **kw,
    )


# --- accounts ------------------------------------------------------------------------------
def test_account_open_is_get_or_create_with_normal_side(books):
    again = account_open(org=books.fed, kind=AccountKind.WELFARE)
    assert again.pk == books.welfare.pk
    assert books.welfare.normal_side == NormalSide.CREDIT and books.welfare.side_sign == -1
    assert books.bank.normal_side == NormalSide.DEBIT and books.bank.side_sign == 1
    other = account_open(
        org=books.fed, kind=AccountKind.MERCHANT_PAYABLE, party=("benefits.merchant", "2")
    )
    assert other.pk != books.payable.pk and other.party == ("benefits.merchant", "2")
    clearing = account_open(org=books.fed, kind=AccountKind.CLEARING)
    assert clearing.allow_negative is True
    assert books.welfare.allow_negative is False


def test_account_open_refuses_unknown_kind_and_bad_party(books):
    _refused("invalid_kind", account_open, org=books.fed, kind="gold")
    _refused(
        "invalid_reference", account_open, org=books.fed, kind=AccountKind.CASH, party=("x", "")
    )


def test_account_open_by_staff_is_audited(books):
    staff = make_staff(books.fed, Role.FEDERATION_ADMIN)
    account = account_open(org=books.fed, kind=AccountKind.ASSISTANCE, actor=staff)
    entry = AuditEntry.objects.get(action="funds.account.open")
    assert entry.object_id == str(account.pk) and entry.actor == staff


# --- posting -------------------------------------------------------------------------------
def test_allocation_raises_both_bank_and_welfare(books):
    books.fund(100_000)
    assert books.bank.balance_fen == 100_000  # debit-normal: the money arrived
    assert books.welfare.balance_fen == 100_000  # credit-normal: earmarked for welfare
    txn = LedgerTransaction.objects.get(kind="allocation")
    amounts = dict(txn.entries.values_list("account_id", "amount_fen"))
    assert amounts == {books.bank.pk: 100_000, books.welfare.pk: -100_000}  # debit +, credit -


def test_allocation_between_two_funds_moves_money(books):
    books.fund(50_000)
    union_funds = account_open(org=books.fed, kind=AccountKind.UNION_FUNDS)
    fund_allocate(
        org=books.fed, from_account=books.welfare, to_account=union_funds, amount_fen=20_000
    )
    assert account_balance(account=books.welfare) == 30_000
    assert account_balance(account=union_funds) == 20_000
    _refused(
        "same_account",
        fund_allocate,
        org=books.fed,
        from_account=books.bank,
        to_account=books.bank,
        amount_fen=1,
    )
    _refused(
        "invalid_amount",
        fund_allocate,
        org=books.fed,
        from_account=books.bank,
        to_account=books.welfare,
        amount_fen=0,
    )


def test_subsidy_moves_welfare_to_payable(books):
    books.fund(10_000)
    txn = _subsidy(books, 2_500, memo="coffee")
    assert txn.memo == "coffee" and txn.entries.count() == 2
    assert account_balance(account=books.welfare) == 7_500
    assert account_balance(account=books.payable) == 2_500
    assert account_balance(account=books.bank) == 10_000
    assert ledger_verify().ok


@pytest.mark.parametrize(
    ("entries", "code"),
    [
        (lambda b: [(b.welfare, 100)], "too_few_entries"),
        (lambda b: [], "too_few_entries"),
        (lambda b: [(b.welfare, 100), (b.payable, -99)], "unbalanced"),
        (lambda b: [(b.welfare, 0), (b.payable, 0)], "zero_entry"),
        (lambda b: [(b.welfare, 1.5), (b.payable, -1.5)], "invalid_amount"),
        (lambda b: [(b.welfare, True), (b.payable, -1)], "invalid_amount"),
        (lambda b: [(b.welfare, "100"), (b.payable, -100)], "invalid_amount"),
        (
            lambda b: [(b.welfare, MAX_AMOUNT_FEN + 1), (b.payable, -MAX_AMOUNT_FEN - 1)],
            "amount_too_large",
        ),
        (lambda b: [(FundAccount(pk=None), 1), (b.payable, -1)], "invalid_account"),
        (lambda b: [("welfare", 1), (b.payable, -1)], "invalid_account"),
        (lambda b: [(b.welfare,), (b.payable, -1)], "invalid_entries"),
    ],
)
def test_bad_entries_are_refused_and_write_nothing(books, entries, code):
    books.fund(10_000)
    _refused(code, transaction_post, org=books.fed, kind="test.post", entries=entries(books))


def test_insufficient_funds_refused_and_nothing_written(books):
    books.fund(1_000)
    err = _refused("insufficient_funds", _subsidy, books=books, amount=1_001)
    assert err.status == 409 and "¥10.00" in str(err.message)
    _subsidy(books, 1_000)  # exactly the balance: allowed
    assert account_balance(account=books.welfare) == 0


def test_negative_allowed_only_where_flagged(books):
    clearing = account_open(org=books.fed, kind=AccountKind.CLEARING)
    transaction_post(
        org=books.fed, kind="test.clearing", entries=[(clearing, -500), (books.bank, 500)]
    )
    assert account_balance(account=clearing) == -500
    assert account_balance(account=books.bank) == 500


def test_other_refusals(books):
    books.fund(1_000)
    _refused(
        "invalid_kind",
        transaction_post,
        org=books.fed,
        kind="Bad Kind",
        entries=[(books.welfare, 1), (books.payable, -1)],
    )
    _refused(
        "invalid_memo",
        transaction_post,
        org=books.fed,
        kind="a.b",
        memo="x" * 201,
        entries=[(books.welfare, 1), (books.payable, -1)],
    )
    _refused(
        "naive_time",
        transaction_post,
        org=books.fed,
        kind="a.b",
        occurred_at=dt.datetime(2024, 1, 1),  # noqa: DTZ001
        entries=[(books.welfare, 1), (books.payable, -1)],
    )
    _refused(
        "invalid_reference",
        transaction_post,
        org=books.fed,
        kind="a.b",
        source=("x",),
        entries=[(books.welfare, 1), (books.payable, -1)],
    )


def test_closed_account_refused(books):
    books.fund(1_000)
    account_update(account=books.payable, actor=None, is_active=False)
    _refused("account_inactive", _subsidy, books=books, amount=10)


def test_accounts_of_another_federation_refused(books):
    other_fed = org_root()
    foreign = account_open(org=other_fed, kind=AccountKind.MERCHANT_PAYABLE)
    books.fund(1_000)
    _refused(
        "cross_deployment",
        transaction_post,
        org=books.fed,
        kind="a.b",
        entries=[(books.welfare, 10), (foreign, -10)],
    )
    _refused(
        "cross_deployment",
        transaction_post,
        org=other_fed,
        kind="a.b",
        entries=[(books.welfare, 10), (books.payable, -10)],
    )


def test_several_entries_on_one_account_net_out(books):
    books.fund(1_000)
    transaction_post(
        org=books.fed,
        kind="test.split",
        entries=[
            (books.welfare, 700),
            (books.welfare, 300),
            (books.payable, -400),
            (books.payable, -600),
        ],
    )
    assert account_balance(account=books.welfare) == 0
    assert account_balance(account=books.payable) == 1_000
    assert ledger_verify().ok


def test_staff_post_is_audited_system_post_is_not(books):
    staff = make_staff(books.fed, Role.FEDERATION_ADMIN)
    books.fund(1_000)
    assert not AuditEntry.objects.filter(action="funds.transaction.post").exists()
    txn = _subsidy(books, 100, actor=staff)
    entry = AuditEntry.objects.get(action="funds.transaction.post")
    assert entry.object_id == str(txn.pk) and entry.data["kind"] == "benefits.subsidy"
    assert txn.created_by == staff


# --- idempotency ---------------------------------------------------------------------------
def test_same_source_books_once(books):
    books.fund(1_000)
    first = _subsidy(books, 100, source=("benefits.redemption", 42))
    again = _subsidy(books, 100, source=("benefits.redemption", "42"))
    assert again.pk == first.pk
    assert first.replayed is False and again.replayed is True
    assert (
        transaction_for_source(kind="benefits.subsidy", source=("benefits.redemption", 42)) == first
    )
    assert (
        transaction_for_source(kind="benefits.subsidy", source=("benefits.redemption", 43)) is None
    )
    assert LedgerTransaction.objects.filter(kind="benefits.subsidy").count() == 1
    assert account_balance(account=books.welfare) == 900
    # the same source under another kind is another posting
    transaction_post(
        org=books.union,
        kind="benefits.fee",
        entries=[(books.welfare, 5), (books.payable, -5)],
        source=("benefits.redemption", 42),
    )
    assert LedgerTransaction.objects.count() == 3


def test_same_source_with_other_entries_is_a_conflict(books):
    books.fund(1_000)
    _subsidy(books, 100, source=("benefits.redemption", 7))
    err = _refused(
        "source_reused", _subsidy, books=books, amount=101, source=("benefits.redemption", 7)
    )
    assert err.status == 409


def test_idempotent_inside_outer_transaction(books):
    books.fund(1_000)
    with transaction.atomic():
        a = _subsidy(books, 100, source=("x.y", 1))
        b = _subsidy(books, 100, source=("x.y", 1))
    assert a.pk == b.pk and account_balance(account=books.welfare) == 900


# --- reversal ------------------------------------------------------------------------------
def test_reversal_mirrors_and_restores(books):
    staff = make_staff(books.fed, Role.FEDERATION_ADMIN)
    books.fund(1_000)
    txn = _subsidy(books, 300)
    rev = transaction_reverse(txn=txn, actor=staff, memo="refund")
    assert rev.reverses == txn and rev.kind == "reversal" and rev.memo == "refund"
    assert sorted(rev.entries.values_list("account_id", "amount_fen")) == sorted(
        (a, -x) for a, x in txn.entries.values_list("account_id", "amount_fen")
    )
    assert account_balance(account=books.welfare) == 1_000
    assert account_balance(account=books.payable) == 0
    assert txn.reversed_by == rev
    assert AuditEntry.objects.filter(
        action="funds.transaction.post", data__reverses=txn.pk
    ).exists()
    assert ledger_verify().ok


def test_reversal_refusals(books):
    books.fund(1_000)
    txn = _subsidy(books, 300)
    rev = transaction_reverse(txn=txn, actor=None)
    _refused("already_reversed", transaction_reverse, txn=txn, actor=None)
    _refused("reversal_of_reversal", transaction_reverse, txn=rev, actor=None)


def test_reversing_a_spent_top_up_is_refused(books):
    books.fund(1_000)
    top_up = LedgerTransaction.objects.get(kind="allocation")
    _subsidy(books, 600)
    err = _refused("insufficient_funds", transaction_reverse, txn=top_up, actor=None)
    assert err.status == 409


def test_reversal_reaches_a_closed_account(books):
    books.fund(1_000)
    txn = _subsidy(books, 300)
    account_update(account=books.payable, actor=None, is_active=False)
    transaction_reverse(txn=txn, actor=None)
    assert account_balance(account=books.payable) == 0


def test_reversal_with_its_own_kind_and_source_is_idempotent(books):
    books.fund(1_000)
    txn = _subsidy(books, 300, source=("benefits.redemption", 9))
    r1 = transaction_reverse(
        txn=txn, actor=None, kind="benefits.refund", source=("benefits.refund", 9)
    )
    r2 = transaction_reverse(
        txn=txn, actor=None, kind="benefits.refund", source=("benefits.refund", 9)
    )
    assert r1.pk == r2.pk and r1.kind == "benefits.refund"
    assert r1.replayed is False and r2.replayed is True
    assert account_balance(account=books.welfare) == 1_000


# --- append-only ---------------------------------------------------------------------------
def test_ledger_rows_cannot_be_changed_through_the_orm(books):
    books.fund(1_000)
    txn = LedgerTransaction.objects.get()
    entry = txn.entries.first()
    with pytest.raises(PermissionError):
        LedgerEntry.objects.filter(pk=entry.pk).update(amount_fen=5)
    with pytest.raises(PermissionError):
        LedgerEntry.objects.all().delete()
    with pytest.raises(PermissionError):
        entry.save()
    with pytest.raises(PermissionError):
        txn.delete()
    with pytest.raises(PermissionError):
        LedgerTransaction.objects.filter(pk=txn.pk).update(memo="x")


# --- budgets -------------------------------------------------------------------------------
def _budget(books, cap, **kw):
    return budget_create(
        org=books.union, name="Coffee offer", account=books.welfare, cap_fen=cap, **kw
    )


def test_budget_take_up_to_cap_then_exhausted(books):
    b = _budget(books, 1_000, scope_kind=BudgetScope.OFFER, source=("benefits.offer", 3))
    budget_take(budget=b, amount_fen=600)
    budget_take(budget=b, amount_fen=400)
    b.refresh_from_db()
    assert b.spent_fen == 1_000 and b.left_fen == 0
    err = _refused("budget_exhausted", budget_take, budget=b, amount_fen=1)
    assert err.status == 409
    budget_release(budget=b, amount_fen=250)
    b.refresh_from_db()
    assert b.spent_fen == 750
    _refused("budget_release_exceeds", budget_release, budget=b, amount_fen=751)
    _refused("invalid_amount", budget_take, budget=b, amount_fen=-1)
    _refused("invalid_amount", budget_release, budget=b, amount_fen=0)


def test_budget_window_and_state(books):
    now = dt.datetime.now(dt.UTC)
    b = _budget(books, 1_000, valid_from=now + dt.timedelta(days=1))
    _refused("budget_closed", budget_take, budget=b, amount_fen=1)
    budget_take(budget=b, amount_fen=1, at=now + dt.timedelta(days=2))
    budget_update(budget=b, actor=None, is_active=False)
    _refused("budget_closed", budget_take, budget=b, amount_fen=1, at=now + dt.timedelta(days=2))
    _refused(
        "invalid_window",
        budget_create,
        org=books.union,
        name="x",
        account=books.welfare,
        cap_fen=1,
        valid_from=now,
        valid_until=now,
    )


def test_budget_update_never_below_spent_and_never_writes_spent(books):
    staff = make_staff(books.fed, Role.FEDERATION_ADMIN)
    b = _budget(books, 1_000)
    stale = Budget.objects.get(pk=b.pk)  # spent 0 in memory
    budget_take(budget=b, amount_fen=800)
    _refused("cap_below_spent", budget_update, budget=stale, actor=staff, cap_fen=799)
    budget_update(budget=stale, actor=staff, cap_fen=900, name="Coffee offer 2")
    b.refresh_from_db()
    assert (b.cap_fen, b.spent_fen, b.name) == (900, 800, "Coffee offer 2")
    assert AuditEntry.objects.filter(action="funds.budget.update", data__cap_fen=900).exists()


def test_budget_create_refusals(books):
    foreign = account_open(org=org_root(), kind=AccountKind.WELFARE)
    _refused(
        "cross_deployment", budget_create, org=books.union, name="x", account=foreign, cap_fen=1
    )
    _refused(
        "invalid_amount",
        budget_create,
        org=books.union,
        name="x",
        account=books.welfare,
        cap_fen=-1,
    )
    _refused(
        "invalid_name", budget_create, org=books.union, name=" ", account=books.welfare, cap_fen=1
    )
    _refused(
        "invalid_scope",
        budget_create,
        org=books.union,
        name="x",
        account=books.welfare,
        cap_fen=1,
        scope_kind="moon",
    )


def test_budget_and_posting_together_roll_back_together(books):
    """A subsidy takes the budget and books the ledger in one transaction: if the ledger
    refuses (not enough welfare money), the budget take is undone too."""
    books.fund(500)
    b = _budget(books, 10_000)

    def redeem(amount):
        with transaction.atomic():
            budget_take(budget=b, amount_fen=amount)
            _subsidy(books, amount)

    redeem(400)
    _refused("insufficient_funds", redeem, amount=200)
    b.refresh_from_db()
    assert b.spent_fen == 400
    assert account_balance(account=books.welfare) == 100


def test_cached_balance_equals_entries(books):
    books.fund(5_000)
    for amount in (100, 250, 999):
        _subsidy(books, amount)
    for account in (books.bank, books.welfare, books.payable):
        assert account_balance(account=account) == account_balance_computed(account=account)
