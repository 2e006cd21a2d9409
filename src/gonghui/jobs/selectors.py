"""Reads of the jobs app: matching, what employer staff may see, figures, skill-pay coverage."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum
from django.utils.translation import gettext as _

from gonghui.core.timeutil import SHANGHAI, local_today
from gonghui.members.models import GigTrade, Member
from gonghui.orgs.models import Enterprise, Org
from gonghui.orgs.scoping import can, is_unrestricted, scope_q

from .models import Application, EmployerStaff, FairCheckin, Posting, SkillPayScheme, Trade

# --- who may see what ------------------------------------------------------------------------


def employer_enterprise_ids(user: Any) -> list[int]:
    """Enterprises whose staff ``user`` is (cached on the user for the request)."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return []
    cached = getattr(user, "_gonghui_employer_ids", None)
    if cached is None:
        cached = sorted(
            EmployerStaff.objects.filter(user=user).values_list("enterprise_id", flat=True)
        )
        user._gonghui_employer_ids = cached
    return list(cached)


def visible_q(user: Any, capability: str, *, org_field: str, enterprise_field: str) -> Q:
    """Rows in the user's org scope for ``capability``, or of an enterprise the user works for."""
    q = scope_q(user, capability, org_field)
    ids = employer_enterprise_ids(user)
    if ids:
        q |= Q(**{f"{enterprise_field}__in": ids})
    return q


def applications_visible(user: Any, capability: str = "jobs.view") -> QuerySet[Application]:
    return Application.objects.filter(
        visible_q(user, capability, org_field="org", enterprise_field="enterprise")
    )


def postings_visible(user: Any, capability: str = "jobs.view") -> QuerySet[Posting]:
    return Posting.objects.filter(
        visible_q(user, capability, org_field="org", enterprise_field="enterprise")
    )


def may_handle(user: Any, application: Application) -> bool:
    """May ``user`` move ``application``? Its employer's staff, or union staff with jobs.manage."""
    if is_unrestricted(user):
        return True
    if application.enterprise_id in employer_enterprise_ids(user):
        return True
    return can(user, "jobs.manage", application.org)


# --- matching ---------------------------------------------------------------------------------

#: A gig worker's trade → the posting trade it matches.
GIG_TRADE_TO_TRADE: dict[str, str] = {
    GigTrade.RIDER: Trade.DELIVERY,
    GigTrade.COURIER: Trade.LOGISTICS,
    GigTrade.TRUCK_DRIVER: Trade.TRANSPORT,
    GigTrade.RIDE_HAILING: Trade.TRANSPORT,
    GigTrade.CARE_WORKER: Trade.CARE,
}

W_SKILL = 30  # per shared skill, at most three counted
W_TRADE = 25  # the member's gig trade is the posting's trade
W_INDUSTRY = 15  # the posting's employer is in the member's employer's industry
W_DISTRICT = 20  # same district (6-digit region code)
W_CITY = 10  # same city (first 4 digits), other district
W_GIG_SPECIAL = 10  # a gig-worker special posting, for a gig worker
W_UNION_PUSHED = 5  # pushed by the union (工会送岗)
MAX_SKILLS_COUNTED = 3


@dataclass(frozen=True)
class Reason:
    code: str
    label: str
    weight: int


@dataclass
class Match:
    posting: Posting
    score: int
    reasons: list[Reason] = field(default_factory=list)


def member_region(member: Member) -> str:
    if member.enterprise_id and member.enterprise is not None:
        return member.enterprise.region_code
    return member.org.region_code


def _norm(skills: Any) -> dict[str, str]:
    out: dict[str, str] = {}
    for s in skills or []:
        text = str(s).strip()
        if text:
            out.setdefault(text.casefold(), text)
    return out


