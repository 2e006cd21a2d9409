"""Fixtures of the benefits tests: a federation with a union, a member, a merchant with a store
and a terminal, and helpers that count what changed."""

from __future__ import annotations

import datetime as dt

import pytest

from gonghui.benefits.models import MemberOfferUsage, Offer, Redemption
from gonghui.codes import protocol
from gonghui.funds.models import Budget, LedgerTransaction
from gonghui.funds.selectors import ledger_verify
from gonghui.members.models import ServiceEvent

from .factories import World


@pytest.fixture
def world(db):
    return World()


def code_at(credential, seed, when: dt.datetime | None = None, seq: int = 0) -> str:
    when = when or dt.datetime.now(tz=dt.UTC)
    step = protocol.time_step(when.timestamp())
    return protocol.encode(seed=seed, credential_id=credential.pk, step=step, seq=seq)


def snapshot() -> dict:
    """Everything a refused request must leave unchanged."""
    return {
        "redemptions": list(Redemption.objects.order_by("pk").values_list("pk", "status")),
        "stock": list(Offer.objects.order_by("pk").values_list("pk", "stock_left")),
        "usage": list(MemberOfferUsage.objects.order_by("pk").values_list("pk", "count")),
        "budgets": list(Budget.objects.order_by("pk").values_list("pk", "spent_fen")),
        "txns": LedgerTransaction.objects.count(),
        "events": ServiceEvent.objects.filter(kind__startswith="benefits.").count(),
    }


def assert_ledger_ok() -> None:
    check = ledger_verify()
    assert check.ok, check
