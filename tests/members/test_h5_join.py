"""Joining on /m/join, end to end through the views; every bad input gives a field error and
creates nothing."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.cache import cache

from gonghui.core.identifiers import make_id_number
from gonghui.core.sms import MemorySmsBackend
from gonghui.members import pii
from gonghui.members.enrolment import enrolment_approve
from gonghui.members.models import Enrolment, Member
from gonghui.orgs.models import Role
from tests.factories import make_member, make_staff
from tests.members.test_h5_support import (
    en_client,
    field_errors,
    last_code,
    make_tree,
    text,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def tree(db):
    return make_tree()


PHONE = "13812345678"
ID_NUMBER = make_id_number(region="331021", birth=dt.date(1990, 5, 17), seq=123)
PERMIT = make_id_number(region="810000", birth=dt.date(1988, 2, 29), seq=45)


def step(client) -> int:
    r = client.get("/m/join")
    assert r.status_code == 200
    body = text(r)
    marker = 'data-step="'
    i = body.index(marker) + len(marker)
    return int(body[i : body.index('"', i)])


def verify_phone(client, phone: str = PHONE) -> None:
    r = client.post("/m/join", {"action": "send", "phone": phone})
    assert 'data-testid="otp-sent"' in text(r), text(r)[:3000]
    r = client.post("/m/join", {"action": "verify", "phone": phone, "code": last_code(phone)})
    assert r.status_code == 302, text(r)[:3000]


def fill_person(client, **overrides) -> object:
    data = {
        "action": "person",
        "name": "陈小红",
        "id_number": ID_NUMBER,
        "employment_type": "employee",
        "gig_trade": "",
        "consent": "on",
    }
    data.update(overrides)
    return client.post("/m/join", data)


@pytest.fixture
def client():
    return en_client()


@pytest.fixture
def at_step2(client):
    verify_phone(client)
    assert step(client) == 2
    return client


@pytest.fixture
def at_step3(at_step2):
    r = fill_person(at_step2)
    assert r.status_code == 302, text(r)[:3000]
    assert step(at_step2) == 3
    return at_step2


def test_join_end_to_end_then_approval_and_sign_in(tree, client):
    assert step(client) == 1
    verify_phone(client)
    assert step(client) == 2
    assert fill_person(client).status_code == 302
    # step 3: search by the employer's name, as without JavaScript (GET ?q=)
    r = client.get("/m/join", {"q": "海鲸"})
    body = text(r)
    assert 'data-testid="pick-enterprise"' in body and "海鲸机械有限公司" in body
    assert f'name="enterprise" value="{tree.enterprise.pk}"' in body
    r = client.post("/m/join", {"action": "choose", "enterprise": tree.enterprise.pk})
    assert r.status_code == 302
    # step 4: review shows masked data only
    r = client.get("/m/join")
    body = text(r)
    assert 'data-step="4"' in body
    assert ID_NUMBER not in body and "331***********" in body
    assert "138****5678" in body and PHONE not in body
    assert tree.union.name in body and tree.enterprise.name in body
    assert Enrolment.objects.count() == 0
    r = client.post("/m/join", {"action": "submit"})
    assert r.status_code == 302 and r["Location"] == "/m/join/done"
    r = client.get("/m/join/done")
    assert 'data-testid="join-submitted"' in text(r)
    assert tree.union.name in text(r)

    enrolment = Enrolment.objects.get()
    assert enrolment.status == Enrolment.Status.SUBMITTED
    assert enrolment.name == "陈小红"
    assert enrolment.org == tree.union and enrolment.enterprise == tree.enterprise
    assert pii.open_id_number(enrolment) == ID_NUMBER
    assert pii.open_phone(enrolment) == PHONE
    assert enrolment.id_number_masked == ID_NUMBER[:3] + "*" * 11 + ID_NUMBER[-4:]
    # the join state is gone; a new visit starts at step 1 again
    assert "h5_join" not in client.session
    assert step(client) == 1

    reviewer = make_staff(tree.union, Role.REVIEWER)
    member = enrolment_approve(enrolment=enrolment, actor=reviewer)
    assert any(member.member_no in msg for to, msg in MemorySmsBackend.outbox if to == PHONE)

    cache.clear()  # the per-phone limit (1 code a minute) would refuse a code this soon
    c2 = en_client()
    r = c2.post("/m/login", {"action": "send", "phone": PHONE})
    assert 'data-testid="otp-sent"' in text(r)
    c2.post("/m/login", {"action": "verify", "phone": PHONE, "code": last_code(PHONE)})
    assert f'data-testid="member-no">{member.member_no}' in text(c2.get("/m/"))


def test_join_pages_by_htmx_swap_the_step(tree, client):
    r = client.post("/m/join/code", {"phone": PHONE}, headers={"hx-request": "true"})
    assert 'id="otp-status"' in text(r) and "<html" not in text(r)
    r = client.post(
        "/m/join",
        {"action": "verify", "phone": PHONE, "code": last_code(PHONE)},
        headers={"hx-request": "true"},
    )
    # a step change is a plain redirect: htmx follows it and swaps only #join-step
    assert r.status_code == 302 and r["Location"] == "/m/join"
    r = client.get("/m/join", headers={"hx-request": "true"})
    assert 'id="join-step" class="join" data-step="2"' in text(r)
    r = client.get("/m/join/unions", {"q": "东港"}, headers={"hx-request": "true"})
    body = text(r)
    assert body.lstrip().startswith('<div id="union-results"')
    assert tree.other_union.name in body and f'value="{tree.other_union.pk}"' in body


def test_gig_worker_is_offered_the_industry_federation_of_the_trade(tree, at_step2):
    r = fill_person(at_step2, employment_type="gig", gig_trade="rider")
    assert r.status_code == 302
    body = text(at_step2.get("/m/join"))
    assert 'data-step="3"' in body
    assert tree.delivery.name in body
    assert tree.express.name not in body
    at_step2.post("/m/join", {"action": "choose", "org": tree.delivery.pk, "employer_name": "美团"})
    at_step2.post("/m/join", {"action": "submit"})
    e = Enrolment.objects.get()
    assert e.org == tree.delivery and e.gig_trade == "rider" and e.employment_type == "gig"
    assert e.employer_name == "美团" and e.enterprise is None


def test_residence_permit_number_is_accepted(tree, at_step2):
    assert fill_person(at_step2, id_number=PERMIT.lower()).status_code == 302
    at_step2.post("/m/join", {"action": "choose", "org": tree.union.pk})
    at_step2.post("/m/join", {"action": "submit"})
    assert pii.open_id_number(Enrolment.objects.get()) == PERMIT


# --- step 1: bad phone or code -----------------------------------------------------------------
def test_bad_phone_at_step_1(tree, client):
    r = client.post("/m/join", {"action": "send", "phone": "1381234"})
    assert 'data-testid="otp-error"' in text(r)
    assert MemorySmsBackend.outbox == []
    r = client.post("/m/join", {"action": "verify", "phone": "abc", "code": "123456"})
    assert field_errors(r, "phone")
    assert step(client) == 1


def test_wrong_code_at_step_1_stays_there(tree, client):
    client.post("/m/join", {"action": "send", "phone": PHONE})
    code = last_code(PHONE)
    wrong = "000000" if code != "000000" else "111111"
    r = client.post("/m/join", {"action": "verify", "phone": PHONE, "code": wrong})
    assert field_errors(r, "code") == ["The code is wrong."]
    r = client.post("/m/join", {"action": "verify", "phone": PHONE, "code": ""})
    assert field_errors(r, "code") == ["Please enter the code from the SMS."]
    assert step(client) == 1


def test_sign_in_code_does_not_verify_for_joining(tree, client):
    client.post("/m/login", {"action": "send", "phone": PHONE})
    r = client.post("/m/join", {"action": "verify", "phone": PHONE, "code": last_code(PHONE)})
    assert field_errors(r, "code") == ["Please request a code first."]
    assert step(client) == 1


# --- step 2: personal data ---------------------------------------------------------------------
@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"name": ""}, "name", "Please enter your name as on your ID card."),
        ({"name": "王"}, "name", "Please enter your full name."),
        ({"name": "王5"}, "name", "A name cannot contain digits."),
        ({"id_number": ""}, "id_number", "Please enter your ID number."),
        ({"id_number": "33102119900517"}, "id_number", "An ID number has 18 characters."),
        (
            {"id_number": "33102119900517123A"},
            "id_number",
            "An ID number is 17 digits followed by a digit or X.",
        ),
        (
            {"id_number": ID_NUMBER[:17] + ("0" if ID_NUMBER[17] != "0" else "1")},
            "id_number",
            "The check character of the ID number is wrong. Please check each digit.",
        ),
        (
            {"id_number": make_id_number(region="331021", birth=dt.date(2099, 1, 1), seq=1)},
            "id_number",
            "The birth date in the ID number is not a real, past date.",
        ),
        (
            {"id_number": "331021199002301234"},
            "id_number",
            "The birth date in the ID number is not a real, past date.",
        ),
        ({"employment_type": "pirate"}, "employment_type", "Please choose your employment type."),
        ({"employment_type": "gig", "gig_trade": ""}, "gig_trade", "Please choose your trade."),
        (
            {"employment_type": "gig", "gig_trade": "astronaut"},
            "gig_trade",
            "Please choose your trade.",
        ),
    ],
)
def test_bad_personal_data_gives_a_field_error(tree, at_step2, overrides, field, message):
    r = fill_person(at_step2, **overrides)
    assert r.status_code == 200
    assert field_errors(r, field) == [message]
    assert step(at_step2) == 2
    assert "id_cipher" not in at_step2.session.get("h5_join", {})
    assert Enrolment.objects.count() == 0


def test_unknown_region_prefix_is_no_reason_to_refuse(tree, at_step2):
    odd = make_id_number(region="990101", birth=dt.date(1979, 12, 31), seq=7)
    assert fill_person(at_step2, id_number=odd).status_code == 302


def test_trade_is_dropped_for_employees(tree, at_step2):
    fill_person(at_step2, employment_type="employee", gig_trade="rider")
    at_step2.post("/m/join", {"action": "choose", "org": tree.union.pk})
    at_step2.post("/m/join", {"action": "submit"})
    assert Enrolment.objects.get().gig_trade == ""


def test_id_number_waits_in_the_session_encrypted(tree, at_step3):
    from django.contrib.sessions.models import Session

    raw = Session.objects.get(session_key=at_step3.session.session_key).session_data
    assert ID_NUMBER not in raw
    assert ID_NUMBER not in str(dict(at_step3.session))


# --- step 3: the union -------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({}, "Please choose a union."),
        ({"org": "999999"}, "Please choose a grassroots union or an industry federation."),
        ({"org": "federation"}, "Please choose a grassroots union or an industry federation."),
        ({"org": "township"}, "Please choose a grassroots union or an industry federation."),
        ({"enterprise": "999999"}, "This employer is not in the list. Please search again."),
        ({"org": "x"}, "Please choose a union."),
    ],
)
def test_bad_union_choice_gives_an_error(tree, at_step3, data, message):
    data = {k: str(getattr(tree, v).pk) if hasattr(tree, v) else v for k, v in data.items()}
    r = at_step3.post("/m/join", {"action": "choose", **data})
    assert r.status_code == 200
    assert field_errors(r, "union") == [message]
    assert step(at_step3) == 3
    assert Enrolment.objects.count() == 0


def test_inactive_union_cannot_be_chosen(tree, at_step3):
    tree.other_union.is_active = False
    tree.other_union.save(update_fields=["is_active"])
    r = at_step3.post("/m/join", {"action": "choose", "org": tree.other_union.pk})
    assert field_errors(r, "union")
    assert tree.other_union.name not in text(at_step3.get("/m/join", {"q": "东港"}))


def test_search_finds_union_by_name_and_says_when_nothing_matches(tree, at_step3):
    body = text(at_step3.get("/m/join", {"q": "渔业"}))
    assert tree.other_union.name in body
    body = text(at_step3.get("/m/join", {"q": "不存在的名字"}))
    assert 'data-testid="no-results"' in body


def test_back_and_edit_keep_what_was_entered(tree, at_step3):
    at_step3.post("/m/join", {"action": "back"})
    body = text(at_step3.get("/m/join"))
    assert 'data-step="2"' in body and 'value="陈小红"' in body
    fill_person(at_step3)
    at_step3.post("/m/join", {"action": "choose", "org": tree.union.pk})
    at_step3.post("/m/join", {"action": "edit", "to_step": "3"})
    assert step(at_step3) == 3
    at_step3.post("/m/join", {"action": "choose", "org": tree.other_union.pk})
    at_step3.post("/m/join", {"action": "submit"})
    assert Enrolment.objects.get().org == tree.other_union


# --- step 4: refusals at submit ----------------------------------------------------------------
def test_duplicate_id_does_not_name_the_union_and_offers_sign_in(tree, at_step3):
    make_member(tree.other_union, id_number=ID_NUMBER, phone="13900000001")
    at_step3.post("/m/join", {"action": "choose", "org": tree.union.pk})
    r = at_step3.post("/m/join", {"action": "submit"})
    assert r.status_code == 200
    body = text(r)
    assert 'data-code="id_number_taken"' in body
    # Issue #10 item 6: the holder's union is not named; the holder signs in to transfer.
    assert tree.other_union.name not in body
    assert 'data-testid="sign-in-instead"' in body
    assert f"/m/login?next=%2Fm%2Ftransfer%3Fto%3D{tree.union.pk}" in body
    assert Enrolment.objects.count() == 0


def test_duplicate_id_of_a_former_member_names_no_union(tree, at_step3):
    m = make_member(tree.other_union, id_number=ID_NUMBER, phone="13900000001")
    Member.objects.filter(pk=m.pk).update(status=Member.Status.LEFT)
    at_step3.post("/m/join", {"action": "choose", "org": tree.union.pk})
    body = text(at_step3.post("/m/join", {"action": "submit"}))
    assert 'data-code="id_number_taken"' in body and tree.other_union.name not in body
    assert Enrolment.objects.count() == 0


def test_pending_application_with_same_id_is_refused(tree, at_step3):
    at_step3.post("/m/join", {"action": "choose", "org": tree.union.pk})
    assert at_step3.post("/m/join", {"action": "submit"}).status_code == 302
    other = en_client()
    verify_phone(other, "13812340000")
    fill_person(other)
    other.post("/m/join", {"action": "choose", "org": tree.other_union.pk})
    body = text(other.post("/m/join", {"action": "submit"}))
    assert 'data-code="id_number_taken"' in body  # issue #10 item 6: same answer, no union
    assert Enrolment.objects.count() == 1


def test_phone_of_a_member_is_refused_and_offers_another_phone(tree, at_step3):
    make_member(tree.other_union, phone=PHONE)
    at_step3.post("/m/join", {"action": "choose", "org": tree.union.pk})
    body = text(at_step3.post("/m/join", {"action": "submit"}))
    assert 'data-code="phone_taken"' in body and 'data-testid="restart"' in body
    assert Enrolment.objects.filter(org=tree.union).count() == 0
    at_step3.post("/m/join", {"action": "restart"})
    assert step(at_step3) == 1


# --- the flow cannot be skipped ----------------------------------------------------------------
def test_submitting_without_verified_phone_creates_nothing(tree, client):
    for data in (
        {"action": "submit"},
        {
            "action": "person",
            "name": "陈小红",
            "id_number": ID_NUMBER,
            "employment_type": "employee",
        },
        {"action": "choose", "org": tree.union.pk},
    ):
        r = client.post("/m/join", data)
        assert r.status_code == 200
        assert step(client) == 1
    assert Enrolment.objects.count() == 0


def test_expired_phone_check_sends_back_to_step_1(tree, at_step3):
    s = at_step3.session
    key = "gonghui_verified_phone:enrol"
    entry = s[key]
    entry["at"] -= 16 * 60
    s[key] = entry
    s.save()
    r = at_step3.get("/m/join")
    assert 'data-step="1"' in text(r) and 'data-testid="join-notice"' in text(r)
    r = at_step3.post("/m/join", {"action": "submit"})
    assert 'data-step="1"' in text(r)
    assert Enrolment.objects.count() == 0


def test_done_page_without_application_goes_to_join(client):
    r = client.get("/m/join/done")
    assert r.status_code == 302 and r["Location"] == "/m/join"
