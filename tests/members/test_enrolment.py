"""Enrolment: submit, every refusal, duplicates, review queue, approve and reject."""

from __future__ import annotations

import datetime as dt
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connections

from gonghui.core.errors import Refused
from gonghui.core.identifiers import id_check_char, luhn_valid, make_id_number
from gonghui.core.models import AuditEntry
from gonghui.core.timeutil import local_today
from gonghui.members import pii
from gonghui.members.enrolment import enrolment_approve, enrolment_reject, enrolment_submit
from gonghui.members.models import Enrolment, Member, MemberHistory, ServiceEvent
from gonghui.members.otp import otp_request, otp_verify
from gonghui.members.privacy import PRIVACY_NOTICE_VERSION
from gonghui.members.selectors import enrolment_queue, union_search
from gonghui.orgs.models import Org, Role
from tests.conftest import postgres_only
from tests.factories import id_number_for, make_member, make_staff, org_child, phone_for
from tests.members.enrol_helpers import last_code, make_world, submit

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    return make_world()


def refused(fn, **kw) -> Refused:
    with pytest.raises(Refused) as info:
        fn(**kw)
    return info.value


def test_end_to_end_code_submit_queue_approve(world, sms_outbox):
    phone = "13812345678"
    id_number = make_id_number(region="331021", birth=dt.date(1990, 5, 17), seq=123)  # odd: male
    otp_request(phone=phone, purpose="enrol", ip="10.1.1.1")
    verified = otp_verify(phone=phone, purpose="enrol", code=last_code(sms_outbox, phone))
    enrolment = enrolment_submit(
        verified_phone=verified,
        name="  王 小明 ",
        id_number=id_number.lower(),
        org=world.union_a,
        enterprise=world.enterprise_a,
        employment_type="employee",
        consent_version=PRIVACY_NOTICE_VERSION,
        ip="10.1.1.1",
    )
    assert enrolment.status == Enrolment.Status.SUBMITTED
    assert enrolment.name == "王 小明"
    assert enrolment.id_number_masked == id_number[:3] + "*" * 11 + id_number[-4:]
    assert enrolment.phone_masked == "138****5678"
    assert id_number not in enrolment.id_number_cipher and phone not in enrolment.phone_cipher
    assert sms_outbox[-1][0] == phone and world.union_a.name in sms_outbox[-1][1]

    reviewer = make_staff(world.township, Role.REVIEWER)
    assert list(enrolment_queue(user=reviewer)) == [enrolment]

    member = enrolment_approve(enrolment=enrolment, actor=reviewer, ip="10.2.2.2")
    assert luhn_valid(member.member_no) and len(member.member_no) == 11
    assert (member.name, member.org, member.enterprise) == (
        "王 小明",
        world.union_a,
        world.enterprise_a,
    )
    assert (member.birth_date, member.gender) == (dt.date(1990, 5, 17), "M")
    assert pii.open_id_number(member) == id_number and pii.open_phone(member) == phone
    assert member.status == Member.Status.ACTIVE
    enrolment.refresh_from_db()
    assert enrolment.status == Enrolment.Status.APPROVED
    assert (enrolment.member, enrolment.reviewed_by) == (member, reviewer)
    assert enrolment.reviewed_at is not None
    assert MemberHistory.objects.filter(member=member, kind="joined", to_org=world.union_a).exists()
    # joining is a service: one event, at the union joined (docs/figures.md)
    event = ServiceEvent.objects.get(member=member)
    assert (event.kind, event.org, event.source_id) == (
        "members.enrolment",
        world.union_a,
        str(enrolment.pk),
    )
    to, text = sms_outbox[-1]
    assert to == phone and member.member_no in text
    actions = set(AuditEntry.objects.filter(actor=reviewer).values_list("action", flat=True))
    assert {"members.enrolment.approve", "members.member.create"} <= actions
    entry = AuditEntry.objects.get(action="members.enrolment.approve")
    assert (entry.org_id, entry.object_id, entry.ip) == (
        world.union_a.pk,
        str(enrolment.pk),
        "10.2.2.2",
    )
    assert id_number not in str(entry.data) and phone not in str(entry.data)
    # The queue keeps decided applications after the pending ones.
    later = submit(world.union_b)
    assert list(enrolment_queue(user=reviewer)) == [later, enrolment]


def _bad_check(n: int) -> str:
    good = id_number_for(n)
    wrong = next(c for c in "0123456789X" if c != good[17])
    return good[:17] + wrong


def _future_birth() -> str:
    first17 = f"331021{local_today().year + 1}0101123"
    return first17 + id_check_char(first17)


