"""Union money spent, by fund, net of reversals; allocations are not spending (issue #13
item 4)."""

from __future__ import annotations

import pytest

from gonghui.funds import services as funds
from gonghui.funds.models import AccountKind
from gonghui.members import figures
from tests.figures.helpers import AFTER, BEFORE, IN, assert_figures, make_tree, value

pytestmark = pytest.mark.django_db
UF, WELFARE = AccountKind.UNION_FUNDS, AccountKind.WELFARE


def _funded(org, kind: str, parent_fund, amount_fen: int):
    fund = funds.account_open(org=org, kind=kind)
    funds.fund_allocate(
        org=org, from_account=parent_fund, to_account=fund, amount_fen=amount_fen, occurred_at=IN
    )
    return fund


def _spend(fund, amount_fen: int, at, *, reversed_at=None, kind="assistance.help"):
    clearing = funds.account_open(org=fund.org, kind=AccountKind.CLEARING)
    txn = funds.transaction_post(
        org=fund.org,
        kind=kind,
        entries=[(fund, amount_fen), (clearing, -amount_fen)],
        occurred_at=at,
    )
    if reversed_at is not None:
        funds.transaction_reverse(txn=txn, actor=None, occurred_at=reversed_at)
    return txn


def test_spending_by_fund_by_union_and_district():
    tree = make_tree()
    bank = funds.account_open(org=tree.fed, kind=AccountKind.BANK)
    top_uf = _funded(tree.fed, UF, bank, 10_000_000)
    top_welfare = _funded(tree.fed, WELFARE, bank, 10_000_000)
    a_uf = _funded(tree.a, UF, top_uf, 1_000_000)
    b_welfare = _funded(tree.b, WELFARE, top_welfare, 1_000_000)
    x_uf = _funded(tree.other, UF, top_uf, 1_000_000)

    _spend(a_uf, 30_000, IN)
    _spend(a_uf, 5_000, IN, reversed_at=IN)  # voided in the period: nets to 0
    _spend(a_uf, 7_000, IN, reversed_at=AFTER)  # voided later: the reversal is April's
    _spend(a_uf, 1_000, BEFORE)
    _spend(a_uf, 2_000, AFTER)
    # income to the fund (a premium, a top-up) is not spending
    clearing = funds.account_open(org=tree.a, kind=AccountKind.CLEARING)
    funds.transaction_post(
        org=tree.a,
        kind="mutualaid.premium",
        entries=[(clearing, 50_000), (a_uf, -50_000)],
        occurred_at=IN,
    )
    # an allocation and its reversal move money between funds: no spending on either side
    moved = funds.fund_allocate(
        org=tree.a,
        from_account=a_uf,
        to_account=_funded(tree.b, UF, top_uf, 1),
        amount_fen=9_000,
        occurred_at=IN,
    )
    funds.transaction_reverse(txn=moved, actor=None, occurred_at=IN)
    _spend(b_welfare, 12_000, IN, kind="activities.subsidy")
    _spend(x_uf, 99, IN)

    assert_figures(
        tree,
        {
            "funds.spent.union_funds": (37_000, 0),
            "funds.spent.welfare": (0, 12_000),
            "funds.spent.mutual_aid": (0, 0),
            "funds.spent.assistance": (0, 0),
        },
    )
    assert value("funds.spent.union_funds", tree.fed) == 37_099  # the other district's too
    assert value("funds.spent.union_funds", tree.a, start=AFTER, end=AFTER.replace(month=5)) == (
        2_000 - 7_000
    )
    assert figures.figure("funds.spent.welfare").unit == figures.Unit.FEN
