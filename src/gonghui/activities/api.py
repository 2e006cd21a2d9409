"""Activities API (/api/v1/activities/).

- Members (session cookie, CSRF header on writes): ``POST sessions/{id}/register`` registers or
  applies, ``POST registrations/{id}/cancel`` cancels, ``GET registrations`` lists one's own.
- Anyone: ``GET draws/{session_id}/proof`` — a published draw's proof (seed, commitment,
  applicants by registration id, order, winners), enough to re-run it (docs/activities.md).
- Staff (signed in, in scope): ``GET sessions/{id}/counts`` — the live numbers.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import Http404, HttpRequest
from ninja import Field, Router, Schema, Status

from gonghui.core.apiauth import staff_auth
from gonghui.core.apischema import Error
from gonghui.members.apiauth import member_auth
from gonghui.orgs.scoping import can

from . import selectors, services
from .models import Draw, Registration, Session

router = Router(tags=["activities"])


class RegisterIn(Schema):
    child_name: str = Field(default="", max_length=60)
    child_birth_date: dt.date | None = None


class RegistrationOut(Schema):
    id: int
    session: int
    activity: str
    starts_at: dt.datetime
    status: str
    status_label: str
    position: int | None
    reason: str
    checked_in: bool


def _out(reg: Registration) -> dict[str, Any]:
    return {
        "id": reg.pk,
        "session": reg.session_id,
        "activity": reg.session.activity.title,
        "starts_at": reg.session.starts_at,
        "status": reg.status,
        "status_label": str(reg.get_status_display()),
        "position": reg.position,
        "reason": reg.reason,
        "checked_in": hasattr(reg, "checkin") and reg.checkin is not None,
    }


def _session(session_id: int) -> Session:
    session = (
        Session.objects.select_related("activity", "activity__org")
        .filter(pk=session_id, activity__is_published=True)
        .first()
    )
    if session is None:
        raise Http404
    return session


@router.post(
    "/sessions/{session_id}/register",
    auth=member_auth,
    response={201: RegistrationOut, 400: Error, 403: Error, 404: Error, 409: Error, 422: Error},
)
def register(request: HttpRequest, session_id: int, data: RegisterIn) -> Status:
    """Register (first come: confirmed or waitlisted) or apply (review, lottery)."""
    reg = services.registration_create(
        member=request.auth,  # type: ignore[attr-defined]
        session=_session(session_id),
        child_name=data.child_name,
        child_birth_date=data.child_birth_date,
    )
    return Status(201, _out(reg))


@router.post(
    "/registrations/{registration_id}/cancel",
    auth=member_auth,
    response={200: RegistrationOut, 404: Error, 409: Error},
)
def cancel(request: HttpRequest, registration_id: int) -> dict[str, Any]:
    member = request.auth  # type: ignore[attr-defined]
    reg = Registration.objects.filter(pk=registration_id, member=member).first()
    if reg is None:
        raise Http404
    return _out(services.registration_cancel(registration=reg, member=member))


@router.get("/registrations", auth=member_auth, response=list[RegistrationOut])
def my_registrations(request: HttpRequest) -> list[dict[str, Any]]:
    return [_out(r) for r in selectors.member_registrations(request.auth)[:200]]  # type: ignore[attr-defined]


@router.get("/draws/{session_id}/proof", auth=None, response={200: dict, 404: Error})
def draw_proof(request: HttpRequest, session_id: int) -> dict[str, Any]:
    """A published draw's proof; see docs/activities.md for how to re-run it."""
    draw = Draw.objects.filter(session_id=session_id, published_at__isnull=False).first()
    if draw is None:
        raise Http404
    return dict(
        draw.proof, published_at=draw.published_at.isoformat() if draw.published_at else None
    )


@router.get("/sessions/{session_id}/counts", auth=staff_auth, response={200: dict, 404: Error})
def counts(request: HttpRequest, session_id: int) -> dict[str, Any]:
    session = Session.objects.select_related("activity__org").filter(pk=session_id).first()
    if session is None or not can(request.auth, "activities.view", session.activity.org):  # type: ignore[attr-defined]
        raise Http404
    return selectors.session_counts(session)
