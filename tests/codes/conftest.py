"""Fixtures of the code tests: a union, a member, a terminal whose context is "tests.ping".

The "tests.ping" handler exists in tests only: it writes one ServiceEvent per call (a real
effect in the dispatch's transaction) and refuses when the payload asks it to."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest

from gonghui.codes import dispatch, protocol, services
from gonghui.core.errors import Refused
from gonghui.members.models import ServiceEvent
from tests.factories import make_member, org_child, org_root

PING = "tests.ping"


def ping_handler(*, terminal, member, payload):
    if payload.get("refuse"):
        raise Refused(code="ping_refused", message="The ping handler refuses.", status=409)
    event = ServiceEvent.objects.create(
        member=member,
        org=member.org,
        kind="tests.ping",
        amount_fen=0,
        source_type="codes.test",
        source_id=uuid.uuid4().hex,
        occurred_at=dt.datetime.now(tz=dt.UTC),
    )
    return {"pong": payload.get("n", 0), "event": event.pk}


def ping_context_org(context_id):
    """A "tests.ping" context lies in the org whose id it is."""
    from gonghui.orgs.models import Org

    return Org.objects.filter(pk=int(context_id)).first() if context_id.isdigit() else None


@pytest.fixture
def ping():
    dispatch.register(PING, ping_handler, label="Ping (tests)", resolve=ping_context_org)
    yield ping_handler
    dispatch.unregister(PING)


@pytest.fixture
def union(db):
    root = org_root()
    return org_child(root)


@pytest.fixture
def member(union):
    return make_member(union)


@pytest.fixture
def terminal_and_key(union, ping):
    return services.terminal_create(
        actor=None, org=union, kind="pos", name="Test POS", context_type=PING, context_id="1"
    )


@pytest.fixture
def terminal(terminal_and_key):
    return terminal_and_key[0]


@pytest.fixture
def issued(member):
    """(credential, seed) of the member."""
    return services.credential_issue(member=member)


def code_at(credential, seed, when: dt.datetime, seq: int = 0) -> str:
    step = protocol.time_step(when.timestamp())
    return protocol.encode(seed=seed, credential_id=credential.pk, step=step, seq=seq)


def now_utc() -> dt.datetime:
    return dt.datetime.now(tz=dt.UTC)
