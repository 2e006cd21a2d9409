"""PostgreSQL: ten grants at once for one file never pass the yearly ceiling."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connections

from gonghui.assistance import services
from gonghui.assistance.models import HelpRecord
from gonghui.core.errors import Refused
from gonghui.funds.models import LedgerTransaction
from gonghui.members.models import ServiceEvent
from gonghui.orgs.models import Role
from tests.conftest import postgres_only
from tests.factories import make_staff

from .factories import active_file, make_world, rules

pytestmark = [pytest.mark.django_db(transaction=True), postgres_only()]


def test_ten_concurrent_grants_never_pass_the_ceiling():
    world = make_world(funds_fen=10_000_000)
    boss = make_staff(world.fed, Role.FEDERATION_ADMIN)
    rules(world.fed, living=300_000)  # room for exactly 3 grants of 1000 yuan
    file = active_file(world.member, boss)
    barrier = threading.Barrier(10)

    def grant(_i: int) -> str:
        try:
            barrier.wait(timeout=30)
            services.help_record_create(file=file, kind="living", amount_fen=100_000, actor=boss)
            return "ok"
        except Refused as exc:
            return exc.code
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=10) as pool:
        results = list(pool.map(grant, range(10)))
    assert results.count("ok") == 3
    assert results.count("ceiling_reached") == 7
    assert HelpRecord.objects.filter(file=file).count() == 3
    assert LedgerTransaction.objects.filter(kind="assistance.help").count() == 3
    assert ServiceEvent.objects.filter(kind="assistance.grant").count() == 3
    world.refresh()
    assert world.fund.balance_fen == 10_000_000 - 300_000
