"""Writes on members. Keyword-only, typed, one transaction each; ``Refused`` on bad input."""

from __future__ import annotations

import datetime as dt
import logging
import unicodedata
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from gonghui.core import sms
from gonghui.core.actors import is_staff_actor
from gonghui.core.audit import audit_record
from gonghui.core.db import insert_or_skip
from gonghui.core.errors import Refused
from gonghui.core.identifiers import luhn_check_digit, mask_phone
from gonghui.core.sequences import sequence_take
from gonghui.core.timeutil import local_today, now
from gonghui.orgs.models import Enterprise, Org

from . import pii, servicekinds
from .activity import Via, activity_note_on_commit
from .models import (
    ADDRESS_MAX_LENGTH,
    EmploymentType,
    Member,
    MemberHistory,
    OtpChallenge,
    ServiceEvent,
)
from .otp import clean_phone, otp_verify

log = logging.getLogger("gonghui.members")

MEMBER_NO_SEQUENCE = "member_no"


def member_numbers(count: int) -> list[str]:
    """``count`` fresh member numbers: a 10-digit serial and a Luhn check digit (11 digits)."""
    return [
        f"{n:010d}" + luhn_check_digit(f"{n:010d}")
        for n in sequence_take(name=MEMBER_NO_SEQUENCE, count=count)
    ]


def member_create(
    *,
    name: str,
    id_number: str,
    phone: str,
    birth_date: dt.date,
    gender: str,
    org: Org,
    enterprise: Enterprise | None = None,
    employment_type: str = EmploymentType.EMPLOYEE,
    gig_trade: str = "",
    is_frontline: bool = False,
    joined_on: dt.date | None = None,
    skills: list[str] | None = None,
    actor: Any = None,
) -> Member:
    """Create a member from already-validated, normalised values; refuses duplicates."""
    if not org.accepts_members:
        raise Refused(
            code="org_not_grassroots",
            message=_("Members can only join a grassroots union or an industry federation."),
            field="org",
        )
    sealed = pii.seal(id_number=id_number, phone=phone)
    try:
        with transaction.atomic():
            member = Member.objects.create(
                member_no=member_numbers(1)[0],
                name=name,
                gender=gender,
                birth_date=birth_date,  # type: ignore[misc]  # a property (sealed); Django accepts it
                org=org,
                enterprise=enterprise,
                employment_type=employment_type,
                gig_trade=gig_trade if employment_type == EmploymentType.GIG else "",
                is_frontline=is_frontline,
                joined_on=joined_on or local_today(),
                skills=skills or [],
                **sealed.as_fields(),
            )
            MemberHistory.objects.create(
                member=member,
                kind=MemberHistory.Kind.JOINED,
                to_status=member.status,
                to_org=org,
                actor=actor if is_staff_actor(actor) else None,
            )
            if is_staff_actor(actor):
                audit_record(actor=actor, action="members.member.create", obj=member, org=org)
    except IntegrityError:
        holder = (
            Member.objects.filter(id_number_index=sealed.id_number_index)
            .select_related("org")
            .first()
        )
        if holder is not None:
            raise Refused(
                code="id_number_taken",
                message=_("This ID number is already a member of %(org)s.")
                % {"org": holder.org.name},
                field="id_number",
                status=409,
            ) from None
        raise Refused(
            code="phone_taken",
            message=_("This phone number is used by another member."),
            field="phone",
            status=409,
        ) from None
    return member


def member_reveal(*, member: Member, field: str, actor: Any, ip: str | None = None) -> str:
    """Return the full ID number or phone and audit the reveal (caller checks ``members.reveal``)."""
    if field not in ("id_number", "phone"):
        raise Refused(
            code="bad_field",
            message=_("Only the ID number or the phone can be revealed."),
            field="field",
        )
    with transaction.atomic():
        value = pii.open_id_number(member) if field == "id_number" else pii.open_phone(member)
        audit_record(
            actor=actor,
            action=f"members.member.reveal_{field}",
            obj=member,
            org=member.org,
            ip=ip,
            data={"field": field},
        )
    return value


