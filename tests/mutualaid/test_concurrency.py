"""PostgreSQL: 20 claims of one member approved at once never pay past the yearly cap.

The cap of the category is ¥50,000 (one share). Each claim's bill pays ¥4,000 by the bands, so
twelve claims are paid in full (¥48,000), one gets the ¥2,000 the cap leaves, and the other seven
are refused with ``nothing_to_pay`` — in whatever order the threads arrive."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connections
from django.db.models import Sum

from gonghui.core.errors import Refused
from gonghui.funds.models import AccountKind, FundAccount
from gonghui.funds.selectors import ledger_verify
from gonghui.members.models import ServiceEvent
from gonghui.mutualaid import services
from gonghui.mutualaid.models import AidClaim
from tests.conftest import postgres_only

from .factories import build_world, fund, make_category, submit

N = 20


@postgres_only()
@pytest.mark.django_db(transaction=True)
def test_twenty_approvals_at_once_never_pass_the_yearly_cap():
    w = build_world("并发", members=1)
    category = make_category(
        w.plan,
        kind="critical_illness",
        deductible_fen=0,
        annual_cap_fen=5_000_000,
        bands=((None, 5000),),
    )
    claims = [
        services.claim_check(claim=submit(w, category=category, amount_fen=800_000), actor=None)
        for _ in range(N)
    ]
    barrier = threading.Barrier(N)

    def approve(claim: AidClaim) -> str:
        try:
            AidClaim.objects.filter(pk=claim.pk).exists()  # connect before the start
            barrier.wait(timeout=30)
            services.claim_approve(claim=claim, actor=None)
            return "approved"
        except Refused as exc:
            return exc.code
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=N) as pool:
        outcomes = list(pool.map(approve, claims))

    assert outcomes.count("approved") == 13
    assert outcomes.count("nothing_to_pay") == 7
    approved = AidClaim.objects.filter(category=category, status=AidClaim.Status.APPROVED)
    assert approved.count() == 13
    assert approved.aggregate(s=Sum("payout_fen"))["s"] == 5_000_000
    assert sorted(approved.values_list("payout_fen", flat=True)) == [200_000] + [400_000] * 12
    assert AidClaim.objects.filter(category=category, status=AidClaim.Status.CHECKED).count() == 7

    # and paying them all at once books exactly the cap
    fund(w.plan, 6_000_000)
    pay_barrier = threading.Barrier(13)

    def pay(claim: AidClaim) -> str:
        try:
            pay_barrier.wait(timeout=30)
            services.claim_pay(claim=claim, actor=None)
            return "paid"
        except Refused as exc:
            return exc.code
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=13) as pool:
        paid = list(pool.map(pay, list(approved)))
    assert paid == ["paid"] * 13
    aid = FundAccount.objects.get(org=w.federation, kind=AccountKind.MUTUAL_AID)
    assert aid.balance_fen == 6_000_000 - 5_000_000
    events = ServiceEvent.objects.filter(kind="mutualaid.claim_paid", member=w.member)
    assert events.count() == 13 and events.aggregate(s=Sum("amount_fen"))["s"] == 5_000_000
    assert ledger_verify().ok


@postgres_only()
@pytest.mark.django_db(transaction=True)
def test_the_same_invoice_submitted_at_once_is_one_claim():
    w = build_world("并发二", members=2)
    barrier = threading.Barrier(2)

    def go(member) -> str:
        try:
            barrier.wait(timeout=30)
            submit(w, member=member, invoice_no="SAME-1")
            return "ok"
        except Refused as exc:
            return exc.code
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=2) as pool:
        outcomes = sorted(pool.map(go, w.members))
    assert outcomes == ["duplicate_invoice", "ok"]
    assert AidClaim.objects.filter(invoice_no="SAME-1").count() == 1
