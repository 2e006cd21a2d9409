"""PostgreSQL: ten simultaneous applies of one member to one post, ten simultaneous moves of one
application, ten simultaneous gate check-ins of one member: each happens once."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connections

from gonghui.core.errors import Refused
from gonghui.core.timeutil import local_today
from gonghui.jobs import services
from gonghui.jobs.models import Application, ApplicationStep, FairCheckin, JobFair
from gonghui.members.models import ServiceEvent
from tests.conftest import postgres_only
from tests.factories import make_member, org_child, org_root

from .factories import make_employer_staff, make_enterprise, make_posting

pytestmark = [postgres_only(), pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
N = 10


@pytest.fixture(autouse=True)
def _fast_hasher(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def run_at_once(fn):
    barrier = threading.Barrier(N)

    def worker(i):
        try:
            barrier.wait(timeout=30)
            try:
                fn(i)
                return "ok"
            except Refused as exc:
                return exc.code
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=N) as pool:
        return sorted(pool.map(worker, range(N)))


@pytest.fixture
def world():
    union = org_child(org_root())
    ent = make_enterprise(union)
    return union, ent, make_posting(ent), make_member(union), make_employer_staff(ent)


def test_one_member_applies_once(world):
    _union, _ent, posting, member, _employer = world
    results = run_at_once(lambda i: services.application_submit(member=member, posting=posting))
    assert results == ["already_applied"] * (N - 1) + ["ok"]
    assert Application.objects.count() == 1
    assert ServiceEvent.objects.filter(kind="jobs.application").count() == 1


def test_one_move_wins(world):
    _union, _ent, posting, member, employer = world
    a = services.application_submit(member=member, posting=posting)
    results = run_at_once(
        lambda i: services.application_transition(application=a, to_status="viewed", actor=employer)
    )
    assert results == ["illegal_transition"] * (N - 1) + ["ok"]
    assert ApplicationStep.objects.filter(application=a, to_status="viewed").count() == 1


def test_one_checkin_per_fair(world):
    union, _ent, _posting, member, _employer = world
    fair = JobFair.objects.create(org=union, title="招聘会", date=local_today(), place="x")
    results = run_at_once(lambda i: services.fair_checkin(fair=fair, member=member))
    assert results == ["ok"] * N  # the others answer "already checked in"
    assert FairCheckin.objects.count() == 1
    assert ServiceEvent.objects.filter(kind="jobs.fair_checkin").count() == 1
