"""Members API (/api/v1/members/).

Members (the H5 pages and apps) sign in with phone + SMS code and then use the member session;
staff use their Django session. Every unsafe request, signed in or not, passes Django's CSRF
check (send the ``csrftoken`` cookie's value as ``X-CSRFToken``; ``GET csrf`` sets the cookie).
A refusal answers 4xx with ``{"code", "message", "field"}`` and changes nothing. Staff see their
orgs' subtrees only: anything outside answers 404.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from django.conf import settings
from django.http import HttpRequest
from django.middleware.csrf import get_token
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status

from gonghui.core.apiauth import staff_auth
from gonghui.core.audit import client_ip
from gonghui.core.errors import NotFound, Refused
from gonghui.core.identifiers import mask_phone
from gonghui.orgs.models import Enterprise, Org
from gonghui.orgs.scoping import can, scope

from . import enrolment as enrolment_services
from . import otp as otp_services
from . import selectors
from .apiauth import member_auth, visitor_auth
from .models import Enrolment, Member, OtpChallenge, TransferRequest
from .pii import open_phone
from .services import member_reveal
from .session import (
    ENROL_STATUS_PURPOSE,
    VERIFIED_PHONE_TTL_SECONDS,
    clear_verified_phone,
    current_member,
    get_verified_phone,
    member_login,
    member_logout,
    set_verified_phone,
)

router = Router(tags=["members"])

# After submitting, the applicant may follow their application in this session.
STATUS_PURPOSE = ENROL_STATUS_PURPOSE


# --- authentication -----------------------------------------------------------------------------


# --- schemas ------------------------------------------------------------------------------------
class ErrorOut(Schema):
    code: str
    message: str
    field: str | None = None
    data: dict[str, Any] | None = None


ERRORS: dict[int, type[Schema]] = {
    400: ErrorOut,
    401: ErrorOut,
    403: ErrorOut,
    404: ErrorOut,
    409: ErrorOut,
    429: ErrorOut,
}


class OrgRef(Schema):
    id: int
    name: str
    kind: str
    trade: str


class EnterpriseRef(Schema):
    id: int
    name: str


class UnionOut(OrgRef):
    kind_label: str
    trade_label: str


class EnterpriseOut(Schema):
    id: int
    name: str
    uscc: str
    union: OrgRef


class CsrfOut(Schema):
    csrf_token: str


class OtpRequestIn(Schema):
    phone: str = Field(..., max_length=32)
    purpose: Literal["sign_in", "enrol"] = "sign_in"


class OtpSentOut(Schema):
    sent: bool
    expires_in: int


class OtpVerifyIn(Schema):
    phone: str = Field(..., max_length=32)
    purpose: Literal["sign_in", "enrol"] = "enrol"
    code: str = Field(..., max_length=12)


class OtpVerifiedOut(Schema):
    phone_masked: str
    purpose: str
    valid_for: int


class SignInIn(Schema):
    phone: str = Field(..., max_length=32)
    code: str = Field(..., max_length=12)


class MeOut(Schema):
    member_no: str
    name: str
    gender: str
    birth_date: dt.date
    id_number_masked: str
    phone_masked: str
    org: OrgRef
    enterprise: EnterpriseRef | None
    employment_type: str
    gig_trade: str
    status: str
    joined_on: dt.date


class ServiceEventOut(Schema):
    kind: str
    amount_fen: int
    org_name: str
    occurred_at: dt.datetime


class EnrolmentIn(Schema):
    name: str = Field(..., max_length=60)
    id_number: str = Field(..., max_length=32)
    org_id: int
    enterprise_id: int | None = None
    employer_name: str = Field("", max_length=200)
    employment_type: str = Field("employee", max_length=16)
    gig_trade: str = Field("", max_length=16)
    phone: str | None = Field(None, max_length=32, description="with code: verify here")
    code: str | None = Field(None, max_length=12, description="SMS code (purpose enrol)")
    consent_version: str = Field(
        "",
        max_length=20,
        description="the version of the privacy notice (/m/privacy) the applicant agreed to; "
        "refused with consent_required unless it is the current one",
    )


class EnrolmentOut(Schema):
    id: int
    status: str
    org: OrgRef
    submitted_at: dt.datetime
    reject_reason: str
    member_no: str | None


class EnrolmentStaffOut(Schema):
    id: int
    name: str
    id_number_masked: str
    phone_masked: str
    org: OrgRef
    enterprise: EnterpriseRef | None
    employer_name: str
    employment_type: str
    gig_trade: str
    status: str
    reject_reason: str
    submitted_at: dt.datetime
    reviewed_at: dt.datetime | None
    member_no: str | None


class EnrolmentPage(Schema):
    count: int
    items: list[EnrolmentStaffOut]


class ReasonIn(Schema):
    reason: str = Field(..., max_length=400)


class TransferIn(Schema):
    to_org_id: int
    to_enterprise_id: int | None = None
    note: str = Field("", max_length=400)


class TransferOut(Schema):
    id: int
    status: str
    from_org: OrgRef
    to_org: OrgRef
    to_enterprise: EnterpriseRef | None
    note: str
    reject_reason: str
    requested_at: dt.datetime
    decided_at: dt.datetime | None


class TransferStaffOut(TransferOut):
    member_id: int
    member_name: str
    member_no: str


class TransferPage(Schema):
    count: int
    items: list[TransferStaffOut]


class MemberStaffOut(Schema):
    id: int
    member_no: str
    name: str
    gender: str
    birth_date: dt.date
    id_number_masked: str
    phone_masked: str
    org: OrgRef
    enterprise: EnterpriseRef | None
    employment_type: str
    gig_trade: str
    status: str
    joined_on: dt.date


class MemberPage(Schema):
    count: int
    items: list[MemberStaffOut]


class RevealIn(Schema):
    field: Literal["id_number", "phone"]


class RevealOut(Schema):
    field: str
    value: str


def _auth(request: HttpRequest) -> Any:
    """What the operation's auth returned: the member or the staff user."""
    return getattr(request, "auth", None)


