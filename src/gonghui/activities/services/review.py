"""Review allocation: approve (takes a place of the quota) or reject an application, one by one
or in priority order (``selectors.applications_ranked``)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gonghui.core import timeutil
from gonghui.core.actors import is_staff_actor
from gonghui.core.audit import audit_record
from gonghui.core.errors import Refused

from .. import rules
from ..models import Allocation, Registration, Session
from ..selectors import applications_ranked
from ._common import (
    Status,
    _msg,
    _notify,
    _require,
    _take_place,
)
from .subsidies import _place_granted


def application_review(
    *,
    actor: Any,
    registration: Registration,
    approve: bool,
    reason: str = "",
    now: dt.datetime | None = None,
    ip: str | None = None,
) -> Registration:
    """Approve (takes a place of the quota) or reject (a reason is required) an application."""
    now = now or timeutil.now()
    session = registration.session
    activity = session.activity
    _require(actor, "activities.review", activity)
    reason = (reason or "").strip()
    if len(reason) > 200:
        raise Refused(code="invalid", message=_("The reason is too long."), field="reason")
    if not approve and not reason:
        raise Refused(
            code="reason_required", message=_("Give a reason for the rejection."), field="reason"
        )
    if activity.allocation != Allocation.REVIEW:
        raise Refused(
            code="not_review", message=_("This activity does not take applications."), status=409
        )
    with transaction.atomic():
        reg = Registration.objects.select_for_update().get(pk=registration.pk)
        if reg.status != Status.APPLIED:
            raise Refused(
                code="not_pending",
                message=_("This application has already been decided."),
                status=409,
            )
        if approve:
            refusal = rules.eligibility_refusal(
                activity,
                session,
                reg.member,
                child_name=reg.child_name,
                child_birth_date=reg.child_birth_date,
            ) or rules.limit_refusal(activity, session, reg.member, exclude_pk=reg.pk)
            if refusal is not None:
                raise refusal
            if not _take_place(session.pk):
                raise Refused(
                    code="quota_full",
                    message=_("The quota of this session is used up."),
                    status=409,
                )
            reg.status = Status.APPROVED
        else:
            reg.status = Status.REJECTED
        reg.reason = reason
        reg.decided_by = actor if is_staff_actor(actor) else None
        reg.decided_at = now
        reg.save(update_fields=["status", "reason", "decided_by", "decided_at"])
        if approve:
            _place_granted(reg)
        audit_record(
            actor=actor,
            action="activities.application.approve" if approve else "activities.application.reject",
            obj=reg,
            org=activity.org,
            data={"reason": reason},
            ip=ip,
        )
        _notify(
            reg.member,
            _msg(
                "activities.application_approved",
                gettext_lazy("Your application for %(title)s was approved."),
                title=activity.title,
            )
            if approve
            else _msg(
                "activities.application_rejected",
                gettext_lazy("Your application for %(title)s was not approved: %(reason)s"),
                title=activity.title,
                reason=reason,
            ),
        )
    return reg


def applications_approve_by_priority(
    *, actor: Any, session: Session, now: dt.datetime | None = None, ip: str | None = None
) -> dict[str, int]:
    """Approve pending applications in priority order (selectors.applications_ranked) while the
    quota lasts; ineligible applicants are rejected with the rule's message. Others stay pending."""
    _require(actor, "activities.review", session.activity)
    approved = rejected = 0
    for row in applications_ranked(session):
        fresh = Session.objects.get(pk=session.pk)
        if fresh.places_left < 1:
            break
        try:
            application_review(
                actor=actor,
                registration=row.registration,
                approve=True,
                reason=row.reason,
                now=now,
                ip=ip,
            )
            approved += 1
        except Refused as exc:
            if exc.code == "quota_full":
                break
            if exc.code == "not_pending":
                continue
            application_review(
                actor=actor,
                registration=row.registration,
                approve=False,
                reason=str(exc.message)[:200],
                now=now,
                ip=ip,
            )
            rejected += 1
    return {"approved": approved, "rejected": rejected}
