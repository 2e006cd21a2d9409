"""PostgreSQL-only: the database itself refuses unbalanced and changed ledger rows, and the
services hold under concurrency (threads + barrier, exact counts).

PostgreSQL allows 100 connections and other test runs share the server, so "N at once" runs
as N attempts from a pool of at most ``WORKERS`` threads released together by a barrier (each
thread takes its share of the attempts back to back)."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable

import pytest
from django.db import DatabaseError, IntegrityError, connection, connections, transaction

from gonghui.core.errors import Refused
from gonghui.funds.models import Budget, LedgerEntry, LedgerTransaction
from gonghui.funds.selectors import account_balance, ledger_verify
from gonghui.funds.services import (
    budget_create,
    budget_take,
    transaction_post,
    transaction_reverse,
)
from tests.conftest import postgres_only
from tests.funds.conftest import make_books

pytestmark = [postgres_only(), pytest.mark.postgres]

WORKERS = 40


def run_at_once(attempts: int, fn: Callable[[int], str]) -> Counter:
    """Run fn(0..attempts-1) from min(WORKERS, attempts) threads released together."""
    workers = min(WORKERS, attempts)
    barrier = threading.Barrier(workers)
    results: Counter = Counter()
    lock = threading.Lock()

    def worker(w: int) -> None:
        try:
            barrier.wait(timeout=30)
            for i in range(w, attempts, workers):
                try:
                    outcome = fn(i)
                except Refused as exc:
                    outcome = exc.code
                except Exception as exc:
                    outcome = f"error:{type(exc).__name__}:{exc}"
                with lock:
                    results[outcome] += 1
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(w,)) for w in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert sum(results.values()) == attempts, results
    return results


# --- the database's own rules --------------------------------------------------------------
def _raw_txn(cursor, org_id: int) -> int:
    cursor.execute(
        "INSERT INTO funds_ledgertransaction (org_id, kind, memo, occurred_at, source_type, source_id, created_at) "
        "VALUES (%s, 'raw.test', '', now(), '', '', now()) RETURNING id",
        [org_id],
    )
    return cursor.fetchone()[0]


def _raw_entry(cursor, txn_id: int, account_id: int, amount: int) -> None:
    cursor.execute(
        "INSERT INTO funds_ledgerentry (transaction_id, account_id, amount_fen, occurred_at) VALUES (%s, %s, %s, now())",
        [txn_id, account_id, amount],
    )


@pytest.mark.django_db(transaction=True)
def test_unbalanced_raw_insert_fails_at_commit():
    books = make_books()
    reached_commit = False
    with (
        pytest.raises(IntegrityError, match="unbalanced"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        txn_id = _raw_txn(cursor, books.fed.pk)
        _raw_entry(cursor, txn_id, books.welfare.pk, 100)
        _raw_entry(cursor, txn_id, books.payable.pk, -99)
        # Inside the transaction the rows are there: the check is deferred to COMMIT.
        cursor.execute("SELECT count(*) FROM funds_ledgerentry WHERE transaction_id = %s", [txn_id])
        assert cursor.fetchone()[0] == 2
        reached_commit = True
    assert reached_commit
    assert LedgerTransaction.objects.count() == 0 and LedgerEntry.objects.count() == 0


@pytest.mark.django_db(transaction=True)
def test_single_entry_and_empty_transactions_fail_at_commit():
    books = make_books()
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        _raw_txn(cursor, books.fed.pk)  # no entries at all
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        txn_id = _raw_txn(cursor, books.fed.pk)
        _raw_entry(cursor, txn_id, books.welfare.pk, 5)  # one entry, sums to 5
    assert LedgerTransaction.objects.count() == 0


@pytest.mark.django_db(transaction=True)
def test_balanced_raw_insert_commits():
    """The trigger is not a blanket refusal: a balanced transaction commits."""
    books = make_books()
    with transaction.atomic(), connection.cursor() as cursor:
        txn_id = _raw_txn(cursor, books.fed.pk)
        _raw_entry(cursor, txn_id, books.welfare.pk, 100)
        _raw_entry(cursor, txn_id, books.payable.pk, -60)
        _raw_entry(cursor, txn_id, books.payable.pk, -40)
    assert LedgerEntry.objects.filter(transaction_id=txn_id).count() == 3


@pytest.mark.django_db
def test_zero_entry_refused_by_check_constraint():
    books = make_books()
    books.fund(1_000)
    txn = LedgerTransaction.objects.get()
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        _raw_entry(cursor, txn.pk, books.welfare.pk, 0)


@pytest.mark.django_db
def test_set_constraints_immediate_checks_inside_the_transaction():
    books = make_books()
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        txn_id = _raw_txn(cursor, books.fed.pk)
        _raw_entry(cursor, txn_id, books.welfare.pk, 100)
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")


@pytest.mark.django_db
@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE funds_ledgerentry SET amount_fen = amount_fen * 2",
        "DELETE FROM funds_ledgerentry",
        "UPDATE funds_ledgertransaction SET memo = 'changed'",
        "DELETE FROM funds_ledgertransaction",
    ],
)
def test_update_and_delete_of_ledger_rows_refused(sql):
    books = make_books()
    books.fund(1_000)
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(sql)
    assert LedgerEntry.objects.count() == 2


@pytest.mark.django_db
def test_negative_balance_refused_by_check_constraint():
    books = make_books()
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "UPDATE funds_fundaccount SET balance_fen = -1 WHERE id = %s", [books.welfare.pk]
        )


@pytest.mark.django_db
def test_budget_over_cap_refused_by_check_constraint():
    books = make_books()
    b = budget_create(org=books.fed, name="b", account=books.welfare, cap_fen=10)
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE funds_budget SET spent_fen = 11 WHERE id = %s", [b.pk])
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE funds_budget SET spent_fen = -1 WHERE id = %s", [b.pk])


# --- concurrency ---------------------------------------------------------------------------
SUBSIDY = 1_500


@pytest.mark.django_db(transaction=True)
def test_100_subsidies_against_a_budget_for_37():
    books = make_books()
    books.fund(10_000_000)
    budget = budget_create(
        org=books.union, name="offer", account=books.welfare, cap_fen=37 * SUBSIDY
    )

    def redeem(i: int) -> str:
        with transaction.atomic():
            budget_take(budget=budget, amount_fen=SUBSIDY)
            transaction_post(
                org=books.union,
                kind="benefits.subsidy",
                entries=[(books.welfare, SUBSIDY), (books.payable, -SUBSIDY)],
                source=("test.redemption", i),
            )
        return "ok"

    results = run_at_once(100, redeem)
    assert results == Counter({"ok": 37, "budget_exhausted": 63}), results
    budget.refresh_from_db()
    assert budget.spent_fen == budget.cap_fen == 37 * SUBSIDY
    assert LedgerTransaction.objects.filter(kind="benefits.subsidy").count() == 37
    assert account_balance(account=books.payable) == 37 * SUBSIDY
    assert account_balance(account=books.welfare) == 10_000_000 - 37 * SUBSIDY
    assert ledger_verify().ok


@pytest.mark.django_db(transaction=True)
def test_50_posts_against_a_balance_for_20():
    books = make_books()
    books.fund(20 * SUBSIDY)

    def spend(i: int) -> str:
        transaction_post(
            org=books.union,
            kind="benefits.subsidy",
            entries=[(books.welfare, SUBSIDY), (books.payable, -SUBSIDY)],
            source=("test.spend", i),
        )
        return "ok"

    results = run_at_once(50, spend)
    assert results == Counter({"ok": 20, "insufficient_funds": 30}), results
    assert account_balance(account=books.welfare) == 0
    assert LedgerTransaction.objects.filter(kind="benefits.subsidy").count() == 20
    assert ledger_verify().ok


@pytest.mark.django_db(transaction=True)
def test_same_source_10_at_once_books_once():
    books = make_books()
    books.fund(100_000)
    ids: list[int] = []
    lock = threading.Lock()

    def post(i: int) -> str:
        txn = transaction_post(
            org=books.union,
            kind="benefits.subsidy",
            entries=[(books.welfare, SUBSIDY), (books.payable, -SUBSIDY)],
            source=("test.redemption", "same"),
        )
        with lock:
            ids.append(txn.pk)
        return "ok"

    results = run_at_once(10, post)
    assert results == Counter({"ok": 10}), results
    assert len(set(ids)) == 1
    assert LedgerTransaction.objects.filter(kind="benefits.subsidy").count() == 1
    assert account_balance(account=books.welfare) == 100_000 - SUBSIDY
    assert ledger_verify().ok


@pytest.mark.django_db(transaction=True)
def test_crossing_postings_do_not_deadlock():
    """Postings that touch the same accounts in opposite orders lock them in pk order."""
    books = make_books()
    books.fund(1_000_000)
    transaction_post(
        org=books.fed,
        kind="test.seed",
        entries=[(books.welfare, 500_000), (books.payable, -500_000)],
    )

    def post(i: int) -> str:
        if i % 2:
            entries = [(books.welfare, 100), (books.payable, -100)]
        else:
            entries = [(books.payable, 100), (books.welfare, -100)]
        transaction_post(
            org=books.fed, kind="test.cross", entries=entries, source=("test.cross", i)
        )
        return "ok"

    results = run_at_once(80, post)
    assert results == Counter({"ok": 80}), results
    assert account_balance(account=books.welfare) == 500_000
    assert ledger_verify().ok
    assert Budget.objects.count() == 0


@pytest.mark.django_db(transaction=True)
def test_reversing_one_transaction_10_times_at_once_reverses_once():
    books = make_books()
    books.fund(10_000)
    txn = transaction_post(
        org=books.union,
        kind="benefits.subsidy",
        entries=[(books.welfare, 2_000), (books.payable, -2_000)],
    )

    def reverse(i: int) -> str:
        transaction_reverse(txn=txn, actor=None)
        return "ok"

    results = run_at_once(10, reverse)
    assert results == Counter({"ok": 1, "already_reversed": 9}), results
    assert LedgerTransaction.objects.filter(reverses=txn).count() == 1
    assert account_balance(account=books.welfare) == 10_000
    assert ledger_verify().ok
