"""PostgreSQL: twenty intakes at once get twenty distinct case numbers."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connections

from gonghui.rights.models import RightsCase
from tests.conftest import postgres_only
from tests.factories import make_member

from .factories import ensure_case_types, intake, make_world

pytestmark = [pytest.mark.django_db(transaction=True), postgres_only()]


def test_twenty_concurrent_intakes_get_distinct_numbers():
    ensure_case_types()
    world = make_world()
    members = [make_member(world.union) for _ in range(20)]
    barrier = threading.Barrier(20)

    def file_case(i: int) -> str:
        try:
            barrier.wait(timeout=30)
            return intake(members[i]).case.number
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=20) as pool:
        numbers = list(pool.map(file_case, range(20)))
    assert len(set(numbers)) == 20
    assert RightsCase.objects.count() == 20
    tails = sorted(int(n[-6:]) for n in numbers)
    assert tails == list(range(tails[0], tails[0] + 20))  # consecutive, none lost