@pytest.mark.parametrize(
    ("changes", "code", "field"),
    [
        ({"id_number": _bad_check(1)}, "id_check", "id_number"),
        ({"id_number": _future_birth()}, "id_birth_date", "id_number"),
        ({"id_number": "33102119900230123X"}, "id_birth_date", "id_number"),
        ({"id_number": "33102119900101"}, "id_length", "id_number"),
        ({"id_number": "3310211990010112AX"}, "id_chars", "id_number"),
        ({"id_number": ""}, "id_required", "id_number"),
        ({"name": "张"}, "name_length", "name"),
        ({"name": "张" * 31}, "name_length", "name"),
        ({"name": "张三3"}, "name_digits", "name"),
        ({"name": "   "}, "name_required", "name"),
        ({"verified_phone": "12345"}, "phone_invalid", "phone"),
        ({"employment_type": "boss"}, "employment_type_invalid", "employment_type"),
        ({"employment_type": "gig"}, "gig_trade_required", "gig_trade"),
        ({"employment_type": "gig", "gig_trade": "astronaut"}, "gig_trade_required", "gig_trade"),
        ({"gig_trade": "rider"}, "gig_trade_not_applicable", "gig_trade"),
        ({"employer_name": "公" * 121}, "employer_name_length", "employer_name"),
    ],
)
def test_every_refusal_names_field_and_changes_nothing(world, sms_outbox, changes, code, field):
    exc = refused(submit, org=world.union_a, **changes)
    assert (exc.code, exc.field) == (code, field)
    assert str(exc.message) and exc.status == 400
    assert Enrolment.objects.count() == 0 and sms_outbox == []


@pytest.mark.parametrize("which", ["root", "township", "inactive"])
def test_union_that_does_not_take_members_is_refused(world, which):
    org = {"root": world.root, "township": world.township, "inactive": world.union_b}[which]
    if which == "inactive":
        Org.objects.filter(pk=org.pk).update(is_active=False)
        org.refresh_from_db()
    exc = refused(submit, org=org)
    assert (exc.code, exc.field) == ("org_not_accepting", "org")
    assert org.name in str(exc.message)
    assert Enrolment.objects.count() == 0


def test_enterprise_must_belong_to_the_unions_subtree(world):
    exc = refused(submit, org=world.union_a, enterprise=world.enterprise_c)
    assert (exc.code, exc.field) == ("enterprise_not_in_union", "enterprise")
    # An enterprise of a grassroots union below the chosen org is fine (industry federation case).
    sub = org_child(world.delivery, name="某配送站工会")
    from tests.factories import EnterpriseFactory

    ent = EnterpriseFactory(union=sub)
    assert submit(org=world.delivery, enterprise=ent).enterprise == ent


@pytest.mark.parametrize("prefix", ["81", "82", "83"])
def test_residence_permits_are_accepted(world, prefix):
    number = make_id_number(region=f"{prefix}0000", birth=dt.date(1992, 3, 4), seq=22)
    enrolment = submit(org=world.union_a, id_number=number)
    assert enrolment.id_number_index == pii.id_number_index(number)


def test_unknown_region_is_accepted(world):
    number = make_id_number(region="999999", birth=dt.date(1980, 12, 31), seq=7)
    reviewer = make_staff(world.union_a, Role.UNION_ADMIN)
    member = enrolment_approve(
        enrolment=submit(org=world.union_a, id_number=number), actor=reviewer
    )
    assert (member.birth_date, member.gender) == (dt.date(1980, 12, 31), "M")


def test_gig_worker_joins_the_industry_federation(world):
    enrolment = submit(org=world.delivery, employment_type="gig", gig_trade="rider")
    member = enrolment_approve(
        enrolment=enrolment, actor=make_staff(world.root, Role.FEDERATION_ADMIN)
    )
    assert member.is_gig_worker and member.gig_trade == "rider" and member.org == world.delivery


def test_duplicate_id_is_refused_without_naming_the_holding_union(world):
    # Issue #10 item 6 (membership oracle): the answer no longer names the holder's union.
    holder = make_member(world.union_c, n=42)
    exc = refused(submit, org=world.union_a, n=7, id_number=id_number_for(42))
    assert (exc.code, exc.status, exc.field) == ("id_number_taken", 409, "id_number")
    assert world.union_c.name not in str(exc.message) and not exc.data
    Member.objects.filter(pk=holder.pk).update(status=Member.Status.LEFT)
    again = refused(submit, org=world.union_a, n=7, id_number=id_number_for(42))
    assert (again.code, str(again.message), again.data) == (exc.code, str(exc.message), exc.data)
    assert Enrolment.objects.count() == 0


