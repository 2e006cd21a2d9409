"""Jobs API (/api/v1/jobs/).

- Members (session signed in by SMS code): matched postings with their reasons, apply, their
  applications, withdraw.
- Staff and employer staff (console session): applications and postings they may see — union
  staff through org scope (``jobs.view``), employer staff only their own enterprise's; moving an
  application's status; figures and skill-pay coverage of a subtree. Anything outside answers 404.
Unsafe methods need the CSRF token (``X-CSRFToken``)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema
from ninja import Status as Answer

from gonghui.core.apiauth import staff_auth
from gonghui.core.apischema import Error
from gonghui.core.audit import client_ip
from gonghui.core.errors import NotFound, Refused
from gonghui.core.timeutil import local_today
from gonghui.members.apiauth import member_auth
from gonghui.orgs.models import Org
from gonghui.orgs.scoping import get_in_scope_or_404

from . import selectors, services
from .models import Application, Posting

router = Router(tags=["jobs"])


def _auth(request: HttpRequest) -> Any:
    """What the endpoint's auth returned: the member, or the staff user."""
    return request.auth  # type: ignore[attr-defined]


ERRORS: dict[int, Any] = {400: Error, 403: Error, 404: Error, 409: Error}


class ReasonOut(Schema):
    code: str
    label: str
    weight: int


class PostingOut(Schema):
    id: int
    title: str
    enterprise_id: int
    enterprise: str
    trade: str
    kind: str
    status: str
    salary_min_fen: int
    salary_max_fen: int
    region_code: str
    skills: list[str]
    headcount: int
    valid_from: dt.date
    valid_until: dt.date


def _posting(p: Posting) -> dict[str, Any]:
    return {
        "id": p.pk,
        "title": p.title,
        "enterprise_id": p.enterprise_id,
        "enterprise": p.enterprise.name,
        "trade": p.trade,
        "kind": p.kind,
        "status": p.status,
        "salary_min_fen": p.salary_min_fen,
        "salary_max_fen": p.salary_max_fen,
        "region_code": p.region_code,
        "skills": list(p.skills or []),
        "headcount": p.headcount,
        "valid_from": p.valid_from,
        "valid_until": p.valid_until,
    }


class MatchOut(Schema):
    posting: PostingOut
    score: int
    reasons: list[ReasonOut]


class ApplicationOut(Schema):
    id: int
    member_name: str
    enterprise_id: int
    posting_id: int | None
    posting_title: str | None
    source: str
    status: str
    submitted_at: dt.datetime
    intention_at: dt.datetime | None
    hired_at: dt.datetime | None


def _application(a: Application) -> dict[str, Any]:
    return {
        "id": a.pk,
        "member_name": a.member.name,
        "enterprise_id": a.enterprise_id,
        "posting_id": a.posting_id,
        "posting_title": a.posting.title if a.posting is not None else None,
        "source": a.source,
        "status": a.status,
        "submitted_at": a.submitted_at,
        "intention_at": a.intention_at,
        "hired_at": a.hired_at,
    }


class StatusIn(Schema):
    status: Application.Status
    note: str = Field("", max_length=200)


# --- members ----------------------------------------------------------------------------------


@router.get("/me/matches", auth=member_auth, response=list[MatchOut])
def my_matches(request: HttpRequest, limit: int = Query(20, ge=1, le=100)) -> Any:
    member = _auth(request)
    return [
        {
            "posting": _posting(m.posting),
            "score": m.score,
            "reasons": [{"code": r.code, "label": r.label, "weight": r.weight} for r in m.reasons],
        }
        for m in selectors.postings_for_member(member, limit=limit)
    ]


@router.post(
    "/me/postings/{posting_id}/apply",
    auth=member_auth,
    response={201: ApplicationOut, **ERRORS},
)
def my_apply(request: HttpRequest, posting_id: int) -> Any:
    posting = selectors.open_postings().filter(pk=posting_id).first()
    if posting is None:
        raise NotFound(message=_("No such open posting."))
    application = services.application_submit(member=_auth(request), posting=posting)
    return Answer(201, _application(application))


