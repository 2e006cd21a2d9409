"""Enrolment (入会) and transfers between unions: submit, review, approve or reject.

Every write is keyword-only and runs in one transaction; a refusal raises ``Refused`` with the
field it concerns and changes nothing. Staff decisions are checked against the reviewer's
capability ``members.review`` at the union concerned (outside it: 404) and audited in the same
transaction. Notices go out by SMS after the transaction has committed; a failed notice is
logged, never undoes the decision.
"""

from __future__ import annotations

import logging
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from gonghui.core import sms, throttle
from gonghui.core.audit import audit_record
from gonghui.core.errors import NotFound, Refused
from gonghui.core.identifiers import InvalidIdentifier, parse_id_number
from gonghui.core.timeutil import local_today, now
from gonghui.orgs.models import Enterprise, Org
from gonghui.orgs.scoping import can

from . import pii
from .models import EmploymentType, Enrolment, GigTrade, Member
from .otp import clean_phone
from .privacy import PRIVACY_NOTICE_VERSION
from .services import member_create, service_event_record

log = logging.getLogger("gonghui.members.enrolment")

REVIEW_CAPABILITY = "members.review"
NAME_MIN, NAME_MAX = 2, 30
REASON_MIN, REASON_MAX = 2, 200


# --- messages ---------------------------------------------------------------------------------
def id_number_error_message(code: str) -> str:
    """The translated message for an ID-number ``InvalidIdentifier`` code."""
    messages = {
        "id_length": _("An ID number has 18 characters."),
        "id_chars": _("An ID number is 17 digits followed by a digit or X."),
        "id_region": _("An ID number cannot start with 0."),
        "id_birth_date": _("The birth date in the ID number is not a real, past date."),
        "id_check": _("The check character of the ID number is wrong. Please check the number."),
    }
    return messages.get(code, _("This is not a valid ID number."))


def clean_id_number(id_number: str, *, field: str = "id_number") -> Any:
    """Parse an ID number (GB 11643) or raise ``Refused(field=field)``; returns ``IdNumber``."""
    if not isinstance(id_number, str) or not id_number.strip():
        raise Refused(code="id_required", message=_("Enter your ID number."), field=field)
    try:
        return parse_id_number(id_number, today=local_today())
    except InvalidIdentifier as exc:
        raise Refused(
            code=exc.code, message=id_number_error_message(exc.code), field=field
        ) from None


def clean_name(name: str) -> str:
    value = " ".join((name or "").split())
    if not value:
        raise Refused(code="name_required", message=_("Enter your name."), field="name")
    if not NAME_MIN <= len(value) <= NAME_MAX:
        raise Refused(
            code="name_length",
            message=_("A name has %(min)d to %(max)d characters.")
            % {"min": NAME_MIN, "max": NAME_MAX},
            field="name",
        )
    if any(c.isdigit() for c in value):
        raise Refused(code="name_digits", message=_("A name cannot contain digits."), field="name")
    return value


def clean_reason(reason: str) -> str:
    value = (reason or "").strip()
    if not REASON_MIN <= len(value) <= REASON_MAX:
        raise Refused(
            code="reason_required",
            message=_("Give a reason of %(min)d to %(max)d characters.")
            % {"min": REASON_MIN, "max": REASON_MAX},
            field="reason",
        )
    return value


def _check_org(org: Org | None, *, field: str = "org") -> Org:
    if org is None:
        raise Refused(code="org_required", message=_("Choose a union."), field=field)
    if not org.is_active or not org.accepts_members:
        raise Refused(
            code="org_not_accepting",
            message=_(
                "%(org)s does not take members directly. Choose a grassroots union or an "
                "industry federation."
            )
            % {"org": org.name},
            field=field,
        )
    return org


def _check_enterprise(
    enterprise: Enterprise | None, org: Org, *, field: str = "enterprise"
) -> None:
    if enterprise is None:
        return
    union = Org.objects.filter(pk=enterprise.union_id).only("path").first()
    if union is None or not union.path.startswith(org.path):
        raise Refused(
            code="enterprise_not_in_union",
            message=_("%(enterprise)s is not covered by %(org)s. Choose its own union.")
            % {"enterprise": enterprise.name, "org": org.name},
            field=field,
        )


