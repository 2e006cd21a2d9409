"""Named counters hand out disjoint blocks, also under concurrency on PostgreSQL."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connections

from gonghui.core.models import Sequence
from gonghui.core.sequences import sequence_take
from tests.conftest import postgres_only


@pytest.mark.django_db
def test_blocks_are_consecutive_and_disjoint():
    a = sequence_take(name="t", count=3)
    b = sequence_take(name="t")
    c = sequence_take(name="t", count=10)
    assert list(a) == [1, 2, 3]
    assert list(b) == [4]
    assert list(c) == list(range(5, 15))
    assert Sequence.objects.get(name="t").last_value == 14
    assert list(sequence_take(name="other")) == [1]


@pytest.mark.django_db
@pytest.mark.parametrize("bad", [0, -1])
def test_count_must_be_positive(bad):
    with pytest.raises(ValueError):
        sequence_take(name="t", count=bad)
    assert not Sequence.objects.filter(name="t").exists()


def _concurrent_blocks(name: str, workers: int, count: int) -> list[range]:
    barrier = threading.Barrier(workers)

    def take(_: int) -> range:
        try:
            barrier.wait(timeout=30)
            return sequence_take(name=name, count=count)
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(take, range(workers)))


@postgres_only()
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("pre_created", [True, False], ids=["existing", "first-use"])
def test_concurrent_takes_are_distinct_and_contiguous(pre_created):
    if pre_created:
        Sequence.objects.create(name="conc", last_value=100)
    start = 101 if pre_created else 1
    blocks = _concurrent_blocks("conc", workers=20, count=7)
    values = [v for block in blocks for v in block]
    assert all(len(block) == 7 for block in blocks)
    assert all(list(block) == list(range(block.start, block.start + 7)) for block in blocks)
    assert len(values) == len(set(values)) == 140
    assert sorted(values) == list(range(start, start + 140))
    assert Sequence.objects.get(name="conc").last_value == start + 139
