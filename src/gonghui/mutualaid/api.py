"""Mutual-aid API (/api/v1/mutualaid/).

- Members (session cookie): ``GET my/claims``, ``GET my/claims/{id}`` — their own claims only
  (another member's claim answers 404), with the payout and its explanation once approved.
- Staff (console session, CSRF on writes): ``GET claims`` (scoped with ``mutualaid.view``),
  ``GET claims/{id}`` (every opening audited as ``mutualaid.claim.view``), ``POST
  claims/{id}/check|approve|reject|pay``, ``GET figures``. Out of scope answers 404.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import Http404, HttpRequest
from ninja import Field, Router, Schema

from gonghui.core.apiauth import staff_auth
from gonghui.core.apischema import Error
from gonghui.core.audit import client_ip
from gonghui.core.errors import NotFound
from gonghui.members.apiauth import member_auth
from gonghui.orgs.models import Org
from gonghui.orgs.scoping import can, get_in_scope_or_404

from . import selectors, services
from .models import AidClaim, RejectReason
from .services import calculator

router = Router(tags=["mutualaid"])


ERRORS: dict[int, Any] = {400: Error, 404: Error, 409: Error}


class ClaimOut(Schema):
    id: int
    number: str
    status: str
    status_label: str
    category: str
    hospital: str
    invoice_no: str
    invoice_date: dt.date
    amount_fen: int
    payout_fen: int | None
    reject_reason: str
    reject_text: str
    submitted_at: dt.datetime
    paid_at: dt.datetime | None
    explanation: list[str] = Field(default_factory=list)
    documents: list[str] = Field(default_factory=list)


class StaffClaimOut(ClaimOut):
    member_no: str
    member_name: str
    org_id: int


class RejectIn(Schema):
    reason: str = Field(description="one of: " + ", ".join(RejectReason.values))
    text: str = ""


class FiguresOut(Schema):
    org_id: int
    year: int
    insured_person_times: int
    reimbursements: int
    amount_paid_fen: int


def _claim_out(claim: AidClaim) -> dict[str, Any]:
    shown = claim.status in (AidClaim.Status.APPROVED, AidClaim.Status.PAID)
    return {
        "id": claim.pk,
        "number": claim.number,
        "status": claim.status,
        "status_label": str(claim.get_status_display()),
        "category": str(claim.category),
        "hospital": claim.hospital,
        "invoice_no": claim.invoice_no,
        "invoice_date": claim.invoice_date,
        "amount_fen": claim.amount_fen,
        "payout_fen": claim.payout_fen if shown else None,
        "reject_reason": claim.reject_reason,
        "reject_text": claim.reject_text,
        "submitted_at": claim.submitted_at,
        "paid_at": claim.paid_at,
        "explanation": calculator.explain(claim.explanation) if shown else [],
        "documents": [d.original_name for d in claim.documents.all()],
    }


def _staff_out(claim: AidClaim) -> dict[str, Any]:
    return {
        **_claim_out(claim),
        "member_no": claim.member.member_no,
        "member_name": claim.member.name,
        "org_id": claim.org_id,
    }


# --- members --------------------------------------------------------------------------------


@router.get("/my/claims", auth=member_auth, response=list[ClaimOut])
def my_claims(request: HttpRequest) -> list[dict[str, Any]]:
    member = request.auth  # type: ignore[attr-defined]
    return [_claim_out(c) for c in selectors.member_claims(member)[:200]]


@router.get("/my/claims/{claim_id}", auth=member_auth, response={200: ClaimOut, 404: Error})
def my_claim(request: HttpRequest, claim_id: int) -> dict[str, Any]:
    member = request.auth  # type: ignore[attr-defined]
    try:
        return _claim_out(selectors.member_claim_or_404(member, claim_id))
    except Http404:
        raise NotFound() from None


# --- staff ----------------------------------------------------------------------------------


def _visible(request: HttpRequest, claim_id: int, capability: str = "mutualaid.view") -> AidClaim:
    try:
        claim = selectors.claim_get_visible(user=request.auth, pk=claim_id)  # type: ignore[attr-defined]
    except Http404:
        raise NotFound() from None
    if not can(request.auth, capability, claim.org):  # type: ignore[attr-defined]
        raise NotFound()
    return claim


@router.get("/claims", auth=staff_auth, response=list[StaffClaimOut])
def claims(request: HttpRequest, status: str | None = None) -> list[dict[str, Any]]:
    """The review queue (no health details are audited here: the list shows what a queue needs;
    opening one claim is audited)."""
    qs = selectors.claims_visible(user=request.auth)  # type: ignore[attr-defined]
    if status:
        qs = qs.filter(status=status)
    return [_staff_out(c) for c in qs.order_by("submitted_at", "id")[:200]]


@router.get("/claims/{claim_id}", auth=staff_auth, response={200: StaffClaimOut, 404: Error})
def claim_detail(request: HttpRequest, claim_id: int) -> dict[str, Any]:
    claim = _visible(request, claim_id)
    services.claim_view_record(claim=claim, actor=request.auth, via="api", ip=client_ip(request))  # type: ignore[attr-defined]
    return _staff_out(claim)


@router.post("/claims/{claim_id}/check", auth=staff_auth, response={200: StaffClaimOut, **ERRORS})
def claim_check(request: HttpRequest, claim_id: int) -> dict[str, Any]:
    claim = _visible(request, claim_id, "mutualaid.review")
    return _staff_out(
        services.claim_check(claim=claim, actor=request.auth, ip=client_ip(request))  # type: ignore[attr-defined]
    )


@router.post("/claims/{claim_id}/approve", auth=staff_auth, response={200: StaffClaimOut, **ERRORS})
def claim_approve(request: HttpRequest, claim_id: int) -> dict[str, Any]:
    claim = _visible(request, claim_id, "mutualaid.review")
    return _staff_out(
        services.claim_approve(claim=claim, actor=request.auth, ip=client_ip(request))  # type: ignore[attr-defined]
    )


@router.post("/claims/{claim_id}/reject", auth=staff_auth, response={200: StaffClaimOut, **ERRORS})
def claim_reject(request: HttpRequest, claim_id: int, payload: RejectIn) -> dict[str, Any]:
    claim = _visible(request, claim_id, "mutualaid.review")
    return _staff_out(
        services.claim_reject(
            claim=claim,
            actor=request.auth,  # type: ignore[attr-defined]
            reason=payload.reason,
            text=payload.text,
            ip=client_ip(request),
        )
    )


@router.post("/claims/{claim_id}/pay", auth=staff_auth, response={200: StaffClaimOut, **ERRORS})
def claim_pay(request: HttpRequest, claim_id: int) -> dict[str, Any]:
    claim = _visible(request, claim_id, "mutualaid.pay")
    return _staff_out(
        services.claim_pay(claim=claim, actor=request.auth, ip=client_ip(request))  # type: ignore[attr-defined]
    )


@router.get("/figures", auth=staff_auth, response={200: FiguresOut, 404: Error})
def figures(request: HttpRequest, org_id: int, year: int) -> dict[str, Any]:
    """Insured person-times, reimbursements and the amount paid for an org's subtree."""
    try:
        user = request.auth  # type: ignore[attr-defined]
        org = get_in_scope_or_404(Org.objects.all(), user, "mutualaid.figures", "", pk=org_id)
    except Http404:
        raise NotFound() from None
    return {"org_id": org.pk, **selectors.figures(org=org, year=year)}
