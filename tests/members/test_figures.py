"""The counting rules of docs/figures.md, applied by ``members.selectors.person_times`` and
``amounts``: they equal a brute-force count over the live source rows (issue #13, item 1; the
acceptance test of issue #13 in a first form)."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass
from typing import Any

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gonghui.activities import services as activities
from gonghui.activities.models import CheckIn, Registration
from gonghui.benefits import services as benefits
from gonghui.benefits.models import Redemption
from gonghui.core import timeutil
from gonghui.core.errors import Refused
from gonghui.funds import services as funds
from gonghui.funds.models import AccountKind
from gonghui.jobs import services as jobs
from gonghui.jobs.models import Application
from gonghui.members import figures as registry
from gonghui.members import selectors
from gonghui.members.models import Member, ServiceEvent
from gonghui.members.servicekinds import Amount
from gonghui.orgs.models import Org
from gonghui.venues import services as venues
from gonghui.venues.models import Booking
from tests.activities.factories import make_activity, make_session
from tests.benefits.factories import make_merchant, make_offer, make_store, make_terminal
from tests.factories import make_member, org_child, org_root
from tests.jobs.factories import make_enterprise, make_posting
from tests.venues.factories import make_slot, make_venue

pytestmark = pytest.mark.django_db

SPENT, RECOVERED = Amount.SPENT, Amount.RECOVERED


@dataclass
class Town:
    root: Org
    unions: list[Org]
    members: list[Member]
    session: Any
    terminal: Any
    offer: Any
    slot: Any
    posting: Any


def _activity_budget(org: Org) -> Any:
    bank = funds.account_open(org=org, kind=AccountKind.BANK)
    welfare = funds.account_open(org=org, kind=AccountKind.WELFARE)
    funds.fund_allocate(org=org, from_account=bank, to_account=welfare, amount_fen=1_000_000)
    return funds.budget_create(org=org, name="活动补贴", account=welfare, cap_fen=1_000_000)


@pytest.fixture
def town(db) -> Town:
    root = org_root()
    unions = [org_child(root), org_child(root)]
    enterprise = make_enterprise(unions[0])
    # three members of the first union (the activity's, which only they may join), one of the
    # second (the venue's)
    members = [make_member(unions[i // 3], enterprise=enterprise) for i in range(4)]
    activity = make_activity(unions[0], subsidy_fen=1_500, subsidy_budget=_activity_budget(root))
    merchant = make_merchant(root)
    store = make_store(merchant)
    return Town(
        root=root,
        unions=unions,
        members=members,
        session=make_session(activity, capacity=2),
        terminal=make_terminal(store),
        offer=make_offer(merchant, budget_cap_fen=1_000_000),
        slot=make_slot(make_venue(unions[1]), capacity=2),
        posting=make_posting(enterprise),
    )


def brute_force(town: Town, org: Org) -> tuple[int, dict[Amount, int]]:
    """Person-times and amounts from the live source rows of ``org``'s subtree."""
    inside = set(Org.objects.filter(path__startswith=org.path).values_list("pk", flat=True))
    served = Registration.Status
    held = [*Registration.HOLDING, served.ATTENDED, served.NO_SHOW]
    count, spent = 0, 0
    for reg in Registration.objects.filter(status__in=held).select_related("session__activity"):
        if reg.session.activity.org_id in inside:  # an activity's event is at its org
            count += 1
            spent += reg.subsidy_fen
    for red in Redemption.objects.filter(status=Redemption.Status.ACTIVE):
        if red.member.org_id in inside:  # a redemption's event is at the member's union
            count += 1
            spent += red.subsidy_fen
    for booking in Booking.objects.filter(member__isnull=False).exclude(
        status=Booking.Status.CANCELLED
    ):
        count += booking.member.org_id in inside
    for application in Application.objects.exclude(status=Application.Status.WITHDRAWN):
        count += application.member.org_id in inside
    return count, {SPENT: spent, RECOVERED: 0}


def figures(org: Org | None) -> tuple[int, dict[Amount, int]]:
    start = timeutil.now() - dt.timedelta(days=1)
    end = timeutil.now() + dt.timedelta(days=30)
    return (
        selectors.person_times(org=org, start=start, end=end),
        selectors.amounts(org=org, start=start, end=end),
    )


