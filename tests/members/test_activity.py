"""Member activity (日活/月活, issue #13 item 2): one row per member and local day, written
cheaply and never inside the transaction of the service that caused it; 月活 of a subtree is a
DISTINCT count (a member who moved union inside the month counts once)."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import connection, transaction
from django.test import Client

from gonghui.core.timeutil import now
from gonghui.members import activity, selectors
from gonghui.members.models import MemberActivity, ServiceEvent
from gonghui.members.services import service_event_record
from gonghui.members.session import SESSION_MEMBER_KEY
from gonghui.orgs.models import Role
from tests.conftest import postgres_only
from tests.factories import make_member, make_staff, org_child, org_root

pytestmark = pytest.mark.django_db

Via = MemberActivity.Via


@pytest.fixture
def tree():
    root = org_root()
    a, b = org_child(root), org_child(root)
    return root, a, b


def test_one_row_per_member_and_local_day_and_the_repeat_costs_no_query(
    tree, django_assert_num_queries
):
    _root, a, _b = tree
    member = make_member(a)
    assert activity.activity_note(member_id=member.pk, org_id=a.pk, via=Via.SESSION) is True
    with django_assert_num_queries(0):
        for _ in range(5):
            assert activity.activity_note(member_id=member.pk, org_id=a.pk, via=Via.SCAN) is False
    row = MemberActivity.objects.get()
    assert (row.member_id, row.org_id, row.via) == (member.pk, a.pk, Via.SESSION)


def test_the_day_is_the_local_day(tree):
    _root, a, _b = tree
    member = make_member(a)
    late = dt.datetime(2026, 3, 1, 16, 30, tzinfo=dt.UTC)  # 00:30 on 2 March in Shanghai
    activity.activity_note(member_id=member.pk, org_id=a.pk, via=Via.SCAN, at=late)
    assert MemberActivity.objects.get().day == dt.date(2026, 3, 2)


def test_another_worker_or_a_dead_cache_still_makes_one_row(tree, dead_redis):
    _root, a, _b = tree
    member = make_member(a)
    for _ in range(3):
        activity.forget_seen()  # as if each call came from another worker
        activity.activity_note(member_id=member.pk, org_id=a.pk, via=Via.SESSION)
    assert MemberActivity.objects.count() == 1


def test_h5_request_of_a_signed_in_member_is_noted_others_are_not(tree):
    _root, a, _b = tree
    member = make_member(a)
    anonymous = Client()
    assert anonymous.get("/m/").status_code == 200
    staff = Client()
    staff.force_login(make_staff(a, Role.UNION_ADMIN))
    staff.get("/m/")
    assert not MemberActivity.objects.exists()

    signed_in = Client()
    session = signed_in.session
    session[SESSION_MEMBER_KEY] = member.pk
    session.save()
    assert signed_in.get("/m/").status_code == 200
    row = MemberActivity.objects.get()
    assert (row.member_id, row.org_id, row.via) == (member.pk, a.pk, Via.SESSION)


def test_a_service_event_is_noted_on_commit_and_not_when_rolled_back(
    tree, django_capture_on_commit_callbacks
):
    _root, a, _b = tree
    member, other = make_member(a), make_member(a)
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        service_event_record(member=member, kind="rights.consultation", source=member)
        assert not MemberActivity.objects.exists()  # nothing inside the transaction
    assert MemberActivity.objects.get().via == Via.SERVICE

    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        service_event_record(member=other, kind="rights.consultation", source=other)
        raise RuntimeError("rolled back")
    assert not MemberActivity.objects.filter(member=other).exists()
    assert not ServiceEvent.objects.filter(member=other).exists()


def test_an_event_dated_in_the_past_counts_on_its_own_day(tree, django_capture_on_commit_callbacks):
    _root, a, _b = tree
    member = make_member(a)
    then = dt.datetime(2026, 5, 4, 2, 0, tzinfo=dt.UTC)
    with django_capture_on_commit_callbacks(execute=True):
        service_event_record(
            member=member, kind="rights.consultation", source=member, occurred_at=then
        )
    assert MemberActivity.objects.get().day == dt.date(2026, 5, 4)


def test_mau_counts_a_member_who_moved_union_once(tree):
    root, a, b = tree
    mover, stayer = make_member(a), make_member(b)
    day1 = dt.datetime(2026, 6, 3, 4, 0, tzinfo=dt.UTC)
    day2 = dt.datetime(2026, 6, 20, 4, 0, tzinfo=dt.UTC)
    activity.activity_note(member_id=mover.pk, org_id=a.pk, via=Via.SESSION, at=day1)
    activity.activity_note(member_id=mover.pk, org_id=b.pk, via=Via.SCAN, at=day2)  # moved
    activity.activity_note(member_id=stayer.pk, org_id=b.pk, via=Via.SCAN, at=day2)
    june = {"start": dt.date(2026, 6, 1), "end": dt.date(2026, 6, 30)}
    assert selectors.active_members(org=root, **june) == 2
    assert selectors.active_members(org=a, **june) == 1
    assert selectors.active_members(org=b, **june) == 2
    assert (
        selectors.active_members(org=root, start=dt.date(2026, 7, 1), end=dt.date(2026, 7, 31)) == 0
    )
    assert selectors.active_by_day(org=root, **june) == {
        dt.date(2026, 6, 3): 1,
        dt.date(2026, 6, 20): 2,
    }
    # brute force over the rows
    assert selectors.active_members(org=root, **june) == len(
        set(MemberActivity.objects.values_list("member_id", flat=True))
    )


@postgres_only()
@pytest.mark.django_db(transaction=True)
def test_concurrent_notes_of_one_member_make_exactly_one_row(monkeypatch):
    root = org_root()
    union = org_child(root)
    member = make_member(union)
    monkeypatch.setattr(activity.cache, "add", lambda *a, **k: True)  # every worker misses
    at = now()
    barrier = threading.Barrier(8)
    made: list[bool] = []

    def note() -> None:
        try:
            barrier.wait()
            activity.forget_seen()
            made.append(
                activity.activity_note(member_id=member.pk, org_id=union.pk, via=Via.SCAN, at=at)
            )
        finally:
            connection.close()

    threads = [threading.Thread(target=note) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert made.count(True) == 1
    assert MemberActivity.objects.filter(member=member).count() == 1


def test_a_failed_mark_does_not_fail_the_request_and_is_tried_again(tree, monkeypatch):
    from django.db import DatabaseError

    _root, a, _b = tree
    member = make_member(a)
    real = activity.insert_or_skip

    def broken(obj):
        raise DatabaseError("database went away")

    monkeypatch.setattr(activity, "insert_or_skip", broken)
    assert activity.activity_note(member_id=member.pk, org_id=a.pk, via=Via.SCAN) is False
    monkeypatch.setattr(activity, "insert_or_skip", real)
    assert activity.activity_note(member_id=member.pk, org_id=a.pk, via=Via.SCAN) is True
    assert MemberActivity.objects.count() == 1
