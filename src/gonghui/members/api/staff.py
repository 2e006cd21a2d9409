"""Staff endpoints (their orgs' subtrees only; anything outside answers 404): the enrolment review
queue, transfer requests, the member roster and audited reveals."""

from __future__ import annotations

from typing import Any, Literal

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Query

from gonghui.core.apiauth import staff_auth
from gonghui.core.audit import client_ip
from gonghui.core.errors import Refused
from gonghui.orgs.scoping import can

from .. import enrolment as enrolment_services
from .. import selectors, transfers
from ..models import Enrolment, Member, TransferRequest
from ..services import member_reveal
from .common import (
    _auth,
    _enrolment,
    _member,
    _scoped,
    _transfer,
    router,
)
from .schemas import (
    ERRORS,
    EnrolmentPage,
    EnrolmentStaffOut,
    MemberPage,
    MemberStaffOut,
    ReasonIn,
    RevealIn,
    RevealOut,
    TransferPage,
    TransferStaffOut,
)


@router.get(
    "/enrolments",
    auth=staff_auth,
    response={200: EnrolmentPage, **ERRORS},
    summary="Review queue (staff): pending first, oldest first",
    operation_id="gonghui_members_api_enrolment_list",
)
def enrolment_list(
    request: HttpRequest,
    limit: int = Query(50, ge=1, le=100),
    offset: int = Query(0, ge=0),
    status: Literal["submitted", "approved", "rejected", "withdrawn"] | None = None,
) -> dict[str, Any]:
    qs = selectors.enrolment_queue(user=_auth(request), status=status)
    items = list(qs[offset : offset + limit])
    return {"count": qs.count(), "items": [_enrolment(e) for e in items]}


def _staff_enrolment(request: HttpRequest, enrolment_id: int) -> Enrolment:
    return _scoped(
        Enrolment.objects.select_related("org", "enterprise", "member"),
        _auth(request),
        "members.review",
        enrolment_id,
    )


@router.get(
    "/enrolments/{enrolment_id}",
    auth=staff_auth,
    response={200: EnrolmentStaffOut, **ERRORS},
    summary="One application (staff)",
    operation_id="gonghui_members_api_enrolment_detail",
)
def enrolment_detail(request: HttpRequest, enrolment_id: int) -> dict[str, Any]:
    return _enrolment(_staff_enrolment(request, enrolment_id))


@router.post(
    "/enrolments/{enrolment_id}/approve",
    auth=staff_auth,
    response={200: MemberStaffOut, **ERRORS},
    summary="Approve an application (staff, members.review)",
    operation_id="gonghui_members_api_enrolment_approve",
)
def enrolment_approve(request: HttpRequest, enrolment_id: int) -> dict[str, Any]:
    enrolment = _staff_enrolment(request, enrolment_id)
    member = enrolment_services.enrolment_approve(
        enrolment=enrolment, actor=_auth(request), ip=client_ip(request)
    )
    return _member(member)


@router.post(
    "/enrolments/{enrolment_id}/reject",
    auth=staff_auth,
    response={200: EnrolmentStaffOut, **ERRORS},
    summary="Reject an application with a reason (staff, members.review)",
    operation_id="gonghui_members_api_enrolment_reject",
)
def enrolment_reject(request: HttpRequest, enrolment_id: int, payload: ReasonIn) -> dict[str, Any]:
    enrolment = _staff_enrolment(request, enrolment_id)
    enrolment_services.enrolment_reject(
        enrolment=enrolment, actor=_auth(request), reason=payload.reason, ip=client_ip(request)
    )
    return _enrolment(enrolment)


@router.get(
    "/transfers",
    auth=staff_auth,
    response={200: TransferPage, **ERRORS},
    summary="Transfers into my unions (staff): pending first",
    operation_id="gonghui_members_api_transfer_list",
)
def transfer_list(
    request: HttpRequest,
    limit: int = Query(50, ge=1, le=100),
    offset: int = Query(0, ge=0),
    status: Literal["pending", "approved", "rejected"] | None = None,
) -> dict[str, Any]:
    qs = selectors.transfer_queue(user=_auth(request), status=status)
    items = list(qs[offset : offset + limit])
    return {"count": qs.count(), "items": [_transfer(t) for t in items]}


def _staff_transfer(request: HttpRequest, transfer_id: int) -> TransferRequest:
    return _scoped(
        TransferRequest.objects.select_related("member", "from_org", "to_org", "to_enterprise"),
        _auth(request),
        "members.review",
        transfer_id,
        field="to_org",
    )


@router.post(
    "/transfers/{transfer_id}/approve",
    auth=staff_auth,
    response={200: TransferStaffOut, **ERRORS},
    summary="Accept a transfer into my union (staff, members.review at the receiving union)",
    operation_id="gonghui_members_api_transfer_approve",
)
def transfer_approve(request: HttpRequest, transfer_id: int) -> dict[str, Any]:
    transfer = _staff_transfer(request, transfer_id)
    transfers.transfer_approve(transfer=transfer, actor=_auth(request), ip=client_ip(request))
    transfer.refresh_from_db()
    return _transfer(transfer)


@router.post(
    "/transfers/{transfer_id}/reject",
    auth=staff_auth,
    response={200: TransferStaffOut, **ERRORS},
    summary="Decline a transfer with a reason (staff)",
    operation_id="gonghui_members_api_transfer_reject",
)
def transfer_reject(request: HttpRequest, transfer_id: int, payload: ReasonIn) -> dict[str, Any]:
    transfer = _staff_transfer(request, transfer_id)
    transfers.transfer_reject(
        transfer=transfer, actor=_auth(request), reason=payload.reason, ip=client_ip(request)
    )
    return _transfer(transfer)


@router.get(
    "/members",
    auth=staff_auth,
    response={200: MemberPage, **ERRORS},
    summary="Search members (staff, masked): name, member number, exact phone or ID number",
    operation_id="gonghui_members_api_member_list",
)
def member_list(
    request: HttpRequest,
    q: str = Query("", max_length=60),
    limit: int = Query(50, ge=1, le=100),
    offset: int = Query(0, ge=0),
) -> dict[str, Any]:
    qs = selectors.member_search(user=_auth(request), q=q)
    items = list(qs[offset : offset + limit])
    return {"count": qs.count(), "items": [_member(m) for m in items]}


def _staff_member(request: HttpRequest, member_id: int) -> Member:
    return _scoped(
        Member.objects.select_related("org", "enterprise"),
        _auth(request),
        "members.view",
        member_id,
    )


@router.get(
    "/members/{member_id}",
    auth=staff_auth,
    response={200: MemberStaffOut, **ERRORS},
    summary="One member (staff, masked)",
    operation_id="gonghui_members_api_member_detail",
)
def member_detail(request: HttpRequest, member_id: int) -> dict[str, Any]:
    return _member(_staff_member(request, member_id))


@router.post(
    "/members/{member_id}/reveal",
    auth=staff_auth,
    response={200: RevealOut, **ERRORS},
    summary="Reveal a full ID number or phone (staff, members.reveal; audited)",
    operation_id="gonghui_members_api_member_reveal_field",
)
def member_reveal_field(request: HttpRequest, member_id: int, payload: RevealIn) -> dict[str, Any]:
    member = _staff_member(request, member_id)
    if not can(_auth(request), "members.reveal", member.org):
        raise Refused(
            code="forbidden",
            message=_("You may not see full ID numbers or phones."),
            status=403,
        )
    value = member_reveal(
        member=member, field=payload.field, actor=_auth(request), ip=client_ip(request)
    )
    return {"field": payload.field, "value": value}
