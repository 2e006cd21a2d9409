"""Issue #12 item 5: joining as a newcomer meets it. A member who starts /m/join is recognised at
step 1 (not told at step 4 that the phone is taken) and signed in; a former member is told whom to
ask; a pending applicant gets a status page; the applicant gives explicit consent to the processing
of the ID number and phone after a privacy notice, recorded with its version (PIPL Art. 14/29)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import IntegrityError, transaction
from django.test import Client

from gonghui.core.errors import Refused
from gonghui.core.sms import MemorySmsBackend
from gonghui.members.enrolment import enrolment_submit
from gonghui.members.models import Enrolment, Member
from gonghui.members.privacy import PRIVACY_NOTICE_VERSION
from tests.factories import id_number_for, make_member
from tests.members.test_h5_join import ID_NUMBER, PHONE, fill_person, step, verify_phone
from tests.members.test_h5_support import en_client, make_tree, text

pytestmark = pytest.mark.django_db


@pytest.fixture
def tree(db):
    return make_tree()


def verify(client: Client, phone: str = PHONE):
    """Step 1 as the page does it: send, then verify; the answer of the verify POST."""
    client.post("/m/join", {"action": "send", "phone": phone})
    from tests.members.test_h5_support import last_code

    return client.post("/m/join", {"action": "verify", "phone": phone, "code": last_code(phone)})


def _pending(tree, n: int):
    """An application awaiting review, filed with PHONE (the ID of person ``n``)."""
    return enrolment_submit(
        verified_phone=PHONE,
        name="陈小红",
        id_number=id_number_for(n),
        org=tree.union,
        employment_type="employee",
        consent_version=PRIVACY_NOTICE_VERSION,
    )


# --- recognised at step 1 ----------------------------------------------------------------------
def test_a_member_is_recognised_at_step_1_and_signed_in_without_a_second_code(tree):
    member = make_member(tree.union, phone=PHONE)
    c = en_client()
    sent_before = len(MemorySmsBackend.outbox)
    r = verify(c)
    body = text(r)
    assert r.status_code == 200 and 'data-testid="existing-member"' in body
    assert tree.union.name in body  # the phone's owner just proved it: naming the union is safe
    assert step(c) == 1  # not walked on to "about you"
    r = c.post("/m/join", {"action": "signin"})
    assert r.status_code == 302 and r["Location"] == "/m/"
    assert member.name in text(c.get("/m/"))
    assert len(MemorySmsBackend.outbox) == sent_before + 1  # one code, not two
    assert Enrolment.objects.count() == 0


def test_sign_in_from_join_needs_the_proved_phone(tree):
    make_member(tree.union, phone=PHONE)
    c = en_client()
    r = c.post("/m/join", {"action": "signin"})
    assert r.status_code == 302 and r["Location"] == "/m/join"
    assert c.get("/m/history")["Location"].startswith("/m/login")  # not signed in


def test_a_former_member_is_told_whom_to_ask(tree):
    m = make_member(tree.union, phone=PHONE)
    Member.objects.filter(pk=m.pk).update(status=Member.Status.LEFT)
    c = en_client()
    body = text(verify(c))
    assert 'data-testid="member-inactive"' in body and tree.union.name in body
    assert 'data-testid="join-sign-in"' not in body
    assert c.post("/m/join", {"action": "signin"})["Location"] == "/m/join"
    assert step(c) == 1


# --- the applicant's status page ---------------------------------------------------------------
def test_a_pending_applicant_is_sent_to_the_status_page(tree):
    _pending(tree, 9101)
    c = en_client()
    r = verify(c)
    assert r.status_code == 302 and r["Location"] == "/m/join/status"
    body = text(c.get("/m/join/status"))
    assert 'data-testid="join-status"' in body and 'data-status="submitted"' in body
    assert tree.union.name in body


def test_status_page_after_submitting_and_after_a_decision(tree):
    c = en_client()
    verify_phone(c)
    fill_person(c)
    c.post("/m/join", {"action": "choose", "org": tree.union.pk})
    assert c.post("/m/join", {"action": "submit"})["Location"] == "/m/join/done"
    assert 'href="/m/join/status"' in text(c.get("/m/join/done"))
    assert 'data-status="submitted"' in text(c.get("/m/join/status"))
    Enrolment.objects.update(status=Enrolment.Status.REJECTED, reject_reason="不在本单位")
    body = text(c.get("/m/join/status"))
    assert 'data-status="rejected"' in body and "不在本单位" in body


def test_status_page_without_a_proved_phone_shows_nothing(tree):
    _pending(tree, 9102)
    r = Client().get("/m/join/status")
    assert r.status_code == 302 and r["Location"] == "/m/join"


def test_sign_in_page_of_an_applicant_links_to_the_status_page(tree):
    _pending(tree, 9103)
    from tests.members.test_h5_support import last_code

    c = en_client()
    c.post("/m/login", {"action": "send", "phone": PHONE})
    body = text(c.post("/m/login", {"action": "verify", "phone": PHONE, "code": last_code(PHONE)}))
    assert 'data-testid="login-application-status"' in body
    assert 'data-status="submitted"' in text(c.get("/m/join/status"))


# --- consent -------------------------------------------------------------------------------------
def test_about_you_needs_explicit_consent(tree):
    c = en_client()
    verify_phone(c)
    body = text(fill_person(c, consent=""))
    assert 'data-testid="error-consent"' in body and 'href="/m/privacy"' in body
    assert step(c) == 2
    assert fill_person(c).status_code == 302 and step(c) == 3


def test_the_enrolment_records_the_notice_version_agreed_to(tree):
    c = en_client()
    verify_phone(c)
    fill_person(c)
    c.post("/m/join", {"action": "choose", "org": tree.union.pk})
    c.post("/m/join", {"action": "submit"})
    e = Enrolment.objects.get()
    assert e.consent_version == PRIVACY_NOTICE_VERSION and e.consent_at is not None
    assert abs(e.consent_at - e.submitted_at) < dt.timedelta(seconds=5)


@pytest.mark.parametrize("version", ["", "2000-01-01"])
def test_the_service_refuses_without_the_current_consent(tree, version):
    with pytest.raises(Refused) as exc:
        enrolment_submit(
            verified_phone=PHONE,
            name="陈小红",
            id_number=ID_NUMBER,
            org=tree.union,
            employment_type="employee",
            consent_version=version,
        )
    assert exc.value.code == "consent_required" and exc.value.field == "consent"
    assert Enrolment.objects.count() == 0


def test_the_api_refuses_without_consent(tree, sms_outbox):
    from tests.members.enrol_helpers import last_code

    c = Client()
    api = "/api/v1/members"
    c.post(f"{api}/otp", {"phone": PHONE, "purpose": "enrol"}, content_type="application/json")
    payload = {
        "name": "陈小红",
        "id_number": ID_NUMBER,
        "org_id": tree.union.pk,
        "phone": PHONE,
        "code": last_code(sms_outbox, PHONE),
    }
    r = c.post(f"{api}/enrolments", payload, content_type="application/json")
    assert r.status_code == 400 and r.json()["code"] == "consent_required", r.content
    assert Enrolment.objects.count() == 0


def test_a_consent_version_needs_its_time_in_the_database(tree):
    e = enrolment_submit(
        verified_phone=PHONE,
        name="陈小红",
        id_number=ID_NUMBER,
        org=tree.union,
        employment_type="employee",
        consent_version=PRIVACY_NOTICE_VERSION,
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        Enrolment.objects.filter(pk=e.pk).update(consent_at=None)


def test_privacy_notice_page_in_chinese_with_its_version(tree):
    c = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    r = c.get("/m/privacy")
    body = text(r)
    assert r.status_code == 200 and f'data-version="{PRIVACY_NOTICE_VERSION}"' in body
    assert "敏感个人信息" in body and "Sensitive personal information" not in body
