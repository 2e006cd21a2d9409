"""The members router that every endpoint module adds to, and what they share: the caller,
converters from rows to bodies, lookups of the org and employer named in a body, scoped rows."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Router

from gonghui.core.errors import NotFound, Refused
from gonghui.orgs.models import Enterprise, Org
from gonghui.orgs.scoping import scope

from ..models import Enrolment, Member, TransferRequest
from ..session import ENROL_STATUS_PURPOSE

router = Router(tags=["members"])

# After submitting, the applicant may follow their application in this session.
STATUS_PURPOSE = ENROL_STATUS_PURPOSE


def _auth(request: HttpRequest) -> Any:
    """What the operation's auth returned: the member or the staff user."""
    return getattr(request, "auth", None)


def _org(org: Org) -> dict[str, Any]:
    return {"id": org.pk, "name": org.name, "kind": org.kind, "trade": org.trade}


def _enterprise(ent: Enterprise | None) -> dict[str, Any] | None:
    return {"id": ent.pk, "name": ent.name} if ent is not None else None


def _member(m: Member) -> dict[str, Any]:
    return {
        "id": m.pk,
        "member_no": m.member_no,
        "name": m.name,
        "gender": m.gender,
        "birth_date": m.birth_date,
        "id_number_masked": m.id_number_masked,
        "phone_masked": m.phone_masked,
        "org": _org(m.org),
        "enterprise": _enterprise(m.enterprise),
        "employment_type": m.employment_type,
        "gig_trade": m.gig_trade,
        "status": m.status,
        "joined_on": m.joined_on,
    }


def _enrolment(e: Enrolment) -> dict[str, Any]:
    return {
        "id": e.pk,
        "name": e.name,
        "id_number_masked": e.id_number_masked,
        "phone_masked": e.phone_masked,
        "org": _org(e.org),
        "enterprise": _enterprise(e.enterprise),
        "employer_name": e.employer_name,
        "employment_type": e.employment_type,
        "gig_trade": e.gig_trade,
        "status": e.status,
        "reject_reason": e.reject_reason,
        "submitted_at": e.submitted_at,
        "reviewed_at": e.reviewed_at,
        "member_no": e.member.member_no if e.member_id and e.member else None,
    }


def _transfer(t: TransferRequest) -> dict[str, Any]:
    return {
        "id": t.pk,
        "status": t.status,
        "from_org": _org(t.from_org),
        "to_org": _org(t.to_org),
        "to_enterprise": _enterprise(t.to_enterprise),
        "note": t.note,
        "reject_reason": t.reject_reason,
        "requested_at": t.requested_at,
        "decided_at": t.decided_at,
        "member_id": t.member_id,
        "member_name": t.member.name,
        "member_no": t.member.member_no,
    }


def _find_org(pk: int | None, field: str) -> Org:
    org = Org.objects.filter(pk=pk).first() if pk is not None else None
    if org is None:
        raise Refused(code="org_not_found", message=_("Choose a union from the list."), field=field)
    return org


def _find_enterprise(pk: int | None, field: str) -> Enterprise | None:
    if pk is None:
        return None
    ent = Enterprise.objects.filter(pk=pk).first()
    if ent is None:
        raise Refused(
            code="enterprise_not_found", message=_("Choose an employer from the list."), field=field
        )
    return ent


def _scoped(qs: Any, user: Any, capability: str, pk: int, field: str = "org") -> Any:
    obj = scope(qs, user, capability, field).filter(pk=pk).first()
    if obj is None:
        raise NotFound(message=_("Not found."))
    return obj
