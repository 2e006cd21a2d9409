"""Signing in: the CSRF cookie, SMS codes, the member session."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.middleware.csrf import get_token
from django.utils.translation import gettext as _
from ninja import Status

from gonghui.core.audit import client_ip
from gonghui.core.errors import Refused
from gonghui.core.identifiers import mask_phone

from .. import otp as otp_services
from .. import selectors
from ..apiauth import visitor_auth
from ..models import Member, OtpChallenge
from ..session import (
    VERIFIED_PHONE_TTL_SECONDS,
    member_login,
    member_logout,
    set_verified_phone,
)
from .common import (
    _member,
    router,
)
from .schemas import (
    ERRORS,
    CsrfOut,
    MeOut,
    OtpRequestIn,
    OtpSentOut,
    OtpVerifiedOut,
    OtpVerifyIn,
    SignInIn,
)


@router.get(
    "/csrf",
    auth=None,
    response=CsrfOut,
    summary="Set the CSRF cookie",
    operation_id="gonghui_members_api_csrf",
)
def csrf(request: HttpRequest) -> dict[str, str]:
    return {"csrf_token": get_token(request)}


@router.post(
    "/otp",
    auth=visitor_auth,
    response={202: OtpSentOut, **ERRORS},
    summary="Send an SMS code",
    operation_id="gonghui_members_api_otp_request",
)
def otp_request(request: HttpRequest, payload: OtpRequestIn) -> Status[dict[str, Any]]:
    otp_services.otp_request(phone=payload.phone, purpose=payload.purpose, ip=client_ip(request))
    return Status(202, {"sent": True, "expires_in": int(settings.GONGHUI_OTP_TTL_SECONDS)})


@router.post(
    "/otp/verify",
    auth=visitor_auth,
    response={200: OtpVerifiedOut, **ERRORS},
    summary="Verify an SMS code; the phone stays verified in this session for 15 minutes",
    operation_id="gonghui_members_api_otp_verify",
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
    "/session",
    auth=visitor_auth,
    response={200: MeOut, **ERRORS},
    summary="Member sign-in",
    operation_id="gonghui_members_api_session_create",
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


@router.delete(
    "/session",
    auth=visitor_auth,
    response={204: None},
    summary="Member sign-out",
    operation_id="gonghui_members_api_session_delete",
)
def session_delete(request: HttpRequest) -> Status[None]:
    member_logout(request)
    return Status(204, None)
