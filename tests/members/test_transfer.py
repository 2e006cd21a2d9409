"""Transfers between unions: request, the receiving union decides, history is kept."""

from __future__ import annotations

import pytest

from gonghui.core.errors import Refused
from gonghui.core.models import AuditEntry
from gonghui.members.models import Member, MemberHistory, TransferRequest
from gonghui.members.selectors import transfer_queue
from gonghui.members.transfers import (
    transfer_approve,
    transfer_reject,
    transfer_request_create,
)
from gonghui.orgs.models import Org, Role
from tests.factories import EnterpriseFactory, make_member, make_staff, phone_for
from tests.members.enrol_helpers import make_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    return make_world()


def refused(fn, **kw) -> Refused:
    with pytest.raises(Refused) as info:
        fn(**kw)
    return info.value


def test_transfer_moves_the_member_and_keeps_history(world, sms_outbox):
    member = make_member(world.union_c, n=301, enterprise=world.enterprise_c)
    transfer = transfer_request_create(
        member=member, to_org=world.union_a, to_enterprise=world.enterprise_a, note="换了工作"
    )
    assert (transfer.status, transfer.from_org, transfer.to_org) == (
        "pending",
        world.union_c,
        world.union_a,
    )
    receiving = make_staff(world.union_a, Role.REVIEWER)
    assert list(transfer_queue(user=receiving)) == [transfer]
    assert list(transfer_queue(user=make_staff(world.union_c, Role.REVIEWER))) == []

    moved = transfer_approve(transfer=transfer, actor=receiving, ip="10.4.4.4")
    member.refresh_from_db()
    assert moved.pk == member.pk
    assert (member.org, member.enterprise, member.status) == (
        world.union_a,
        world.enterprise_a,
        "active",
    )
    transfer.refresh_from_db()
    assert (transfer.status, transfer.decided_by) == ("approved", receiving)
    kinds = list(member.history.order_by("at", "id").values_list("kind", "from_org", "to_org"))
    assert kinds == [
        ("joined", None, world.union_c.pk),
        ("transfer", world.union_c.pk, world.union_a.pk),
    ]
    hist = member.history.get(kind=MemberHistory.Kind.TRANSFER)
    assert hist.actor == receiving and hist.reason == "换了工作"
    entry = AuditEntry.objects.get(action="members.transfer.approve")
    assert entry.org_id == world.union_a.pk and entry.data["from_org"] == world.union_c.pk
    assert sms_outbox[-1][0] == phone_for(301) and world.union_a.name in sms_outbox[-1][1]


def test_enterprise_is_cleared_when_none_is_given(world):
    member = make_member(world.union_c, n=302, enterprise=world.enterprise_c)
    transfer = transfer_request_create(member=member, to_org=world.delivery)
    transfer_approve(transfer=transfer, actor=make_staff(world.root, Role.FEDERATION_ADMIN))
    member.refresh_from_db()
    assert member.org == world.delivery and member.enterprise is None


def test_only_the_receiving_union_decides(world):
    member = make_member(world.union_c, n=303)
    transfer = transfer_request_create(member=member, to_org=world.union_a)
    sending = make_staff(world.union_c, Role.UNION_ADMIN)
    for fn, kw in [(transfer_approve, {}), (transfer_reject, {"reason": "不同意"})]:
        exc = refused(fn, transfer=transfer, actor=sending, **kw)
        assert (exc.code, exc.status) == ("not_found", 404)
    auditor = make_staff(world.union_a, Role.AUDITOR)
    assert refused(transfer_approve, transfer=transfer, actor=auditor).status == 404
    member.refresh_from_db()
    assert member.org == world.union_c
    assert TransferRequest.objects.get().status == "pending"


