"""The mutual-aid figures and its pending claims (issue #13 item 4)."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest

from gonghui.members import figures
from gonghui.mutualaid.models import AidClaim, AidEnrolment, EnrolmentBatch, PremiumInvoice
from gonghui.orgs.models import Role
from tests.factories import EnterpriseFactory, make_member, make_staff
from tests.figures.helpers import AFTER, BEFORE, IN, assert_figures, make_tree
from tests.mutualaid.factories import make_category, make_plan

pytestmark = pytest.mark.django_db
_numbers = itertools.count(1)


def _enrol(plan, org, *, at: dt.datetime = BEFORE, status: str = AidEnrolment.Status.ACTIVE):
    return AidEnrolment.objects.create(
        plan=plan,
        member=make_member(org),
        org=org,
        paid_by="unit",
        premium_fen=5_000,
        unit_part_fen=5_000,
        member_part_fen=0,
        status=status,
        enrolled_at=at,
        coverage_from=dt.date(plan.year, 1, 1),
        coverage_until=dt.date(plan.year, 12, 31),
    )


def _claim(enrolment, category, status: str, *, paid_at=None, payout_fen=None) -> AidClaim:
    n = next(_numbers)
    return AidClaim.objects.create(
        number=f"C{n:08d}",
        plan=enrolment.plan,
        enrolment=enrolment,
        member=enrolment.member,
        org=enrolment.org,
        category=category,
        hospital="玉环市人民医院",
        invoice_no=f"INV{n:06d}",
        invoice_date=dt.date(2026, 3, 1),
        amount_fen=100_000,
        status=status,
        payout_fen=payout_fen,
        submitted_at=BEFORE,
        paid_at=paid_at,
    )


def _invoice(plan, org, total_fen: int, paid_at) -> None:
    enterprise = EnterpriseFactory(union=org)
    batch = EnrolmentBatch.objects.create(plan=plan, enterprise=enterprise, org=org)
    PremiumInvoice.objects.create(
        number=f"P{next(_numbers):08d}",
        batch=batch,
        plan=plan,
        enterprise=enterprise,
        org=org,
        member_count=1,
        unit_part_fen=total_fen,
        member_part_fen=0,
        total_fen=total_fen,
        status=PremiumInvoice.Status.PAID if paid_at else PremiumInvoice.Status.ISSUED,
        issued_at=BEFORE,
        paid_at=paid_at,
    )


def test_mutualaid_figures_by_union_and_district():
    tree = make_tree()
    plan = make_plan(tree.fed, year=2026)
    old_plan = make_plan(tree.fed, year=2025)
    category = make_category(plan)
    a1 = _enrol(plan, tree.a)
    _enrol(plan, tree.a, at=IN)
    _enrol(plan, tree.a, status=AidEnrolment.Status.CANCELLED)
    _enrol(plan, tree.a, at=AFTER)  # enrolled after the period's end
    _enrol(old_plan, tree.a)  # last year's plan is not in force
    b1 = _enrol(plan, tree.b)
    x1 = _enrol(plan, tree.other)
    _claim(a1, category, AidClaim.Status.PAID, paid_at=IN, payout_fen=40_000)
    _claim(a1, category, AidClaim.Status.PAID, paid_at=AFTER, payout_fen=1_000)
    _claim(a1, category, AidClaim.Status.APPROVED, payout_fen=9_000)
    _claim(b1, category, AidClaim.Status.PAID, paid_at=IN, payout_fen=25_000)
    _claim(x1, category, AidClaim.Status.PAID, paid_at=IN, payout_fen=7_000)
    _invoice(plan, tree.a, 10_000, IN)
    _invoice(plan, tree.a, 20_000, None)
    _invoice(plan, tree.b, 30_000, IN)
    _invoice(plan, tree.b, 40_000, BEFORE)
    _invoice(plan, tree.other, 50_000, IN)

    assert_figures(
        tree,
        {
            "mutualaid.insured": (2, 1),
            "mutualaid.premiums": (10_000, 30_000),
            "mutualaid.claims_paid": (1, 1),
            "mutualaid.claims_paid_fen": (40_000, 25_000),
        },
    )
    assert figures.figure("mutualaid.insured").stock


def test_pending_claims_respect_scope():
    tree = make_tree()
    plan = make_plan(tree.fed, year=2026)
    category = make_category(plan)
    for org, status in [
        (tree.a, AidClaim.Status.SUBMITTED),
        (tree.a, AidClaim.Status.SUBMITTED),
        (tree.a, AidClaim.Status.CHECKED),
        (tree.b, AidClaim.Status.SUBMITTED),
    ]:
        _claim(_enrol(plan, org), category, status)
    reviewer_a = make_staff(tree.a, Role.REVIEWER)
    district_admin = make_staff(tree.district, Role.UNION_ADMIN)
    auditor = make_staff(tree.district, Role.AUDITOR)
    pending = next(p for p in figures.pending() if p.key == "mutualaid.claims")

    assert pending.count(reviewer_a, tree.a) == 2
    assert pending.count(reviewer_a, tree.district) == 2
    assert pending.count(district_admin, tree.district) == 3
    assert pending.count(auditor, tree.district) == 0