def test_phone_of_another_member_is_refused(world):
    make_member(world.union_c, n=43)
    exc = refused(submit, org=world.union_a, n=8, verified_phone=phone_for(43))
    assert (exc.code, exc.status, exc.field) == ("phone_taken", 409, "phone")


def test_pending_application_gets_the_same_answer_as_a_taken_id(world):
    # Issue #10 item 6: a pending application is not named either (same answer as a member's ID).
    submit(org=world.union_b, n=9)
    exc = refused(submit, org=world.union_a, n=9)
    assert (exc.code, exc.status, exc.field) == ("id_number_taken", 409, "id_number")
    assert world.union_b.name not in str(exc.message) and not exc.data
    assert Enrolment.objects.count() == 1


def test_a_rejected_applicant_may_apply_again(world):
    first = submit(org=world.union_a, n=10)
    enrolment_reject(
        enrolment=first, actor=make_staff(world.union_a, Role.REVIEWER), reason="资料不全"
    )
    assert submit(org=world.union_a, n=10).status == Enrolment.Status.SUBMITTED


def test_approve_twice_is_refused(world, sms_outbox):
    enrolment = submit(org=world.union_a)
    reviewer = make_staff(world.union_a, Role.REVIEWER)
    enrolment_approve(enrolment=enrolment, actor=reviewer)
    sent = len(sms_outbox)
    stale = Enrolment.objects.get(pk=enrolment.pk)
    for fn, kw in [(enrolment_approve, {}), (enrolment_reject, {"reason": "重复"})]:
        exc = refused(fn, enrolment=stale, actor=reviewer, **kw)
        assert (exc.code, exc.status) == ("enrolment_not_pending", 409)
    assert Member.objects.count() == 1 and len(sms_outbox) == sent


@pytest.mark.parametrize("reason", ["", " ", "x", "理" * 201])
def test_reject_requires_a_reason(world, reason):
    enrolment = submit(org=world.union_a)
    exc = refused(
        enrolment_reject,
        enrolment=enrolment,
        actor=make_staff(world.union_a, Role.REVIEWER),
        reason=reason,
    )
    assert (exc.code, exc.field) == ("reason_required", "reason")
    enrolment.refresh_from_db()
    assert enrolment.status == Enrolment.Status.SUBMITTED and enrolment.reject_reason == ""
    assert not AuditEntry.objects.filter(action="members.enrolment.reject").exists()


def test_reject_with_reason_is_audited_and_told(world, sms_outbox):
    enrolment = submit(org=world.union_a, n=11)
    reviewer = make_staff(world.union_a, Role.REVIEWER)
    enrolment_reject(enrolment=enrolment, actor=reviewer, reason=" 非本单位职工 ", ip="10.3.3.3")
    enrolment.refresh_from_db()
    assert (enrolment.status, enrolment.reject_reason) == ("rejected", "非本单位职工")
    assert enrolment.reviewed_by == reviewer and enrolment.member is None
    assert sms_outbox[-1] == (phone_for(11), sms_outbox[-1][1])
    assert "非本单位职工" in sms_outbox[-1][1]
    entry = AuditEntry.objects.get(action="members.enrolment.reject")
    assert entry.actor == reviewer and entry.data["reason"] == "非本单位职工"
    assert Member.objects.count() == 0


@pytest.mark.parametrize(
    "role_at",
    [
        ("reviewer", "union_c"),
        ("union_admin", "other_township"),
        ("auditor", "union_a"),
        ("case_worker", "union_a"),
        ("merchant_staff", "root"),
    ],
)
def test_staff_without_review_rights_at_the_union_get_404(world, role_at, sms_outbox):
    role, where = role_at
    staff = make_staff(getattr(world, where), role)
    enrolment = submit(org=world.union_a)
    sent = len(sms_outbox)
    for fn, kw in [(enrolment_approve, {}), (enrolment_reject, {"reason": "不符合条件"})]:
        exc = refused(fn, enrolment=enrolment, actor=staff, **kw)
        assert (exc.code, exc.status) == ("not_found", 404)
    enrolment.refresh_from_db()
    assert enrolment.status == "submitted" and Member.objects.count() == 0
    assert len(sms_outbox) == sent
    assert list(enrolment_queue(user=staff)) == []


def test_queue_is_scoped_pending_first_oldest_first(world):
    a1 = submit(org=world.union_a)
    c1 = submit(org=world.union_c)
    b1 = submit(org=world.union_b)
    a2 = submit(org=world.union_a)
    fed = make_staff(world.root, Role.FEDERATION_ADMIN)
    enrolment_reject(enrolment=a1, actor=fed, reason="信息有误")
    assert list(enrolment_queue(user=fed)) == [c1, b1, a2, a1]
    township = make_staff(world.township, Role.REVIEWER)
    assert list(enrolment_queue(user=township)) == [b1, a2, a1]
    assert list(enrolment_queue(user=make_staff(world.union_c, Role.REVIEWER))) == [c1]
    assert list(enrolment_queue(user=township, status="rejected")) == [a1]


