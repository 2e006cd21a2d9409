"""core.ratelimit: an exact sliding window counted in the database (holds without the cache),
exact under concurrency on PostgreSQL."""

from __future__ import annotations

import datetime as dt
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.core.cache import cache
from django.db import connections

from gonghui.core import ratelimit
from gonghui.core.models import RateLimitHit
from gonghui.core.ratelimit import Rule, rate_hit
from tests.conftest import postgres_only

RULE = Rule("test.rule", 3, 60)


@pytest.fixture
def clock(monkeypatch):
    state = {"t": dt.datetime(2026, 3, 1, 8, 0, tzinfo=dt.UTC)}
    monkeypatch.setattr(ratelimit, "now", lambda: state["t"])

    def advance(seconds: float) -> None:
        state["t"] += dt.timedelta(seconds=seconds)

    return advance


@pytest.mark.django_db
def test_sliding_window_counts_exactly_and_says_how_long(clock):
    assert [rate_hit([(RULE, "a")]) for _ in range(3)] == [None, None, None]
    cache.clear()
    assert rate_hit([(RULE, "a")]) == 60
    assert rate_hit([(RULE, "b")]) is None  # another subject
    clock(45)
    assert rate_hit([(RULE, "a")]) == 15
    clock(15)
    assert [rate_hit([(RULE, "a")]) for _ in range(3)] == [None, None, None]  # window moved
    assert rate_hit([(RULE, "a")]) == 60


@pytest.mark.django_db
def test_a_refusal_under_one_rule_records_nothing(clock):
    small, big = Rule("t.small", 1, 60), Rule("t.big", 10, 3600)
    assert rate_hit([(small, "x"), (big, "x")]) is None
    assert rate_hit([(small, "x"), (big, "x")]) == 60
    assert RateLimitHit.objects.count() == 2  # one per rule, the refused call added none


@pytest.mark.django_db
def test_subjects_are_not_stored_in_clear(clock):
    rate_hit([(RULE, "10.1.2.3")])
    assert "10.1.2.3" not in RateLimitHit.objects.get().key_id


@postgres_only()
@pytest.mark.django_db(transaction=True)
def test_concurrent_hits_never_exceed_the_limit():
    workers = 40
    rule = Rule("test.concurrent", 5, 3600)
    barrier = threading.Barrier(workers)

    def attempt(_: int) -> bool:
        try:
            barrier.wait()
            return rate_hit([(rule, "same-ip")]) is None
        finally:
            connections.close_all()

    with ThreadPoolExecutor(workers) as pool:
        results = list(pool.map(attempt, range(workers)))
    assert results.count(True) == 5
    assert RateLimitHit.objects.count() == 5
