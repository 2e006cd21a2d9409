"""Subsidies through the funds ledger (budget + posting in the registration's transaction, and
their reversal on cancellation); poster upload checks."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from gonghui.activities import services
from gonghui.activities.admin import ActivityForm, poster_kind
from gonghui.activities.models import Registration
from gonghui.core.errors import Refused
from gonghui.funds import services as funds
from gonghui.funds.models import AccountKind, FundAccount, LedgerTransaction
from gonghui.funds.selectors import ledger_verify
from gonghui.members.models import ServiceEvent
from tests.factories import make_member

from .factories import make_activity, make_session

pytestmark = pytest.mark.django_db
S = Registration.Status


@pytest.fixture
def budget(root):
    bank = funds.account_open(org=root, kind=AccountKind.BANK)
    welfare = funds.account_open(org=root, kind=AccountKind.WELFARE)
    funds.fund_allocate(org=root, from_account=bank, to_account=welfare, amount_fen=100_000)
    return funds.budget_create(org=root, name="疗休养补贴", account=welfare, cap_fen=5_000)


def test_subsidy_per_place_and_refund_on_cancel(union, budget, django_capture_on_commit_callbacks):
    activity = make_activity(union, subsidy_fen=2_000, subsidy_budget=budget)
    session = make_session(activity, capacity=1)
    a, b = make_member(union), make_member(union)
    ra = services.registration_create(member=a, session=session)
    rb = services.registration_create(member=b, session=session)
    ra.refresh_from_db()
    assert ra.subsidy_fen == 2_000 and ra.subsidy_txn_id
    budget.refresh_from_db()
    assert budget.spent_fen == 2_000
    payable = FundAccount.objects.get(
        kind=AccountKind.MERCHANT_PAYABLE, party_type="activities.activity"
    )
    assert payable.balance_fen == 2_000
    assert ServiceEvent.objects.get(kind="activities.registration", member=a).amount_fen == 2_000
    # a cancels: the subsidy is reversed and released, and b (promoted) gets one
    with django_capture_on_commit_callbacks(execute=True):
        services.registration_cancel(registration=ra, member=a)
    rb.refresh_from_db()
    assert rb.status == S.CONFIRMED and rb.subsidy_fen == 2_000
    budget.refresh_from_db()
    payable.refresh_from_db()
    assert budget.spent_fen == 2_000 and payable.balance_fen == 2_000
    assert LedgerTransaction.objects.filter(kind="activities.subsidy_refund").count() == 1
    assert ledger_verify().ok


def test_exhausted_budget_refuses_and_changes_nothing(union, budget):
    activity = make_activity(union, subsidy_fen=3_000, subsidy_budget=budget)
    session = make_session(activity, capacity=5)
    services.registration_create(member=make_member(union), session=session)
    late = make_member(union)
    with pytest.raises(Refused) as exc:
        services.registration_create(member=late, session=session)
    assert exc.value.code == "budget_exhausted"
    session.refresh_from_db()
    assert session.places_left == 4
    assert not Registration.objects.filter(member=late).exists()


def test_poster_type_and_size(union):
    assert poster_kind(b"\x89PNG\r\n\x1a\n0000") == ".png"
    assert poster_kind(b"\xff\xd8\xff\xe0") == ".jpg"
    assert poster_kind(b"RIFF\x00\x00\x00\x00WEBPVP8 ") == ".webp"
    assert poster_kind(b"<svg xmlns=") is None
    base = {
        "org": union.pk,
        "kind": "lecture",
        "title": "宣讲",
        "allocation": "first_come",
        "registration_opens": "2030-01-01 08:00:00",
        "registration_closes": "2030-01-02 08:00:00",
        "audience": "all",
        "cancel_hours_before": 24,
        "subsidy_fen": 0,
    }
    fake = SimpleUploadedFile("poster.png", b"<script>alert(1)</script>", content_type="image/png")
    form = ActivityForm(data=base, files={"poster": fake})
    assert not form.is_valid() and "poster" in form.errors
    big = SimpleUploadedFile("p.png", b"\x89PNG\r\n\x1a\n" + b"0" * (2 * 1024 * 1024), "image/png")
    form = ActivityForm(data=base, files={"poster": big})
    assert not form.is_valid() and "poster" in form.errors
    ok = SimpleUploadedFile("p.png", b"\x89PNG\r\n\x1a\n" + b"0" * 100, "image/png")
    form = ActivityForm(data=base, files={"poster": ok})
    assert form.is_valid(), form.errors
    assert form.cleaned_data["poster"].name.endswith(".png")