# --- converters ---------------------------------------------------------------------------------
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


# --- public and member endpoints ----------------------------------------------------------------
@router.get("/csrf", auth=None, response=CsrfOut, summary="Set the CSRF cookie")
def csrf(request: HttpRequest) -> dict[str, str]:
    return {"csrf_token": get_token(request)}


@router.post(
    "/otp", auth=visitor_auth, response={202: OtpSentOut, **ERRORS}, summary="Send an SMS code"
)
def otp_request(request: HttpRequest, payload: OtpRequestIn) -> Status[dict[str, Any]]:
    otp_services.otp_request(phone=payload.phone, purpose=payload.purpose, ip=client_ip(request))
    return Status(202, {"sent": True, "expires_in": int(settings.GONGHUI_OTP_TTL_SECONDS)})


@router.post(
    "/otp/verify",
    auth=visitor_auth,
    response={200: OtpVerifiedOut, **ERRORS},
    summary="Verify an SMS code; the phone stays verified in this session for 15 minutes",
)
def otp_verify(request: HttpRequest, payload: OtpVerifyIn) -> dict[str, Any]:
    phone = otp_services.otp_verify(phone=payload.phone, purpose=payload.purpose, code=payload.code)
    set_verified_phone(request, phone, payload.purpose)
    return {
        "phone_masked": mask_phone(phone),
        "purpose": payload.purpose,
        "valid_for": VERIFIED_PHONE_TTL_SECONDS,
    }


@router.post(
    "/session", auth=visitor_auth, response={200: MeOut, **ERRORS}, summary="Member sign-in"
)
def session_create(request: HttpRequest, payload: SignInIn) -> dict[str, Any]:
    phone = otp_services.otp_verify(
        phone=payload.phone, purpose=OtpChallenge.Purpose.SIGN_IN, code=payload.code
    )
    member = selectors.member_by_phone(phone)
    if member is None or member.status != Member.Status.ACTIVE:
        # The phone is proved: let the visitor go on to enrolment without a second code.
        set_verified_phone(request, phone, OtpChallenge.Purpose.ENROL)
        raise Refused(
            code="not_a_member",
            message=_("No active member has this mobile number. You can apply to join."),
            field="phone",
            status=404,
            data={"can_enrol": member is None},
        )
    member_login(request, member)
    return _member(member)


