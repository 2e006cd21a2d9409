"""The member profile page /m/profile (issue 12, item 6): a phone change proved by an SMS code sent
to the new number, and a home address, both sealed at rest; every refusal on the server."""

from __future__ import annotations

import datetime as dt
import json
import time

import pytest
from django.contrib.sessions.models import Session
from django.core.cache import cache
from django.test import Client

from gonghui.core import crypto
from gonghui.core.models import AuditEntry
from gonghui.core.sms import MemorySmsBackend
from gonghui.members import pii, services
from gonghui.members.models import ADDRESS_MAX_LENGTH, Member, OtpChallenge
from gonghui.members.selectors import member_by_phone
from gonghui.members.session import (
    ENROL_STATUS_PURPOSE,
    SESSION_VERIFIED_PREFIX,
    VERIFIED_PHONE_PURPOSE,
)
from tests.factories import make_member
from tests.members.test_h5_support import (
    en_client,
    field_errors,
    last_code,
    make_tree,
    sign_in,
    text,
)
from tests.sealing import raw_text

pytestmark = pytest.mark.django_db

PHONE = "13912340001"
NEW_PHONE = "13612345678"
OTHER_PHONE = "13912340002"
ADDRESS = "玉环市玉城街道机电路 8 号 3 幢 402 室"


@pytest.fixture(autouse=True)
def _outbox(sms_outbox):
    return sms_outbox


@pytest.fixture
def tree(db):
    return make_tree()


@pytest.fixture
def member(tree):
    return make_member(tree.union, phone=PHONE, name="李海")


@pytest.fixture
def signed_in(member):
    c = en_client()
    sign_in(c, member, PHONE)
    MemorySmsBackend.outbox.clear()
    return c


def send(client: Client, phone: str = NEW_PHONE):
    return client.post("/m/profile", {"action": "send", "phone": phone})


def confirm(client: Client, code: str, phone: str = NEW_PHONE):
    return client.post("/m/profile", {"action": "phone", "phone": phone, "code": code})


def sent_to() -> list[str]:
    return [to for to, _message in MemorySmsBackend.outbox]


# --- the page --------------------------------------------------------------------------------
def test_profile_shows_masked_identity_and_union(signed_in, member, tree):
    r = signed_in.get("/m/profile")
    assert r.status_code == 200
    body = text(r)
    assert member.id_number_masked in body
    assert "139****0001" in body
    assert tree.union.name in body
    assert PHONE not in body
    assert pii.open_id_number(member) not in body
    assert 'href="/m/"' in body and 'data-testid="h5-back"' in body  # the back arrow


def test_home_links_to_the_profile(signed_in):
    assert 'href="/m/profile" data-testid="link-profile"' in text(signed_in.get("/m/"))


@pytest.mark.parametrize(
    ("method", "url", "data"),
    [
        ("get", "/m/profile", None),
        ("post", "/m/profile", {"action": "address", "address": ADDRESS}),
        ("post", "/m/profile", {"action": "send", "phone": NEW_PHONE}),
        ("post", "/m/profile/code", {"phone": NEW_PHONE}),
    ],
)
def test_not_signed_in_goes_to_sign_in_and_changes_nothing(member, method, url, data):
    c = en_client()
    r = getattr(c, method)(url, data) if data else getattr(c, method)(url)
    assert r.status_code == 302
    assert r["Location"].startswith("/m/login?next=/m/profile")
    assert sent_to() == []
    member.refresh_from_db()
    assert member.address == ""


def test_post_without_csrf_token_is_refused(member):
    c = Client(enforce_csrf_checks=True, headers={"accept-language": "en"})
    session = c.session
    session["gonghui_member_id"] = member.pk
    session.save()
    r = c.post("/m/profile", {"action": "address", "address": ADDRESS})
    assert r.status_code == 403
    r = c.post("/m/profile/code", {"phone": NEW_PHONE})
    assert r.status_code == 403
    member.refresh_from_db()
    assert member.address == ""
    assert sent_to() == []


def test_unknown_action_is_a_bad_request(signed_in):
    assert signed_in.post("/m/profile", {"action": "delete"}).status_code == 400


