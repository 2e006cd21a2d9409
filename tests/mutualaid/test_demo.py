"""The demo step: a 2026 plan with categories and bands, enrolments of a few enterprises, claims
in every state; a second run creates nothing."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from gonghui.demo import data, steps
from gonghui.demo.steps import mutualaid as step
from gonghui.funds.selectors import ledger_verify
from gonghui.members.selectors import member_by_phone
from gonghui.mutualaid.models import AidClaim, AidPlan, EnrolmentBatch, PremiumInvoice

pytestmark = pytest.mark.django_db


def test_demo_step(settings, monkeypatch):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # the foundation's data, then this step only (the other apps' steps have their own tests)
    monkeypatch.setattr(steps, "discover", lambda: [("mutualaid", step.load)])
    call_command("demo", stdout=io.StringIO())
    plan = AidPlan.objects.get(year=2026, org__code=data.FEDERATION.code)
    assert plan.categories.count() == 3
    assert sum(c.bands.count() for c in plan.categories.all()) == 5
    batches = EnrolmentBatch.objects.filter(plan=plan)
    assert batches.count() == 3 and all(b.enrolled_count > 0 for b in batches)
    assert PremiumInvoice.objects.filter(plan=plan, status="paid").count() == 2
    assert set(AidClaim.objects.filter(plan=plan).values_list("status", flat=True)) == set(
        AidClaim.Status.values
    )
    demo_member = member_by_phone(data.DEMO_MEMBER_PHONE)
    mine = AidClaim.objects.filter(member=demo_member)
    assert sorted(mine.values_list("status", flat=True)) == ["paid", "submitted"]
    paid = mine.get(status="paid")
    assert paid.payout_fen and paid.explanation
    assert ledger_verify().ok
    assert step.load() == 0  # keyed: nothing twice