def run(town: Town, op: tuple) -> str:
    """Apply one operation; returns what happened ('ok' or the refusal's code)."""
    name, i, j = op
    member = town.members[i]
    try:
        if name == "register":
            activities.registration_create(member=member, session=town.session)
        elif name == "cancel":
            reg = Registration.objects.filter(session=town.session, member=member).exclude(
                status=Registration.Status.CANCELLED
            )
            if not reg:
                return "none"
            activities.registration_cancel(registration=reg[0], member=member)
        elif name == "checkin":
            activities.checkin_record(
                session=town.session, member=member, via="poster", now=town.session.starts_at
            )
        elif name == "redeem":
            benefits.redemption_create(
                terminal=town.terminal, member=member, bill_fen=1_000 * (j + 1), offer_id=None
            )
        elif name == "void":
            made = list(Redemption.objects.order_by("pk"))
            if not made:
                return "none"
            benefits.redemption_void(redemption=made[j % len(made)], actor=None, reason="test")
        elif name == "book":
            venues.booking_create(slot=town.slot, member=member)
        elif name == "unbook":
            booking = Booking.objects.filter(member=member, status=Booking.Status.ACTIVE).first()
            if booking is None:
                return "none"
            venues.booking_cancel(booking=booking, member=member)
        elif name == "apply":
            jobs.application_submit(member=member, posting=town.posting)
        elif name == "withdraw":
            application = Application.objects.filter(member=member).first()
            if application is None:
                return "none"
            jobs.application_transition(
                application=application, to_status=Application.Status.WITHDRAWN, member=member
            )
    except Refused as exc:
        return exc.code
    return "ok"


def check(town: Town) -> None:
    parts = []
    for union in town.unions:
        got = figures(union)
        assert got == brute_force(town, union), union
        parts.append(got)
    total = figures(town.root)
    assert total == brute_force(town, town.root)
    # the root's figures are the sum of its unions' (no event sits at the root itself)
    assert total[0] == sum(p[0] for p in parts)
    assert total[1][SPENT] == sum(p[1][SPENT] for p in parts)
    assert figures(None) == total
    check_registered(town)


def registered(key: str, org: Org) -> Any:
    start = timeutil.now() - dt.timedelta(days=1)
    end = timeutil.now() + dt.timedelta(days=30)
    return registry.figure(key).compute(registry.Query(org=org, start=start, end=end))


def check_registered(town: Town) -> None:
    """The figures the apps publish (members.figures) equal the live rows too; the additive
    ones of the root are the sum of its unions' (the root holds the merchant and the funds);
    the welfare fund's spending is the subsidies given and not cancelled."""
    held = Registration.objects.filter(
        status__in=[
            *Registration.HOLDING,
            Registration.Status.ATTENDED,
            Registration.Status.NO_SHOW,
        ]
    )
    live = Redemption.objects.filter(status=Redemption.Status.ACTIVE)
    expected = {
        "activities.places": held.count(),
        "activities.subsidy": sum(r.subsidy_fen for r in held),
        "activities.checkins": CheckIn.objects.count(),
        "jobs.applications": Application.objects.exclude(
            status=Application.Status.WITHDRAWN
        ).count(),
        "venues.bookings": Booking.objects.exclude(status=Booking.Status.CANCELLED).count(),
        "benefits.redemptions": live.count(),
        "benefits.subsidy": sum(r.subsidy_fen for r in live),
    }
    for key, want in expected.items():
        assert registered(key, town.root) == want, key
        if key.startswith("benefits."):
            continue  # the merchant is the root's: nothing below it
        assert registered(key, town.root) == sum(registered(key, u) for u in town.unions), key
    spent = expected["activities.subsidy"] + expected["benefits.subsidy"]
    assert registered("funds.spent.welfare", town.root) == spent


OPS = ["register", "cancel", "checkin", "redeem", "void", "book", "unbook", "apply", "withdraw"]
op = st.tuples(st.sampled_from(OPS), st.integers(0, 3), st.integers(0, 5))


