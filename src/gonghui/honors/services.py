"""Writes of the honours app: honorees, volunteer teams, volunteer services and who served.

Each member who serves at a volunteer service gets one ServiceEvent
("honors.volunteer_service"); staff writes are audited in the same transaction."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from gonghui.core.audit import audit_record
from gonghui.core.errors import Refused
from gonghui.members.models import Member
from gonghui.members.services import service_event_record
from gonghui.orgs.models import Enterprise, Org

from .models import (
    Honoree,
    HonourLevel,
    HonourTitle,
    VolunteerParticipation,
    VolunteerService,
    VolunteerTeam,
)

MAX_HOURS = Decimal("24")


def _hours(value: Any, field: str = "hours") -> Decimal:
    try:
        hours = Decimal(str(value)).quantize(Decimal("0.1"))
    except ArithmeticError:
        raise Refused(code="hours", message=_("Hours must be a number."), field=field) from None
    if not (Decimal(0) < hours <= MAX_HOURS):
        raise Refused(
            code="hours", message=_("Hours must be more than 0 and at most 24."), field=field
        )
    return hours


@transaction.atomic
def honoree_create(
    *,
    actor: Any,
    org: Org,
    name: str,
    level: str,
    title: str,
    year: int,
    field: str = "",
    member: Member | None = None,
    title_detail: str = "",
    employer_name: str = "",
    ip: str | None = None,
) -> Honoree:
    if level not in HonourLevel.values:
        raise Refused(code="level", message=_("Unknown honour level."), field="level")
    if title not in HonourTitle.values:
        raise Refused(code="title", message=_("Unknown honour."), field="title")
    if not (1950 <= year <= 2100):
        raise Refused(code="year", message=_("The year is out of range."), field="year")
    name = (name or (member.name if member else "")).strip()
    if not name:
        raise Refused(code="name", message=_("An honoree needs a name."), field="name")
    honoree = Honoree.objects.create(
        org=org,
        member=member,
        name=name,
        level=level,
        title=title,
        title_detail=title_detail,
        year=year,
        field=field,
        employer_name=employer_name,
    )
    if actor is not None:
        audit_record(
            actor=actor,
            action="honors.honoree.create",
            obj=honoree,
            org=org,
            data={"level": level, "title": title, "year": year, "member": bool(member)},
            ip=ip,
        )
    return honoree


@transaction.atomic
def team_create(
    *, actor: Any, org: Org, name: str, leader: Honoree | None = None, ip: str | None = None
) -> VolunteerTeam:
    team = VolunteerTeam.objects.create(org=org, name=name.strip(), leader=leader)
    if actor is not None:
        audit_record(actor=actor, action="honors.team.create", obj=team, org=org, ip=ip)
    return team


def participation_event(participation: VolunteerParticipation) -> None:
    """Append the member's ServiceEvent for one participation (once; no member, no event)."""
    member = participation.member
    if member is None:
        return
    service = participation.service
    occurred = dt.datetime.combine(service.date, dt.time(12), tzinfo=dt.UTC)
    service_event_record(
        member=member,
        kind="honors.volunteer_service",
        source=participation,
        org=service.team.org,
        occurred_at=occurred,
    )


@transaction.atomic
def participation_add(
    *,
    actor: Any,
    service: VolunteerService,
    honoree: Honoree | None = None,
    member: Member | None = None,
    hours: Any = None,
    ip: str | None = None,
) -> VolunteerParticipation:
    """One volunteer served at ``service`` (default: the service's hours per volunteer)."""
    if honoree is None and member is None:
        raise Refused(code="volunteer", message=_("Name the volunteer."), field="honoree")
    if honoree is not None and member is None:
        member = honoree.member
    hours_d = _hours(service.hours if hours is None else hours)
    dup = VolunteerParticipation.objects.filter(service=service)
    if (honoree is not None and dup.filter(honoree=honoree).exists()) or (
        member is not None and dup.filter(member=member).exists()
    ):
        raise Refused(
            code="already_listed",
            message=_("This volunteer is already listed for the service."),
            status=409,
        )
    participation = VolunteerParticipation.objects.create(
        service=service, honoree=honoree, member=member, hours=hours_d
    )
    participation_event(participation)
    if actor is not None:
        audit_record(
            actor=actor,
            action="honors.participation.create",
            obj=participation,
            org=service.team.org,
            data={"service": service.pk, "hours": str(hours_d)},
            ip=ip,
        )
    return participation


@transaction.atomic
def volunteer_service_record(
    *,
    actor: Any,
    team: VolunteerTeam,
    title: str,
    date: dt.date,
    kind: str,
    hours: Any,
    place: str = "",
    enterprises: Iterable[Enterprise] = (),
    workers_helped: int = 0,
    volunteers: Iterable[Honoree | Member] = (),
    note: str = "",
    ip: str | None = None,
) -> VolunteerService:
    """Record a volunteer service with the enterprises it helped and who served (each volunteer
    for the service's hours)."""
    if kind not in VolunteerService.Kind.values:
        raise Refused(code="kind", message=_("Unknown kind of service."), field="kind")
    if workers_helped < 0:
        raise Refused(
            code="workers", message=_("Workers helped cannot be negative."), field="workers_helped"
        )
    if not title.strip():
        raise Refused(code="title", message=_("A service needs a title."), field="title")
    service = VolunteerService.objects.create(
        team=team,
        title=title.strip(),
        date=date,
        place=place,
        kind=kind,
        hours=_hours(hours),
        workers_helped=workers_helped,
        note=note,
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    service.enterprises_helped.set(list(enterprises))
    for v in volunteers:
        if isinstance(v, Honoree):
            participation_add(actor=None, service=service, honoree=v)
        else:
            participation_add(actor=None, service=service, member=v)
    if actor is not None:
        audit_record(
            actor=actor,
            action="honors.volunteer_service.create",
            obj=service,
            org=team.org,
            data={"kind": kind, "workers_helped": workers_helped},
            ip=ip,
        )
    return service


@transaction.atomic
def service_events_sync(*, service: VolunteerService) -> int:
    """After a console edit of the volunteers: fill each participation's member from its
    honoree and append missing ServiceEvents. Returns the number of participations checked."""
    n = 0
    for p in service.participations.select_related("honoree__member", "member", "service__team"):
        if p.member_id is None and p.honoree_id and p.honoree.member_id:  # type: ignore[union-attr]
            p.member = p.honoree.member  # type: ignore[union-attr]
            p.save(update_fields=["member"])
        participation_event(p)
        n += 1
    return n
