"""Hardship assistance API (/api/v1/assistance/) for staff: files (only those the user may see:
assigned case worker or supervisor; anything else 404), transitions, help records, figures.
Opening a file is audited like in the console."""

import datetime as dt
from typing import Any

from django.http import Http404, HttpRequest
from ninja import Field, Router, Schema, Status

from gonghui.core.apiauth import staff_auth
from gonghui.core.audit import client_ip
from gonghui.core.timeutil import local_today
from gonghui.funds.api import ERRORS
from gonghui.orgs.listaudit import list_audit, query_filters
from gonghui.orgs.models import Org
from gonghui.orgs.scoping import get_in_scope_or_404

from . import selectors, services
from .models import HardshipFile

router = Router(tags=["assistance"], auth=staff_auth)


class FileRowOut(Schema):
    id: int
    org_id: int
    member_name: str = Field(..., alias="member.name")
    category: str
    worker_type: str
    status: str
    is_returned: bool
    next_review_on: dt.date | None


class HouseholdOut(Schema):
    relation: str
    name: str
    birth_date: dt.date
    health: str
    income_fen: int


class HelpOut(Schema):
    id: int
    kind: str
    amount_fen: int
    given_on: dt.date
    note: str
    paid_by_id: int
    ledger_transaction_id: int | None


class DocumentOut(Schema):
    id: int
    name: str
    content_type: str
    size: int
    uploaded_at: dt.datetime


class FileOut(FileRowOut):
    main_cause: str
    secondary_causes: list[str]
    applicant_income_fen: int
    other_income_fen: int
    household_size: int
    household_income_fen: int
    per_capita_income_fen: int
    housing: str
    housing_note: str
    health_note: str
    evidence_note: str
    case_worker_id: int | None
    applied_on: dt.date
    activated_on: dt.date | None
    last_reviewed_on: dt.date | None
    closed_on: dt.date | None
    household: list[HouseholdOut]
    help: list[HelpOut]
    documents: list[DocumentOut]

    @staticmethod
    def resolve_household(obj: HardshipFile) -> list[Any]:
        return list(obj.household.all())

    @staticmethod
    def resolve_documents(obj: HardshipFile) -> list[Any]:
        return list(obj.documents.order_by("pk"))

    @staticmethod
    def resolve_help(obj: HardshipFile) -> list[Any]:
        return list(obj.help.order_by("given_on", "pk"))


class TransitionIn(Schema):
    action: str
    note: str = ""


class HelpIn(Schema):
    kind: str
    amount_fen: int = 0
    given_on: dt.date | None = None
    note: str = ""


class FiguresOut(Schema):
    year: int
    people_visited: int
    grants: int
    grant_amount_fen: int
    amount_fen: int
    by_kind: dict[str, dict[str, int]]
    active_files: int
    new_files: int
    carried_files: int
    returned_files: int


def _file(request: HttpRequest, file_id: int) -> HardshipFile:
    try:
        return selectors.files_visible(request.user).get(pk=file_id)
    except HardshipFile.DoesNotExist:
        raise Http404 from None


@router.get("/files", response=list[FileRowOut], summary="Hardship files I may see")
def file_list(request: HttpRequest, status: str | None = None) -> Any:
    qs = selectors.files_visible(request.user).order_by("-created_at", "-pk")
    if status:
        qs = qs.filter(status=status)
    rows = list(qs[:500])
    list_audit(
        actor=request.user,
        action="assistance.file.list",
        capabilities=("assistance.supervise", "assistance.work"),
        via="api",
        filters=query_filters(request.GET),
        rows=len(rows),
        ip=client_ip(request),
    )
    return rows


@router.get("/files/{file_id}", response={200: FileOut, **ERRORS}, summary="Open a file (audited)")
def file_detail(request: HttpRequest, file_id: int) -> Any:
    return selectors.file_open(user=request.user, pk=file_id, via="api", ip=client_ip(request))


@router.post(
    "/files/{file_id}/transition", response={200: FileOut, **ERRORS}, summary="Move a file"
)
def file_transition(request: HttpRequest, file_id: int, payload: TransitionIn) -> Any:
    file = _file(request, file_id)
    return services.file_transition(
        file=file, action=payload.action, actor=request.user, note=payload.note
    )


@router.post("/files/{file_id}/help", response={201: HelpOut, **ERRORS}, summary="Give help")
def help_create(request: HttpRequest, file_id: int, payload: HelpIn) -> Any:
    file = _file(request, file_id)
    record = services.help_record_create(
        file=file,
        kind=payload.kind,
        amount_fen=payload.amount_fen,
        given_on=payload.given_on,
        note=payload.note,
        actor=request.user,
    )
    return Status(201, record)


@router.get("/figures", response={200: FiguresOut, **ERRORS}, summary="Yearly figures")
def figures(request: HttpRequest, org_id: int, year: int | None = None) -> Any:
    org = get_in_scope_or_404(Org.objects.all(), request.user, "assistance.figures", "", pk=org_id)
    return selectors.figures(org=org, year=year or local_today().year)
