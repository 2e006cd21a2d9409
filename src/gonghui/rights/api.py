"""Rights API (/api/v1/rights/).

Staff (session): cases they may see (assigned lawyer/case worker, or supervisor; else 404),
opening audited; notes, answers, steps, assignment, closing; the overdue list; contract coverage.
Public: ``POST /intake`` (signed-in member, or anonymous with an access code shown once) and
``POST /track`` (number + access code)."""

import datetime as dt
from typing import Any

from django.contrib.auth import get_user_model
from django.http import Http404, HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status

from gonghui.core.apiauth import staff_auth
from gonghui.core.apischema import Error
from gonghui.core.audit import client_ip
from gonghui.core.errors import Refused
from gonghui.core.timeutil import local_today
from gonghui.orgs.listaudit import list_audit, query_filters
from gonghui.orgs.models import Enterprise, Org
from gonghui.orgs.scoping import get_in_scope_or_404

from . import selectors, services
from .intake_guard import intake_challenge, intake_guard
from .models import RightsCase

router = Router(tags=["rights"], auth=staff_auth)

ERRORS: dict[int, Any] = {400: Error, 404: Error, 409: Error}


class CaseRowOut(Schema):
    id: int
    number: str
    kind: str
    case_type: str = Field(..., alias="case_type.code")
    org_id: int
    status: str
    step: str = Field(..., alias="step.name")
    due_on: dt.date | None
    lawyer_id: int | None
    case_worker_id: int | None


class EntryOut(Schema):
    kind: str
    text: str
    is_public: bool
    at: dt.datetime


class PartyOut(Schema):
    member_id: int
    member_name: str = Field(..., alias="member.name")
    amount_claimed_fen: int
    amount_recovered_fen: int


class CaseOut(CaseRowOut):
    member_id: int | None
    is_anonymous: bool
    contact_phone_masked: str
    description: str
    enterprise_id: int | None
    employer_name: str
    amount_claimed_fen: int
    outcome: str
    amount_recovered_fen: int
    open_cases: list[str]
    entries: list[EntryOut]
    parties: list[PartyOut]

    @staticmethod
    def resolve_open_cases(obj: RightsCase) -> list[str]:
        if obj.member is None:
            return []
        return services.open_cases_of(obj.member, exclude_pk=obj.pk)

    @staticmethod
    def resolve_entries(obj: RightsCase) -> list[Any]:
        return list(obj.entries.order_by("at", "pk"))

    @staticmethod
    def resolve_parties(obj: RightsCase) -> list[Any]:
        return list(obj.parties.select_related("member"))


class TextIn(Schema):
    text: str
    public: bool = False


class AssignIn(Schema):
    lawyer_id: int | None = None
    case_worker_id: int | None = None


class CloseIn(Schema):
    outcome: str
    amount_recovered_fen: int = 0
    note: str = ""


class IntakeIn(Schema):
    kind: str
    case_type: str
    description: str
    anonymous: bool = False
    contact_phone: str = ""
    enterprise_id: int | None = None
    employer_name: str = ""
    amount_claimed_fen: int = 0
    pow_challenge: str = Field("", max_length=400, description="from GET intake/challenge")
    pow_nonce: str = Field("", max_length=20, description="the counter that solves it")


class ChallengeOut(Schema):
    challenge: str
    bits: int


class IntakeOut(Schema):
    number: str
    access_code: str
    open_cases: list[str]


class TrackIn(Schema):
    number: str
    access_code: str


class PublicEntryOut(Schema):
    kind: str
    text: str
    at: dt.datetime


class TrackOut(Schema):
    number: str
    kind: str
    status: str
    step: str
    outcome: str
    entries: list[PublicEntryOut]


class CoverageOut(Schema):
    on: dt.date
    above_scale: int
    covered: int
    rate_bp: int | None
    contracts_valid: int
    workers_covered: int


def _case(request: HttpRequest, case_id: int) -> RightsCase:
    try:
        return selectors.cases_visible(request.user).get(pk=case_id)
    except RightsCase.DoesNotExist:
        raise Http404 from None


def _user(pk: int | None) -> Any:
    if pk is None:
        return None
    user = get_user_model().objects.filter(pk=pk, is_active=True).first()
    if user is None:
        raise Refused(code="unknown_user", message=_("Unknown user."), field="user")
    return user


@router.get("/cases", response=list[CaseRowOut], summary="Cases I may see")
def case_list(request: HttpRequest, status: str | None = None) -> Any:
    qs = selectors.cases_visible(request.user).order_by("-created_at", "-pk")
    if status:
        qs = qs.filter(status=status)
    return _audited_list(request, list(qs[:500]))


@router.get("/cases/overdue", response=list[CaseRowOut], summary="Overdue cases I may see")
def case_overdue(request: HttpRequest) -> Any:
    rows = list(selectors.cases_overdue(user=request.user, today=local_today())[:500])
    return _audited_list(request, rows, overdue=True)


