"""Claims: submission (with documents), review state machine, payout through the ledger.

    submitted ──check──► checked ──approve──► approved ──pay──► paid
        │                   │
        └──────reject───────┴──► rejected (coded reason)

Every other transition is refused with a message. Approval locks the member's enrolment row
first and only then reads what was already paid this year, so concurrent approvals for one
member never pay past the yearly cap (lock order: enrolment, then claim)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import IO, Any

from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils.translation import gettext as _

from gonghui.core import uploads as private_files
from gonghui.core.actors import is_staff_actor
from gonghui.core.audit import audit_record
from gonghui.core.errors import Refused
from gonghui.core.sequences import sequence_take
from gonghui.core.timeutil import local_today, now
from gonghui.funds.models import AccountKind
from gonghui.funds.services import account_open, transaction_post
from gonghui.members.models import Member
from gonghui.members.services import service_event_record

from ..models import (
    DOCUMENT_FOLDER,
    MAX_DOCUMENTS,
    AidClaim,
    AidEnrolment,
    BenefitCategory,
    ClaimDocument,
    RejectReason,
)
from . import calculator

KIND_PAYOUT = "mutualaid.payout"
EVENT_PAID = "mutualaid.claim_paid"
MAX_CLAIM_FEN = 10**11  # one billion yuan: anything above is a typing error
S = AidClaim.Status


@dataclass(frozen=True)
class Upload:
    name: str
    stream: IO[bytes]
    size: int | None = None


def normalise_invoice_no(value: str) -> str:
    return "".join(str(value or "").split()).upper()


def status_label(status: str) -> str:
    return str(S(status).label) if status in S.values else status


def _duplicate(claim: AidClaim) -> Refused:
    return Refused(
        code="duplicate_invoice",
        message=_(
            "Invoice %(invoice)s has already been claimed in claim %(claim)s (status: %(status)s)."
        )
        % {
            "invoice": claim.invoice_no,
            "claim": claim.number,
            "status": status_label(claim.status),
        },
        field="invoice_no",
        status=409,
        data={"claim": claim.number, "claim_status": claim.status},
    )


def _live_claim_for_invoice(plan_id: int, invoice_no: str) -> AidClaim | None:
    return (
        AidClaim.objects.filter(plan_id=plan_id, invoice_no=invoice_no)
        .exclude(status=S.REJECTED)
        .order_by("pk")
        .first()
    )


def rule_of(category: BenefitCategory) -> calculator.Rule:
    return calculator.Rule(
        category=category.name,
        kind=category.kind,
        deductible_fen=category.deductible_fen,
        annual_cap_fen=category.annual_cap_fen,
        bands=tuple(
            calculator.Band(up_to_fen=b.up_to_fen, ratio_bp=b.ratio_bp)
            for b in category.bands.all()
        ),
    )


def paid_this_year(
    *, enrolment: AidEnrolment, category: BenefitCategory, exclude: int | None
) -> int:
    """What approved and paid claims of this enrolment in this category count against the cap."""
    qs = AidClaim.objects.filter(
        enrolment=enrolment, category=category, status__in=[S.APPROVED, S.PAID]
    )
    if exclude is not None:
        qs = qs.exclude(pk=exclude)
    return int(qs.aggregate(total=Sum("payout_fen"))["total"] or 0)


def claim_submit(
    *,
    member: Member,
    category: BenefitCategory,
    hospital: str,
    invoice_no: str,
    invoice_date: dt.date,
    amount_fen: int,
    uploads: list[Upload],
    actor: Any = None,
    ip: str | None = None,
) -> AidClaim:
    """A claim by the member (``actor`` None) or by union staff for the member (audited).

    Documents are checked before anything is written; a member must attach at least one."""
    plan = category.plan
    enrolment = (
        AidEnrolment.objects.filter(plan=plan, member=member, status=AidEnrolment.Status.ACTIVE)
        .select_related("plan")
        .first()
    )
    if enrolment is None:
        raise Refused(
            code="not_enrolled",
            message=_("%(member)s is not insured under %(plan)s.")
            % {"member": member, "plan": plan},
            field="category",
        )
    hospital = " ".join(str(hospital or "").split())
    if not hospital or len(hospital) > 120:
        raise Refused(
            code="invalid_hospital",
            message=_("Enter the hospital (at most 120 characters)."),
            field="hospital",
        )
    number_on_invoice = normalise_invoice_no(invoice_no)
    if not number_on_invoice or len(number_on_invoice) > 40:
        raise Refused(
            code="invalid_invoice_no",
            message=_("Enter the invoice number (at most 40 characters)."),
            field="invoice_no",
        )
    if not isinstance(amount_fen, int) or isinstance(amount_fen, bool) or amount_fen <= 0:
        raise Refused(
            code="invalid_amount",
            message=_("The eligible amount must be more than zero."),
            field="amount_fen",
        )
    if amount_fen > MAX_CLAIM_FEN:
        raise Refused(
            code="invalid_amount", message=_("The amount is too large."), field="amount_fen"
        )
    if invoice_date > local_today():
        raise Refused(
            code="invoice_in_future",
            message=_("The invoice date cannot be in the future."),
            field="invoice_date",
        )
    if invoice_date > enrolment.coverage_until or invoice_date.year != plan.year:
        raise Refused(
            code="not_covered",
            message=_("The invoice date %(date)s is outside the plan year %(year)s.")
            % {"date": invoice_date, "year": plan.year},
            field="invoice_date",
        )
    if invoice_date < enrolment.coverage_from:
        raise Refused(
            code="waiting_period",
            message=_(
                "The invoice date %(date)s is before coverage starts on %(start)s (waiting period)."
            )
            % {"date": invoice_date, "start": enrolment.coverage_from},
            field="invoice_date",
        )
    if len(uploads) > MAX_DOCUMENTS:
        raise Refused(
            code="too_many_documents",
            message=_("Attach at most %(n)d files.") % {"n": MAX_DOCUMENTS},
            field="documents",
        )
    if not uploads and not is_staff_actor(actor):
        raise Refused(
            code="documents_missing",
            message=_(
                "Attach the invoice and the discharge summary or diagnosis (PDF, JPG or PNG)."
            ),
            field="documents",
        )
    earlier = _live_claim_for_invoice(plan.pk, number_on_invoice)
    if earlier is not None:
        raise _duplicate(earlier)
    checked = [
        private_files.check_upload(name=u.name, stream=u.stream, size=u.size, field="documents")
        for u in uploads
    ]

    stored: list[str] = []
    try:
        with transaction.atomic():
            seq = sequence_take(name="mutualaid.claim")[0]
            claim = AidClaim.objects.create(
                number=f"MC{plan.year}{seq:07d}",
                plan=plan,
                enrolment=enrolment,
                member=member,
                org_id=member.org_id,
                category=category,
                hospital=hospital,
                invoice_no=number_on_invoice,
                invoice_date=invoice_date,
                amount_fen=amount_fen,
                submitted_at=now(),
                submitted_by=actor if is_staff_actor(actor) else None,
            )
            for upload in checked:
                name = private_files.store(upload, folder=DOCUMENT_FOLDER)
                stored.append(name)
                ClaimDocument.objects.create(
                    claim=claim,
                    original_name=upload.name,
                    stored_name=name,
                    content_type=upload.content_type,
                    size=upload.size,
                    sha256=upload.sha256,
                )
            if is_staff_actor(actor):
                audit_record(
                    actor=actor,
                    action="mutualaid.claim.create",
                    obj=claim,
                    org=claim.org,
                    data={"documents": len(checked), "amount_fen": amount_fen},
                    ip=ip,
                )
    except IntegrityError:
        private_files.remove_quietly(stored, folder=DOCUMENT_FOLDER)
        earlier = _live_claim_for_invoice(plan.pk, number_on_invoice)
        if earlier is not None:
            raise _duplicate(earlier) from None
        raise
    except BaseException:
        private_files.remove_quietly(stored, folder=DOCUMENT_FOLDER)
        raise
    return claim


# --- the state machine ------------------------------------------------------------------------

_ALLOWED: dict[str, set[str]] = {
    "check": {S.SUBMITTED},
    "approve": {S.CHECKED},
    "reject": {S.SUBMITTED, S.CHECKED},
    "pay": {S.APPROVED},
}


def _refuse_transition(action: str, status: str) -> Refused:
    messages = {
        "check": _("Only a submitted claim can be checked; this claim is %(status)s."),
        "approve": _("Only a checked claim can be approved; this claim is %(status)s."),
        "reject": _("Only a submitted or checked claim can be rejected; this claim is %(status)s."),
        "pay": _("Only an approved claim can be paid; this claim is %(status)s."),
    }
    return Refused(
        code="illegal_transition",
        message=messages[action] % {"status": status_label(status)},
        field="status",
        status=409,
        data={"action": action, "status": status},
    )


def _locked(claim: AidClaim, action: str) -> AidClaim:
    locked = (
        AidClaim.objects.select_for_update(of=("self",))
        .select_related("plan__org", "category", "member", "org", "enrolment")
        .get(pk=claim.pk)
    )
    if locked.status not in _ALLOWED[action]:
        raise _refuse_transition(action, locked.status)
    return locked


def _audit(actor: Any, action: str, claim: AidClaim, ip: str | None, **data: Any) -> None:
    audit_record(
        actor=actor,
        action=f"mutualaid.claim.{action}",
        obj=claim,
        org=claim.org,
        data={"status": claim.status, **data},
        ip=ip,
    )


@transaction.atomic
def claim_check(*, claim: AidClaim, actor: Any, ip: str | None = None) -> AidClaim:
    """The reviewer has looked at the invoice and documents: ready for a decision."""
    locked = _locked(claim, "check")
    if not locked.documents.exists():
        raise Refused(
            code="documents_missing",
            message=_(
                "This claim has no documents; reject it with the reason 'documents missing'."
            ),
            field="documents",
            status=409,
        )
    locked.status = S.CHECKED
    locked.checked_at = now()
    locked.save(update_fields=["status", "checked_at"])
    _audit(actor, "check", locked, ip)
    return locked


@transaction.atomic
def claim_approve(*, claim: AidClaim, actor: Any, ip: str | None = None) -> AidClaim:
    """Decide the payout with the calculator, under a lock on the member's enrolment."""
    # Lock order: the enrolment (the member's cap), then the claim.
    enrolment = AidEnrolment.objects.select_for_update().get(pk=claim.enrolment_id)
    locked = _locked(claim, "approve")
    category = BenefitCategory.objects.prefetch_related("bands").get(pk=locked.category_id)
    already = paid_this_year(enrolment=enrolment, category=category, exclude=locked.pk)
    result = calculator.calculate(
        rule=rule_of(category),
        bill_fen=locked.amount_fen,
        paid_this_year_fen=already,
        shares=enrolment.shares,
    )
    if result.payout_fen <= 0:
        reason = RejectReason.OVER_CAP if result.by_bands_fen > 0 else RejectReason.NOT_COVERED
        raise Refused(
            code="nothing_to_pay",
            message=_(
                "The calculator pays nothing for this claim; reject it with the reason '%(reason)s'."
            )
            % {"reason": reason.label},
            status=409,
            data={"explanation": calculator.explain(result.lines)},
        )
    locked.status = S.APPROVED
    locked.payout_fen = result.payout_fen
    locked.explanation = result.explanation()
    locked.decided_at = now()
    locked.save(update_fields=["status", "payout_fen", "explanation", "decided_at"])
    _audit(actor, "approve", locked, ip, payout_fen=result.payout_fen, paid_before_fen=already)
    return locked


