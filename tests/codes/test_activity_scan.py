"""An accepted scan makes the member active that day (月活, issue #13 item 2), noted after the
scan's transaction committed (no statement inside its lock span); a refused scan does not."""

from __future__ import annotations

import uuid

import pytest
from django.db import connection

from gonghui.codes import services
from gonghui.codes.services import scans
from gonghui.members.models import MemberActivity

from .conftest import code_at, now_utc

pytestmark = pytest.mark.django_db


@pytest.fixture
def noted(monkeypatch):
    calls: list[tuple[dict, bool]] = []
    real = scans.activity_note

    def spy(**kw):
        calls.append((kw, connection.in_atomic_block))
        return real(**kw)

    monkeypatch.setattr(scans, "activity_note", spy)
    return calls


def scan(terminal, credential, seed, payload, seq=0):
    return services.scan_code(
        terminal=terminal,
        code=code_at(credential, seed, now_utc(), seq=seq),
        payload=payload,
        idempotency_key=uuid.uuid4().hex,
    )


@pytest.mark.django_db(transaction=True)
def test_an_accepted_scan_notes_the_member_after_the_commit(terminal, issued, member, noted):
    credential, seed = issued
    assert scan(terminal, credential, seed, {}).status == 200
    assert [(kw["member_id"], kw["via"], inside) for kw, inside in noted] == [
        (member.pk, MemberActivity.Via.SCAN, False)
    ]
    row = MemberActivity.objects.get()
    assert (row.member_id, row.org_id, row.via) == (member.pk, member.org_id, "scan")


def test_a_refused_scan_notes_nobody(terminal, issued, noted):
    credential, seed = issued
    assert scan(terminal, credential, seed, {"refuse": True}).status == 409
    assert noted == [] and not MemberActivity.objects.exists()
