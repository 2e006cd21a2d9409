"""Concurrent advances on PostgreSQL (issue #13 item 5): workers advancing the roll-ups while
others write events never count a row twice or lose one (the watermark row is locked, and the
watermark never passes an id of a transaction that has not committed)."""

from __future__ import annotations

import datetime as dt
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connections, transaction
from django.db.models import Sum

from gonghui.dashboard.models import EventDay, RollupWatermark
from gonghui.dashboard.services import rollup_advance
from gonghui.members.models import ServiceEvent
from gonghui.members.services import service_event_record
from tests.conftest import postgres_only

from .helpers import BASE, Source, assert_exact, federation, local

pytestmark = [postgres_only(), pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

WRITERS, ADVANCERS, EVENTS_EACH = 6, 6, 25


def test_concurrent_advances_and_writes_count_every_event_once(settings):
    fed = federation()
    fed.event(3, 0, 0, 1.0, 0)
    rollup_advance()  # past the ids that earlier tests used and rolled back
    settings.GONGHUI_ROLLUP_GRACE_SECONDS = 600  # no gap is passed while the test runs
    barrier = threading.Barrier(WRITERS + ADVANCERS)
    stop = threading.Event()
    moved: list[int] = []
    lock = threading.Lock()

    def write(w: int) -> None:
        try:
            barrier.wait()
            for i in range(EVENTS_EACH):
                with transaction.atomic():
                    service_event_record(
                        member=fed.members[w % 3],
                        kind="members.enrolment",
                        source=Source(100_000 + 1_000 * w + i),
                        org=fed.event_orgs[(w + i) % 4],
                        occurred_at=BASE + dt.timedelta(hours=(w * EVENTS_EACH + i) * 3),
                    )
        finally:
            connections.close_all()

    def advance(_a: int) -> None:
        try:
            barrier.wait()
            while not stop.is_set():
                n = rollup_advance()["events"]
                with lock:
                    moved.append(n)
        finally:
            connections.close_all()

    with ThreadPoolExecutor(WRITERS + ADVANCERS) as pool:
        advancers = [pool.submit(advance, a) for a in range(ADVANCERS)]
        writers = [pool.submit(write, w) for w in range(WRITERS)]
        for f in writers:
            f.result()
        stop.set()
        for f in advancers:
            f.result()
    rollup_advance()
    total = WRITERS * EVENTS_EACH + 1
    assert ServiceEvent.objects.count() == total
    mark = RollupWatermark.objects.get(name="events")
    assert mark.last_id == ServiceEvent.objects.order_by("-id").first().id
    assert EventDay.objects.aggregate(n=Sum("events"))["n"] == total
    assert EventDay.objects.aggregate(n=Sum("person_times"))["n"] == total
    assert sum(moved) <= mark.last_id
    period = {"start": local(2026, 1, 1), "end": local(2026, 12, 1)}
    from gonghui.dashboard import rollups

    assert rollups.person_times_by_kind(org=fed.root, **period) == {"members.enrolment": total}
    assert_exact(fed)