def test_refusals(world):
    member = make_member(world.union_c, n=304)
    exc = refused(transfer_request_create, member=member, to_org=world.union_c)
    assert (exc.code, exc.field) == ("transfer_same_union", "to_org")
    exc = refused(transfer_request_create, member=member, to_org=world.township)
    assert (exc.code, exc.field) == ("org_not_accepting", "to_org")
    exc = refused(
        transfer_request_create,
        member=member,
        to_org=world.union_a,
        to_enterprise=world.enterprise_c,
    )
    assert (exc.code, exc.field) == ("enterprise_not_in_union", "to_enterprise")
    exc = refused(transfer_request_create, member=member, to_org=world.union_a, note="说" * 201)
    assert (exc.code, exc.field) == ("note_length", "note")
    Org.objects.filter(pk=world.union_b.pk).update(is_active=False)
    world.union_b.refresh_from_db()
    assert (
        refused(transfer_request_create, member=member, to_org=world.union_b).code
        == "org_not_accepting"
    )
    assert TransferRequest.objects.count() == 0

    transfer_request_create(member=member, to_org=world.union_a)
    exc = refused(transfer_request_create, member=member, to_org=world.delivery)
    assert (exc.code, exc.status) == ("transfer_pending", 409)
    assert world.union_a.name in str(exc.message)
    assert TransferRequest.objects.count() == 1

    inactive = make_member(world.union_c, n=305)
    Member.objects.filter(pk=inactive.pk).update(status=Member.Status.SUSPENDED)
    exc = refused(transfer_request_create, member=inactive, to_org=world.union_a)
    assert (exc.code, exc.status) == ("member_not_active", 409)


def test_reject_requires_a_reason_and_is_told(world, sms_outbox):
    member = make_member(world.union_c, n=306)
    transfer = transfer_request_create(member=member, to_org=world.union_a)
    reviewer = make_staff(world.union_a, Role.REVIEWER)
    for reason in ("", "x", "因" * 201):
        exc = refused(transfer_reject, transfer=transfer, actor=reviewer, reason=reason)
        assert (exc.code, exc.field) == ("reason_required", "reason")
    assert TransferRequest.objects.get().status == "pending"
    transfer_reject(transfer=transfer, actor=reviewer, reason="非本单位职工")
    transfer.refresh_from_db()
    assert (transfer.status, transfer.reject_reason) == ("rejected", "非本单位职工")
    member.refresh_from_db()
    assert member.org == world.union_c
    assert not member.history.filter(kind="transfer").exists()
    assert "非本单位职工" in sms_outbox[-1][1]
    assert AuditEntry.objects.filter(action="members.transfer.reject", actor=reviewer).count() == 1
    # A new request may follow a rejected one.
    assert transfer_request_create(member=member, to_org=world.union_b).status == "pending"


def test_decide_twice_is_refused(world):
    member = make_member(world.union_c, n=307)
    transfer = transfer_request_create(member=member, to_org=world.union_a)
    reviewer = make_staff(world.union_a, Role.REVIEWER)
    transfer_approve(transfer=transfer, actor=reviewer)
    stale = TransferRequest.objects.get(pk=transfer.pk)
    assert refused(transfer_approve, transfer=stale, actor=reviewer).code == "transfer_not_pending"
    assert (
        refused(transfer_reject, transfer=stale, actor=reviewer, reason="晚了").code
        == "transfer_not_pending"
    )
    assert MemberHistory.objects.filter(kind="transfer").count() == 1


def test_member_suspended_after_the_request_cannot_be_moved(world):
    member = make_member(world.union_c, n=308)
    transfer = transfer_request_create(member=member, to_org=world.union_a)
    Member.objects.filter(pk=member.pk).update(status=Member.Status.SUSPENDED)
    exc = refused(
        transfer_approve, transfer=transfer, actor=make_staff(world.union_a, Role.REVIEWER)
    )
    assert (exc.code, exc.status) == ("transfer_stale", 409)
    member.refresh_from_db()
    assert member.org == world.union_c


def test_transfer_into_a_subtree_union_with_its_enterprise(world):
    sub = EnterpriseFactory(union=world.union_b)
    member = make_member(world.union_c, n=309)
    transfer = transfer_request_create(member=member, to_org=world.union_b, to_enterprise=sub)
    transfer_approve(transfer=transfer, actor=make_staff(world.township, Role.UNION_ADMIN))
    member.refresh_from_db()
    assert (member.org, member.enterprise) == (world.union_b, sub)
