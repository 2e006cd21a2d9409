"""Eligibility, limits and windows: pure checks that return a ``Refused`` (or None).

Kept apart from the services so that the H5 can say, before a member taps, why they cannot
take part; the services run the same checks again inside their transactions."""

from __future__ import annotations

import datetime as dt

from django.utils.translation import gettext as _

from gonghui.core import timeutil
from gonghui.core.errors import Refused
from gonghui.members.models import Member

from .models import Activity, Audience, Registration, Session


def age_on(birth: dt.date, day: dt.date) -> int:
    """Full years from ``birth`` to ``day`` (a birthday on 29 February counts on 1 March)."""
    years = day.year - birth.year
    if (day.month, day.day) < (birth.month, birth.day):
        years -= 1
    return years


def session_day(session: Session) -> dt.date:
    return timeutil.to_local(session.starts_at).date()


def window_refusal(activity: Activity, now: dt.datetime) -> Refused | None:
    if now < activity.registration_opens:
        return Refused(
            code="not_open",
            message=_("Registration opens at %(time)s.")
            % {"time": timeutil.format_datetime(activity.registration_opens)},
            status=409,
        )
    if now >= activity.registration_closes:
        return Refused(code="closed", message=_("Registration has closed."), status=409)
    return None


def eligibility_refusal(
    activity: Activity,
    session: Session,
    member: Member,
    *,
    child_name: str = "",
    child_birth_date: dt.date | None = None,
) -> Refused | None:
    """Why ``member`` may not take part in ``session`` (None: they may)."""
    if member.status != Member.Status.ACTIVE:
        return Refused(
            code="member_inactive", message=_("Only active members may register."), status=403
        )
    scope = activity.audience_org or activity.org
    member_path = member.org.path if member.org_id else ""
    if not member_path.startswith(scope.path):
        return Refused(
            code="not_eligible_org",
            message=_("This activity is for members of %(org)s.") % {"org": scope.name},
            status=403,
        )
    if activity.audience == Audience.GIG and not member.is_gig_worker:
        return Refused(
            code="not_eligible_type",
            message=_("This activity is for gig workers only."),
            status=403,
        )
    if activity.audience == Audience.FRONTLINE and not member.is_frontline:
        return Refused(
            code="not_eligible_type",
            message=_("This activity is for frontline workers only."),
            status=403,
        )
    if activity.gender and member.gender != activity.gender:
        return Refused(
            code="not_eligible_gender",
            message=_("This activity is for women only.")
            if activity.gender == "F"
            else _("This activity is for men only."),
            status=403,
        )
    day = session_day(session)
    if activity.min_age is not None or activity.max_age is not None:
        age = age_on(member.birth_date, day)
        if (activity.min_age is not None and age < activity.min_age) or (
            activity.max_age is not None and age > activity.max_age
        ):
            return Refused(
                code="not_eligible_age",
                message=_(
                    "This activity is for members aged %(min)s to %(max)s on the session date; "
                    "you will be %(age)s."
                )
                % {"min": activity.min_age or 0, "max": activity.max_age or "—", "age": age},
                status=403,
            )
    if activity.needs_child:
        if not child_name.strip() or child_birth_date is None:
            return Refused(
                code="child_required",
                message=_("Give your child's name and birth date."),
                field="child_name" if not child_name.strip() else "child_birth_date",
            )
        if len(child_name.strip()) > 60:
            return Refused(
                code="invalid", message=_("The child's name is too long."), field="child_name"
            )
        if child_birth_date > day:
            return Refused(
                code="invalid",
                message=_("The child's birth date is in the future."),
                field="child_birth_date",
            )
        child_age = age_on(child_birth_date, day)
        lo, hi = activity.child_min_age, activity.child_max_age
        if (lo is not None and child_age < lo) or (hi is not None and child_age > hi):
            return Refused(
                code="not_eligible_child_age",
                message=_(
                    "This class is for children aged %(min)s to %(max)s on the session date; "
                    "your child will be %(age)s."
                )
                % {"min": lo or 0, "max": hi if hi is not None else "—", "age": child_age},
                field="child_birth_date",
                status=403,
            )
    return None


COUNTED_FOR_LIMIT = (
    Registration.Status.CONFIRMED,
    Registration.Status.WAITLISTED,
    Registration.Status.APPLIED,
    Registration.Status.APPROVED,
    Registration.Status.WON,
    Registration.Status.ATTENDED,
    Registration.Status.NO_SHOW,
)


def limit_refusal(
    activity: Activity, session: Session, member: Member, *, exclude_pk: int | None = None
) -> Refused | None:
    """The per-member limit: at most ``limit_per_year`` live registrations (pending ones count)
    in sessions of activities of the same kind starting in the same calendar year (Shanghai)."""
    limit = activity.limit_per_year
    if not limit:
        return None
    year = session_day(session).year
    start = dt.datetime(year, 1, 1, tzinfo=timeutil.SHANGHAI)
    end = dt.datetime(year + 1, 1, 1, tzinfo=timeutil.SHANGHAI)
    qs = Registration.objects.filter(
        member=member,
        session__activity__kind=activity.kind,
        session__starts_at__gte=start,
        session__starts_at__lt=end,
        status__in=COUNTED_FOR_LIMIT,
    )
    if exclude_pk is not None:
        qs = qs.exclude(pk=exclude_pk)
    if qs.count() >= limit:
        return Refused(
            code="limit_reached",
            message=_(
                "You already have %(count)s registration(s) of this kind in %(year)s; "
                "the limit is %(limit)s a year."
            )
            % {"count": qs.count(), "year": year, "limit": limit},
            status=409,
        )
    return None


def cancel_deadline(session: Session) -> dt.datetime:
    return session.starts_at - dt.timedelta(hours=session.activity.cancel_hours_before)
