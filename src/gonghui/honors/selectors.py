"""Reads of the honours app: hours served per volunteer, team and year; enterprises and workers
helped (the article: 50 services, 38 enterprises, 5,674 workers)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db.models import Case, Count, IntegerField, Q, QuerySet, Sum, Value, When

from gonghui.core import timeutil
from gonghui.members import attendance
from gonghui.members.models import Member
from gonghui.orgs.models import Org

from .models import (
    Honoree,
    HonourLevel,
    HonourTitle,
    VolunteerParticipation,
    VolunteerService,
    VolunteerTeam,
)


def _services(org: Org, year: int | None) -> QuerySet[VolunteerService]:
    qs = VolunteerService.objects.filter(team__org__path__startswith=org.path)
    if year is not None:
        qs = qs.filter(date__gte=dt.date(year, 1, 1), date__lte=dt.date(year, 12, 31))
    return qs


def hours_by_volunteer(org: Org, year: int | None = None) -> list[dict[str, Any]]:
    """Hours served per volunteer (an honoree, or a member who is not one), most first."""
    rows = (
        VolunteerParticipation.objects.filter(service__in=_services(org, year))
        .values("honoree_id", "honoree__name", "member_id", "member__name")
        .annotate(hours=Sum("hours"), services=Count("service", distinct=True))
    )
    out = []
    for r in rows:
        out.append(
            {
                "honoree_id": r["honoree_id"],
                "member_id": r["member_id"],
                "name": r["honoree__name"] or r["member__name"],
                "hours": r["hours"] or Decimal(0),
                "services": r["services"],
            }
        )
    out.sort(key=lambda r: (-r["hours"], r["name"], r["honoree_id"] or 0, r["member_id"] or 0))
    return out


def hours_by_team(org: Org, year: int | None = None) -> list[dict[str, Any]]:
    rows = (
        VolunteerParticipation.objects.filter(service__in=_services(org, year))
        .values("service__team_id", "service__team__name")
        .annotate(
            hours=Sum("hours"),
            services=Count("service", distinct=True),
            volunteers=Count("pk"),
        )
        .order_by("service__team__name", "service__team_id")
    )
    return [
        {
            "team_id": r["service__team_id"],
            "team": r["service__team__name"],
            "hours": r["hours"] or Decimal(0),
            "services": r["services"],
            "volunteer_times": r["volunteers"],
        }
        for r in rows
    ]


def hours_by_year(org: Org) -> dict[int, Decimal]:
    totals: dict[int, Decimal] = {}
    for p in VolunteerParticipation.objects.filter(
        service__team__org__path__startswith=org.path
    ).values("service__date", "hours"):
        y = p["service__date"].year
        totals[y] = totals.get(y, Decimal(0)) + p["hours"]
    return dict(sorted(totals.items()))


def summary(org: Org, year: int | None = None, *, today: dt.date | None = None) -> dict[str, Any]:
    """Services held (dated ``today`` or earlier: a service planned as an upcoming activity is
    not held yet), distinct enterprises helped, workers helped, volunteer-times and hours."""
    services = _services(org, year).filter(date__lte=today or timeutil.local_today())
    agg = services.aggregate(n=Count("pk"), workers=Sum("workers_helped"))
    enterprises = (
        services.filter(enterprises_helped__isnull=False)
        .values("enterprises_helped")
        .distinct()
        .count()
    )
    parts = VolunteerParticipation.objects.filter(service__in=services).aggregate(
        n=Count("pk"), hours=Sum("hours")
    )
    return {
        "services": agg["n"] or 0,
        "enterprises_helped": enterprises,
        "workers_helped": agg["workers"] or 0,
        "volunteer_times": parts["n"] or 0,
        "hours": parts["hours"] or Decimal(0),
    }


def honorees_by_level(org: Org) -> dict[str, int]:
    rows = (
        Honoree.objects.filter(Q(org__path__startswith=org.path))
        .values("level")
        .annotate(n=Count("pk"))
    )
    return {r["level"]: r["n"] for r in rows}


def service_activity(service: VolunteerService) -> attendance.Attendable | None:
    """The activity a service runs as (None for a service recorded after the fact, or when the
    activity's app is not installed)."""
    if service.activity_ref is None:
        return None
    try:
        return attendance.provider(service.activity_source).get(service.activity_ref)
    except LookupError:
        return None


def linkable_activities(user: Any) -> list[attendance.Attendable]:
    """Volunteer activities ``user`` may run that no volunteer service runs as yet."""
    out: list[attendance.Attendable] = []
    for source in attendance.sources():
        taken = set(
            VolunteerService.objects.filter(activity_source=source).values_list(
                "activity_ref", flat=True
            )
        )
        things = attendance.provider(source).find(user=user, kind=attendance.KIND_VOLUNTEER)
        out.extend(t for t in things if t.id not in taken)
    return out


def member_hours(member: Member) -> dict[str, Any]:
    """A member's volunteering: total hours and services, hours per year, and each service
    (as a member, or as an honoree who is the member)."""
    parts = list(
        VolunteerParticipation.objects.filter(Q(member=member) | Q(honoree__member=member))
        .select_related("service__team")
        .order_by("-service__date", "-pk")
    )
    by_year: dict[int, Decimal] = {}
    for p in parts:
        y = p.service.date.year
        by_year[y] = by_year.get(y, Decimal(0)) + p.hours
    return {
        "hours": sum((p.hours for p in parts), Decimal(0)),
        "services": len(parts),
        "by_year": dict(sorted(by_year.items(), reverse=True)),
        "participations": parts,
    }


def member_teams(member: Member) -> QuerySet[VolunteerTeam]:
    """The teams a member volunteers with: those they served with, and those of the unions above
    (or at) the union of an honour they hold (model workers are their teams' volunteer pool)."""
    served = VolunteerParticipation.objects.filter(
        Q(member=member) | Q(honoree__member=member)
    ).values("service__team_id")
    paths: set[str] = set()  # the honours' unions and every union above them
    for path in Honoree.objects.filter(member=member).values_list("org__path", flat=True):
        paths.update(path[:n] for n in range(Org.steplen, len(path) + 1, Org.steplen))
    return VolunteerTeam.objects.filter(Q(pk__in=served) | Q(org__path__in=paths)).distinct()


def upcoming_for_member(member: Member, now: dt.datetime | None = None) -> list[dict[str, Any]]:
    """Volunteer services of the member's teams that run as published activities with a session
    still to come, soonest first; ``open`` tells whether registration is open now (members
    register on the activity's page, ``url``) and ``joined`` how the member is registered
    (None: not yet)."""
    now = now or timeutil.now()
    rows: list[dict[str, Any]] = []
    services = VolunteerService.objects.filter(
        team__in=member_teams(member), activity_ref__isnull=False
    ).select_related("team")
    for service in services:
        thing = service_activity(service)
        if thing is None or not thing.is_published:
            continue
        upcoming = [s for s in thing.sittings if s.starts_at > now]
        if not upcoming:
            continue
        first = min(upcoming, key=lambda s: s.starts_at)
        joined = attendance.provider(service.activity_source).registration(
            thing.id, member_id=member.pk
        )
        rows.append(
            {
                "service": service,
                "team": service.team,
                "starts_at": first.starts_at,
                "place": first.place,
                "open": thing.registration_opens <= now < thing.registration_closes,
                "joined": joined,  # the label of the member's registration, or None
                "url": thing.member_url,
            }
        )
    rows.sort(key=lambda r: (r["starts_at"], r["service"].pk))
    return rows


SHOWCASE_LIMIT = 200


def showcase(member: Member, *, title: str = "") -> list[Honoree]:
    """The honourees of the member's whole federation (劳模工匠 are public honours), highest level
    and newest first; ``title`` narrows to one honour (an unknown one shows all)."""
    root_path = member.org.deployment_path
    qs = Honoree.objects.filter(org__path__startswith=root_path).select_related("org")
    if title in HonourTitle.values:
        qs = qs.filter(title=title)
    level_rank = Case(
        *(When(level=level, then=Value(i)) for i, level in enumerate(HonourLevel.values)),
        default=Value(len(HonourLevel.values)),
        output_field=IntegerField(),
    )
    return list(qs.order_by(level_rank, "-year", "name", "pk")[:SHOWCASE_LIMIT])


# --- figures published to the dashboard (members.figures) ------------------------------------


def _services_in(query: Any) -> QuerySet[VolunteerService]:
    """The subtree's volunteer services dated in the period and held (not after today)."""
    from gonghui.members.selectors import figure_days

    first, after = figure_days(query)
    return VolunteerService.objects.filter(
        team__org__path__startswith=query.org.path,
        date__gte=first,
        date__lt=after,
        date__lte=timeutil.local_today(),
    )


def figure_volunteer_services(query: Any) -> int:
    return _services_in(query).count()


def figure_volunteer_hours(query: Any) -> Decimal:
    """Hours served by volunteers in those services."""
    total = VolunteerParticipation.objects.filter(service__in=_services_in(query)).aggregate(
        h=Sum("hours")
    )["h"]
    return Decimal(total or 0)


def figure_honorees_of_level(level: str) -> Any:
    """Stock: honorees of the subtree at one level, honoured in the year of the period's last
    day or before."""

    def compute(query: Any) -> int:
        last_year = timeutil.to_local(query.end - dt.timedelta(microseconds=1)).year
        return Honoree.objects.filter(
            org__path__startswith=query.org.path, level=level, year__lte=last_year
        ).count()

    return compute
