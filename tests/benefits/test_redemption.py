"""redemption_create / redemption_void: the effects, each refusal, the choice of offer."""

from __future__ import annotations

import datetime as dt

import pytest

from gonghui.benefits import scan, services
from gonghui.benefits.models import MemberOfferUsage, OfferKind, Payer, Redemption
from gonghui.core.errors import Refused
from gonghui.core.timeutil import SHANGHAI
from gonghui.funds.models import AccountKind, FundAccount, LedgerTransaction
from gonghui.members.models import EmploymentType, GigTrade, Member, ServiceEvent
from tests.factories import make_member, make_staff, org_child, org_root

from .conftest import assert_ledger_ok, snapshot
from .factories import make_merchant, make_offer, make_store, make_terminal

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast_hasher(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def redeem(world, bill=10_000, offer=None, member=None, at=None, terminal=None):
    return services.redemption_create(
        terminal=terminal or world.terminal,
        member=member or world.member,
        bill_fen=bill,
        offer_id=offer.pk if offer is not None else None,
        at=at,
    )


def refused(fn, code):
    before = snapshot()
    with pytest.raises(Refused) as exc:
        fn()
    assert exc.value.code == code, (exc.value.code, exc.value.message)
    assert str(exc.value.message)
    assert snapshot() == before, "a refusal changed something"
    return exc.value


def payable(merchant) -> FundAccount:
    return FundAccount.objects.get(
        kind=AccountKind.MERCHANT_PAYABLE, party_type="benefits.merchant", party_id=str(merchant.pk)
    )


def test_redemption_takes_everything_and_books_the_ledger(world):
    offer = make_offer(
        world.merchant, percent_bp=2000, max_subsidy_fen=3_000, stock_total=10, limit_per_day=2
    )
    welfare = offer.budget.account
    welfare.refresh_from_db()
    before = welfare.balance_fen
    red = redeem(world, bill=12_345)
    assert (red.discount_fen, red.subsidy_fen, red.pay_fen) == (2_469, 2_469, 9_876)
    offer.refresh_from_db()
    offer.budget.refresh_from_db()
    welfare.refresh_from_db()
    assert offer.stock_left == 9
    assert offer.budget.spent_fen == 2_469
    assert welfare.balance_fen == before - 2_469
    assert payable(world.merchant).balance_fen == 2_469
    txn = red.ledger_txn
    assert txn.kind == "benefits.subsidy" and txn.source == ("benefits.redemption", str(red.pk))
    assert sum(e.amount_fen for e in txn.entries.all()) == 0
    event = ServiceEvent.objects.get(kind="benefits.redemption", source_id=str(red.pk))
    assert event.amount_fen == 2_469 and event.member == world.member
    usage = MemberOfferUsage.objects.get(member=world.member, offer=offer, period="day")
    assert usage.count == 1
    assert red.local_date == red.created_at.astimezone(SHANGHAI).date()
    receipt = scan.receipt(red)
    assert receipt["remaining"] == {
        "stock": 9,
        "member_today": 1,
        "member_week": None,
        "member_month": None,
    }
    assert (
        receipt["member"]["name"].startswith(world.member.name[0])
        and "*" in receipt["member"]["name"]
    )
    assert_ledger_ok()


def test_void_reverses_everything(world):
    offer = make_offer(world.merchant, stock_total=3, limit_per_day=1, limit_per_month=5)
    welfare = offer.budget.account
    start_balance = FundAccount.objects.get(pk=welfare.pk).balance_fen
    red = redeem(world, bill=5_000)
    staff = make_staff(world.root, "federation_admin")
    voided = services.redemption_void(redemption=red, actor=staff, reason="customer returned")
    assert voided.status == Redemption.Status.VOIDED and voided.voided_by == staff
    offer.refresh_from_db()
    offer.budget.refresh_from_db()
    assert offer.stock_left == 3 and offer.budget.spent_fen == 0
    assert FundAccount.objects.get(pk=welfare.pk).balance_fen == start_balance
    assert payable(world.merchant).balance_fen == 0
    assert voided.void_txn.reverses == red.ledger_txn
    assert set(MemberOfferUsage.objects.filter(offer=offer).values_list("count", flat=True)) == {0}
    kinds = dict(
        ServiceEvent.objects.filter(source_id=str(red.pk)).values_list("kind", "amount_fen")
    )
    assert kinds == {"benefits.redemption": 1_000, "benefits.redemption_void": -1_000}
    from gonghui.core.models import AuditEntry

    assert AuditEntry.objects.filter(action="benefits.redemption.void", actor=staff).exists()
    # the day's limit is free again
    again = redeem(world, bill=5_000)
    assert again.status == Redemption.Status.ACTIVE
    # voiding twice: 409; with the same key: the first answer
    refused(
        lambda: services.redemption_void(redemption=red, actor=staff, reason="x"), "already_voided"
    )
    assert_ledger_ok()


def test_void_with_idempotency_key_replays(world):
    make_offer(world.merchant)
    red = redeem(world)
    staff = make_staff(world.root, "federation_admin")
    first = services.redemption_void(redemption=red, actor=staff, reason="r", idempotency_key="v1")
    n = LedgerTransaction.objects.count()
    second = services.redemption_void(redemption=red, actor=staff, reason="r", idempotency_key="v1")
    assert second.pk == first.pk and getattr(second, "replayed", False)
    assert LedgerTransaction.objects.count() == n
    refused(
        lambda: services.redemption_void(
            redemption=red, actor=staff, reason="r", idempotency_key="v2"
        ),
        "already_voided",
    )


def test_merchant_paid_offer_books_no_ledger(world):
    make_offer(world.merchant, payer=Payer.MERCHANT, percent_bp=1000)
    n = LedgerTransaction.objects.count()
    red = redeem(world, bill=10_000)
    assert (red.discount_fen, red.subsidy_fen, red.ledger_txn) == (1_000, 0, None)
    assert LedgerTransaction.objects.count() == n
    services.redemption_void(redemption=red, actor=None, reason="r")
    assert LedgerTransaction.objects.count() == n


def test_best_offer_is_chosen_and_falls_back(world):
    small = make_offer(world.merchant, percent_bp=1000)
    big = make_offer(world.merchant, percent_bp=3000, stock_total=1)
    assert redeem(world).offer == big
    # big is out of stock: the next best is used
    assert redeem(world).offer == small
    # naming the exhausted offer refuses
    refused(lambda: redeem(world, offer=big), "stock_exhausted")


def test_refusals(world):
    other_root = org_root()
    foreign = make_offer(world.merchant, org=other_root)
    refused(lambda: redeem(world, offer=foreign), "not_eligible")
    refused(lambda: redeem(world), "not_eligible")  # the only offer is for someone else
    foreign.is_active = False
    foreign.save()
    refused(lambda: redeem(world), "offer_not_found")
    refused(lambda: redeem(world, offer=foreign), "offer_not_found")
    refused(
        lambda: services.redemption_create(
            terminal=world.terminal, member=world.member, bill_fen=100, offer_id=10**9
        ),
        "offer_not_found",
    )
    refused(
        lambda: services.redemption_create(
            terminal=world.terminal, member=world.member, bill_fen=100, offer_id="1"
        ),
        "offer_not_found",
    )
    # another merchant's offer is not found at this store
    other = make_offer(make_merchant(world.root))
    refused(lambda: redeem(world, offer=other), "offer_not_found")


def test_gig_only_and_subtree(world):
    gig = make_offer(world.merchant, gig_only=True)
    refused(lambda: redeem(world, offer=gig), "not_eligible")
    rider = make_member(
        world.union, employment_type=EmploymentType.GIG, gig_trade=GigTrade.values[0]
    )
    assert redeem(world, offer=gig, member=rider).offer == gig
    # an offer for a sibling union: not for this member
    sibling = org_child(world.root)
    only_sibling = make_offer(world.merchant, org=sibling)
    refused(lambda: redeem(world, offer=only_sibling), "not_eligible")
    # inactive members are refused
    Member.objects.filter(pk=rider.pk).update(status=Member.Status.values[-1])
    rider.refresh_from_db()
    if rider.status != Member.Status.ACTIVE:
        refused(lambda: redeem(world, offer=gig, member=rider), "not_eligible")


def test_windows(world):
    at = dt.datetime(2026, 3, 4, 10, 0, tzinfo=SHANGHAI)  # a Wednesday, 10:00 local
    o = make_offer(world.merchant, valid_from=at + dt.timedelta(days=1))
    refused(lambda: redeem(world, offer=o, at=at), "outside_window")
    o.valid_from, o.valid_until = None, at
    o.save()
    refused(lambda: redeem(world, offer=o, at=at), "outside_window")
    o.valid_until = None
    o.weekdays = "67"
    o.save()
    refused(lambda: redeem(world, offer=o, at=at), "outside_window")
    o.weekdays = "3"
    o.time_from, o.time_until = dt.time(11, 0), dt.time(14, 0)
    o.save()
    refused(lambda: redeem(world, offer=o, at=at), "outside_window")
    assert redeem(world, offer=o, at=at + dt.timedelta(hours=2)).offer == o
    # a window over midnight: 22:00 to 02:00
    o.time_from, o.time_until, o.weekdays = dt.time(22, 0), dt.time(2, 0), "1234567"
    o.save()
    assert redeem(world, offer=o, at=at.replace(hour=23)).offer == o
    assert redeem(world, offer=o, at=at.replace(hour=1)).offer == o
    refused(lambda: redeem(world, offer=o, at=at.replace(hour=12)), "outside_window")


def test_limits_per_day_week_month(world):
    o = make_offer(world.merchant, limit_per_day=2, limit_per_week=3, limit_per_month=4)
    monday = dt.datetime(2026, 3, 2, 12, 0, tzinfo=SHANGHAI)
    redeem(world, offer=o, at=monday)
    redeem(world, offer=o, at=monday)
    exc = refused(lambda: redeem(world, offer=o, at=monday), "member_limit")
    assert exc.data["period"] == "day"
    redeem(world, offer=o, at=monday + dt.timedelta(days=1))
    exc = refused(lambda: redeem(world, offer=o, at=monday + dt.timedelta(days=2)), "member_limit")
    assert exc.data["period"] == "week"
    redeem(world, offer=o, at=monday + dt.timedelta(days=7))
    exc = refused(lambda: redeem(world, offer=o, at=monday + dt.timedelta(days=8)), "member_limit")
    assert exc.data["period"] == "month"
    # another member is not limited by this one
    assert redeem(world, offer=o, at=monday, member=make_member(world.union)).offer == o


def test_stock_and_budget_exhausted(world):
    o = make_offer(world.merchant, stock_total=1)
    redeem(world, offer=o)
    refused(lambda: redeem(world, offer=o), "stock_exhausted")
    b = make_offer(world.merchant, percent_bp=5000, budget_cap_fen=7_000)
    redeem(world, offer=b, bill=10_000)  # 5,000
    refused(lambda: redeem(world, offer=b, bill=10_000), "budget_exhausted")  # 5,000 > 2,000
    assert redeem(world, offer=b, bill=4_000).subsidy_fen == 2_000
    b.budget.refresh_from_db()
    assert b.budget.spent_fen == b.budget.cap_fen == 7_000
    b.budget.is_active = False
    b.budget.save()
    refused(lambda: redeem(world, offer=b, bill=2), "budget_exhausted")


def test_store_inactive_and_bills(world):
    make_offer(
        world.merchant,
        kind=OfferKind.FIXED_THRESHOLD,
        percent_bp=None,
        threshold_fen=5_000,
        amount_off_fen=1_000,
    )
    refused(lambda: redeem(world, bill=4_999), "below_threshold")
    for bad in (0, -100, 10_000_001, 99.5, "100", None):
        refused(lambda bad=bad: redeem(world, bill=bad), "bill_invalid")
    world.store.is_active = False
    world.store.save()
    refused(lambda: redeem(world), "store_inactive")
    world.store.is_active = True
    world.store.save()
    world.merchant.is_active = False
    world.merchant.save()
    refused(lambda: redeem(world), "store_inactive")


def test_offer_at_some_stores_only(world):
    second = make_store(world.merchant)
    o = make_offer(world.merchant, all_stores=False)
    o.stores.set([second])
    refused(lambda: redeem(world, offer=o), "offer_not_found")
    assert redeem(world, offer=o, terminal=make_terminal(second)).store == second


def test_void_refused_after_settlement(world):
    make_offer(world.merchant)
    yesterday = dt.datetime.now(tz=SHANGHAI) - dt.timedelta(days=1)
    red = redeem(world, at=yesterday)
    staff = make_staff(world.root, "federation_admin")
    services.settlement_create(
        merchant=world.merchant,
        period_start=red.local_date,
        period_end=red.local_date,
        actor=staff,
    )
    red.refresh_from_db()
    refused(
        lambda: services.redemption_void(redemption=red, actor=staff, reason="r"), "already_settled"
    )
