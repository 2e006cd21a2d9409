"""core.throttle: fixed-window counters in the cache, and in the database when the cache is down
(Redis outage), so that limits keep holding instead of being switched off."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connections

from gonghui.core import throttle
from gonghui.core.models import RateCounter
from tests.conftest import postgres_only

pytestmark = pytest.mark.django_db


def test_cache_counts_within_the_window_then_resets():
    at = 1_000_000.0  # a window of 60 s starts at 999_960
    got = [throttle.hit("t:a", limit=3, window=60, at=at + i) for i in range(4)]
    assert [h.count for h in got] == [1, 2, 3, 4]
    assert [h.allowed for h in got] == [True, True, True, False]
    assert got[0].retry_after == 20
    assert throttle.peek("t:a", limit=3, window=60, at=at).count == 4
    assert throttle.hit("t:a", limit=3, window=60, at=at + 20).count == 1  # next window
    assert RateCounter.objects.count() == 0  # the cache answered


def test_database_counter_counts_from_the_first_event():
    at = 2_000_000.0
    assert throttle.db_peek("t:b", at=at) is None
    first = throttle.db_hit("t:b", window=60, at=at)
    assert (first.count, first.seconds_left(at)) == (1, 60)
    assert throttle.db_hit("t:b", window=60, at=at + 30).count == 2
    assert throttle.db_peek("t:b", at=at + 59).count == 2
    assert throttle.db_peek("t:b", at=at + 60) is None  # expired
    again = throttle.db_hit("t:b", window=60, at=at + 61)
    assert (again.count, again.seconds_left(at + 61)) == (1, 60)  # a new window
    throttle.db_give_back("t:b", at=at + 62)
    throttle.db_give_back("t:b", at=at + 62)  # never below zero
    assert RateCounter.objects.get(bucket="t:b").count == 0
    throttle.db_clear("t:b")
    assert not RateCounter.objects.exists()


def test_expired_counters_are_purged():
    at = 3_000_000.0
    throttle.db_hit("t:old", window=10, at=at)
    throttle.db_hit("t:live", window=100, at=at)
    assert throttle.counters_purge(at=at + 50) == 1
    assert list(RateCounter.objects.values_list("bucket", flat=True)) == ["t:live"]


def test_limits_hold_in_the_database_when_redis_is_down(dead_redis):
    got = [throttle.hit("t:c", limit=3, window=60) for _ in range(4)]
    assert [h.allowed for h in got] == [True, True, True, False]
    assert 55 <= got[-1].retry_after <= 60
    assert RateCounter.objects.get(bucket="t:c").count == 4
    assert throttle.peek("t:c", limit=3, window=60).count == 4
    throttle.give_back("t:c", window=60)
    assert throttle.peek("t:c", limit=3, window=60).count == 3
    throttle.clear("t:c", window=60)
    assert throttle.peek("t:c", limit=3, window=60).count == 0


@postgres_only()
@pytest.mark.django_db(transaction=True)
def test_database_counter_is_exact_under_concurrency():
    workers, per_worker = 40, 5
    barrier = threading.Barrier(workers)

    def work() -> list[int]:
        try:
            barrier.wait()
            return [throttle.db_hit("t:race", window=60).count for _ in range(per_worker)]
        finally:
            connections.close_all()

    with ThreadPoolExecutor(workers) as pool:
        counts = [c for f in [pool.submit(work) for _ in range(workers)] for c in f.result()]
    assert sorted(counts) == list(range(1, workers * per_worker + 1))
    assert RateCounter.objects.get(bucket="t:race").count == workers * per_worker
    assert time.time() < RateCounter.objects.get().expires_at.timestamp()
