"""Fixtures for the funds ledger: a federation with a bank account, a welfare fund and a
merchant payable (each opened through the service)."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from gonghui.funds.models import AccountKind, FundAccount
from gonghui.funds.services import account_open, fund_allocate
from gonghui.orgs.models import Org
from tests.factories import org_child, org_root


@dataclass
class Books:
    fed: Org
    union: Org
    bank: FundAccount
    welfare: FundAccount
    payable: FundAccount

    def fund(self, amount_fen: int) -> None:
        """Top up the welfare fund from the bank (both balances rise)."""
        fund_allocate(
            org=self.fed, from_account=self.bank, to_account=self.welfare, amount_fen=amount_fen
        )
        for a in (self.bank, self.welfare, self.payable):
            a.refresh_from_db()


def make_books() -> Books:
    fed = org_root()
    union = org_child(fed)
    return Books(
        fed=fed,
        union=union,
        bank=account_open(org=fed, kind=AccountKind.BANK),
        welfare=account_open(org=fed, kind=AccountKind.WELFARE),
        payable=account_open(
            org=fed, kind=AccountKind.MERCHANT_PAYABLE, party=("benefits.merchant", "1")
        ),
    )


@pytest.fixture
def books(db) -> Books:
    return make_books()