def explain(member: Member, posting: Posting) -> Match:
    """Score one posting for one member, with the reasons (label and weight) that add up."""
    reasons: list[Reason] = []
    mine = _norm(member.skills)
    theirs = _norm(posting.skills)
    shared = sorted(set(mine) & set(theirs))
    if shared:
        counted = shared[:MAX_SKILLS_COUNTED]
        reasons.append(
            Reason(
                "skills",
                _("Your skills: %(skills)s") % {"skills": "、".join(theirs[k] for k in counted)},
                W_SKILL * len(counted),
            )
        )
    trade = GIG_TRADE_TO_TRADE.get(member.gig_trade or "")
    if trade and posting.trade == trade:
        reasons.append(
            Reason(
                "trade",
                _("Your trade: %(trade)s") % {"trade": Trade(trade).label},
                W_TRADE,
            )
        )
    elif (
        member.enterprise_id
        and member.enterprise is not None
        and member.enterprise.industry
        and member.enterprise.industry.strip() == (posting.enterprise.industry or "").strip()
    ):
        reasons.append(
            Reason(
                "industry",
                _("Same industry as your employer: %(industry)s")
                % {"industry": posting.enterprise.industry},
                W_INDUSTRY,
            )
        )
    region = member_region(member)
    if region and posting.region_code == region:
        reasons.append(Reason("district", _("In your district"), W_DISTRICT))
    elif region and posting.region_code[:4] == region[:4]:
        reasons.append(Reason("city", _("In your city"), W_CITY))
    if posting.kind == Posting.Kind.GIG_SPECIAL and member.is_gig_worker:
        reasons.append(Reason("gig_special", _("A special posting for gig workers"), W_GIG_SPECIAL))
    if posting.kind == Posting.Kind.UNION_PUSHED:
        reasons.append(Reason("union_pushed", _("Pushed by the union"), W_UNION_PUSHED))
    return Match(posting=posting, score=sum(r.weight for r in reasons), reasons=reasons)


def open_postings(today: dt.date | None = None) -> QuerySet[Posting]:
    today = today or local_today()
    return Posting.objects.filter(
        status=Posting.Status.OPEN, valid_from__lte=today, valid_until__gte=today
    ).select_related("enterprise", "org")


def postings_for_member(
    member: Member,
    *,
    today: dt.date | None = None,
    limit: int | None = None,
    query: str = "",
) -> list[Match]:
    """Open postings ranked for ``member``: by score (skills, trade, region, kind), then the one
    closing soonest, then the oldest (pk): a deterministic order. Each with its reasons. Only
    those whose title or employer name contains ``query`` when given."""
    postings = open_postings(today)
    if query.strip():
        q = query.strip()
        postings = postings.filter(Q(title__icontains=q) | Q(enterprise__name__icontains=q))
    matches = [explain(member, p) for p in postings]
    matches.sort(key=lambda m: (-m.score, m.posting.valid_until, m.posting.pk))
    return matches[:limit] if limit is not None else matches


def member_applications(member: Member) -> QuerySet[Application]:
    return (
        Application.objects.filter(member=member)
        .select_related("posting", "enterprise", "booth__fair")
        .order_by("-submitted_at", "-pk")
    )


# --- figures ----------------------------------------------------------------------------------


def _bounds(start: dt.date, end: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """Local calendar days [start, end] as aware datetimes [from, to)."""
    lo = dt.datetime.combine(start, dt.time.min, tzinfo=SHANGHAI)
    hi = dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min, tzinfo=SHANGHAI)
    return lo, hi


def figures(org: Org, start: dt.date, end: dt.date) -> dict[str, int]:
    """The article's figures for ``org``'s subtree and the local days [start, end]:
    posts (postings published and valid at some time in the period), headcount offered,
    applications submitted, intentions reached (offered), hires, fair check-ins."""
    lo, hi = _bounds(start, end)
    sub = Q(org__path__startswith=org.path)
    posts = Posting.objects.filter(sub, valid_from__lte=end, valid_until__gte=start).exclude(
        status=Posting.Status.DRAFT
    )
    agg = posts.aggregate(n=Count("pk"), heads=Sum("headcount"))
    apps = Application.objects.filter(sub)
    return {
        "posts": agg["n"] or 0,
        "headcount": agg["heads"] or 0,
        "applications": apps.filter(submitted_at__gte=lo, submitted_at__lt=hi).count(),
        "intentions": apps.filter(intention_at__gte=lo, intention_at__lt=hi).count(),
        "hires": apps.filter(hired_at__gte=lo, hired_at__lt=hi).count(),
        "fair_checkins": FairCheckin.objects.filter(
            fair__org__path__startswith=org.path, checked_in_at__gte=lo, checked_in_at__lt=hi
        ).count(),
    }


