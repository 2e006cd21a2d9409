"""Joining: find a union or employer, apply to enrol (and follow the application), ask for a
transfer."""

from __future__ import annotations

from typing import Any, Literal

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Query, Status

from gonghui.core.audit import client_ip
from gonghui.core.errors import Refused

from .. import enrolment as enrolment_services
from .. import otp as otp_services
from .. import selectors, transfers
from ..apiauth import member_auth, visitor_auth
from ..models import Enrolment, Member, OtpChallenge
from ..pii import open_phone
from ..session import (
    clear_verified_phone,
    current_member,
    get_verified_phone,
    set_verified_phone,
)
from .common import (
    STATUS_PURPOSE,
    _auth,
    _find_enterprise,
    _find_org,
    _org,
    _transfer,
    router,
)
from .schemas import (
    ERRORS,
    EnrolmentIn,
    EnrolmentOut,
    EnterpriseOut,
    TransferIn,
    TransferOut,
    UnionOut,
)


@router.get(
    "/unions",
    auth=None,
    response=list[UnionOut],
    summary="Find a union to join",
    operation_id="gonghui_members_api_unions",
)
def unions(
    request: HttpRequest,
    q: str = Query("", max_length=60),
    trade: str | None = Query(None, max_length=16),
    kind: Literal["grassroots", "industry"] | None = None,
    limit: int = Query(20, ge=1, le=50),
) -> list[dict[str, Any]]:
    return [
        {
            **_org(o),
            "kind_label": str(o.get_kind_display()),
            "trade_label": str(o.get_trade_display()),
        }
        for o in selectors.union_search(q=q, kind=kind, trade=trade, limit=limit)
    ]


@router.get(
    "/enterprises",
    auth=None,
    response=list[EnterpriseOut],
    summary="Find an employer",
    operation_id="gonghui_members_api_enterprises",
)
def enterprises(
    request: HttpRequest,
    q: str = Query(..., min_length=1, max_length=60),
    limit: int = Query(20, ge=1, le=50),
) -> list[dict[str, Any]]:
    return [
        {"id": e.pk, "name": e.name, "uscc": e.uscc, "union": _org(e.union)}
        for e in selectors.enterprise_search(q=q, limit=limit)
    ]


@router.post(
    "/enrolments",
    auth=visitor_auth,
    response={201: EnrolmentOut, **ERRORS},
    summary="Apply to join a union",
    description=(
        "The phone must be proved by an SMS code (purpose enrol): either verified before in this "
        "session (POST otp/verify), or sent here as phone + code."
    ),
    operation_id="gonghui_members_api_enrolment_create",
)
def enrolment_create(request: HttpRequest, payload: EnrolmentIn) -> Status[dict[str, Any]]:
    purpose = OtpChallenge.Purpose.ENROL
    if payload.code:
        if not payload.phone:
            raise Refused(
                code="phone_required", message=_("Enter your mobile number."), field="phone"
            )
        phone = otp_services.otp_verify(phone=payload.phone, purpose=purpose, code=payload.code)
        set_verified_phone(request, phone, purpose)
    else:
        verified = get_verified_phone(request, purpose)
        if verified is None or (
            payload.phone and otp_services.clean_phone(payload.phone) != verified
        ):
            raise Refused(
                code="phone_not_verified",
                message=_("Verify your mobile number with an SMS code first."),
                field="phone",
            )
        phone = verified
    enrolment = enrolment_services.enrolment_submit(
        verified_phone=phone,
        name=payload.name,
        id_number=payload.id_number,
        org=_find_org(payload.org_id, "org"),
        enterprise=_find_enterprise(payload.enterprise_id, "enterprise"),
        employer_name=payload.employer_name,
        employment_type=payload.employment_type,
        gig_trade=payload.gig_trade,
        consent_version=payload.consent_version,
        ip=client_ip(request),
    )
    clear_verified_phone(request, purpose)
    set_verified_phone(request, phone, STATUS_PURPOSE)
    return Status(201, _public_enrolment(enrolment))


def _public_enrolment(e: Enrolment) -> dict[str, Any]:
    return {
        "id": e.pk,
        "status": e.status,
        "org": _org(e.org),
        "submitted_at": e.submitted_at,
        "reject_reason": e.reject_reason,
        "member_no": e.member.member_no if e.member_id and e.member else None,
    }


@router.get(
    "/enrolments/mine",
    auth=visitor_auth,
    response={200: list[EnrolmentOut], **ERRORS},
    summary="My applications (the phone proved in this session, or the signed-in member's)",
    operation_id="gonghui_members_api_enrolments_mine",
)
def enrolments_mine(request: HttpRequest) -> list[dict[str, Any]]:
    phone = None
    member = current_member(request)
    if member is not None:
        phone = open_phone(member)
    else:
        for purpose in (STATUS_PURPOSE, OtpChallenge.Purpose.ENROL):
            phone = get_verified_phone(request, purpose)
            if phone:
                break
    if phone is None:
        raise Refused(
            code="phone_not_verified",
            message=_("Verify your mobile number with an SMS code first."),
            field="phone",
            status=401,
        )
    return [_public_enrolment(e) for e in selectors.enrolments_for_phone(phone=phone)]


@router.post(
    "/transfers",
    auth=member_auth,
    response={201: TransferOut, **ERRORS},
    summary="Ask to transfer to another union",
    operation_id="gonghui_members_api_transfer_create",
)
def transfer_create(request: HttpRequest, payload: TransferIn) -> Status[dict[str, Any]]:
    member: Member = _auth(request)
    transfer = transfers.transfer_request_create(
        member=member,
        to_org=_find_org(payload.to_org_id, "to_org"),
        to_enterprise=_find_enterprise(payload.to_enterprise_id, "to_enterprise"),
        note=payload.note,
    )
    return Status(201, _transfer(transfer))