@transaction.atomic
def claim_reject(
    *, claim: AidClaim, actor: Any, reason: str, text: str = "", ip: str | None = None
) -> AidClaim:
    if reason not in RejectReason.values:
        raise Refused(code="invalid_reason", message=_("Choose a reason."), field="reason")
    text = " ".join(str(text or "").split())
    if reason == RejectReason.OTHER and not text:
        raise Refused(
            code="reason_text_required",
            message=_("Explain the reason in a few words."),
            field="text",
        )
    if len(text) > 300:
        raise Refused(
            code="reason_text_too_long", message=_("At most 300 characters."), field="text"
        )
    locked = _locked(claim, "reject")
    locked.status = S.REJECTED
    locked.reject_reason = reason
    locked.reject_text = text
    locked.decided_at = now()
    locked.save(update_fields=["status", "reject_reason", "reject_text", "decided_at"])
    _audit(actor, "reject", locked, ip, reason=reason)
    return locked


@transaction.atomic
def claim_pay(*, claim: AidClaim, actor: Any, ip: str | None = None) -> AidClaim:
    """Pay the approved amount: mutual-aid fund → payouts clearing (to the member's bank)."""
    locked = _locked(claim, "pay")
    payout = int(locked.payout_fen or 0)
    plan_org = locked.plan.org
    fund = account_open(org=plan_org, kind=AccountKind.MUTUAL_AID)
    clearing = account_open(
        org=plan_org,
        kind=AccountKind.CLEARING,
        party=("mutualaid.payouts", str(locked.plan_id)),
        name=_("Mutual-aid payouts to members: %(plan)s") % {"plan": locked.plan},
    )
    txn = transaction_post(
        org=plan_org,
        kind=KIND_PAYOUT,
        entries=[(fund, payout), (clearing, -payout)],
        memo=_("Claim %(number)s") % {"number": locked.number},
        source=("mutualaid.claim", locked.pk),
        actor=actor,
    )
    locked.status = S.PAID
    locked.paid_at = now()
    locked.ledger_transaction_id = txn.pk
    locked.save(update_fields=["status", "paid_at", "ledger_transaction_id"])
    service_event_record(
        member=locked.member, kind=EVENT_PAID, source=locked, amount_fen=payout, org=locked.org
    )
    _audit(actor, "pay", locked, ip, payout_fen=payout, transaction=txn.pk)
    return locked


# --- openings (audited reads) -----------------------------------------------------------------


@transaction.atomic
def claim_view_record(*, claim: AidClaim, actor: Any, via: str, ip: str | None = None) -> None:
    """Every opening of a claim by staff (console or API) is audited."""
    audit_record(
        actor=actor,
        action="mutualaid.claim.view",
        obj=claim,
        org=claim.org,
        data={"via": via},
        ip=ip,
    )


@transaction.atomic
def document_open_record(
    *, document: ClaimDocument, actor: Any, via: str, ip: str | None = None
) -> None:
    audit_record(
        actor=actor,
        action="mutualaid.document.open",
        obj=document,
        org=document.claim.org,
        data={"via": via, "claim": document.claim_id},
        ip=ip,
    )
