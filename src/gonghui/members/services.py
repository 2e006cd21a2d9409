"""Writes on members. Keyword-only, typed, one transaction each; ``Refused`` on bad input."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from gonghui.core.actors import is_staff_actor
from gonghui.core.audit import audit_record
from gonghui.core.db import insert_or_skip
from gonghui.core.errors import Refused
from gonghui.core.identifiers import luhn_check_digit
from gonghui.core.sequences import sequence_take
from gonghui.core.timeutil import local_today, now
from gonghui.orgs.models import Enterprise, Org

from . import pii
from .activity import Via, activity_note_on_commit
from .models import EmploymentType, Member, MemberHistory, ServiceEvent

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

    Call inside the transaction that records the service itself."""
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