def service_event_record(
    *,
    member: Member,
    kind: str,
    source: Any,
    amount_fen: int = 0,
    org: Org | None = None,
    occurred_at: dt.datetime | None = None,
) -> ServiceEvent:
    """Append one ServiceEvent for a served instance; a repeat for the same source counts once.

    Call inside the transaction that records the service itself. ``kind`` must be registered
    (``members.servicekinds``) and ``amount_fen`` must fit its rule; otherwise ``LookupError`` /
    ``ValueError`` (a programming error: no statement is run). A cancellation is written with
    :func:`service_event_compensate`."""
    servicekinds.amount_check(kind, amount_fen)
    event = ServiceEvent(
        member=member,
        org=org or member.org,
        kind=kind,
        amount_fen=amount_fen,
        source_type=source._meta.label_lower,
        source_id=str(source.pk),
        occurred_at=occurred_at or now(),
    )
    if insert_or_skip(event):
        # 日活/月活: once this transaction commits, outside any lock it holds
        activity_note_on_commit(
            member_id=member.pk, org_id=event.org_id, via=Via.SERVICE, at=event.occurred_at
        )
        return event
    return ServiceEvent.objects.get(
        kind=kind, source_type=event.source_type, source_id=event.source_id
    )


def service_events_record_many(
    *, kind: str, items: list[tuple[Member, Any]], org: Org | None = None, at: dt.datetime
) -> int:
    """Append one ServiceEvent of ``kind`` per (member, source) in one statement (a batch, e.g.
    a roster enrolled at once); repeats are skipped. Returns how many rows were offered."""
    servicekinds.amount_check(kind, 0)
    events = [
        ServiceEvent(
            member=member,
            org_id=org.pk if org is not None else member.org_id,
            kind=kind,
            amount_fen=0,
            source_type=source._meta.label_lower,
            source_id=str(source.pk),
            occurred_at=at,
        )
        for member, source in items
    ]
    ServiceEvent.objects.bulk_create(events, ignore_conflicts=True, batch_size=1000)
    return len(events)


def service_event_compensate(
    *, kind: str, source: Any, occurred_at: dt.datetime | None = None
) -> ServiceEvent | None:
    """Append the compensating event ``kind`` for the event it cancels on ``source``.

    ``kind`` is registered with ``compensates=`` the original kind. The compensation carries the
    original's member and org and the negative of its amount, so that figures net out wherever
    the original was counted. None when no original was written (nothing to cancel: e.g. a
    waitlisted registration). Call inside the transaction of the cancellation."""
    rule = servicekinds.spec(kind)
    if rule.compensates is None:
        raise ValueError(f"{kind} is not a compensating kind")
    source_type, source_id = source._meta.label_lower, str(source.pk)
    original = ServiceEvent.objects.filter(
        kind=rule.compensates, source_type=source_type, source_id=source_id
    ).first()
    if original is None:
        return None
    event = ServiceEvent(
        member_id=original.member_id,
        org_id=original.org_id,
        kind=kind,
        amount_fen=-original.amount_fen,
        source_type=source_type,
        source_id=source_id,
        occurred_at=occurred_at or now(),
    )
    if insert_or_skip(event):
        return event
    return ServiceEvent.objects.get(kind=kind, source_type=source_type, source_id=source_id)


# --- the member's own profile ------------------------------------------------------------------
def _phone_taken() -> Refused:
    return Refused(
        code="phone_taken",
        message=_("This phone number is used by another member."),
        field="phone",
        status=409,
    )


def member_phone_change_check(*, member: Member, phone: str) -> str:
    """Normalise ``phone`` and refuse it before any code is sent: the member's own number, or one
    another member uses. Returns the normalised phone."""
    new_phone = clean_phone(phone)
    index = pii.phone_index(new_phone)
    if index == member.phone_index:
        raise Refused(
            code="phone_same",
            message=_("This is already your phone number."),
            field="phone",
        )
    if Member.objects.filter(phone_index=index).exclude(pk=member.pk).exists():
        raise _phone_taken()
    return new_phone


