"""Scan dispatch through the API: terminal auth, Idempotency-Key, refusals, reverse scan."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from gonghui.codes import dispatch, services
from gonghui.codes.models import Credential, ScanRecord, Terminal
from gonghui.members.models import ServiceEvent
from gonghui.members.session import SESSION_MEMBER_KEY
from gonghui.orgs.models import Role
from tests.factories import make_member, make_staff, org_child, org_root

from .conftest import PING, code_at, now_utc

pytestmark = pytest.mark.django_db

SCAN = "/api/v1/codes/scan"


def post(client, url, body, *, key=None, idem="k-1", raw=None):
    headers = {}
    if key:
        headers["HTTP_AUTHORIZATION"] = f"Terminal {key}"
    if idem is not None:
        headers["HTTP_IDEMPOTENCY_KEY"] = idem
    data = raw if raw is not None else json.dumps(body)
    return client.post(url, data=data, content_type="application/json", **headers)


def member_client(member) -> Client:
    c = Client()
    session = c.session
    session[SESSION_MEMBER_KEY] = member.pk
    session.save()
    return c


def events(member) -> int:
    return ServiceEvent.objects.filter(member=member, kind="tests.ping").count()


def test_scan_ok_then_retry_replays(client, terminal_and_key, issued):
    _terminal, key = terminal_and_key
    credential, seed = issued
    code = code_at(credential, seed, now_utc())
    r = post(client, SCAN, {"code": code, "payload": {"n": 7}}, key=key)
    assert r.status_code == 200, r.json()
    body = r.json()
    assert (
        body["ok"] is True and body["result"]["pong"] == 7 and body["member"]["name"].endswith("*")
    )
    assert r["Cache-Control"] == "no-store"
    assert events(credential.member) == 1
    again = post(client, SCAN, {"code": code, "payload": {"n": 7}}, key=key)
    assert again.status_code == 200 and again.json() == body
    assert again["Idempotent-Replayed"] == "true"
    assert events(credential.member) == 1
    credential.refresh_from_db()
    assert credential.use_count == 1
    # the same key with another body: 409, nothing changes
    other = post(client, SCAN, {"code": code, "payload": {"n": 8}}, key=key)
    assert other.status_code == 409 and other.json()["code"] == "idempotency_key_reused"
    # the same code with a new key: already used
    used = post(client, SCAN, {"code": code, "payload": {"n": 7}}, key=key, idem="k-2")
    assert used.status_code == 409 and used.json()["code"] == "already_used"
    assert used.json()["message"]
    assert events(credential.member) == 1


def test_refusal_is_the_stored_answer(client, terminal_and_key, issued):
    _terminal, key = terminal_and_key
    credential, _seed = issued
    forged = code_at(credential, bytes(32), now_utc())
    r = post(client, SCAN, {"code": forged}, key=key)
    assert r.status_code == 400 and r.json()["code"] == "bad_signature"
    again = post(client, SCAN, {"code": forged}, key=key)
    assert again.json()["code"] == "bad_signature" and again["Idempotent-Replayed"] == "true"
    credential.refresh_from_db()
    assert credential.fail_count == 1  # the retry counted nothing


def test_handler_refusal_does_not_use_the_code(client, terminal_and_key, issued):
    _terminal, key = terminal_and_key
    credential, seed = issued
    code = code_at(credential, seed, now_utc())
    r = post(client, SCAN, {"code": code, "payload": {"refuse": True}}, key=key)
    assert r.status_code == 409 and r.json()["code"] == "ping_refused"
    credential.refresh_from_db()
    assert credential.use_count == 0 and events(credential.member) == 0
    ok = post(client, SCAN, {"code": code, "payload": {}}, key=key, idem="k-2")
    assert ok.status_code == 200 and events(credential.member) == 1


@pytest.mark.parametrize(
    ("body", "idem", "status", "reason"),
    [
        ({"code": "123"}, "k", 400, "malformed"),
        ({"code": "12345678900003441x67"}, "k", 400, "malformed"),
        ({"code": "0" * 20}, "k", 400, "malformed"),
        ({"code": "1" * 65}, "k", 422, "invalid"),
        ({"code": 12345678900003441567}, "k", 422, "invalid"),
        ({}, "k", 422, "invalid"),
        ({"code": "12345678900003441567", "payload": [1, 2]}, "k", 422, "invalid"),
        (
            {"code": "12345678900003441567", "payload": {"x": "y" * 9000}},
            "k",
            413,
            "payload_too_large",
        ),
        ({"code": "12345678900003441567"}, None, 400, "idempotency_key_required"),
        ({"code": "12345678900003441567"}, "bad key with spaces", 400, "idempotency_key_invalid"),
        ({"code": "12345678900003441567"}, "k" * 65, 400, "idempotency_key_invalid"),
    ],
)
def test_malformed_requests_change_nothing(
    client, terminal_and_key, issued, body, idem, status, reason
):
    _terminal, key = terminal_and_key
    r = post(client, SCAN, body, key=key, idem=idem)
    assert r.status_code == status, r.content
    assert r.json()["code"] == reason
    assert ScanRecord.objects.count() == 0
    credential = Credential.objects.get(pk=issued[0].pk)
    assert credential.use_count == 0 and credential.fail_count == 0


def test_not_json_and_huge_bodies(client, terminal_and_key):
    _terminal, key = terminal_and_key
    r = post(client, SCAN, None, key=key, raw="{not json")
    assert 400 <= r.status_code < 500
    r = post(
        client,
        SCAN,
        None,
        key=key,
        raw=json.dumps({"code": "1" * 20, "payload": {"x": "y" * 3_000_000}}),
    )
    assert 400 <= r.status_code < 500
    assert ScanRecord.objects.count() == 0


def test_terminal_auth(client, terminal_and_key, issued, union):
    terminal, key = terminal_and_key
    credential, seed = issued
    body = {"code": code_at(credential, seed, now_utc())}
    assert post(client, SCAN, body).status_code == 401
    r = post(client, SCAN, body, key="ght_nope")
    assert r.status_code == 401 and r.json()["code"] == "terminal_unknown"
    admin = make_staff(union, Role.UNION_ADMIN)
    services.terminal_disable(terminal=terminal, actor=admin, reason="Shop closed")
    r = post(client, SCAN, body, key=key)
    assert r.status_code == 403 and r.json()["code"] == "terminal_disabled"
    assert "Shop closed" in r.json()["message"]
    services.terminal_enable(terminal=terminal, actor=admin)
    assert post(client, SCAN, body, key=key).status_code == 200
    # a new key: the old one stops at once
    new_key = services.terminal_key_rotate(terminal=terminal, actor=admin)
    assert post(client, SCAN, body, key=key, idem="k-9").status_code == 401
    assert (
        client.get("/api/v1/codes/terminal", HTTP_AUTHORIZATION=f"Terminal {new_key}").json()["id"]
        == terminal.pk
    )


def test_staff_session_scans_for_a_terminal_in_scope(terminal_and_key, issued, union):
    terminal, _key = terminal_and_key
    credential, seed = issued
    # Operating a terminal from a session needs pos.operate (issue #10): a union admin has it.
    cashier = make_staff(union, Role.UNION_ADMIN)
    c = Client(enforce_csrf_checks=False)
    c.force_login(cashier)
    body = {"code": code_at(credential, seed, now_utc()), "terminal_id": terminal.pk}
    r = post(c, SCAN, body)
    assert r.status_code == 200, r.json()
    stranger = make_staff(org_child(org_root()), Role.UNION_ADMIN)
    c2 = Client()
    c2.force_login(stranger)
    r = post(c2, SCAN, {**body, "code": code_at(credential, seed, now_utc(), seq=1)}, idem="k-2")
    assert r.status_code == 404
    r = post(c, SCAN, {"code": body["code"]}, idem="k-3")
    assert r.status_code == 400 and r.json()["field"] == "terminal_id"


def test_staff_session_needs_csrf(terminal_and_key, issued, union):
    terminal, _key = terminal_and_key
    credential, seed = issued
    c = Client(enforce_csrf_checks=True)
    c.force_login(make_staff(union, Role.MERCHANT_STAFF))
    r = post(c, SCAN, {"code": code_at(credential, seed, now_utc()), "terminal_id": terminal.pk})
    assert r.status_code == 403
    assert ScanRecord.objects.count() == 0


def test_context_without_handler_is_refused(client, union, issued):
    _terminal, key = services.terminal_create(
        actor=None, org=union, kind="gate", name="Gate", context_type="nobody.here", context_id="9"
    )
    credential, seed = issued
    r = post(client, SCAN, {"code": code_at(credential, seed, now_utc())}, key=key)
    assert r.status_code == 409 and r.json()["code"] == "no_handler"
    credential.refresh_from_db()
    assert credential.use_count == 0 and ScanRecord.objects.count() == 0


def test_rate_limit_per_holder(client, terminal_and_key, issued, settings):
    settings.GONGHUI_CODES_RATE_LIMITS = {"holder": (3, 60)}
    _terminal, key = terminal_and_key
    credential, seed = issued
    now = now_utc()
    statuses = [
        post(
            client, SCAN, {"code": code_at(credential, seed, now, seq=i)}, key=key, idem=f"k{i}"
        ).status_code
        for i in range(5)
    ]
    assert statuses == [200, 200, 200, 429, 429]


def test_rate_limit_on_bad_codes_per_terminal(client, terminal_and_key, settings):
    settings.GONGHUI_CODES_RATE_LIMITS = {"terminal_bad": (3, 600)}
    _terminal, key = terminal_and_key
    statuses = [
        post(client, SCAN, {"code": "123"}, key=key, idem=f"k{i}").status_code for i in range(5)
    ]
    assert statuses == [400, 400, 400, 429, 429]


def test_member_credential_api(member):
    c = member_client(member)
    assert c.get("/api/v1/codes/credentials/current").status_code == 404
    r = c.post("/api/v1/codes/credentials")
    assert r.status_code == 201
    assert r["Cache-Control"] == "no-store"
    data = r.json()
    assert len(bytes.fromhex(data["seed"])) == 32 and data["step_seconds"] == 30
    cur = c.get("/api/v1/codes/credentials/current")
    assert cur.status_code == 200 and "seed" not in cur.json()
    assert cur.json()["credential_id"] == data["credential_id"] and cur.json()["status"] == "active"
    assert cur["Cache-Control"] == "no-store"
    # a second device rotates
    r2 = member_client(member).post("/api/v1/codes/credentials")
    assert r2.json()["credential_id"] != data["credential_id"]
    assert (
        c.get("/api/v1/codes/credentials/current").json()["credential_id"]
        == r2.json()["credential_id"]
    )


def test_member_api_needs_sign_in_and_csrf(member):
    assert Client().post("/api/v1/codes/credentials").status_code == 401
    c = Client(enforce_csrf_checks=True)
    session = c.session
    session[SESSION_MEMBER_KEY] = member.pk
    session.save()
    assert c.post("/api/v1/codes/credentials").status_code == 403
    assert Credential.objects.count() == 0


def test_reverse_scan(terminal_and_key, member):
    terminal, _key = terminal_and_key
    token = services.poster_token(terminal)
    c = member_client(member)
    url = "/api/v1/codes/reverse-scan"
    r = post(c, url, {"token": token, "payload": {"n": 3}}, idem="tap-1")
    assert r.status_code == 200, r.json()
    assert r.json()["via"] == "poster" and r.json()["result"]["pong"] == 3
    assert events(member) == 1
    again = post(c, url, {"token": token, "payload": {"n": 3}}, idem="tap-1")
    assert again["Idempotent-Replayed"] == "true" and events(member) == 1
    # another member's same key is their own
    other = make_member(member.org)
    r = post(member_client(other), url, {"token": token, "payload": {"n": 3}}, idem="tap-1")
    assert r.status_code == 200 and events(other) == 1
    # forged or replaced posters
    assert post(c, url, {"token": token + "x"}, idem="tap-2").json()["code"] == "poster_invalid"
    admin = make_staff(member.org, Role.UNION_ADMIN)
    services.terminal_poster_rotate(terminal=terminal, actor=admin)
    assert post(c, url, {"token": token}, idem="tap-3").json()["code"] == "poster_invalid"
    fresh = services.poster_token(Terminal.objects.get(pk=terminal.pk))
    assert post(c, url, {"token": fresh}, idem="tap-4").status_code == 200
    services.terminal_disable(terminal=terminal, actor=admin, reason="Closed")
    assert post(c, url, {"token": fresh}, idem="tap-5").status_code == 403
    assert Client().post(url, data="{}", content_type="application/json").status_code == 401


def test_dispatch_registry():
    from django.core.exceptions import ImproperlyConfigured

    def h(**kw):
        return {}

    dispatch.register("tests.reg", h)
    dispatch.register("tests.reg", h)  # the same handler again is fine
    with pytest.raises(ImproperlyConfigured):
        dispatch.register("tests.reg", lambda **kw: {})
    assert dispatch.handler_for("tests.reg") is h
    dispatch.unregister("tests.reg")
    assert dispatch.handler_for("tests.reg") is None


def test_dispatch_scan_function(terminal, issued):
    credential, seed = issued
    result = dispatch.scan(
        terminal=terminal,
        code=code_at(credential, seed, now_utc()),
        payload={"n": 1},
        idempotency_key="x",
    )
    assert result.ok and result.body["result"]["pong"] == 1
    assert dispatch.handler_for(PING) is not None


def test_cache_down_fails_open_and_lockout_still_holds(
    client, terminal_and_key, issued, monkeypatch
):
    from gonghui.codes import ratelimit

    def down(*args, **kwargs):
        raise ConnectionError("cache is down")

    monkeypatch.setattr(ratelimit.cache, "add", down)
    monkeypatch.setattr(ratelimit.cache, "get", down)
    _terminal, key = terminal_and_key
    credential, seed = issued
    now = now_utc()
    assert post(client, SCAN, {"code": code_at(credential, seed, now)}, key=key).status_code == 200
    forged = code_at(credential, bytes(32), now)
    codes = [
        post(client, SCAN, {"code": forged}, key=key, idem=f"f{i}").json()["code"]
        for i in range(services.lock_threshold() + 1)
    ]
    assert codes[-2:] == ["bad_signature", "locked"]
    assert Credential.objects.get(pk=credential.pk).lock_count == 1


def test_a_retry_is_answered_even_when_the_holder_limit_refuses_new_scans(
    client, terminal_and_key, issued, settings
):
    settings.GONGHUI_CODES_RATE_LIMITS = {"holder": (2, 60)}
    _terminal, key = terminal_and_key
    credential, seed = issued
    now = now_utc()
    first = post(client, SCAN, {"code": code_at(credential, seed, now, seq=0)}, key=key, idem="k0")
    post(client, SCAN, {"code": code_at(credential, seed, now, seq=1)}, key=key, idem="k1")
    # the holder's limit is used up: a new scan is refused ...
    new = post(client, SCAN, {"code": code_at(credential, seed, now, seq=2)}, key=key, idem="k2")
    assert new.status_code == 429
    # ... but a retry of the first one still gets its stored answer, and nothing changes
    again = post(client, SCAN, {"code": code_at(credential, seed, now, seq=0)}, key=key, idem="k0")
    assert again.status_code == 200 and again["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    credential.refresh_from_db()
    assert credential.use_count == 2
    assert ScanRecord.objects.count() == 2


def test_a_handler_refusal_is_stored_and_leaves_the_code_unused(client, terminal_and_key, issued):
    _terminal, key = terminal_and_key
    credential, seed = issued
    code = code_at(credential, seed, now_utc())
    body = {"code": code, "payload": {"refuse": True}}
    refused = post(client, SCAN, body, key=key, idem="r1")
    assert refused.status_code == 409 and refused.json()["code"] == "ping_refused"
    credential.refresh_from_db()
    assert credential.use_count == 0  # the code's use was rolled back with the handler's effects
    record = ScanRecord.objects.get(idempotency_key="r1")
    assert (record.status_code, record.outcome, record.member_id) == (
        409,
        "ping_refused",
        credential.member_id,
    )
    # the retry returns the stored refusal; the same code then works under a new key
    assert post(client, SCAN, body, key=key, idem="r1").json() == refused.json()
    ok = post(client, SCAN, {"code": code}, key=key, idem="r2")
    assert ok.status_code == 200
