"""Transfers (转会): a member asks to move to another union; the receiving union decides.

The checks and notices are the enrolment's (``members.enrolment``)."""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from gonghui.core.actors import is_staff_actor
from gonghui.core.audit import audit_record
from gonghui.core.errors import Refused
from gonghui.core.timeutil import now
from gonghui.orgs.models import Enterprise, Org

from .enrolment import (
    _check_enterprise,
    _check_org,
    _check_reviewer,
    _copy_state,
    _notify,
    _sender,
    clean_reason,
)
from .models import Member, MemberHistory, TransferRequest


# --- transfers --------------------------------------------------------------------------------
def transfer_request_create(
    *,
    member: Member,
    to_org: Org,
    to_enterprise: Enterprise | None = None,
    note: str = "",
) -> TransferRequest:
    """A member asks to move to ``to_org``; the receiving union decides."""
    to_org = _check_org(to_org, field="to_org")
    note = (note or "").strip()
    if len(note) > 200:
        raise Refused(
            code="note_length", message=_("A note has at most 200 characters."), field="note"
        )
    _check_enterprise(to_enterprise, to_org, field="to_enterprise")
    with transaction.atomic():
        locked = Member.objects.select_for_update().select_related("org").get(pk=member.pk)
        if locked.status != Member.Status.ACTIVE:
            raise Refused(
                code="member_not_active",
                message=_("Only active members can transfer."),
                status=409,
            )
        if locked.org_id == to_org.pk:
            raise Refused(
                code="transfer_same_union",
                message=_("You are already a member of %(org)s.") % {"org": to_org.name},
                field="to_org",
            )
        existing = (
            TransferRequest.objects.filter(member=locked, status=TransferRequest.Status.PENDING)
            .select_related("to_org")
            .first()
        )
        if existing is not None:
            raise _transfer_pending(existing)
        try:
            with transaction.atomic():
                transfer = TransferRequest.objects.create(
                    member=locked,
                    from_org=locked.org,
                    to_org=to_org,
                    to_enterprise=to_enterprise,
                    note=note,
                )
        except IntegrityError:
            existing = (
                TransferRequest.objects.filter(member=locked, status=TransferRequest.Status.PENDING)
                .select_related("to_org")
                .first()
            )
            if existing is not None:
                raise _transfer_pending(existing) from None
            raise
    return transfer


def _transfer_pending(existing: TransferRequest) -> Refused:
    return Refused(
        code="transfer_pending",
        message=_("A transfer request to %(org)s is already waiting for a decision.")
        % {"org": existing.to_org.name},
        status=409,
        data={"pending_org": existing.to_org.name},
    )


def _locked_transfer(transfer: TransferRequest) -> TransferRequest:
    locked = (
        TransferRequest.objects.select_for_update()
        .select_related("to_org", "from_org")
        .get(pk=transfer.pk)
    )
    if locked.status != TransferRequest.Status.PENDING:
        raise Refused(
            code="transfer_not_pending",
            message=_("This transfer request has already been decided (%(status)s).")
            % {"status": locked.get_status_display()},
            status=409,
        )
    return locked


def transfer_approve(*, transfer: TransferRequest, actor: Any, ip: str | None = None) -> Member:
    """The receiving union accepts: the member moves, and the history keeps the move."""
    _check_reviewer(actor, transfer.to_org)
    with transaction.atomic():
        locked = _locked_transfer(transfer)
        _check_reviewer(actor, locked.to_org)
        member = Member.objects.select_for_update().get(pk=locked.member_id)
        if member.status != Member.Status.ACTIVE or member.org_id != locked.from_org_id:
            raise Refused(
                code="transfer_stale",
                message=_("The member's union or status has changed since the request. Reject it."),
                status=409,
            )
        from_org = locked.from_org
        member.org = locked.to_org
        member.enterprise = locked.to_enterprise
        member.save(update_fields=["org", "enterprise", "updated_at"])
        MemberHistory.objects.create(
            member=member,
            kind=MemberHistory.Kind.TRANSFER,
            from_status=member.status,
            to_status=member.status,
            from_org=from_org,
            to_org=locked.to_org,
            reason=locked.note,
            actor=actor if is_staff_actor(actor) else None,
        )
        locked.status = TransferRequest.Status.APPROVED
        locked.decided_by = actor
        locked.decided_at = now()
        locked.save(update_fields=["status", "decided_by", "decided_at"])
        audit_record(
            actor=actor,
            action="members.transfer.approve",
            obj=locked,
            org=locked.to_org,
            data={"member_id": member.pk, "from_org": from_org.pk, "to_org": locked.to_org_id},
            ip=ip,
        )
    _notify(
        member,
        _("[%(sender)s] Your transfer from %(from)s to %(to)s was approved.")
        % {"sender": _sender(), "from": from_org.name, "to": locked.to_org.name},
        template="members.transfer_approved",
        params={"from": from_org.name, "to": locked.to_org.name},
        org_id=locked.to_org_id,
    )
    _copy_state(transfer, locked, ["status", "decided_by", "decided_at"])
    return member


def transfer_reject(
    *, transfer: TransferRequest, actor: Any, reason: str, ip: str | None = None
) -> TransferRequest:
    """The receiving union declines, with a reason told to the member."""
    _check_reviewer(actor, transfer.to_org)
    reason = clean_reason(reason)
    with transaction.atomic():
        locked = _locked_transfer(transfer)
        _check_reviewer(actor, locked.to_org)
        locked.status = TransferRequest.Status.REJECTED
        locked.reject_reason = reason
        locked.decided_by = actor
        locked.decided_at = now()
        locked.save(update_fields=["status", "reject_reason", "decided_by", "decided_at"])
        audit_record(
            actor=actor,
            action="members.transfer.reject",
            obj=locked,
            org=locked.to_org,
            data={"member_id": locked.member_id, "reason": reason},
            ip=ip,
        )
        member = Member.objects.get(pk=locked.member_id)
    _notify(
        member,
        _("[%(sender)s] Your transfer to %(to)s was not approved. Reason: %(reason)s")
        % {"sender": _sender(), "to": locked.to_org.name, "reason": reason},
        template="members.transfer_rejected",
        params={"to": locked.to_org.name, "reason": reason},
        org_id=member.org_id,
    )
    _copy_state(transfer, locked, ["status", "reject_reason", "decided_by", "decided_at"])
    return transfer
