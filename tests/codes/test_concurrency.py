"""PostgreSQL concurrency: one code from 20 terminals at once; one Idempotency-Key 10 times at once."""

from __future__ import annotations

import json
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connections

from gonghui.codes import services
from gonghui.codes.models import Credential, ScanRecord
from gonghui.core.errors import Refused
from gonghui.members.models import ServiceEvent
from tests.conftest import postgres_only

from .conftest import PING, code_at, now_utc

pytestmark = [postgres_only(), pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def run_at_once(n, fn):
    barrier = threading.Barrier(n)

    def worker(i):
        try:
            barrier.wait(timeout=30)
            return fn(i)
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=n) as pool:
        return list(pool.map(worker, range(n)))


def test_one_code_from_20_terminals_succeeds_once(union, member, ping):
    terminals = [
        services.terminal_create(
            actor=None, org=union, kind="pos", name=f"POS {i}", context_type=PING, context_id=str(i)
        )[0]
        for i in range(20)
    ]
    credential, seed = services.credential_issue(member=member)
    now = now_utc()
    code = code_at(credential, seed, now)

    results = run_at_once(
        20,
        lambda i: services.scan_code(
            terminal=terminals[i], code=code, payload={"n": i}, idempotency_key=f"t{i}", now=now
        ),
    )
    statuses = sorted(r.status for r in results)
    assert statuses.count(200) == 1, statuses
    assert statuses.count(409) == 19
    assert {r.body["code"] for r in results if r.status != 200} == {"already_used"}
    credential.refresh_from_db()
    assert credential.use_count == 1
    assert ServiceEvent.objects.filter(kind="tests.ping").count() == 1


def test_one_code_verified_20_times_at_once(union, member, terminal):
    credential, seed = services.credential_issue(member=member)
    now = now_utc()
    code = code_at(credential, seed, now)

    def attempt(i):
        try:
            services.code_verify(code=code, terminal=terminal, now=now)
            return "ok"
        except Refused as exc:
            return exc.code

    outcomes = run_at_once(20, attempt)
    assert outcomes.count("ok") == 1 and outcomes.count("already_used") == 19
    assert Credential.objects.get(pk=credential.pk).use_count == 1


def test_same_idempotency_key_10_times_at_once_has_one_effect(terminal, member):
    credential, seed = services.credential_issue(member=member)
    now = now_utc()
    code = code_at(credential, seed, now)

    results = run_at_once(
        10,
        lambda i: services.scan_code(
            terminal=terminal, code=code, payload={"n": 1}, idempotency_key="same-key", now=now
        ),
    )
    assert [r.status for r in results] == [200] * 10
    assert (
        len({json.dumps(r.body, sort_keys=True) for r in results}) == 1
    )  # every caller got the first answer
    assert sum(1 for r in results if not r.replayed) == 1
    assert ServiceEvent.objects.filter(kind="tests.ping").count() == 1
    assert ScanRecord.objects.filter(terminal=terminal, idempotency_key="same-key").count() == 1
    assert Credential.objects.get(pk=credential.pk).use_count == 1


def test_concurrent_wrong_codes_lock_once(terminal, member, sms_outbox):
    credential, _seed = services.credential_issue(member=member)
    now = now_utc()
    forged = code_at(credential, bytes(32), now)
    n = services.lock_threshold() + 5

    def attempt(i):
        return services.scan_code(
            terminal=terminal, code=forged, payload={}, idempotency_key=f"f{i}", now=now
        ).body["code"]

    outcomes = run_at_once(n, attempt)
    assert outcomes.count("bad_signature") == services.lock_threshold()
    assert outcomes.count("locked") == 5
    credential.refresh_from_db()
    assert credential.lock_count == 1
    assert len(sms_outbox) == 1


def test_same_key_reverse_scan_10_times_at_once_has_one_effect(terminal, member):
    """Reverse scans carry no code: duplicates meet at the key's unique index only, after each
    has run the handler; the losers roll back what they did and return the first answer."""
    token = services.poster_token(terminal)
    results = run_at_once(
        10,
        lambda i: services.scan_poster(
            member=member, token=token, payload={"n": 7}, idempotency_key="poster-key"
        ),
    )
    assert [r.status for r in results] == [200] * 10
    assert len({json.dumps(r.body, sort_keys=True) for r in results}) == 1
    assert sum(1 for r in results if not r.replayed) == 1
    assert ServiceEvent.objects.filter(kind="tests.ping").count() == 1
    assert ScanRecord.objects.filter(terminal=terminal).count() == 1
