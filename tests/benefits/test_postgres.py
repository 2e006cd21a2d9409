"""PostgreSQL concurrency, exact counts. "N at once" = N requests through a pool of at most 50
threads released together by a barrier (the database allows 100 connections)."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connections

from gonghui.benefits import services
from gonghui.benefits.models import MemberOfferUsage, OfferKind, Redemption
from gonghui.codes import services as code_services
from gonghui.core.errors import Refused
from gonghui.funds.models import Budget
from gonghui.funds.selectors import ledger_verify
from gonghui.members.models import ServiceEvent
from tests.conftest import postgres_only
from tests.factories import make_member

from .conftest import code_at
from .factories import make_offer, make_terminal

pytestmark = [postgres_only(), pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

POOL = 50


def run_at_once(n, fn):
    """Run fn(0..n-1) through a pool of min(n, POOL) threads, released together in waves."""
    workers = min(n, POOL)
    barrier = threading.Barrier(workers)

    def worker(i):
        try:
            barrier.wait(timeout=60)
            return fn(i)
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(worker, range(n)))


def attempt(fn):
    try:
        fn()
        return "ok"
    except Refused as exc:
        return exc.code


def test_200_against_stock_50(world):
    offer = make_offer(world.merchant, percent_bp=1000, stock_total=50, budget_cap_fen=10**7)
    members = [world.member] + [make_member(world.union) for _ in range(3)]
    outcomes = run_at_once(
        200,
        lambda i: attempt(
            lambda: services.redemption_create(
                terminal=world.terminal,
                member=members[i % len(members)],
                bill_fen=1_000 + i,
                offer_id=offer.pk,
            )
        ),
    )
    assert outcomes.count("ok") == 50, sorted(set(outcomes))
    assert outcomes.count("stock_exhausted") == 150
    offer.refresh_from_db()
    assert offer.stock_left == 0
    assert Redemption.objects.filter(offer=offer, status="active").count() == 50
    budget = Budget.objects.get(pk=offer.budget_id)
    assert budget.spent_fen == sum(
        Redemption.objects.filter(offer=offer).values_list("subsidy_fen", flat=True)
    )
    assert ServiceEvent.objects.filter(kind="benefits.redemption").count() == 50
    assert ledger_verify().ok


def test_100_against_a_budget_for_37(world):
    offer = make_offer(
        world.merchant,
        kind=OfferKind.FIXED_THRESHOLD,
        percent_bp=None,
        threshold_fen=5_000,
        amount_off_fen=1_000,
        budget_cap_fen=37_000,
    )
    members = [world.member, make_member(world.union)]
    outcomes = run_at_once(
        100,
        lambda i: attempt(
            lambda: services.redemption_create(
                terminal=world.terminal,
                member=members[i % 2],
                bill_fen=6_000,
                offer_id=offer.pk,
            )
        ),
    )
    assert outcomes.count("ok") == 37, sorted(set(outcomes))
    assert outcomes.count("budget_exhausted") == 63
    budget = Budget.objects.get(pk=offer.budget_id)
    assert budget.spent_fen == budget.cap_fen == 37_000
    assert Redemption.objects.filter(offer=offer).count() == 37
    assert ledger_verify().ok


def test_member_limit_under_concurrency(world):
    offer = make_offer(world.merchant, limit_per_day=3, limit_per_month=5)
    outcomes = run_at_once(
        30,
        lambda i: attempt(
            lambda: services.redemption_create(
                terminal=world.terminal, member=world.member, bill_fen=2_000, offer_id=offer.pk
            )
        ),
    )
    assert outcomes.count("ok") == 3 and outcomes.count("member_limit") == 27
    assert MemberOfferUsage.objects.get(offer=offer, period="day").count == 3
    assert MemberOfferUsage.objects.get(offer=offer, period="month").count == 3


def test_one_code_from_20_terminals_redeems_once(world):
    offer = make_offer(world.merchant, stock_total=100)
    terminals = [make_terminal(world.store) for _ in range(20)]
    credential, seed = code_services.credential_issue(member=world.member)
    code = code_at(credential, seed)
    results = run_at_once(
        20,
        lambda i: code_services.scan_code(
            terminal=terminals[i],
            code=code,
            payload={"bill_fen": 3_000},
            idempotency_key=f"t{i}",
        ),
    )
    statuses = sorted(r.status for r in results)
    assert statuses.count(200) == 1 and statuses.count(409) == 19, statuses
    assert Redemption.objects.count() == 1
    offer.refresh_from_db()
    assert offer.stock_left == 99
    assert ledger_verify().ok


def test_same_idempotency_key_10_times_one_redemption(world):
    make_offer(world.merchant)
    credential, seed = code_services.credential_issue(member=world.member)
    code = code_at(credential, seed)
    results = run_at_once(
        10,
        lambda i: code_services.scan_code(
            terminal=world.terminal,
            code=code,
            payload={"bill_fen": 3_000},
            idempotency_key="same-key",
        ),
    )
    assert {r.status for r in results} == {200}
    assert len({r.body["result"]["redemption_id"] for r in results}) == 1
    assert sum(1 for r in results if r.replayed) == 9
    assert Redemption.objects.count() == 1
    assert ServiceEvent.objects.filter(kind="benefits.redemption").count() == 1
    budget = Budget.objects.get()
    assert budget.spent_fen == Redemption.objects.get().subsidy_fen


def test_ten_voids_at_once_void_once(world):
    offer = make_offer(world.merchant, stock_total=5)
    red = services.redemption_create(
        terminal=world.terminal, member=world.member, bill_fen=3_000, offer_id=offer.pk
    )
    outcomes = run_at_once(
        10,
        lambda i: attempt(
            lambda: services.redemption_void(
                redemption=red, actor=None, reason="r", idempotency_key=f"v{i}"
            )
        ),
    )
    assert outcomes.count("ok") == 1 and outcomes.count("already_voided") == 9
    offer.refresh_from_db()
    assert offer.stock_left == 5
    assert Budget.objects.get(pk=offer.budget_id).spent_fen == 0
    assert ledger_verify().ok