# --- skill-pay linkage ------------------------------------------------------------------------


def scheme_in_effect(enterprise: Enterprise, on: dt.date | None = None) -> SkillPayScheme | None:
    on = on or local_today()
    return (
        SkillPayScheme.objects.filter(enterprise=enterprise, effective_from__lte=on)
        .order_by("-effective_from", "-pk")
        .prefetch_related("raises")
        .first()
    )


def skill_pay_coverage(org: Org, on: dt.date | None = None) -> dict[str, Any]:
    """Coverage of skill-pay linkage among the enterprises of ``org``'s subtree on ``on``:
    enterprises with a scheme in effect (all, and above designated size), above-size
    enterprises, the rate among them (per mille, half up), and workers covered (the latest
    scheme in effect of each enterprise counts once)."""
    on = on or local_today()
    enterprises = Enterprise.objects.filter(union__path__startswith=org.path)
    schemes = SkillPayScheme.objects.filter(
        enterprise__union__path__startswith=org.path, effective_from__lte=on
    ).order_by("enterprise_id", "-effective_from", "-pk")
    latest: dict[int, SkillPayScheme] = {}
    for s in schemes.select_related("enterprise"):
        latest.setdefault(s.enterprise_id, s)
    above = enterprises.filter(is_above_scale=True).count()
    above_with = sum(1 for s in latest.values() if s.enterprise.is_above_scale)
    return {
        "enterprises_with_scheme": len(latest),
        "above_scale_enterprises": above,
        "above_scale_with_scheme": above_with,
        "above_scale_rate_permille": (above_with * 1000 * 2 + above) // (2 * above) if above else 0,
        "workers_covered": sum(s.workers_covered for s in latest.values()),
        "workers_covered_above_scale": sum(
            s.workers_covered for s in latest.values() if s.enterprise.is_above_scale
        ),
    }


# --- figures published to the dashboard (members.figures) ------------------------------------


def _last_day(query: Any) -> dt.date:
    from gonghui.core.timeutil import to_local

    return to_local(query.end - dt.timedelta(microseconds=1)).date()


def figure_postings(query: Any) -> int:
    """Postings of the subtree published and valid on some day of the period."""
    from gonghui.members.selectors import figure_days

    first, _after = figure_days(query)
    return (
        Posting.objects.filter(
            org__path__startswith=query.org.path,
            valid_from__lte=_last_day(query),
            valid_until__gte=first,
        )
        .exclude(status=Posting.Status.DRAFT)
        .count()
    )


def figure_applications(query: Any) -> int:
    """Applications made in the period to the subtree's postings and booths, not withdrawn
    (a withdrawal cancels the application: docs/figures.md rule 3)."""
    return (
        Application.objects.filter(
            org__path__startswith=query.org.path,
            submitted_at__gte=query.start,
            submitted_at__lt=query.end,
        )
        .exclude(status=Application.Status.WITHDRAWN)
        .count()
    )


def figure_fairs(query: Any) -> int:
    """Job fairs of the subtree held on a day of the period."""
    from gonghui.members.selectors import figure_days

    from .models import JobFair

    first, after = figure_days(query)
    return JobFair.objects.filter(
        org__path__startswith=query.org.path, date__gte=first, date__lt=after
    ).count()


def figure_fair_checkins(query: Any) -> int:
    return FairCheckin.objects.filter(
        fair__org__path__startswith=query.org.path,
        checked_in_at__gte=query.start,
        checked_in_at__lt=query.end,
    ).count()


def figure_skill_pay_coverage(query: Any) -> int:
    """Skill-pay linkage among the subtree's above-scale enterprises on the period's last day
    (‰). Not additive."""
    return int(skill_pay_coverage(query.org, on=_last_day(query))["above_scale_rate_permille"])
