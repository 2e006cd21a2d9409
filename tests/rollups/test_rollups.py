"""The roll-ups (issue #13 item 5): ``dashboard.rollups`` answers exactly what the live
selectors of ``members`` answer, for any sequence of events, compensations and activity, with
the roll-up advanced at any points, rebuilt, or advanced twice (docs/figures.md, "Roll-ups")."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.management import call_command
from django.db import transaction
from django.db.models import Sum
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gonghui.dashboard import rollups
from gonghui.dashboard.models import (
    ActiveDay,
    ActiveMonth,
    ActiveYear,
    EventDay,
    EventMonth,
    RollupWatermark,
)
from gonghui.dashboard.services import rollup_advance, rollup_rebuild
from gonghui.members import selectors
from gonghui.members.models import MemberActivity, ServiceEvent

from .helpers import BASE, assert_exact, federation, local

pytestmark = pytest.mark.django_db


@pytest.fixture
def fed(db):
    return federation()


def buckets() -> list[list[tuple]]:
    return [
        sorted(
            EventDay.objects.values_list(
                "org_id", "day", "kind", "events", "person_times", "amount_fen"
            )
        ),
        sorted(
            EventMonth.objects.values_list(
                "org_id", "month", "kind", "events", "person_times", "amount_fen"
            )
        ),
        sorted(ActiveDay.objects.values_list("org_id", "day", "members")),
        sorted(ActiveMonth.objects.values_list("org_id", "month", "member_id")),
        sorted(ActiveYear.objects.values_list("org_id", "year", "member_id")),
    ]


def mark(name: str) -> int:
    row = RollupWatermark.objects.filter(name=name).first()
    return row.last_id if row else 0


op = st.one_of(
    st.tuples(
        st.just("event"),
        st.integers(0, 5),  # kind
        st.integers(0, 2),  # member
        st.integers(0, 3),  # org
        st.floats(0, 24 * 75, allow_nan=False),  # hours after BASE
        st.integers(1, 50_000),  # amount
    ),
    st.tuples(st.just("cancel"), st.integers(0, 20), st.floats(0, 24 * 120, allow_nan=False)),
    st.tuples(st.just("active"), st.integers(0, 2), st.integers(0, 3), st.integers(-60, 400)),
    st.tuples(st.just("advance")),
)


def apply(fed, step: tuple) -> None:
    if step[0] == "event":
        fed.event(*step[1:])
    elif step[0] == "cancel":
        fed.cancel(*step[1:])
    elif step[0] == "active":
        fed.active(*step[1:])
    else:
        rollup_advance()


@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(ops=st.lists(op, max_size=25))
def test_any_sequence_answers_as_the_live_selectors(fed, ops):
    fed.originals.clear()  # the last example's were rolled back
    with transaction.atomic():
        for step in ops:
            apply(fed, step)
        assert_exact(fed)  # advanced at random points, a live tail above the watermark
        rollup_advance()
        advanced = buckets()
        assert rollup_advance() == {"activity": 0, "events": 0}  # idempotent
        assert buckets() == advanced
        rollup_rebuild()
        assert buckets() == advanced  # the rebuild gives the same buckets
        assert_exact(fed)
        transaction.set_rollback(True)


def test_a_compensation_written_today_changes_the_past_day_where_it_nets(fed):
    fed.event(0, 0, 0, 5, 1_200)  # a redemption at union a on 20 January, 05:00
    fed.event(0, 1, 1, 30, 800)  # another at union b on 21 January
    rollup_advance()
    jan = {"start": local(2026, 1, 1), "end": local(2026, 2, 1)}
    assert rollups.person_times_by_kind(org=fed.root, **jan) == {"benefits.redemption": 2}
    assert fed.cancel(0, 24 * 40)  # voided on 1 March
    # not rolled up yet: read live above the watermark, netted into January at union a
    assert rollups.person_times_by_kind(org=fed.a, **jan) == {}
    assert rollups.amounts_by_kind(org=fed.a, **jan) == {"benefits.redemption": 0}
    assert rollups.amounts_by_kind(org=fed.root, **jan) == {"benefits.redemption": 800}
    march = {"start": local(2026, 3, 1), "end": local(2026, 4, 1)}
    assert rollups.person_times_by_kind(org=fed.root, **march) == {}
    assert rollups.amounts_by_kind(org=fed.root, **march) == {}
    rollup_advance()
    row = EventDay.objects.get(org=fed.a, kind="benefits.redemption")
    assert (row.day, row.events, row.person_times, row.amount_fen) == (
        dt.date(2026, 1, 20),
        1,
        0,
        0,
    )
    assert rollups.person_times_by_kind(org=fed.root, **jan) == {"benefits.redemption": 1}
    assert_exact(fed)


def test_every_bucket_sums_to_the_sources(fed):
    for i in range(30):
        fed.event(i, i, i, i * 37.5, 100 * (i + 1))
        fed.active(i, i, i * 3)
    for i in range(0, 12, 3):
        fed.cancel(i, 24 * 80)
    rollup_advance()
    assert mark("events") == ServiceEvent.objects.order_by("-id").first().id
    assert mark("activity") == MemberActivity.objects.order_by("-id").first().id
    assert ActiveDay.objects.aggregate(n=Sum("members"))["n"] == MemberActivity.objects.count()
    day = EventDay.objects.aggregate(p=Sum("person_times"), a=Sum("amount_fen"))
    month = EventMonth.objects.aggregate(p=Sum("person_times"), a=Sum("amount_fen"))
    assert day == month
    everything = {"start": local(2000, 1, 1), "end": local(2100, 1, 1)}
    assert day["p"] == sum(selectors.person_times_by_kind(org=fed.root, **everything).values())
    assert day["a"] == sum(selectors.amounts_by_kind(org=fed.root, **everything).values())
    assert_exact(fed)


def test_the_watermark_waits_below_a_missing_id_until_it_is_old(fed, settings):
    fed.event(3, 0, 0, 10, 0)
    rollup_advance()
    first = ServiceEvent.objects.get()
    assert mark("events") == first.id
    # an id handed out to a transaction that has not committed yet: the next one is visible
    later = ServiceEvent.objects.create(
        id=first.id + 2,
        member=first.member,
        org=first.org,
        kind="members.enrolment",
        source_type="tests.source",
        source_id="gap-after",
        occurred_at=first.occurred_at,
    )
    settings.GONGHUI_ROLLUP_GRACE_SECONDS = 600
    assert rollup_advance()["events"] == 0
    assert mark("events") == first.id  # waits below the gap
    gap = RollupWatermark.objects.get(name="events").gaps
    assert [g[:2] for g in gap] == [[first.id + 1, first.id + 1]]
    ServiceEvent.objects.create(  # the late transaction commits
        id=first.id + 1,
        member=first.member,
        org=first.org,
        kind="members.enrolment",
        source_type="tests.source",
        source_id="gap-late",
        occurred_at=first.occurred_at,
    )
    assert_exact(fed)  # read live above the watermark: counted once
    rollup_advance()
    assert mark("events") == later.id
    assert RollupWatermark.objects.get(name="events").gaps == []
    assert_exact(fed)
    assert EventDay.objects.get().person_times == 3


def test_a_gap_older_than_the_grace_is_passed(fed, settings):
    fed.event(3, 0, 0, 10, 0)
    rollup_advance()
    first = ServiceEvent.objects.get()
    ServiceEvent.objects.create(
        id=first.id + 2,
        member=first.member,
        org=first.org,
        kind="members.enrolment",
        source_type="tests.source",
        source_id="gap-after",
        occurred_at=first.occurred_at,
    )
    settings.GONGHUI_ROLLUP_GRACE_SECONDS = 0  # a rolled-back insert
    rollup_advance()
    assert mark("events") == first.id + 2
    assert RollupWatermark.objects.get(name="events").gaps == []
    assert_exact(fed)


def test_the_command_advances_and_rebuilds_with_progress(fed):
    for i in range(6):
        fed.event(i, i, i, i * 200.0, 500)
        fed.active(i, i, i * 10)
    out = io.StringIO()
    call_command("dashboard_rollup", stdout=out)
    assert "up to date" in out.getvalue()
    assert mark("events") == ServiceEvent.objects.order_by("-id").first().id
    advanced = buckets()
    out = io.StringIO()
    call_command("dashboard_rollup", "--rebuild", stdout=out)
    text = out.getvalue()
    assert "org-day-kind rows" in text and "org-month-member rows" in text and "rebuilt" in text
    assert buckets() == advanced
    assert_exact(fed)


def test_the_celery_task_advances(fed):
    from gonghui.dashboard.tasks import rollup_advance_task

    fed.event(0, 0, 0, 3, 100)
    moved = rollup_advance_task.apply().get()
    assert moved["events"] >= 1
    assert mark("events") == ServiceEvent.objects.get().id
    from django.conf import settings as django_settings

    beat = django_settings.CELERY_BEAT_SCHEDULE["dashboard-rollup-advance"]
    assert beat == {"task": "gonghui.dashboard.rollup_advance", "schedule": 60}


def test_mau_of_a_member_who_moved_union_counts_once_from_the_roll_ups(fed):
    mover = 0
    fed.active(mover, 0, 15)  # union a, 4 February
    fed.active(mover, 1, 20)  # union b, 9 February
    fed.active(1, 1, 20)
    rollup_advance()
    feb = {"start": dt.date(2026, 2, 1), "end": dt.date(2026, 2, 28)}
    assert rollups.active_members(org=fed.district, **feb) == 2
    assert rollups.active_members(org=fed.a, **feb) == 1
    assert rollups.active_members(org=fed.b, **feb) == 2
    year = {"start": dt.date(2026, 1, 1), "end": dt.date(2026, 12, 31)}
    assert rollups.active_members(org=fed.root, **year) == 2
    assert ActiveYear.objects.filter(member_id=fed.members[mover].pk).count() == 2
    assert rollups.active_by_day(org=fed.root, **feb) == {
        (BASE + dt.timedelta(days=15)).date(): 1,
        (BASE + dt.timedelta(days=20)).date(): 2,
    }
    assert_exact(fed)