def _check_reviewer(actor: Any, org: Org) -> None:
    if not can(actor, REVIEW_CAPABILITY, org):
        raise NotFound(message=_("Not found."))


def _notify(
    phone_source: Any,
    message: str,
    *,
    template: str,
    params: dict[str, Any],
    org_id: int | None,
    check_limits: bool = True,
) -> None:
    """Send an SMS notice to the phone sealed in ``phone_source``; never raises.

    Called right after the service's own transaction block has committed (not through
    ``on_commit``, so that a caller's test transaction does not swallow it): call these services
    outside any outer ``transaction.atomic``."""
    try:
        sms.sms_send(
            phone=pii.open_phone(phone_source),
            template=template,
            params={k: str(v) for k, v in params.items()},
            message=message,
            org_id=org_id,
            check_limits=check_limits,
        )
    except Exception:
        log.exception("SMS notice could not be sent")


def _sender() -> str:
    from django.conf import settings

    return str(settings.GONGHUI_DEPLOYMENT_NAME)


# --- enrolment --------------------------------------------------------------------------------
def enrolment_submit(
    *,
    verified_phone: str,
    name: str,
    id_number: str,
    org: Org,
    enterprise: Enterprise | None = None,
    employer_name: str = "",
    employment_type: str,
    gig_trade: str = "",
    consent_version: str,
    ip: str | None = None,
) -> Enrolment:
    """File a request to join ``org``. ``verified_phone`` must have been proved by an SMS code;
    ``consent_version`` is the version of the privacy notice the applicant agreed to, which must
    be the current one (``members.privacy``)."""
    name = clean_name(name)
    parsed = clean_id_number(id_number)
    phone = clean_phone(verified_phone)
    org = _check_org(org)
    if employment_type not in EmploymentType.values:
        raise Refused(
            code="employment_type_invalid",
            message=_("Choose an employment type."),
            field="employment_type",
        )
    gig_trade = (gig_trade or "").strip()
    if employment_type == EmploymentType.GIG:
        if not gig_trade or gig_trade not in GigTrade.values:
            raise Refused(
                code="gig_trade_required",
                message=_("Gig workers choose their trade (rider, courier, driver…)."),
                field="gig_trade",
            )
    elif gig_trade:
        raise Refused(
            code="gig_trade_not_applicable",
            message=_("A trade is chosen only by gig workers."),
            field="gig_trade",
        )
    _check_enterprise(enterprise, org)
    employer_name = " ".join((employer_name or "").split())
    if len(employer_name) > 120:
        raise Refused(
            code="employer_name_length",
            message=_("An employer name has at most 120 characters."),
            field="employer_name",
        )

    # Consent after the checks of what was typed (their errors come first) and before any
    # lookup: nothing is compared with the register without it.
    if consent_version != PRIVACY_NOTICE_VERSION:
        raise Refused(
            code="consent_required",
            message=_(
                "Please read the privacy notice and agree to the processing of your ID number "
                "and phone number."
            ),
            field="consent",
        )
    sealed = pii.seal(id_number=parsed.number, phone=phone)
    _limit_submissions(phone_index=sealed.phone_index, ip=ip)
    _refuse_if_unavailable(id_index=sealed.id_number_index, phone_index=sealed.phone_index)
    try:
        with transaction.atomic():
            enrolment = Enrolment.objects.create(
                org=org,
                name=name,
                enterprise=enterprise,
                employer_name=employer_name if enterprise is None else "",
                employment_type=employment_type,
                gig_trade=gig_trade,
                consent_version=consent_version,
                consent_at=now(),
                **sealed.as_fields(),
            )
    except IntegrityError:
        if _pending_refusal(sealed.id_number_index) is not None:
            raise _id_number_unavailable() from None
        raise
    _notify(
        enrolment,
        _(
            "[%(sender)s] We have received your application to join %(org)s. The union will review it."
        )
        % {"sender": _sender(), "org": org.name},
        template="members.enrolment_received",
        params={"org": org.name},
        org_id=org.pk,
        # One receipt per application, and applications are limited per proved phone and per IP
        # above (enrolment_limits, core.throttle): not counted twice.
        check_limits=False,
    )
    return enrolment