def test_every_operation_moves_the_figures_as_the_live_rows(town):
    """A fixed walk in which every operation succeeds at least once."""
    walk = [
        ("register", 0, 0),
        ("register", 1, 0),
        ("register", 2, 0),  # waitlisted: no event yet
        ("cancel", 0, 0),  # 2 is promoted: its place counts now
        ("checkin", 1, 0),  # the registration counted already
        ("cancel", 2, 0),
        ("checkin", 0, 0),  # a walk-in (a new registration): it counts
        ("redeem", 0, 0),
        ("redeem", 1, 1),
        ("void", 0, 0),
        ("book", 3, 0),
        ("book", 2, 0),
        ("unbook", 3, 0),
        ("apply", 0, 0),
        ("apply", 3, 0),
        ("withdraw", 3, 0),
    ]
    outcomes = Counter()
    for step in walk:
        outcomes[step[0], run(town, step)] += 1
        check(town)
    assert all(result == "ok" for (_name, result) in outcomes), outcomes
    kinds = set(ServiceEvent.objects.values_list("kind", flat=True))
    assert {
        "activities.registration_cancelled",
        "benefits.redemption_void",
        "venues.booking_cancelled",
        "jobs.application_withdrawn",
    } <= kinds
    # registrations of 1 and of 0's walk-in, a redemption, a booking, an application
    assert figures(town.root)[0] == 2 + 1 + 1 + 1


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(ops=st.lists(op, max_size=14))
def test_any_sequence_counts_as_the_live_rows(town, ops):
    with transaction.atomic():
        for step in ops:
            run(town, step)
        check(town)
        transaction.set_rollback(True)


def test_a_compensation_nets_at_the_place_and_time_of_what_it_cancels(town):
    """A void after the member moved union cancels the redemption where it was counted; a
    registration cancelled later no longer counts in the period it was made."""
    a, b = town.unions
    member = town.members[0]
    made = timeutil.now()
    red = benefits.redemption_create(
        terminal=town.terminal, member=member, bill_fen=10_000, offer_id=None, at=made
    )
    assert red.subsidy_fen > 0
    before = dict(start=made - dt.timedelta(hours=1), end=made + dt.timedelta(hours=1))
    assert selectors.person_times(org=a, **before) == 1
    assert selectors.amounts(org=a, **before)[SPENT] == red.subsidy_fen
    Member.objects.filter(pk=member.pk).update(org=b)  # moved (a transfer, without its paperwork)
    member.refresh_from_db()
    later = made + dt.timedelta(days=3)
    benefits.redemption_void(redemption=red, actor=None, reason="test", at=later)
    void = ServiceEvent.objects.get(kind="benefits.redemption_void")
    assert (void.org_id, void.member_id, void.amount_fen) == (a.pk, member.pk, -red.subsidy_fen)
    assert void.occurred_at == later
    for org in (a, b, town.root):
        assert selectors.person_times(org=org, **before) == 0
        assert selectors.amounts(org=org, **before) == {SPENT: 0, RECOVERED: 0}
    # nothing is counted in the period of the void either: the void never counts by itself
    after = dict(start=later - dt.timedelta(hours=1), end=later + dt.timedelta(hours=1))
    assert selectors.person_times(org=None, **after) == 0
    assert selectors.amounts(org=None, **after)[SPENT] == 0


def test_the_counts_by_kind_follow_the_registry(town):
    member = town.members[1]
    activities.registration_create(member=member, session=town.session)
    activities.checkin_record(
        session=town.session, member=member, via="poster", now=town.session.starts_at
    )
    jobs.application_submit(member=member, posting=town.posting)
    start = timeutil.now() - dt.timedelta(days=1)
    end = town.session.starts_at + dt.timedelta(days=1)
    by_kind = selectors.person_times_by_kind(org=town.root, start=start, end=end)
    # the check-in is an event, but the registration it checks in on is what counts
    assert ServiceEvent.objects.filter(kind="activities.checkin").count() == 1
    assert by_kind == {"activities.registration": 1, "jobs.application": 1}
    assert selectors.amounts_by_kind(org=town.root, start=start, end=end) == {
        "activities.registration": 1_500
    }


def test_a_compensation_is_not_member_activity(town, django_capture_on_commit_callbacks):
    """The member was not served by a void (staff may make it): no activity is noted for it."""
    from gonghui.members.activity import forget_seen
    from gonghui.members.models import MemberActivity

    member = town.members[0]
    with django_capture_on_commit_callbacks(execute=True):
        red = benefits.redemption_create(
            terminal=town.terminal, member=member, bill_fen=5_000, offer_id=None
        )
    assert MemberActivity.objects.filter(member=member).count() == 1
    MemberActivity.objects.all().delete()
    forget_seen()
    with django_capture_on_commit_callbacks(execute=True):
        benefits.redemption_void(redemption=red, actor=None, reason="test")
    assert ServiceEvent.objects.filter(kind="benefits.redemption_void").exists()
    assert not MemberActivity.objects.exists()
