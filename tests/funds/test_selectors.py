"""Statements, period summaries, totals by fund kind, and the ledger self-check."""

from __future__ import annotations

import datetime as dt

import pytest

from gonghui.funds.models import AccountKind, FundAccount
from gonghui.funds.selectors import (
    account_statement,
    fund_flows,
    fund_totals,
    ledger_verify,
    period_summaries,
)
from gonghui.funds.services import (
    account_open,
    fund_allocate,
    transaction_post,
    transaction_reverse,
)
from tests.factories import org_child

pytestmark = pytest.mark.django_db

UTC = dt.UTC
JAN = dt.datetime(2025, 1, 1, tzinfo=UTC)
FEB = dt.datetime(2025, 2, 1, tzinfo=UTC)
MAR = dt.datetime(2025, 3, 1, tzinfo=UTC)


def _spend(books, amount, when, memo=""):
    return transaction_post(
        org=books.union,
        kind="benefits.subsidy",
        entries=[(books.welfare, amount), (books.payable, -amount)],
        occurred_at=when,
        memo=memo,
    )


@pytest.fixture
def history(books):
    """Jan: top-up 10,000 and spend 1,000; Feb: spend 2,000, 500 (reversed), top-up 3,000."""
    fund_allocate(
        org=books.fed,
        from_account=books.bank,
        to_account=books.welfare,
        amount_fen=10_000,
        occurred_at=JAN + dt.timedelta(days=1),
    )
    _spend(books, 1_000, JAN + dt.timedelta(days=5))
    _spend(books, 2_000, FEB + dt.timedelta(days=2), memo="tea")
    t = _spend(books, 500, FEB + dt.timedelta(days=3))
    transaction_reverse(txn=t, actor=None, occurred_at=FEB + dt.timedelta(days=4))
    fund_allocate(
        org=books.fed,
        from_account=books.bank,
        to_account=books.welfare,
        amount_fen=3_000,
        occurred_at=FEB + dt.timedelta(days=10),
    )
    return books


def test_statement_of_a_credit_normal_fund(history):
    st = account_statement(account=history.welfare, start=FEB, end=MAR)
    assert st.opening_fen == 9_000
    # welfare is credit-normal: spending is a debit, a top-up or reversal a credit
    assert st.debits_fen == 2_500 and st.credits_fen == 3_500
    assert st.closing_fen == 9_000 - 2_500 + 3_500 == 10_000
    assert st.line_count == 4
    assert [(line.debit_fen, line.credit_fen, line.balance_fen) for line in st.lines] == [
        (2_000, 0, 7_000),
        (500, 0, 6_500),
        (0, 500, 7_000),
        (0, 3_000, 10_000),
    ]
    assert st.lines[0].memo == "tea" and st.lines[2].kind == "reversal"
    assert (
        st.closing_fen == history.welfare.__class__.objects.get(pk=history.welfare.pk).balance_fen
    )


def test_statement_of_a_debit_normal_account_and_paging(history):
    st = account_statement(account=history.bank, start=JAN, end=MAR)
    assert (st.opening_fen, st.debits_fen, st.credits_fen, st.closing_fen) == (0, 13_000, 0, 13_000)
    page = account_statement(account=history.welfare, start=FEB, end=MAR, offset=2, limit=1)
    assert page.line_count == 4 and len(page.lines) == 1
    assert (
        page.lines[0].balance_fen == 7_000
    )  # the running balance continues from the skipped lines
    assert page.closing_fen == 10_000


def test_statement_periods_are_half_open(history):
    at = FEB + dt.timedelta(days=2)
    before = account_statement(account=history.welfare, start=JAN, end=at)
    after = account_statement(account=history.welfare, start=at, end=MAR)
    assert before.closing_fen == after.opening_fen
    assert before.line_count + after.line_count == 6


def test_period_summaries(history):
    rows = {
        r.account_id: r
        for r in period_summaries(
            accounts=FundAccount.objects.filter(org=history.fed), start=FEB, end=MAR
        )
    }
    w = rows[history.welfare.pk]
    assert (w.opening_fen, w.debits_fen, w.credits_fen, w.closing_fen) == (
        9_000,
        2_500,
        3_500,
        10_000,
    )
    p = rows[history.payable.pk]
    assert (p.opening_fen, p.closing_fen) == (1_000, 3_000)
    assert rows[history.bank.pk].closing_fen == 13_000


def test_totals_and_flows_by_kind_for_a_subtree(history):
    other_union = org_child(history.fed)
    local = account_open(org=other_union, kind=AccountKind.WELFARE)
    fund_allocate(
        org=history.fed,
        from_account=history.welfare,
        to_account=local,
        amount_fen=400,
        occurred_at=FEB + dt.timedelta(days=11),
    )
    totals = fund_totals(org=history.fed)
    assert totals[AccountKind.WELFARE] == 10_000  # 9,600 at the federation + 400 at the union
    assert totals[AccountKind.MERCHANT_PAYABLE] == 3_000
    assert totals[AccountKind.BANK] == 13_000
    assert fund_totals(org=other_union) == {AccountKind.WELFARE: 400}
    flows = fund_flows(org=history.fed, start=FEB, end=MAR)
    assert flows[AccountKind.MERCHANT_PAYABLE] == {"debits_fen": 500, "credits_fen": 2_500}
    assert flows[AccountKind.BANK] == {"debits_fen": 3_000, "credits_fen": 0}


def test_ledger_verify_finds_a_tampered_balance(history):
    assert ledger_verify().ok
    FundAccount.objects.filter(pk=history.payable.pk).update(balance_fen=1)
    check = ledger_verify()
    assert not check.ok
    assert [(m.account_id, m.cached_fen, m.computed_fen) for m in check.mismatches] == [
        (history.payable.pk, 1, 3_000)
    ]
    scoped = ledger_verify(accounts=FundAccount.objects.filter(pk=history.bank.pk))
    assert scoped.ok and scoped.accounts_checked == 1
