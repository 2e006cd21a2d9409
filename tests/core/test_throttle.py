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
    assert RateCounter.objects.get(bucket=throttle.bucket("t:b")).count == 0
    throttle.db_clear("t:b")
    assert not RateCounter.objects.exists()


def test_expired_counters_are_purged():
    at = 3_000_000.0
    throttle.db_hit("t:old", window=10, at=at)
    throttle.db_hit("t:live", window=100, at=at)
    assert throttle.counters_purge(at=at + 50) == 1
    assert list(RateCounter.objects.values_list("bucket", flat=True)) == [throttle.bucket("t:live")]


def test_limits_hold_in_the_database_when_redis_is_down(dead_redis):
    got = [throttle.hit("t:c", limit=3, window=60) for _ in range(4)]
    assert [h.allowed for h in got] == [True, True, True, False]
    assert 55 <= got[-1].retry_after <= 60
    assert RateCounter.objects.get(bucket=throttle.bucket("t:c")).count == 4
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
    assert RateCounter.objects.get(bucket=throttle.bucket("t:race")).count == workers * per_worker
    assert time.time() < RateCounter.objects.get().expires_at.timestamp()


# --- several rules at once, in the database only (was core.ratelimit) -------------------------
# Enrolment and anonymous intake: the limit holds when the cache is cleared or down, several
# rules are all-or-nothing, and subjects are never stored in clear.
RULE = throttle.Rule("test.rule", 3, 60)


def _counts() -> dict[str, int]:
    return dict(RateCounter.objects.values_list("bucket", "count"))


def test_rules_count_exactly_and_say_how_long():
    from django.core.cache import cache

    t = 4_000_000.0
    assert [throttle.take([(RULE, "a")], durable=True, at=t) for _ in range(3)] == [None] * 3
    cache.clear()  # counted in the database, not the cache
    assert throttle.take([(RULE, "a")], durable=True, at=t).retry_after == 60
    assert throttle.take([(RULE, "b")], durable=True, at=t) is None  # another subject
    assert throttle.take([(RULE, "a")], durable=True, at=t + 45).retry_after == 15
    again = [throttle.take([(RULE, "a")], durable=True, at=t + 60) for _ in range(3)]
    assert again == [None] * 3  # a new window
    assert throttle.take([(RULE, "a")], durable=True, at=t + 60).retry_after == 60


def test_a_refusal_under_one_rule_counts_nothing():
    small, big = throttle.Rule("t.small", 1, 60), throttle.Rule("t.big", 10, 3600)
    t = 5_000_000.0
    assert throttle.take([(small, "x"), (big, "x")], durable=True, at=t) is None
    refusal = throttle.take([(big, "x"), (small, "x")], durable=True, at=t)
    assert (refusal.rule, refusal.retry_after) == (small, 60)
    assert sorted(_counts().values()) == [1, 1]  # one per rule, the refused call added none
    # also when the refusing rule comes last in the lock order (its place was taken first)
    for _ in range(20):
        throttle.take([(big, "y"), (small, "y")], durable=True, at=t)
    assert sorted(_counts().values()) == [1, 1, 1, 1]


def test_subjects_are_stored_only_as_an_hmac():
    throttle.take([(RULE, "10.1.2.3")], durable=True)
    throttle.db_hit("staff:ip:10.1.2.4", window=60)
    throttle.hit("otp:ip:10.1.2.5", limit=3, window=60)
    buckets = list(RateCounter.objects.values_list("bucket", flat=True))
    assert len(buckets) == 2
    assert not any("10.1.2" in b for b in buckets), buckets


def test_take_uses_the_cache_first_and_the_database_when_it_is_down(dead_redis):
    rule = throttle.Rule("t.down", 2, 60)
    got = [throttle.take([(rule, "s")]) for _ in range(3)]
    assert got[:2] == [None, None] and 55 <= got[2].retry_after <= 60
    assert list(_counts().values()) == [2]


def test_take_in_the_cache_is_a_sliding_window(settings):
    rule = throttle.Rule("t.cache", 2, 60)
    t = 6_000_000.0
    assert throttle.take([(rule, "s")], at=t) is None
    assert throttle.take([(rule, "s")], at=t + 30) is None
    assert throttle.take([(rule, "s")], at=t + 40).retry_after == 20
    assert not RateCounter.objects.exists()  # the cache answered


def test_the_second_mechanism_is_gone():
    import importlib

    from django.apps import apps

    with pytest.raises(ImportError):
        importlib.import_module("gonghui.core.ratelimit")
    names = {m.__name__ for m in apps.get_app_config("core").get_models()}
    assert "RateCounter" in names and not {"RateLimitKey", "RateLimitHit"} & names


@postgres_only()
@pytest.mark.django_db(transaction=True)
def test_concurrent_takes_never_exceed_the_limit_of_any_rule():
    workers = 40
    hour, day = throttle.Rule("test.concurrent.h", 5, 3600), throttle.Rule("test.c.d", 7, 86400)
    barrier = threading.Barrier(workers)

    def attempt(i: int) -> bool:
        try:
            barrier.wait()
            return throttle.take([(hour, "same-ip"), (day, "same-ip")], durable=True) is None
        finally:
            connections.close_all()

    with ThreadPoolExecutor(workers) as pool:
        results = list(pool.map(attempt, range(workers)))
    assert results.count(True) == 5
    assert sorted(_counts().values()) == [5, 5]
