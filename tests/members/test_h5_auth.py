"""Member sign-in and sign-out on the H5 pages; member-only pages redirect to sign-in."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from gonghui.core.sms import MemorySmsBackend
from gonghui.members.models import Enrolment, Member, OtpChallenge
from tests.factories import make_member
from tests.members.test_h5_support import (
    en_client,
    field_errors,
    last_code,
    make_tree,
    sign_in,
    text,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def tree(db):
    return make_tree()


PHONE = "13912340001"


@pytest.fixture
def member(tree):
    return make_member(tree.union, phone=PHONE, name="李海")


def test_login_page_renders_with_phone_and_code_fields():
    r = en_client().get("/m/login")
    assert r.status_code == 200
    body = text(r)
    assert 'name="phone"' in body and 'name="code"' in body
    assert 'data-testid="send-code"' in body
    assert "csrfmiddlewaretoken" in body


def test_sign_in_with_sms_code_then_home_shows_profile(member):
    c = en_client()
    r = c.post("/m/login", {"action": "send", "phone": PHONE})
    assert r.status_code == 200
    assert 'data-testid="otp-sent"' in text(r)
    assert "139****0001" in text(r)
    r = c.post("/m/login", {"action": "verify", "phone": PHONE, "code": last_code(PHONE)})
    assert r.status_code == 302 and r["Location"] == "/m/"
    body = text(c.get("/m/"))
    assert 'data-testid="member-no">' + member.member_no in body
    assert member.name in body
    assert member.id_number_masked in body and member.phone_masked in body
    assert "海鲸机械有限公司工会" in body


def test_send_code_by_htmx_answers_the_status_fragment_with_countdown(member):
    c = en_client()
    r = c.post("/m/login/code", {"phone": PHONE}, headers={"hx-request": "true"})
    assert r.status_code == 200
    body = text(r)
    assert body.lstrip().startswith('<div id="otp-status"')
    assert 'data-countdown="60"' in body
    assert "<html" not in body
    assert len(MemorySmsBackend.outbox) == 1


def test_second_code_within_a_minute_is_refused_with_seconds(member):
    c = en_client()
    c.post("/m/login/code", {"phone": PHONE})
    r = c.post("/m/login/code", {"phone": PHONE}, headers={"hx-request": "true"})
    body = text(r)
    assert 'data-testid="otp-error"' in body
    assert "seconds" in body
    # the countdown carries the seconds the service asked us to wait
    assert 'data-countdown="' in body
    assert len(MemorySmsBackend.outbox) == 1


@pytest.mark.parametrize(
    ("phone", "expected"),
    [
        ("", "Please enter your mobile number."),
        ("12345", "This is not"),
        ("057687654321", "A mobile number is needed"),
    ],
)
def test_bad_phone_gives_an_error_and_sends_nothing(phone, expected):
    r = en_client().post("/m/login", {"action": "send", "phone": phone})
    assert r.status_code == 200
    assert expected in text(r)
    assert MemorySmsBackend.outbox == []
    assert OtpChallenge.objects.count() == 0


def test_wrong_code_shows_field_error_and_does_not_sign_in(member):
    c = en_client()
    c.post("/m/login", {"action": "send", "phone": PHONE})
    good = last_code(PHONE)
    wrong = "000000" if good != "000000" else "111111"
    r = c.post("/m/login", {"action": "verify", "phone": PHONE, "code": wrong})
    assert r.status_code == 200
    assert field_errors(r, "code") == ["The code is wrong."]
    assert "gonghui_member_id" not in c.session
    r = c.post("/m/login", {"action": "verify", "phone": PHONE, "code": "12ab"})
    assert field_errors(r, "code")  # format error, before the service
    assert "gonghui_member_id" not in c.session


def test_code_without_request_is_refused(member):
    r = en_client().post("/m/login", {"action": "verify", "phone": PHONE, "code": "123456"})
    assert field_errors(r, "code") == ["Please request a code first."]


def test_code_works_once(member):
    c = en_client()
    sign_in(c, member, PHONE)
    code = last_code(PHONE)
    other = en_client()
    r = other.post("/m/login", {"action": "verify", "phone": PHONE, "code": code})
    assert r.status_code == 200
    assert field_errors(r, "code")
    assert "gonghui_member_id" not in other.session


def test_unknown_phone_is_told_to_join(tree):
    c = en_client()
    phone = "13912349999"
    c.post("/m/login", {"action": "send", "phone": phone})
    r = c.post("/m/login", {"action": "verify", "phone": phone, "code": last_code(phone)})
    assert r.status_code == 200
    assert 'data-testid="no-member"' in text(r)
    assert "gonghui_member_id" not in c.session


def test_applicant_sees_the_status_of_the_application(tree):
    from gonghui.members.enrolment import enrolment_submit
    from gonghui.members.privacy import PRIVACY_NOTICE_VERSION
    from tests.factories import id_number_for

    phone = "13912348888"
    enrolment_submit(
        verified_phone=phone,
        name="张三",
        id_number=id_number_for(4242),
        org=tree.union,
        employment_type="employee",
        consent_version=PRIVACY_NOTICE_VERSION,
    )
    c = en_client()
    c.post("/m/login", {"action": "send", "phone": phone})
    r = c.post("/m/login", {"action": "verify", "phone": phone, "code": last_code(phone)})
    assert 'data-testid="application-status"' in text(r)
    assert tree.union.name in text(r)
    assert Enrolment.objects.count() == 1


def test_suspended_member_is_not_signed_in(member):
    Member.objects.filter(pk=member.pk).update(status=Member.Status.SUSPENDED)
    c = en_client()
    c.post("/m/login", {"action": "send", "phone": PHONE})
    r = c.post("/m/login", {"action": "verify", "phone": PHONE, "code": last_code(PHONE)})
    assert r.status_code == 200
    assert 'data-testid="member-inactive"' in text(r)
    assert "gonghui_member_id" not in c.session


def test_sign_in_by_htmx_redirects_with_hx_redirect(member):
    c = en_client()
    c.post("/m/login", {"action": "send", "phone": PHONE})
    r = c.post(
        "/m/login",
        {"action": "verify", "phone": PHONE, "code": last_code(PHONE), "next": "/m/history"},
        headers={"hx-request": "true"},
    )
    assert r.status_code == 204
    assert r["HX-Redirect"] == "/m/history"


def test_next_is_followed_only_on_this_site(member):
    c = en_client()
    c.post("/m/login", {"action": "send", "phone": PHONE})
    r = c.post(
        "/m/login",
        {
            "action": "verify",
            "phone": PHONE,
            "code": last_code(PHONE),
            "next": "https://evil.example/steal",
        },
    )
    assert r.status_code == 302 and r["Location"] == "/m/"


def test_sign_in_changes_the_session_key(member):
    c = en_client()
    c.get("/m/join")
    c.post("/m/login", {"action": "send", "phone": PHONE})
    before = c.session.session_key
    c.post("/m/login", {"action": "verify", "phone": PHONE, "code": last_code(PHONE)})
    assert c.session.session_key != before


def test_logout_needs_post_and_signs_out(member):
    c = en_client()
    sign_in(c, member, PHONE)
    assert c.get("/m/logout").status_code == 405
    assert "gonghui_member_id" in c.session
    r = c.post("/m/logout")
    assert r.status_code == 302 and r["Location"] == "/m/"
    assert "gonghui_member_id" not in c.session
    body = text(c.get("/m/"))
    assert 'data-testid="home-login"' in body and member.member_no not in body


def test_forms_are_csrf_protected(member):
    c = Client(enforce_csrf_checks=True)
    assert c.post("/m/login", {"action": "send", "phone": PHONE}).status_code == 403
    assert c.post("/m/join", {"action": "send", "phone": PHONE}).status_code == 403
    assert c.post("/m/logout").status_code == 403
    assert MemorySmsBackend.outbox == []


@pytest.mark.parametrize("path", ["/m/union", "/m/history", "/m/transfer", "/m/transfer?to=5"])
def test_member_pages_redirect_to_sign_in(path):
    r = Client().get(path)
    assert r.status_code == 302
    assert r["Location"].startswith("/m/login?next=/m/")


def test_signed_in_visit_to_login_goes_home(member):
    c = en_client()
    sign_in(c, member, PHONE)
    r = c.get("/m/login")
    assert r.status_code == 302 and r["Location"] == "/m/"


def test_too_many_codes_from_one_address_are_refused_with_seconds(tree):
    c = en_client()
    for i in range(20):
        r = c.post("/m/login/code", {"phone": f"1391111{i:04d}"})
        assert 'data-testid="otp-sent"' in text(r), i
    r = c.post("/m/login", {"action": "send", "phone": "13911119999"})
    body = text(r)
    assert 'data-testid="otp-error"' in body
    assert re.search(r'data-countdown="(\d+)"', body)
    assert re.search(r"\d+ seconds", body)
    assert len(MemorySmsBackend.outbox) == 20


def test_sign_in_works_and_is_still_limited_when_redis_is_down(member, dead_redis):
    """A Redis outage degrades sign-in (database counters) instead of answering 500."""
    c = en_client()
    r = c.post("/m/login", {"action": "send", "phone": PHONE})
    assert r.status_code == 200 and 'data-testid="otp-sent"' in text(r)
    r = c.post("/m/login/code", {"phone": PHONE}, headers={"hx-request": "true"})
    assert r.status_code == 200 and 'data-testid="otp-error"' in text(r)
    assert len(MemorySmsBackend.outbox) == 1
    r = c.post("/m/login", {"action": "verify", "phone": PHONE, "code": last_code(PHONE)})
    assert r.status_code == 302 and r["Location"] == "/m/"
    assert c.get("/m/").status_code == 200