@router.get("/me/applications", auth=member_auth, response=list[ApplicationOut])
def my_applications(request: HttpRequest) -> Any:
    return [_application(a) for a in selectors.member_applications(_auth(request))[:200]]


@router.post(
    "/me/applications/{application_id}/withdraw",
    auth=member_auth,
    response={200: ApplicationOut, **ERRORS},
)
def my_withdraw(request: HttpRequest, application_id: int) -> Any:
    application = Application.objects.filter(pk=application_id, member=_auth(request)).first()
    if application is None:
        raise NotFound(message=_("No such application."))
    application = services.application_transition(
        application=application, to_status=Application.Status.WITHDRAWN, member=_auth(request)
    )
    return Answer(200, _application(application))


# --- staff and employer staff -----------------------------------------------------------------


@router.get("/applications", auth=staff_auth, response=list[ApplicationOut])
def applications(
    request: HttpRequest,
    status: Application.Status | None = None,
    limit: int = Query(100, ge=1, le=500),
    offset: int = Query(0, ge=0, le=10_000_000),
) -> Any:
    qs = selectors.applications_visible(_auth(request)).select_related("member", "posting")
    if status:
        qs = qs.filter(status=status)
    return [_application(a) for a in qs.order_by("-submitted_at", "-pk")[offset : offset + limit]]


def _visible_application(request: HttpRequest, application_id: int) -> Application:
    a = (
        selectors.applications_visible(_auth(request))
        .select_related("member", "posting")
        .filter(pk=application_id)
        .first()
    )
    if a is None:
        raise NotFound(message=_("No such application."))
    return a


@router.get(
    "/applications/{application_id}",
    auth=staff_auth,
    response={200: ApplicationOut, **ERRORS},
)
def application_detail(request: HttpRequest, application_id: int) -> Any:
    return Answer(200, _application(_visible_application(request, application_id)))


@router.post(
    "/applications/{application_id}/status",
    auth=staff_auth,
    response={200: ApplicationOut, **ERRORS},
)
def application_status(request: HttpRequest, application_id: int, body: StatusIn) -> Any:
    a = _visible_application(request, application_id)
    a = services.application_transition(
        application=a,
        to_status=body.status,
        actor=_auth(request),
        note=body.note,
        ip=client_ip(request),
    )
    return Answer(200, _application(a))


@router.get("/postings", auth=staff_auth, response=list[PostingOut])
def postings(request: HttpRequest, limit: int = Query(100, ge=1, le=500)) -> Any:
    qs = selectors.postings_visible(_auth(request)).select_related("enterprise")
    return [_posting(p) for p in qs.order_by("-created_at", "-pk")[:limit]]


class FiguresOut(Schema):
    posts: int
    headcount: int
    applications: int
    intentions: int
    hires: int
    fair_checkins: int


@router.get("/figures", auth=staff_auth, response={200: FiguresOut, **ERRORS})
def figures(request: HttpRequest, org_id: int, start: dt.date, end: dt.date | None = None) -> Any:
    end = end or local_today()
    if end < start or (end - start).days > 3660:
        raise Refused(code="period", message=_("Give a period of at most ten years."), field="end")
    org = get_in_scope_or_404(Org.objects.all(), _auth(request), "jobs.view", field="", pk=org_id)
    return Answer(200, selectors.figures(org, start, end))


class CoverageOut(Schema):
    enterprises_with_scheme: int
    above_scale_enterprises: int
    above_scale_with_scheme: int
    above_scale_rate_permille: int
    workers_covered: int
    workers_covered_above_scale: int


@router.get("/skill-pay/coverage", auth=staff_auth, response={200: CoverageOut, **ERRORS})
def skill_pay_coverage(request: HttpRequest, org_id: int, on: dt.date | None = None) -> Any:
    org = get_in_scope_or_404(Org.objects.all(), _auth(request), "jobs.view", field="", pk=org_id)
    return Answer(200, selectors.skill_pay_coverage(org, on))
