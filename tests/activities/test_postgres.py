"""PostgreSQL concurrency with exact counts: 1,000 registrations at once for 100 places, then
50 cancellations at once. Through a pool of 50 threads released together by a Barrier."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connections

from gonghui.activities import services
from gonghui.activities.models import Registration, Session
from gonghui.members.models import ServiceEvent
from tests.conftest import postgres_only
from tests.factories import org_child, org_root

from .factories import make_activity, make_members_bulk, make_session

S = Registration.Status
POOL = 50


def run_at_once(fn, items):
    """Run fn(item) for every item on POOL threads; each thread's first call waits on a Barrier."""
    barrier = threading.Barrier(POOL)
    local = threading.local()
    errors: list[BaseException] = []

    def task(item):
        if not getattr(local, "started", False):
            local.started = True
            barrier.wait(timeout=60)
        try:
            return fn(item)
        except BaseException as exc:
            errors.append(exc)
            return None
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=POOL) as pool:
        results = list(pool.map(task, items))
    assert not errors, errors[:3]
    return results


@postgres_only()
@pytest.mark.django_db(transaction=True)
def test_1000_registrations_for_100_places_then_50_cancellations():
    union = org_child(org_root())
    session = make_session(make_activity(union), capacity=100)
    session = Session.objects.select_related("activity", "activity__org").get(pk=session.pk)
    members = make_members_bulk(union, 1000)

    regs = run_at_once(lambda m: services.registration_create(member=m, session=session), members)

    session.refresh_from_db()
    assert session.places_left == 0
    assert sum(r.status == S.CONFIRMED for r in regs) == 100
    assert Registration.objects.filter(session=session, status=S.CONFIRMED).count() == 100
    waiting = list(
        Registration.objects.filter(session=session, status=S.WAITLISTED).order_by("position")
    )
    assert len(waiting) == 900
    # positions are 1..900 without gaps or duplicates …
    assert [r.position for r in waiting] == list(range(1, 901))
    # … in arrival order: the order in which they took the session's lock (created_at is set
    # after the lock is taken, and the lock is held to commit)
    times = [r.created_at for r in waiting]
    assert times == sorted(times)
    assert session.waitlist_counter == 900
    assert ServiceEvent.objects.filter(kind="activities.registration").count() == 100

    # 50 confirmed members cancel at once: exactly the first 50 waiting are promoted, in order
    confirmed = list(Registration.objects.filter(session=session, status=S.CONFIRMED)[:50])
    run_at_once(lambda r: services.registration_cancel(registration=r, member=r.member), confirmed)
    session.refresh_from_db()
    assert session.places_left == 0
    assert Registration.objects.filter(session=session, status=S.CANCELLED).count() == 50
    assert Registration.objects.filter(session=session, status=S.CONFIRMED).count() == 100
    promoted = Registration.objects.filter(
        session=session, status=S.CONFIRMED, position__isnull=False
    ).values_list("position", flat=True)
    assert sorted(promoted) == list(range(1, 51))
    still = Registration.objects.filter(session=session, status=S.WAITLISTED).order_by("position")
    assert [r.position for r in still] == list(range(51, 901))
    assert ServiceEvent.objects.filter(kind="activities.registration").count() == 150


@postgres_only()
@pytest.mark.django_db(transaction=True)
def test_one_member_ten_times_at_once_registers_once():
    from gonghui.core.errors import Refused
    from tests.factories import make_member

    union = org_child(org_root())
    session = make_session(make_activity(union), capacity=5)
    session = Session.objects.select_related("activity", "activity__org").get(pk=session.pk)
    member = make_member(union)
    barrier = threading.Barrier(10)

    def one(_i):
        barrier.wait(timeout=30)
        try:
            return services.registration_create(member=member, session=session).status
        except Refused as exc:
            return exc.code
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=10) as pool:
        results = list(pool.map(one, range(10)))
    assert results.count(S.CONFIRMED) == 1
    assert results.count("already_registered") == 9
    session.refresh_from_db()
    assert session.places_left == 4
    assert Registration.objects.filter(session=session).count() == 1
