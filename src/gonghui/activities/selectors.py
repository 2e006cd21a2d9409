"""Activity reads: lists for members, no-shows and the priority ranking of applications, live
counts."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Prefetch, Q, QuerySet, Sum
from django.utils.translation import gettext as _

from gonghui.core import timeutil
from gonghui.members.models import Member

from .models import Activity, CheckIn, Registration, Session

NO_SHOW_LOOKBACK = dt.timedelta(days=365)


def activities_for_member(
    member: Member | None,
    *,
    kind: str = "",
    day: dt.date | None = None,
    near: bool = False,
    query: str = "",
    now: dt.datetime | None = None,
) -> QuerySet[Activity]:
    """Published activities with a session still to come, filtered by kind, day, region, and a
    keyword in the title or the organising union's name."""
    now = now or timeutil.now()
    qs = Activity.objects.filter(is_published=True, sessions__ends_at__gt=now)
    if query.strip():
        q = query.strip()
        qs = qs.filter(Q(title__icontains=q) | Q(org__name__icontains=q))
    if kind:
        qs = qs.filter(kind=kind)
    if day is not None:
        start = dt.datetime.combine(day, dt.time.min, tzinfo=timeutil.SHANGHAI)
        qs = qs.filter(
            sessions__starts_at__gte=start, sessions__starts_at__lt=start + dt.timedelta(days=1)
        )
    if near and member is not None and member.org_id:
        region = member.org.region_code
        qs = qs.filter(Q(region_code=region) | Q(region_code="", org__region_code=region))
    return (
        qs.distinct()
        .select_related("org")
        .prefetch_related(
            Prefetch(
                "sessions", queryset=Session.objects.filter(ends_at__gt=now).order_by("starts_at")
            )
        )
        .order_by("registration_closes", "pk")
    )


def member_registrations(member: Member) -> QuerySet[Registration]:
    return (
        Registration.objects.filter(member=member)
        .select_related("session", "session__activity", "checkin")
        .order_by("-session__starts_at", "-pk")
    )


def member_registration_for(member: Member, session: Session) -> Registration | None:
    return (
        Registration.objects.filter(member=member, session=session)
        .exclude(status=Registration.Status.CANCELLED)
        .first()
    )


def session_counts(session: Session) -> dict[str, Any]:
    """The organiser's live numbers."""
    fresh = Session.objects.get(pk=session.pk)
    by_status = dict(
        Registration.objects.filter(session=session)
        .values_list("status")
        .annotate(n=Count("pk"))
        .values_list("status", "n")
    )
    return {
        "capacity": fresh.capacity,
        "places_left": fresh.places_left,
        "checked_in": CheckIn.objects.filter(session=session).count(),
        "confirmed": sum(by_status.get(s, 0) for s in Registration.HOLDING),
        "waitlisted": by_status.get(Registration.Status.WAITLISTED, 0),
        "applied": by_status.get(Registration.Status.APPLIED, 0),
        "walk_ins": Registration.objects.filter(session=session, walk_in=True)
        .exclude(status=Registration.Status.CANCELLED)
        .count(),
    }


def no_show_count(member: Member, *, before: dt.datetime) -> int:
    """The member's no-shows in the year before ``before`` (lowers their priority)."""
    return Registration.objects.filter(
        member=member,
        status=Registration.Status.NO_SHOW,
        session__starts_at__gte=before - NO_SHOW_LOOKBACK,
        session__starts_at__lt=before,
    ).count()


@dataclass(frozen=True)
class Ranked:
    registration: Registration
    frontline: bool
    no_shows: int
    reason: str


def applications_ranked(session: Session) -> list[Ranked]:
    """Pending applications in review priority: frontline workers first, then fewer no-shows in
    the past year, then earlier application. (When model workers are recorded by the honours
    app they will rank first; see docs/activities.md.)"""
    activity = session.activity
    rows = []
    for reg in (
        Registration.objects.filter(session=session, status=Registration.Status.APPLIED)
        .select_related("member", "member__org")
        .order_by("created_at", "pk")
    ):
        frontline = bool(reg.member.is_frontline)
        ns = no_show_count(reg.member, before=activity.registration_closes)
        parts = [_("frontline worker") if frontline else _("not a frontline worker")]
        parts.append(_("%(n)s no-show(s) in the past year") % {"n": ns} if ns else _("no no-shows"))
        rows.append(Ranked(reg, frontline, ns, "; ".join(str(p) for p in parts)))
    rows.sort(
        key=lambda r: (not r.frontline, r.no_shows, r.registration.created_at, r.registration.pk)
    )
    return rows


# --- figures published to the dashboard (members.figures) ------------------------------------

#: A registration that was given a place (held, attended or not).
PLACE_GIVEN = (*Registration.HOLDING, Registration.Status.ATTENDED, Registration.Status.NO_SHOW)


def _sessions(query: Any) -> QuerySet[Session]:
    """Sessions of the subtree's activities that start in the period."""
    return Session.objects.filter(
        activity__org__path__startswith=query.org.path,
        starts_at__gte=query.start,
        starts_at__lt=query.end,
    )


def _places(query: Any) -> QuerySet[Registration]:
    """Places given on those sessions (a cancelled registration gave none)."""
    return Registration.objects.filter(
        session__in=_sessions(query).values("pk"), status__in=PLACE_GIVEN
    )


def figure_sessions(query: Any) -> int:
    return _sessions(query).count()


def figure_places(query: Any) -> int:
    return _places(query).count()


def figure_places_of_kind(kind: str) -> Any:
    """The places given on the sessions of one programme kind (疗休养, 两癌筛查, …)."""

    def compute(query: Any) -> int:
        return _places(query).filter(session__activity__kind=kind).count()

    return compute


def figure_checkins(query: Any) -> int:
    """Check-ins made in the period at the subtree's activities."""
    return CheckIn.objects.filter(
        session__activity__org__path__startswith=query.org.path,
        at__gte=query.start,
        at__lt=query.end,
    ).count()


def figure_subsidy_fen(query: Any) -> int:
    """The union's subsidy on the places given (fen)."""
    return int(_places(query).aggregate(s=Sum("subsidy_fen"))["s"] or 0)