# --- phone change ----------------------------------------------------------------------------
def test_phone_change_with_the_code_sent_to_the_new_number(
    signed_in, member, django_capture_on_commit_callbacks
):
    r = send(signed_in)
    assert 'data-testid="otp-sent"' in text(r)
    assert sent_to() == [NEW_PHONE]  # the code goes to the NEW number only
    code = last_code(NEW_PHONE)
    with django_capture_on_commit_callbacks(execute=True):
        r = confirm(signed_in, code)
    assert r.status_code == 302
    assert r["Location"] == "/m/profile?done=phone"
    member.refresh_from_db()
    assert pii.open_phone(member) == NEW_PHONE
    assert member.phone_index == pii.phone_index(NEW_PHONE)
    assert member_by_phone(NEW_PHONE) == member
    assert member_by_phone(PHONE) is None
    # the old number is told, after commit, and shown only the new number masked
    assert sent_to()[-1] == PHONE
    notice = MemorySmsBackend.outbox[-1][1]
    assert "136****5678" in notice and NEW_PHONE not in notice
    entry = AuditEntry.objects.get(action="members.member.phone_change")
    assert entry.actor_label == f"member:{member.pk}"
    assert PHONE not in json.dumps(entry.data) and NEW_PHONE not in json.dumps(entry.data)
    page = text(signed_in.get(r["Location"]))
    assert 'data-testid="done-phone"' in page and "136****5678" in page
    # the new number signs in (once the per-phone limit of the change's code has passed)
    cache.clear()
    c = en_client()
    sign_in(c, member, NEW_PHONE)


def test_notice_to_the_old_number_waits_for_the_commit(signed_in, member):
    send(signed_in)
    confirm(signed_in, last_code(NEW_PHONE))  # the test's transaction never commits
    assert PHONE not in sent_to()


def test_full_width_digits_are_normalised(signed_in, member):
    wide = "１３６１２３４５６７８"
    send(signed_in, wide)
    assert sent_to() == [NEW_PHONE]
    r = confirm(signed_in, last_code(NEW_PHONE), phone=wide)
    assert r.status_code == 302
    member.refresh_from_db()
    assert pii.open_phone(member) == NEW_PHONE


def test_wrong_code_is_refused_and_counted(signed_in, member):
    send(signed_in)
    code = last_code(NEW_PHONE)
    wrong = "000000" if code != "000000" else "111111"
    r = confirm(signed_in, wrong)
    assert r.status_code == 200
    assert field_errors(r, "code") == ["The code is wrong."]
    member.refresh_from_db()
    assert pii.open_phone(member) == PHONE
    assert OtpChallenge.objects.get(purpose="phone_change").attempts == 1


def test_too_many_wrong_codes_lock_the_code(signed_in, member, settings):
    send(signed_in)
    code = last_code(NEW_PHONE)
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(settings.GONGHUI_OTP_MAX_ATTEMPTS):
        confirm(signed_in, wrong)
    r = confirm(signed_in, code)  # even the right code, now
    assert field_errors(r, "code") == ["Too many wrong codes. Please request a new code."]
    member.refresh_from_db()
    assert pii.open_phone(member) == PHONE


def test_expired_code_is_refused(signed_in, member):
    send(signed_in)
    code = last_code(NEW_PHONE)
    OtpChallenge.objects.filter(purpose="phone_change").update(
        expires_at=dt.datetime(2020, 1, 1, tzinfo=dt.UTC)
    )
    r = confirm(signed_in, code)
    assert field_errors(r, "code") == ["The code has expired. Please request a new one."]
    member.refresh_from_db()
    assert pii.open_phone(member) == PHONE


def test_a_used_code_does_not_work_twice(signed_in, member):
    send(signed_in)
    code = last_code(NEW_PHONE)
    assert confirm(signed_in, code).status_code == 302
    # back to the old number is refused: no code was asked for it
    r = confirm(signed_in, code, phone=PHONE)
    assert field_errors(r, "code") == ["Please request a code first."]


def test_a_sign_in_code_is_no_phone_change_code(signed_in, member):
    signed_in.post("/m/login/code", {"phone": NEW_PHONE})
    r = confirm(signed_in, last_code(NEW_PHONE))
    assert field_errors(r, "code") == ["Please request a code first."]
    member.refresh_from_db()
    assert pii.open_phone(member) == PHONE


def test_code_without_a_phone_or_code_is_refused(signed_in):
    r = signed_in.post("/m/profile", {"action": "phone", "phone": "", "code": ""})
    assert field_errors(r, "phone") == ["Please enter your new mobile number."]
    assert field_errors(r, "code") == ["Please enter the code from the SMS."]


def test_phone_of_another_member_is_refused_before_any_sms(signed_in, tree):
    make_member(tree.other_union, phone=OTHER_PHONE)
    r = send(signed_in, OTHER_PHONE)
    assert "This phone number is used by another member." in text(r)
    assert sent_to() == []


def test_phone_taken_after_the_code_was_sent_is_refused(signed_in, member, tree):
    send(signed_in)
    code = last_code(NEW_PHONE)
    make_member(tree.other_union, phone=NEW_PHONE)
    r = confirm(signed_in, code)
    assert field_errors(r, "phone") == ["This phone number is used by another member."]
    member.refresh_from_db()
    assert pii.open_phone(member) == PHONE


def test_own_phone_is_refused(signed_in):
    r = send(signed_in, PHONE)
    assert "This is already your phone number." in text(r)
    assert sent_to() == []


