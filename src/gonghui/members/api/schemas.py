"""The request and response bodies of the members API; refusals answer the shared
``core.apischema.Error``."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from ninja import Field, Schema

from gonghui.core.apischema import Error

ERRORS: dict[int, type[Schema]] = {
    400: Error,
    401: Error,
    403: Error,
    404: Error,
    409: Error,
    429: Error,
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
