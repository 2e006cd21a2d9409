"""Fair gate check-in and booth résumés through scan dispatch (the codes API, Idempotency-Key)."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from gonghui.codes import protocol
from gonghui.codes import services as code_services
from gonghui.core.timeutil import local_today
from gonghui.jobs.models import Application, Booth, FairCheckin, JobFair
from gonghui.members.models import ServiceEvent
from tests.factories import make_member, org_child, org_root

from .factories import make_enterprise, make_posting

pytestmark = pytest.mark.django_db
SCAN = "/api/v1/codes/scan"


def now_utc() -> dt.datetime:
    return dt.datetime.now(tz=dt.UTC)


_STEP: dict[str, int] = {}


def code_of(credential, seed, seq=0) -> str:
    """The member's code number ``seq`` of one time step fixed per test (no step-boundary race)."""
    step = _STEP.setdefault(credential.pk, protocol.time_step(now_utc().timestamp()))
    return protocol.encode(seed=seed, credential_id=credential.pk, step=step, seq=seq)


@pytest.fixture(autouse=True)
def _fresh_steps():
    _STEP.clear()
    yield
    _STEP.clear()


def scan(client, key, code, *, idem, payload=None):
    return client.post(
        SCAN,
        data=json.dumps({"code": code, "payload": payload or {}}),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Terminal {key}",
        HTTP_IDEMPOTENCY_KEY=idem,
    )


@pytest.fixture
def world():
    root = org_root()
    union = org_child(root)
    ent = make_enterprise(union, name="展位企业")
    fair = JobFair.objects.create(
        org=union, title="新业态专场", date=local_today(), place="玉环", kind="gig_special"
    )
    booth = Booth.objects.create(fair=fair, enterprise=ent, number="A01")
    _gate, gate_key = code_services.terminal_create(
        actor=None,
        org=union,
        kind="gate",
        name="入口",
        context_type="jobs.fair",
        context_id=str(fair.pk),
    )
    bt, booth_key = code_services.terminal_create(
        actor=None,
        org=union,
        kind="booth",
        name="A01",
        context_type="jobs.booth",
        context_id=str(booth.pk),
    )
    booth.terminal = bt
    booth.save(update_fields=["terminal"])
    member = make_member(union)
    credential, seed = code_services.credential_issue(member=member)
    return {
        "fair": fair,
        "booth": booth,
        "ent": ent,
        "gate_key": gate_key,
        "booth_key": booth_key,
        "member": member,
        "cred": credential,
        "seed": seed,
    }


def test_gate_checks_the_member_in_once(client, world):
    w = world
    r = scan(client, w["gate_key"], code_of(w["cred"], w["seed"], 0), idem="g-1")
    assert r.status_code == 200, r.json()
    body = r.json()["result"]
    assert body["kind"] == "jobs.fair_checkin" and body["already"] is False
    # a retry with the same key replays; nothing new
    again = scan(client, w["gate_key"], code_of(w["cred"], w["seed"], 0), idem="g-1")
    assert again.status_code == 200 and again["Idempotent-Replayed"] == "true"
    # a fresh code at the gate again: already checked in, still one row and one event
    r2 = scan(client, w["gate_key"], code_of(w["cred"], w["seed"], 1), idem="g-2")
    assert r2.status_code == 200 and r2.json()["result"]["already"] is True
    assert FairCheckin.objects.filter(fair=w["fair"], member=w["member"]).count() == 1
    assert ServiceEvent.objects.filter(member=w["member"], kind="jobs.fair_checkin").count() == 1


def test_gate_refuses_on_another_day_and_keeps_the_code(client, world):
    w = world
    JobFair.objects.filter(pk=w["fair"].pk).update(date=local_today() + dt.timedelta(days=3))
    code = code_of(w["cred"], w["seed"], 0)
    r = scan(client, w["gate_key"], code, idem="g-1")
    assert r.status_code == 409 and r.json()["code"] == "fair_not_today"
    assert not FairCheckin.objects.exists()
    w["cred"].refresh_from_db()
    assert w["cred"].use_count == 0  # the code is not used up


def test_booth_records_a_delivered_resume(client, world):
    w = world
    r = scan(client, w["booth_key"], code_of(w["cred"], w["seed"], 0), idem="b-1")
    assert r.status_code == 200, r.json()
    result = r.json()["result"]
    assert result["kind"] == "jobs.application" and result["already"] is False
    a = Application.objects.get(pk=result["application"])
    assert (a.source, a.status, a.enterprise_id, a.booth_id, a.posting_id, a.org_id) == (
        "booth",
        "submitted",
        w["ent"].pk,
        w["booth"].pk,
        None,
        w["fair"].org_id,
    )
    assert ServiceEvent.objects.filter(member=w["member"], kind="jobs.application").count() == 1
    r2 = scan(client, w["booth_key"], code_of(w["cred"], w["seed"], 1), idem="b-2")
    assert r2.status_code == 200 and r2.json()["result"]["already"] is True
    assert Application.objects.count() == 1


def test_booth_for_a_named_posting(client, world):
    w = world
    posting = make_posting(w["ent"], title="焊工")
    r = scan(
        client,
        w["booth_key"],
        code_of(w["cred"], w["seed"], 0),
        idem="b-1",
        payload={"posting": posting.pk},
    )
    assert r.status_code == 200
    a = Application.objects.get()
    assert a.posting_id == posting.pk and a.source == "booth"
    other = make_posting(make_enterprise(w["fair"].org), title="别家")
    r = scan(
        client,
        w["booth_key"],
        code_of(w["cred"], w["seed"], 1),
        idem="b-2",
        payload={"posting": other.pk},
    )
    assert r.status_code == 409 and r.json()["code"] == "posting_not_at_booth"
    assert Application.objects.count() == 1


def test_inactive_member_is_refused_at_the_gate(client, world):
    w = world
    other = make_member(w["fair"].org)
    cred, seed = code_services.credential_issue(member=other)
    type(other).objects.filter(pk=other.pk).update(status="suspended")
    r = scan(client, w["gate_key"], code_of(cred, seed, 0), idem="g-9")
    assert 400 <= r.status_code < 500
    assert not FairCheckin.objects.filter(member=other).exists()
