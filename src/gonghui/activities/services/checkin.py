"""Check-in (at a gate, by poster, by staff; walk-ins when a place is free) and closing the
attendance of a session (no-shows)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from gonghui.core import timeutil
from gonghui.core.audit import audit_record
from gonghui.core.errors import Refused
from gonghui.members import attendance
from gonghui.members.models import Member
from gonghui.members.services import service_event_record

from .. import rules
from ..models import CheckIn, Registration, Session
from ._common import (
    ACTIVITY_SOURCE,
    CHECKIN_OPENS_BEFORE,
    Status,
    _require,
    _take_place,
)
from .subsidies import _place_granted


def checkin_record(
    *,
    session: Session,
    member: Member,
    via: str,
    terminal_id: int | None = None,
    actor: Any = None,
    now: dt.datetime | None = None,
    ip: str | None = None,
) -> CheckIn:
    """Check a member in, exactly once per session. A member without a place (no registration,
    or still waitlisted/applied) walks in when a place is free."""
    now = now or timeutil.now()
    activity = session.activity
    if actor is not None:
        _require(actor, "activities.manage", activity)
    if via not in CheckIn.Via.values:
        raise Refused(code="invalid", message=_("Unknown check-in channel."), field="via")
    if now < session.starts_at - CHECKIN_OPENS_BEFORE:
        raise Refused(
            code="checkin_not_open",
            message=_("Check-in opens two hours before the session."),
            status=409,
        )
    if now > session.ends_at:
        raise Refused(code="checkin_closed", message=_("This session has ended."), status=409)
    already = Refused(
        code="already_checked_in",
        message=_("%(name)s is already checked in.") % {"name": member.name},
        status=409,
    )
    with transaction.atomic():
        reg = (
            Registration.objects.select_for_update()
            .filter(session=session, member=member)
            .exclude(status=Status.CANCELLED)
            .first()
        )
        if reg is not None and reg.status in (Status.ATTENDED, Status.NO_SHOW):
            raise already
        if reg is None or reg.status not in Registration.HOLDING:
            if reg is not None and reg.status in (Status.REJECTED, Status.LOST):
                raise Refused(
                    code="not_admitted",
                    message=_("This member's application was not successful."),
                    status=409,
                )
            refusal = rules.eligibility_refusal(
                activity,
                session,
                member,
                child_name=reg.child_name if reg else "",
                child_birth_date=reg.child_birth_date if reg else None,
            )
            if refusal is not None and refusal.code != "child_required":
                raise refusal
            if not _take_place(session.pk):
                raise Refused(
                    code="no_place",
                    message=_("No place is free for a walk-in."),
                    status=409,
                )
            if reg is None:
                try:
                    with transaction.atomic():
                        reg = Registration.objects.create(
                            session=session,
                            member=member,
                            status=Status.CONFIRMED,
                            walk_in=True,
                            created_at=now,
                        )
                except IntegrityError:
                    raise already from None
            else:
                reg.status = Status.CONFIRMED
                reg.walk_in = True
                reg.save(update_fields=["status", "walk_in"])
            _place_granted(reg)
        reg.status = Status.ATTENDED
        reg.save(update_fields=["status"])
        try:
            with transaction.atomic():
                checkin = CheckIn.objects.create(
                    registration=reg,
                    session=session,
                    member=member,
                    via=via,
                    terminal_id=terminal_id,
                    at=now,
                )
        except IntegrityError:
            raise already from None
        service_event_record(
            member=member,
            kind="activities.checkin",
            source=checkin,
            org=activity.org,
            occurred_at=now,
        )
        attendance.attended(  # e.g. honors counts a volunteer's hours (same transaction)
            source=ACTIVITY_SOURCE, id=activity.pk, member=member, sitting_id=session.pk, at=now
        )
        if actor is not None:
            audit_record(
                actor=actor,
                action="activities.checkin.staff",
                obj=checkin,
                org=activity.org,
                ip=ip,
            )
    return checkin


def attendance_close(
    *, actor: Any, session: Session, now: dt.datetime | None = None, ip: str | None = None
) -> int:
    """After the session: every place holder who did not check in is a no-show (lowers their
    priority next time). Returns the number of no-shows."""
    now = now or timeutil.now()
    activity = session.activity
    _require(actor, "activities.manage", activity)
    if now < session.ends_at:
        raise Refused(
            code="not_ended", message=_("Attendance closes after the session ends."), status=409
        )
    with transaction.atomic():
        locked = Session.objects.select_for_update().get(pk=session.pk)
        if locked.attendance_closed_at is not None:
            raise Refused(
                code="already_closed", message=_("Attendance is already closed."), status=409
            )
        count = Registration.objects.filter(
            session=session, status__in=Registration.HOLDING
        ).update(status=Status.NO_SHOW)
        Session.objects.filter(pk=session.pk).update(attendance_closed_at=now)
        audit_record(
            actor=actor,
            action="activities.session.close_attendance",
            obj=locked,
            org=activity.org,
            data={"no_shows": count},
            ip=ip,
        )
    return count