@pytest.mark.parametrize(
    ("phone", "message"),
    [
        ("12345", "This is not a valid mainland China phone number."),
        ("0576-87654321", "A mobile number is needed to receive SMS codes."),
        ("abc", "This is not a phone number."),
        ("+44 7700 900123", "This is not a valid mainland China phone number."),
    ],
)
def test_invalid_phone_is_refused(signed_in, member, phone, message):
    r = send(signed_in, phone)
    assert message in text(r)
    r = confirm(signed_in, "123456", phone=phone)
    assert field_errors(r, "phone") == [message]
    assert sent_to() == []
    member.refresh_from_db()
    assert pii.open_phone(member) == PHONE


def test_codes_are_rate_limited_like_sign_in(signed_in):
    send(signed_in)
    r = send(signed_in)
    assert "Too many code requests" in text(r)
    assert sent_to() == [NEW_PHONE]


def test_htmx_send_answers_the_code_status(signed_in):
    r = signed_in.post("/m/profile/code", {"phone": NEW_PHONE}, headers={"HX-Request": "true"})
    assert r.status_code == 200
    assert 'id="otp-status"' in text(r) and "136****5678" in text(r)
    r = signed_in.post("/m/profile/code", {"phone": "12"}, headers={"HX-Request": "true"})
    assert 'data-testid="otp-error"' in text(r)


def test_session_proofs_of_the_old_phone_follow_the_change(signed_in, member):
    session = signed_in.session
    session[SESSION_VERIFIED_PREFIX + ENROL_STATUS_PURPOSE] = {
        "sealed": crypto.encrypt(PHONE, purpose=VERIFIED_PHONE_PURPOSE + ENROL_STATUS_PURPOSE),
        "at": time.time(),
    }
    session.save()
    send(signed_in)
    confirm(signed_in, last_code(NEW_PHONE))
    entry = signed_in.session[SESSION_VERIFIED_PREFIX + ENROL_STATUS_PURPOSE]
    assert (
        crypto.decrypt(entry["sealed"], purpose=VERIFIED_PHONE_PURPOSE + ENROL_STATUS_PURPOSE)
        == NEW_PHONE
    )
    for row in Session.objects.all():
        decoded = json.dumps(row.get_decoded(), default=str)
        assert PHONE not in decoded and NEW_PHONE not in decoded


def test_service_refuses_an_inactive_member(member):
    from gonghui.members.otp import otp_request

    otp_request(phone=NEW_PHONE, purpose="phone_change", ip=None)
    Member.objects.filter(pk=member.pk).update(status=Member.Status.SUSPENDED)
    with pytest.raises(services.Refused) as exc:
        services.member_phone_change(member=member, phone=NEW_PHONE, code=last_code(NEW_PHONE))
    assert exc.value.code == "member_inactive"


# --- address ---------------------------------------------------------------------------------
def test_address_is_saved_and_shown(signed_in, member):
    r = signed_in.post("/m/profile", {"action": "address", "address": f"  {ADDRESS}\n"})
    assert r.status_code == 302 and r["Location"] == "/m/profile?done=address"
    member.refresh_from_db()
    assert member.address == ADDRESS
    page = text(signed_in.get("/m/profile?done=address"))
    assert ADDRESS in page and 'data-testid="done-address"' in page
    assert AuditEntry.objects.filter(action="members.member.address_set").count() == 1
    # and cleared
    assert signed_in.post("/m/profile", {"action": "address", "address": ""}).status_code == 302
    member.refresh_from_db()
    assert member.address == ""


def test_too_long_address_is_refused(signed_in, member):
    r = signed_in.post(
        "/m/profile", {"action": "address", "address": "路" * (ADDRESS_MAX_LENGTH + 1)}
    )
    assert r.status_code == 200
    assert field_errors(r, "address") == [
        f"An address has at most {ADDRESS_MAX_LENGTH} characters."
    ]
    member.refresh_from_db()
    assert member.address == ""


def test_service_refuses_too_long_and_control_characters(member):
    with pytest.raises(services.Refused) as exc:
        services.member_address_set(member=member, address="x" * (ADDRESS_MAX_LENGTH + 1))
    assert exc.value.code == "address_too_long"
    with pytest.raises(services.Refused) as exc:
        services.member_address_set(member=member, address="玉环\u202e市")
    assert exc.value.code == "address_invalid"


# --- at rest ---------------------------------------------------------------------------------
def test_new_phone_and_address_are_sealed_at_rest(signed_in, member):
    send(signed_in)
    confirm(signed_in, last_code(NEW_PHONE))
    signed_in.post("/m/profile", {"action": "address", "address": ADDRESS})
    member.refresh_from_db()
    assert member.address == ADDRESS and pii.open_phone(member) == NEW_PHONE
    raw = raw_text(Member)
    for plain in (NEW_PHONE, PHONE, "136****5678", ADDRESS, "机电路"):
        assert plain not in raw
    raw_otp = raw_text(OtpChallenge)
    assert NEW_PHONE not in raw_otp