def enrolment_limits() -> tuple[throttle.Rule, throttle.Rule]:
    """Applications per proved phone and per IP (settings), counted in the database."""
    from django.conf import settings

    return (
        throttle.Rule("members.enrol.phone", int(settings.GONGHUI_ENROL_MAX_PER_PHONE), 3600),
        throttle.Rule("members.enrol.ip", int(settings.GONGHUI_ENROL_MAX_PER_IP), 3600),
    )


def _limit_submissions(*, phone_index: str, ip: str | None) -> None:
    """Every well-formed application counts, accepted or refused: one proved phone cannot test
    ID number after ID number."""
    per_phone, per_ip = enrolment_limits()
    rules = [(per_phone, phone_index)] + ([(per_ip, ip)] if ip else [])
    refusal = throttle.take(rules, durable=True)
    if refusal is not None:
        wait = refusal.retry_after
        raise Refused(
            code="rate_limited",
            message=_("Too many applications. Please try again in %(minutes)d minutes.")
            % {"minutes": max(1, -(-wait // 60))},
            status=429,
            data={"retry_after": wait},
        )


def _id_number_unavailable() -> Refused:
    """The one answer for an ID number that a member holds (now or before) or that waits in
    another application: it names no union and says nothing of which case it is, so the
    enrolment form cannot be used to find out who is a member where. The holder signs in with
    their own phone to see their membership (and ask for a transfer)."""
    return Refused(
        code="id_number_taken",
        message=_(
            "This ID number cannot be used for a new application: it already has a membership "
            "or an application. If it is yours, sign in with the mobile number you registered, "
            "or ask your union for help."
        ),
        field="id_number",
        status=409,
    )


def _refuse_if_unavailable(*, id_index: str, phone_index: str) -> None:
    """The applicant's refusal: the phone first (it was proved by the applicant, so telling them
    is no leak), then the ID number, without saying whose."""
    if Member.objects.filter(phone_index=phone_index).exists():
        raise Refused(
            code="phone_taken",
            message=_("This mobile number is already used by another member."),
            field="phone",
            status=409,
        )
    if (
        Member.objects.filter(id_number_index=id_index).exists()
        or _pending_refusal(id_index) is not None
    ):
        raise _id_number_unavailable()


def _refuse_if_member(*, id_index: str, phone_index: str, actor: Any) -> None:
    """A reviewer's refusal at approval, when a member already holds this ID number or phone.

    The holder's union is named only when it lies in the reviewer's scope (``members.view``
    there, ``orgs.scoping``); otherwise the refusal is generic, so that approval cannot be used
    to find out who is a member of a union the reviewer may not see."""
    holder = Member.objects.filter(id_number_index=id_index).select_related("org").first()
    if holder is not None and not can(actor, "members.view", holder.org):
        raise Refused(
            code="id_number_taken",
            message=_(
                "This ID number already belongs to a member of another union. The applicant "
                "can ask that union for a transfer."
            ),
            field="id_number",
            status=409,
            data={},
        )
    if holder is not None:
        active = holder.status == Member.Status.ACTIVE
        raise Refused(
            code="id_number_taken",
            message=(
                _("This ID number already belongs to a member of %(org)s. You can ask to transfer.")
                if active
                else _("This ID number was registered with %(org)s. Please contact that union.")
            )
            % {"org": holder.org.name},
            field="id_number",
            status=409,
            data={"holder_org": holder.org.name, "transfer_possible": active},
        )
    if Member.objects.filter(phone_index=phone_index).exists():
        raise Refused(
            code="phone_taken",
            message=_("This mobile number is already used by another member."),
            field="phone",
            status=409,
        )


def _pending_refusal(id_index: str) -> Refused | None:
    existing = (
        Enrolment.objects.filter(id_number_index=id_index, status=Enrolment.Status.SUBMITTED)
        .select_related("org")
        .first()
    )
    if existing is None:
        return None
    return Refused(
        code="enrolment_pending",
        message=_("An application with this ID number is already waiting for review by %(org)s.")
        % {"org": existing.org.name},
        field="id_number",
        status=409,
        data={"pending_org": existing.org.name},
    )


def _locked_enrolment(enrolment: Enrolment) -> Enrolment:
    locked = Enrolment.objects.select_for_update().select_related("org").get(pk=enrolment.pk)
    if locked.status != Enrolment.Status.SUBMITTED:
        raise Refused(
            code="enrolment_not_pending",
            message=_("This application has already been decided (%(status)s).")
            % {"status": locked.get_status_display()},
            status=409,
        )
    return locked


def _copy_state(target: Any, source: Any, fields: list[str]) -> None:
    for f in fields:
        setattr(target, f, getattr(source, f))


def enrolment_approve(*, enrolment: Enrolment, actor: Any, ip: str | None = None) -> Member:
    """Approve a pending application: the member is created with a fresh member number."""
    _check_reviewer(actor, enrolment.org)
    with transaction.atomic():
        locked = _locked_enrolment(enrolment)
        _check_reviewer(actor, locked.org)
        _refuse_if_member(
            id_index=locked.id_number_index, phone_index=locked.phone_index, actor=actor
        )
        id_number = pii.open_id_number(locked)
        parsed = parse_id_number(id_number, today=local_today())
        member = member_create(
            name=locked.name,
            id_number=parsed.number,
            phone=pii.open_phone(locked),
            birth_date=parsed.birth_date,
            gender=parsed.gender,
            org=locked.org,
            enterprise=locked.enterprise,
            employment_type=locked.employment_type,
            gig_trade=locked.gig_trade,
            actor=actor,
        )
        locked.status = Enrolment.Status.APPROVED
        locked.reviewed_by = actor
        locked.reviewed_at = now()
        locked.member = member
        locked.save(update_fields=["status", "reviewed_by", "reviewed_at", "member"])
        service_event_record(
            member=member, kind="members.enrolment", source=locked, occurred_at=locked.reviewed_at
        )
        audit_record(
            actor=actor,
            action="members.enrolment.approve",
            obj=locked,
            org=locked.org,
            data={"member_id": member.pk, "member_no": member.member_no},
            ip=ip,
        )
    _notify(
        locked,
        _(
            "[%(sender)s] Welcome! Your application to join %(org)s was approved. "
            "Your member number is %(member_no)s."
        )
        % {"sender": _sender(), "org": locked.org.name, "member_no": member.member_no},
        template="members.enrolment_approved",
        params={"org": locked.org.name, "member_no": member.member_no},
        org_id=locked.org_id,
    )
    _copy_state(enrolment, locked, ["status", "reviewed_by", "reviewed_at", "member"])
    return member


def enrolment_reject(
    *, enrolment: Enrolment, actor: Any, reason: str, ip: str | None = None
) -> Enrolment:
    """Reject a pending application with a reason (2–200 characters), told to the applicant."""
    _check_reviewer(actor, enrolment.org)
    reason = clean_reason(reason)
    with transaction.atomic():
        locked = _locked_enrolment(enrolment)
        _check_reviewer(actor, locked.org)
        locked.status = Enrolment.Status.REJECTED
        locked.reject_reason = reason
        locked.reviewed_by = actor
        locked.reviewed_at = now()
        locked.save(update_fields=["status", "reject_reason", "reviewed_by", "reviewed_at"])
        audit_record(
            actor=actor,
            action="members.enrolment.reject",
            obj=locked,
            org=locked.org,
            data={"reason": reason},
            ip=ip,
        )
    _notify(
        locked,
        _("[%(sender)s] Your application to join %(org)s was not approved. Reason: %(reason)s")
        % {"sender": _sender(), "org": locked.org.name, "reason": reason},
        template="members.enrolment_rejected",
        params={"org": locked.org.name, "reason": reason},
        org_id=locked.org_id,
    )
    _copy_state(enrolment, locked, ["status", "reject_reason", "reviewed_by", "reviewed_at"])
    return enrolment