def test_union_search(world):
    found = union_search(q="甲")
    assert world.union_a in found and world.union_b not in found
    # By an enterprise's name.
    assert union_search(q="丙阀门") == [world.union_c]
    # Gig workers: by trade (an Org trade or the gig trade that maps to it).
    assert union_search(trade="delivery") == [world.delivery]
    assert union_search(trade="rider") == [world.delivery]
    assert union_search(trade="courier") == []
    # Federations and districts never; inactive unions never.
    everything = union_search(limit=50)
    assert world.root not in everything and world.township not in everything
    Org.objects.filter(pk=world.union_b.pk).update(is_active=False)
    assert world.union_b not in union_search(limit=50)
    assert union_search(q="工会", kind="industry") == [world.delivery]
    assert len(union_search(q="工会", limit=2)) == 2


@postgres_only()
@pytest.mark.django_db(transaction=True)
def test_same_id_submitted_at_once_makes_one_application():
    world = make_world()
    workers = 8
    barrier = threading.Barrier(workers)

    def attempt(i: int) -> str:
        try:
            barrier.wait()
            submit(org=world.union_a, n=77, verified_phone=f"1370000{i:04d}")
            return "ok"
        except Refused as exc:
            return exc.code
        finally:
            connections.close_all()

    with ThreadPoolExecutor(workers) as pool:
        results = list(pool.map(attempt, range(workers)))
    assert results.count("ok") == 1, results
    assert set(results) - {"ok"} == {"id_number_taken"}
    assert Enrolment.objects.count() == 1


@postgres_only()
@pytest.mark.django_db(transaction=True)
def test_two_reviewers_approving_at_once_make_one_member():
    world = make_world()
    enrolment = submit(org=world.union_a)
    reviewers = [make_staff(world.union_a, Role.REVIEWER) for _ in range(6)]
    barrier = threading.Barrier(len(reviewers))

    def attempt(user) -> str:
        try:
            barrier.wait()
            enrolment_approve(enrolment=Enrolment.objects.get(pk=enrolment.pk), actor=user)
            return "ok"
        except Refused as exc:
            return exc.code
        finally:
            connections.close_all()

    with ThreadPoolExecutor(len(reviewers)) as pool:
        results = list(pool.map(attempt, reviewers))
    assert results.count("ok") == 1, results
    assert set(results) - {"ok"} == {"enrolment_not_pending"}
    assert Member.objects.count() == 1
    assert AuditEntry.objects.filter(action="members.enrolment.approve").count() == 1


def test_approve_refuses_when_the_person_became_a_member_meanwhile(world, sms_outbox):
    enrolment = submit(org=world.union_a, n=60)
    make_member(world.union_c, n=61, id_number=id_number_for(60))  # e.g. imported from a roster
    reviewer = make_staff(world.union_a, Role.REVIEWER)
    exc = refused(enrolment_approve, enrolment=enrolment, actor=reviewer)
    assert (exc.code, exc.status, exc.field) == ("id_number_taken", 409, "id_number")
    # union_c lies outside this reviewer's scope: not named (issue #10 follow-up; see below)
    assert "holder_org" not in exc.data and world.union_c.name not in str(exc.message)
    enrolment.refresh_from_db()
    assert enrolment.status == "submitted" and Member.objects.count() == 1
    assert not AuditEntry.objects.filter(action="members.enrolment.approve").exists()
    # The reviewer can still reject it with a reason.
    enrolment_reject(enrolment=enrolment, actor=reviewer, reason="已是丙公司工会会员")


def test_approve_names_the_holders_union_only_inside_the_reviewers_scope(world, sms_outbox):
    # Issue #10 follow-up: a reviewer of union A must not learn that an ID number belongs to a
    # member of union C (outside A's subtree); a township reviewer above both unions may.
    enrolment = submit(org=world.union_a, n=62)
    make_member(world.union_c, n=63, id_number=id_number_for(62))
    outside = refused(
        enrolment_approve, enrolment=enrolment, actor=make_staff(world.union_a, Role.REVIEWER)
    )
    assert (outside.code, outside.status, outside.field) == ("id_number_taken", 409, "id_number")
    assert world.union_c.name not in str(outside.message)
    assert "holder_org" not in outside.data
    above = refused(
        enrolment_approve, enrolment=enrolment, actor=make_staff(world.root, Role.FEDERATION_ADMIN)
    )
    assert world.union_c.name in str(above.message)
    assert above.data["holder_org"] == world.union_c.name
