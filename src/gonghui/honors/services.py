"""Writes of the honours app: honorees, volunteer teams, volunteer services and who served.

Each member who serves at a volunteer service gets one ServiceEvent
("honors.volunteer_service"); staff writes are audited in the same transaction.

A service can run as an activity of another app (``members.attendance``: today
"activities.activity"): its volunteers are then exactly the members who checked in, each for the
length of the sessions they checked in at (``service_attendance_sync``, called on each check-in
through ``attendance_listener`` and when the activity is linked)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from gonghui.core import timeutil
from gonghui.core.audit import audit_record
from gonghui.core.errors import NotFound, Refused
from gonghui.members import attendance
from gonghui.members.models import Member
from gonghui.members.services import service_event_record
from gonghui.orgs.models import Enterprise, Org
from gonghui.orgs.scoping import can

from .models import (
    Honoree,
    HonourLevel,
    HonourTitle,
    VolunteerParticipation,
    VolunteerService,
    VolunteerTeam,
)

MAX_HOURS = Decimal("24")
MAX_CHECKIN_HOURS = Decimal("9999.9")  # what a participation's column holds
ACTIVITY_SOURCE = "activities.activity"  # the members.attendance provider services run as


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
    """Append the member's ServiceEvent for one participation (once; no member, no event).

    The event's source is the participation, which is unique per (service, member): one event
    per volunteer per service, whether recorded by staff or from check-ins."""
    member = participation.member
    if member is None:
        return
    service = participation.service
    occurred = participation.first_checkin_at or dt.datetime.combine(
        service.date, dt.time(12), tzinfo=dt.UTC
    )
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
    if service.runs_as_activity:
        raise Refused(
            code="runs_as_activity",
            message=_(
                "This service runs as an activity: its volunteers are those who check in there."
            ),
            status=409,
        )
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


# --- volunteer services run as activities (members.attendance) --------------------------------


def sitting_hours(starts_at: dt.datetime, ends_at: dt.datetime) -> Decimal:
    """Hours a volunteer serves at a session they checked in at: its length, half up to 0.1 h
    (at least 0.1)."""
    seconds = Decimal(int((ends_at - starts_at).total_seconds()))
    hours = (seconds / Decimal(3600)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    return max(hours, Decimal("0.1"))


def _require_manage(actor: Any, service: VolunteerService) -> None:
    if actor is not None and not can(actor, "honors.manage", service.team.org):
        raise NotFound()


def _lock(service: VolunteerService) -> VolunteerService:
    return (
        VolunteerService.objects.select_for_update().select_related("team__org").get(pk=service.pk)
    )


def _refuse_unless_linkable(service: VolunteerService) -> None:
    if service.runs_as_activity:
        raise Refused(
            code="already_linked",
            message=_("This service already runs as an activity."),
            status=409,
        )
    if service.participations.exists():
        raise Refused(
            code="has_volunteers",
            message=_(
                "Volunteers are already recorded for this service; "
                "a service run as an activity counts those who check in."
            ),
            status=409,
        )


def _link(service: VolunteerService, thing: attendance.Attendable) -> None:
    if VolunteerService.objects.filter(
        activity_source=thing.source, activity_ref=thing.id
    ).exists():
        raise Refused(
            code="activity_taken",
            message=_("That activity is already the activity of another volunteer service."),
            status=409,
        )
    service.activity_source = thing.source
    service.activity_ref = thing.id
    fields = ["activity_source", "activity_ref"]
    if thing.sittings:
        first = min(thing.sittings, key=lambda s: s.starts_at)
        service.date = timeutil.to_local(first.starts_at).date()
        fields.append("date")
        if not service.place:
            service.place = first.place[:200]
            fields.append("place")
    service.save(update_fields=fields)


@transaction.atomic
def volunteer_service_activity_create(
    *,
    actor: Any,
    service: VolunteerService,
    starts_at: dt.datetime,
    place: str,
    capacity: int,
    registration_opens: dt.datetime | None = None,
    registration_closes: dt.datetime | None = None,
    ip: str | None = None,
) -> attendance.Attendable:
    """Run ``service`` as a new volunteer activity of the team's union: one session starting at
    ``starts_at`` for the service's hours per volunteer, registration open from now (or
    ``registration_opens``) until the session starts. Members register and check in there."""
    _require_manage(actor, service)
    locked = _lock(service)
    _refuse_unless_linkable(locked)
    if registration_opens is None and starts_at <= timeutil.now():
        raise Refused(
            code="starts_in_past", message=_("The activity must start later."), field="starts_at"
        )
    opens = registration_opens or timeutil.now()
    closes = registration_closes or starts_at
    thing = attendance.provider(ACTIVITY_SOURCE).create(
        actor=actor,
        org=locked.team.org,
        kind=attendance.KIND_VOLUNTEER,
        title=locked.title,
        description=locked.note,
        starts_at=starts_at,
        ends_at=starts_at + dt.timedelta(hours=float(locked.hours)),
        place=place,
        capacity=capacity,
        registration_opens=opens,
        registration_closes=closes,
        ip=ip,
    )
    _link(locked, thing)
    if actor is not None:
        audit_record(
            actor=actor,
            action="honors.volunteer_service.activity_create",
            obj=locked,
            org=locked.team.org,
            data={"source": thing.source, "activity": thing.id, "capacity": capacity},
            ip=ip,
        )
    service.refresh_from_db()
    return thing


@transaction.atomic
def volunteer_service_activity_link(
    *,
    actor: Any,
    service: VolunteerService,
    activity_id: int,
    source: str = ACTIVITY_SOURCE,
    ip: str | None = None,
) -> attendance.Attendable:
    """Run ``service`` as an existing volunteer activity the actor may run (else NotFound, the
    same answer as for an activity that does not exist). Check-ins made before the link count."""
    _require_manage(actor, service)
    provider = attendance.provider(source)
    thing = provider.get(activity_id)
    if thing is None or (actor is not None and not provider.manages(user=actor, id=thing.id)):
        raise NotFound()
    if thing.kind != attendance.KIND_VOLUNTEER:
        raise Refused(
            code="not_volunteer",
            message=_("Only a volunteer-service activity can be linked."),
            field="activity",
        )
    locked = _lock(service)
    _refuse_unless_linkable(locked)
    _link(locked, thing)
    counted = service_attendance_sync(service=locked)
    if actor is not None:
        audit_record(
            actor=actor,
            action="honors.volunteer_service.activity_link",
            obj=locked,
            org=locked.team.org,
            data={"source": thing.source, "activity": thing.id, "volunteers": counted},
            ip=ip,
        )
    service.refresh_from_db()
    return thing


@transaction.atomic
def service_attendance_sync(*, service: VolunteerService, member_id: int | None = None) -> int:
    """Volunteers and hours of a service run as an activity, from its check-ins: one
    participation per member who checked in, for the sum of the lengths of the sessions they
    checked in at. Recomputed from all check-ins (of ``member_id`` only, when given), so running
    it again changes nothing. The service row is locked: concurrent check-ins of one member at
    two sessions queue here. Returns the number of volunteers counted."""
    locked = _lock(service)
    if locked.activity_ref is None:
        return 0
    checkins = attendance.provider(locked.activity_source).attendance(
        locked.activity_ref, member_id=member_id
    )
    hours: dict[int, Decimal] = defaultdict(Decimal)
    first: dict[int, dt.datetime] = {}
    seen: set[tuple[int, int]] = set()
    for c in checkins:
        if (c.member_id, c.sitting_id) in seen:
            continue
        seen.add((c.member_id, c.sitting_id))
        hours[c.member_id] += sitting_hours(c.starts_at, c.ends_at)
        first[c.member_id] = min(first.get(c.member_id, c.checked_in_at), c.checked_in_at)
    for mid, total in hours.items():
        total = min(total, MAX_CHECKIN_HOURS)
        p = VolunteerParticipation.objects.filter(service=locked, member_id=mid).first()
        if p is None:
            honoree = (
                Honoree.objects.filter(member_id=mid)
                .exclude(participations__service=locked)
                .order_by("pk")
                .first()
            )
            p = VolunteerParticipation.objects.create(
                service=locked,
                member_id=mid,
                honoree=honoree,
                hours=total,
                via=VolunteerParticipation.Via.CHECKIN,
                first_checkin_at=first[mid],
            )
        elif (p.hours, p.via, p.first_checkin_at) != (
            total,
            VolunteerParticipation.Via.CHECKIN,
            first[mid],
        ):
            p.hours = total
            p.via = VolunteerParticipation.Via.CHECKIN
            p.first_checkin_at = first[mid]
            p.save(update_fields=["hours", "via", "first_checkin_at"])
        p.service = locked
        participation_event(p)
    return len(hours)


def attendance_listener(
    *, source: str, id: int, member: Any, sitting_id: int, at: dt.datetime
) -> None:
    """members.attendance subscriber: a member checked in somewhere; if that is the activity of
    a volunteer service, count their hours (inside the check-in's transaction)."""
    service = VolunteerService.objects.filter(activity_source=source, activity_ref=id).first()
    if service is not None:
        service_attendance_sync(service=service, member_id=member.pk)
