"""Verified phones never sit in the session table in clear (issue 10, item 3).

Every way a visitor proves a phone (the API's /otp/verify, a sign-in attempt by a non-member, the
phone + code sent with an application, the H5 join page) leaves the session; the stored
session rows (raw and decoded) must not contain the phone, and the proof must still work."""

from __future__ import annotations

import json

import pytest
from django.contrib.sessions.models import Session
from django.test import Client

from gonghui.core.identifiers import mask_id_number
from gonghui.members.models import Enrolment
from tests.members.enrol_helpers import make_world
from tests.members.test_api_members import API, JSON, enrol_payload, request_code
from tests.members.test_h5_join import ID_NUMBER, fill_person, step, verify_phone
from tests.members.test_h5_support import en_client, make_tree

pytestmark = pytest.mark.django_db


def assert_no_phone_in_sessions(phone: str) -> None:
    """Neither the raw session rows nor their decoded data contain ``phone`` (or any text)."""
    rows = list(Session.objects.all())
    assert rows, "the flow should have stored a session"
    for row in rows:
        assert phone not in row.session_data
        decoded = json.dumps(row.get_decoded(), ensure_ascii=False, default=str)
        assert phone not in decoded, decoded


def test_api_verify_keeps_the_phone_sealed_and_it_still_works(sms_outbox):
    world = make_world()
    c = Client()
    phone = "13600002222"
    code = request_code(c, sms_outbox, phone, "enrol")
    r = c.post(
        f"{API}/otp/verify", {"phone": phone, "purpose": "enrol", "code": code}, content_type=JSON
    )
    assert r.status_code == 200
    assert_no_phone_in_sessions(phone)
    r = c.post(f"{API}/enrolments", enrol_payload(world, 611), content_type=JSON)
    assert r.status_code == 201, r.content
    assert_no_phone_in_sessions(phone)
    # The application can be followed in this session (the phone proved for "status").
    assert [e["status"] for e in c.get(f"{API}/enrolments/mine").json()] == ["submitted"]


def test_sign_in_attempt_by_a_non_member_keeps_the_phone_sealed(sms_outbox):
    world = make_world()
    c = Client()
    phone = "13700001111"
    code = request_code(c, sms_outbox, phone, "sign_in")
    r = c.post(f"{API}/session", {"phone": phone, "code": code}, content_type=JSON)
    assert r.status_code == 404
    assert_no_phone_in_sessions(phone)
    r = c.post(f"{API}/enrolments", enrol_payload(world, 612), content_type=JSON)
    assert r.status_code == 201, r.content
    assert Enrolment.objects.get().phone_index


def test_phone_and_code_in_one_request_keeps_the_phone_sealed(sms_outbox):
    world = make_world()
    c = Client()
    phone = "13500004444"
    code = request_code(c, sms_outbox, phone, "enrol")
    payload = enrol_payload(world, 613, phone=phone, code=code)
    assert c.post(f"{API}/enrolments", payload, content_type=JSON).status_code == 201
    assert_no_phone_in_sessions(phone)


def test_h5_join_keeps_the_phone_sealed():
    make_tree()
    client = en_client()
    phone = "13812345678"
    verify_phone(client, phone)
    assert step(client) == 2
    assert_no_phone_in_sessions(phone)
    fill_person(client)
    assert step(client) == 3
    assert_no_phone_in_sessions(phone)
    # Nor the ID number's mask: the join state keeps the number sealed and derives the mask.
    assert_no_phone_in_sessions(mask_id_number(ID_NUMBER))
    assert_no_phone_in_sessions(ID_NUMBER)


def test_a_sealed_phone_copied_to_another_purpose_is_refused():
    """The sealed token is bound to its purpose: a proof for signing in is not one for joining."""
    from django.http import HttpRequest

    from gonghui.members.session import get_verified_phone, set_verified_phone

    request = HttpRequest()
    request.session = Client().session
    set_verified_phone(request, "13812345678", "sign_in")
    assert get_verified_phone(request, "sign_in") == "13812345678"
    request.session["gonghui_verified_phone:enrol"] = request.session[
        "gonghui_verified_phone:sign_in"
    ]
    assert get_verified_phone(request, "enrol") is None