@router.delete("/session", auth=visitor_auth, response={204: None}, summary="Member sign-out")
def session_delete(request: HttpRequest) -> Status[None]:
    member_logout(request)
    return Status(204, None)


@router.get("/me", auth=member_auth, response={200: MeOut, **ERRORS}, summary="My profile")
def me(request: HttpRequest) -> dict[str, Any]:
    return _member(_auth(request))


@router.get(
    "/me/events",
    auth=member_auth,
    response={200: list[ServiceEventOut], **ERRORS},
    summary="My service history",
)
def me_events(request: HttpRequest, limit: int = Query(50, ge=1, le=100)) -> list[dict[str, Any]]:
    events = selectors.member_service_history(member=_auth(request), limit=limit)
    return [
        {
            "kind": e.kind,
            "amount_fen": e.amount_fen,
            "org_name": e.org.name,
            "occurred_at": e.occurred_at,
        }
        for e in events
    ]


@router.get(
    "/me/transfers",
    auth=member_auth,
    response={200: list[TransferOut], **ERRORS},
    summary="My transfer requests",
)
def me_transfers(request: HttpRequest) -> list[dict[str, Any]]:
    return [_transfer(t) for t in selectors.transfers_of_member(member=_auth(request))]


@router.get("/unions", auth=None, response=list[UnionOut], summary="Find a union to join")
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


@router.get("/enterprises", auth=None, response=list[EnterpriseOut], summary="Find an employer")
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
)
def transfer_create(request: HttpRequest, payload: TransferIn) -> Status[dict[str, Any]]:
    member: Member = _auth(request)
    transfer = enrolment_services.transfer_request_create(
        member=member,
        to_org=_find_org(payload.to_org_id, "to_org"),
        to_enterprise=_find_enterprise(payload.to_enterprise_id, "to_enterprise"),
        note=payload.note,
    )
    return Status(201, _transfer(transfer))


# --- staff endpoints ----------------------------------------------------------------------------
@router.get(
    "/enrolments",
    auth=staff_auth,
    response={200: EnrolmentPage, **ERRORS},
    summary="Review queue (staff): pending first, oldest first",
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
)
def enrolment_detail(request: HttpRequest, enrolment_id: int) -> dict[str, Any]:
    return _enrolment(_staff_enrolment(request, enrolment_id))


@router.post(
    "/enrolments/{enrolment_id}/approve",
    auth=staff_auth,
    response={200: MemberStaffOut, **ERRORS},
    summary="Approve an application (staff, members.review)",
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
)
def transfer_approve(request: HttpRequest, transfer_id: int) -> dict[str, Any]:
    transfer = _staff_transfer(request, transfer_id)
    enrolment_services.transfer_approve(
        transfer=transfer, actor=_auth(request), ip=client_ip(request)
    )
    transfer.refresh_from_db()
    return _transfer(transfer)


@router.post(
    "/transfers/{transfer_id}/reject",
    auth=staff_auth,
    response={200: TransferStaffOut, **ERRORS},
    summary="Decline a transfer with a reason (staff)",
)
def transfer_reject(request: HttpRequest, transfer_id: int, payload: ReasonIn) -> dict[str, Any]:
    transfer = _staff_transfer(request, transfer_id)
    enrolment_services.transfer_reject(
        transfer=transfer, actor=_auth(request), reason=payload.reason, ip=client_ip(request)
    )
    return _transfer(transfer)


@router.get(
    "/members",
    auth=staff_auth,
    response={200: MemberPage, **ERRORS},
    summary="Search members (staff, masked): name, member number, exact phone or ID number",
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
)
def member_detail(request: HttpRequest, member_id: int) -> dict[str, Any]:
    return _member(_staff_member(request, member_id))


@router.post(
    "/members/{member_id}/reveal",
    auth=staff_auth,
    response={200: RevealOut, **ERRORS},
    summary="Reveal a full ID number or phone (staff, members.reveal; audited)",
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
