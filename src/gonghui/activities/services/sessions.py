"""Staff writes on sessions: create, change capacity, the session's gate and poster terminals, the
audited attendee export."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from gonghui.core import timeutil
from gonghui.core.audit import audit_record
from gonghui.core.errors import Refused

from ..models import Activity, Session
from ._common import (
    _require,
)


def session_create(
    *,
    actor: Any,
    activity: Activity,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    place: str,
    capacity: int,
    waitlist_enabled: bool = True,
    ip: str | None = None,
) -> Session:
    """A session with ``capacity`` places, all free."""
    if actor is not None:
        _require(actor, "activities.manage", activity)
    if not isinstance(capacity, int) or capacity < 1 or capacity > 100_000:
        raise Refused(
            code="invalid", message=_("Capacity is 1 to 100,000 places."), field="capacity"
        )
    if ends_at <= starts_at:
        raise Refused(code="invalid", message=_("A session ends after it starts."), field="ends_at")
    if not place.strip():
        raise Refused(
            code="required", message=_("Where does the session take place?"), field="place"
        )
    with transaction.atomic():
        session = Session.objects.create(
            activity=activity,
            starts_at=starts_at,
            ends_at=ends_at,
            place=place.strip()[:200],
            capacity=capacity,
            places_left=capacity,
            waitlist_enabled=waitlist_enabled,
        )
        if actor is not None:
            audit_record(
                actor=actor,
                action="activities.session.create",
                obj=session,
                org=activity.org,
                data={"capacity": capacity},
                ip=ip,
            )
    return session


def session_capacity_set(
    *, actor: Any, session: Session, capacity: int, ip: str | None = None
) -> Session:
    """Change capacity; places_left moves by the same amount (never below the places held)."""
    _require(actor, "activities.manage", session.activity)
    if not isinstance(capacity, int) or capacity < 1 or capacity > 100_000:
        raise Refused(
            code="invalid", message=_("Capacity is 1 to 100,000 places."), field="capacity"
        )
    with transaction.atomic():
        locked = Session.objects.select_for_update().get(pk=session.pk)
        held = locked.capacity - locked.places_left
        if capacity < held:
            raise Refused(
                code="below_held",
                message=_("%(held)s places are already taken.") % {"held": held},
                field="capacity",
            )
        Session.objects.filter(pk=session.pk).update(capacity=capacity, places_left=capacity - held)
        audit_record(
            actor=actor,
            action="activities.session.capacity",
            obj=locked,
            org=session.activity.org,
            data={"from": locked.capacity, "to": capacity},
            ip=ip,
        )
        locked.refresh_from_db()
    return locked


def session_terminal(
    *, actor: Any, session: Session, kind: str = "gate", ip: str | None = None
) -> Any:
    """The session's gate terminal (kind "gate": scans members' codes) or poster terminal (kind
    "spot_poster": members reverse-scan it), created on first use. Organisers get them without
    the codes.terminals capability because they are tied to this one session."""
    from gonghui.codes import services as codes
    from gonghui.codes.models import Terminal

    _require(actor, "activities.manage", session.activity)
    existing = Terminal.objects.filter(
        context_type="activities.session", context_id=str(session.pk), kind=kind, is_active=True
    ).first()
    if existing is not None:
        return existing
    with transaction.atomic():
        label = _("Gate") if kind == "gate" else _("Poster")
        terminal, _key = codes.terminal_create(
            actor=None,
            org=session.activity.org,
            kind=kind,
            name=f"{session.activity.title[:80]} {timeutil.to_local(session.starts_at):%m-%d %H:%M} {label}",
            context_type="activities.session",
            context_id=str(session.pk),
        )
        audit_record(
            actor=actor,
            action="activities.session.terminal",
            obj=session,
            org=session.activity.org,
            data={"terminal": terminal.pk, "kind": kind},
            ip=ip,
        )
    return terminal


def attendees_export_audit(
    *, actor: Any, session: Session, rows: int, ip: str | None = None
) -> None:
    _require(actor, "activities.view", session.activity)
    with transaction.atomic():
        audit_record(
            actor=actor,
            action="activities.attendees.export",
            obj=session,
            org=session.activity.org,
            data={"rows": rows},
            ip=ip,
        )