def _audited_list(request: HttpRequest, rows: list[RightsCase], **extra: Any) -> list[RightsCase]:
    """A list of cases shows who has one: audit each request (filters, row count)."""
    list_audit(
        actor=request.user,
        action="rights.case.list",
        capabilities=("rights.supervise", "rights.work"),
        via="api",
        filters=query_filters(request.GET),
        rows=len(rows),
        ip=client_ip(request),
        **extra,
    )
    return rows


@router.get("/cases/{case_id}", response={200: CaseOut, **ERRORS}, summary="Open a case (audited)")
def case_detail(request: HttpRequest, case_id: int) -> Any:
    return selectors.case_open(user=request.user, pk=case_id, via="api", ip=client_ip(request))


@router.post("/cases/{case_id}/notes", response={201: EntryOut, **ERRORS})
def case_note(request: HttpRequest, case_id: int, payload: TextIn) -> Any:
    entry = services.case_note(
        case=_case(request, case_id), text=payload.text, actor=request.user, public=payload.public
    )
    return Status(201, entry)


@router.post("/cases/{case_id}/answer", response={201: EntryOut, **ERRORS})
def case_answer(request: HttpRequest, case_id: int, payload: TextIn) -> Any:
    entry = services.case_answer(
        case=_case(request, case_id), text=payload.text, actor=request.user
    )
    return Status(201, entry)


@router.post("/cases/{case_id}/advance", response={200: CaseRowOut, **ERRORS})
def case_advance(request: HttpRequest, case_id: int, payload: TextIn) -> Any:
    return services.case_advance(
        case=_case(request, case_id), actor=request.user, note=payload.text
    )


@router.post("/cases/{case_id}/assign", response={200: CaseRowOut, **ERRORS})
def case_assign(request: HttpRequest, case_id: int, payload: AssignIn) -> Any:
    return services.case_assign(
        case=_case(request, case_id),
        actor=request.user,
        lawyer=_user(payload.lawyer_id),
        case_worker=_user(payload.case_worker_id),
    )


@router.post("/cases/{case_id}/close", response={200: CaseRowOut, **ERRORS})
def case_close(request: HttpRequest, case_id: int, payload: CloseIn) -> Any:
    return services.case_close(
        case=_case(request, case_id),
        outcome=payload.outcome,
        amount_recovered_fen=payload.amount_recovered_fen,
        note=payload.note,
        actor=request.user,
    )


@router.get("/coverage", response={200: CoverageOut, **ERRORS}, summary="Contract coverage")
def contract_coverage(request: HttpRequest, org_id: int, on: dt.date | None = None) -> Any:
    org = get_in_scope_or_404(Org.objects.all(), request.user, "rights.contracts", "", pk=org_id)
    return selectors.coverage(org=org, on=on or local_today())


@router.get(
    "/intake/challenge",
    auth=None,
    response=ChallengeOut,
    summary="A proof-of-work challenge for one anonymous intake",
    description=(
        "Find a decimal counter n such that SHA-256(challenge + ':' + n) starts with `bits` "
        "zero bits; send challenge and n with the intake. Each challenge works once."
    ),
)
def intake_challenge_get(request: HttpRequest) -> Any:
    return intake_challenge()


@router.post(
    "/intake",
    auth=None,
    response={201: IntakeOut, 429: Error, **ERRORS},
    summary="Online intake",
)
def intake(request: HttpRequest, payload: IntakeIn) -> Any:
    """Anonymous intake only (a member files from the signed-in H5 form, which carries CSRF).
    Needs a solved challenge (``GET intake/challenge``); at most 5 an hour and 20 a day per IP."""
    if not payload.anonymous:
        raise Refused(
            code="anonymous_only",
            message=_("Here a case is filed anonymously; members file it on the H5 signed in."),
            field="anonymous",
        )
    intake_guard(ip=client_ip(request), challenge=payload.pow_challenge, nonce=payload.pow_nonce)
    enterprise = (
        Enterprise.objects.filter(pk=payload.enterprise_id).first()
        if payload.enterprise_id
        else None
    )
    result = services.case_intake(
        kind=payload.kind,
        case_type=payload.case_type,
        description=payload.description,
        anonymous=True,
        contact_phone=payload.contact_phone,
        enterprise=enterprise,
        employer_name=payload.employer_name,
        amount_claimed_fen=payload.amount_claimed_fen,
    )
    body = {
        "number": result.case.number,
        "access_code": result.access_code,
        "open_cases": result.open_cases,
    }
    return Status(201, body)


@router.post("/track", auth=None, response={200: TrackOut, **ERRORS}, summary="Follow a case")
def track(request: HttpRequest, payload: TrackIn) -> Any:
    case = services.case_track(number=payload.number, access_code=payload.access_code)
    return {
        "number": case.number,
        "kind": case.kind,
        "status": case.status,
        "step": case.step.name,
        "outcome": case.outcome,
        "entries": selectors.public_timeline(case),
    }
