"""Reads of the honours app: hours served per volunteer, team and year; enterprises and workers
helped (the article: 50 services, 38 enterprises, 5,674 workers)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum

from gonghui.orgs.models import Org

from .models import Honoree, VolunteerParticipation, VolunteerService


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


def summary(org: Org, year: int | None = None) -> dict[str, Any]:
    """Services held, distinct enterprises helped, workers helped, volunteer-times and hours."""
    services = _services(org, year)
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