def _phone_changed_notice(*, old_phone: str, new_phone: str, org_id: int | None) -> None:
    """SMS to the old number once the change has committed; never raises."""
    params = {"sender": settings.GONGHUI_DEPLOYMENT_NAME, "phone": mask_phone(new_phone)}
    message = (
        _(
            "[%(sender)s] The mobile number of your union membership was changed to %(phone)s. "
            "If you did not do this, contact your union at once."
        )
        % params
    )
    try:
        sms.sms_send(
            phone=old_phone,
            template="members.phone_changed",
            params={"phone": params["phone"]},
            message=message,
            org_id=org_id,
        )
    except Exception:
        log.exception("SMS notice of a phone change could not be sent")


def member_phone_change(*, member: Member, phone: str, code: str, ip: str | None = None) -> Member:
    """The signed-in ``member`` moves to the mobile ``phone``, proved by the SMS ``code`` sent to
    it (purpose ``phone_change``). The new phone is sealed like the old one (ciphertext and blind
    index); the old number gets a notice after commit.

    Refuses: the phone's own codes (``otp_verify``), ``phone_same``, ``phone_taken`` (409),
    ``member_inactive``. The code is checked before the transaction (``otp_verify`` counts its
    failed attempts and must not be rolled back); call this outside any outer atomic block."""
    new_phone = member_phone_change_check(member=member, phone=phone)
    otp_verify(phone=new_phone, purpose=OtpChallenge.Purpose.PHONE_CHANGE, code=code)
    sealed = pii.seal_phone(new_phone)
    try:
        with transaction.atomic():
            locked = Member.objects.select_for_update().get(pk=member.pk)
            if locked.status != Member.Status.ACTIVE:
                raise Refused(
                    code="member_inactive",
                    message=_("Only an active member can change their phone."),
                    status=409,
                )
            old_phone = pii.open_phone(locked)
            locked.phone_cipher = sealed.phone_cipher
            locked.phone_index = sealed.phone_index
            locked.save(update_fields=["phone_cipher", "phone_index", "updated_at"])
            audit_record(
                actor=f"member:{locked.pk}",
                action="members.member.phone_change",
                obj=locked,
                org=locked.org_id,
                ip=ip,
            )
            transaction.on_commit(
                lambda: _phone_changed_notice(
                    old_phone=old_phone, new_phone=new_phone, org_id=member.org_id
                )
            )
    except IntegrityError:  # another member took the number since the check
        raise _phone_taken() from None
    member.phone_cipher = locked.phone_cipher
    member.phone_index = locked.phone_index
    member.updated_at = locked.updated_at
    return member


def member_address_set(*, member: Member, address: str) -> Member:
    """The signed-in ``member`` sets (or clears, with "") their home address: free text, NFKC
    and whitespace normalised, at most ``ADDRESS_MAX_LENGTH`` characters, sealed at rest."""
    if not isinstance(address, str):
        raise Refused(code="address_invalid", message=_("Enter an address."), field="address")
    text = " ".join(unicodedata.normalize("NFKC", address).split())
    if len(text) > ADDRESS_MAX_LENGTH:
        raise Refused(
            code="address_too_long",
            message=_("An address has at most %(max)d characters.") % {"max": ADDRESS_MAX_LENGTH},
            field="address",
        )
    if any(unicodedata.category(c) in ("Cc", "Cf") for c in text):
        raise Refused(
            code="address_invalid",
            message=_("The address contains characters that cannot be used."),
            field="address",
        )
    with transaction.atomic():
        updated = Member.objects.filter(pk=member.pk, status=Member.Status.ACTIVE).update(
            address=text, updated_at=now()
        )
        if updated != 1:
            raise Refused(
                code="member_inactive",
                message=_("Only an active member can change their address."),
                status=409,
            )
        audit_record(
            actor=f"member:{member.pk}",
            action="members.member.address_set",
            obj=member,
            org=member.org_id,
        )
    member.address = text
    return member
