"""Writes of the jobs app: postings, applications and their state machine, fair check-ins, booth
résumés, employer staff links, skill-pay schemes. Each is one transaction; staff writes are
audited in it; each application and fair check-in appends a ServiceEvent."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterable, Mapping
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from gonghui.codes.models import Terminal
from gonghui.core.audit import audit_record
from gonghui.core.errors import NotFound, Refused
from gonghui.core.skills import SkillLevel
from gonghui.core.timeutil import local_today, now
from gonghui.members.models import Member
from gonghui.members.services import service_event_compensate, service_event_record
from gonghui.orgs.models import Enterprise, Org
from gonghui.orgs.scoping import can

from . import selectors
from .models import (
    Application,
    ApplicationStep,
    Booth,
    EmployerStaff,
    FairCheckin,
    JobFair,
    Posting,
    SkillPayRaise,
    SkillPayScheme,
    Trade,
)

S = Application.Status

#: The state machine: status -> statuses it may move to, and who may make each move.
TRANSITIONS: dict[str, set[str]] = {
    S.SUBMITTED: {S.VIEWED, S.REJECTED, S.WITHDRAWN},
    S.VIEWED: {S.INTERVIEW, S.REJECTED, S.WITHDRAWN},
    S.INTERVIEW: {S.OFFERED, S.REJECTED, S.WITHDRAWN},
    S.OFFERED: {S.HIRED, S.REJECTED, S.WITHDRAWN},
    S.HIRED: set(),
    S.REJECTED: set(),
    S.WITHDRAWN: set(),
}
#: Only the member withdraws; only the employer (or union staff) moves everything else.
MEMBER_MOVES = {S.WITHDRAWN}
OPEN_STATUSES = {S.SUBMITTED, S.VIEWED, S.INTERVIEW, S.OFFERED}

MAX_SKILLS = 20
MAX_SALARY_FEN = 10_000_000  # ¥100,000 a month


def _clean_skills(skills: Iterable[Any]) -> list[str]:
    out: list[str] = []
    for raw in skills:
        s = str(raw).strip()
        if not s:
            continue
        if len(s) > 30:
            raise Refused(
                code="skill_too_long",
                message=_("A skill is at most 30 characters."),
                field="skills",
            )
        if s.casefold() not in {o.casefold() for o in out}:
            out.append(s)
    if len(out) > MAX_SKILLS:
        raise Refused(
            code="too_many_skills",
            message=_("At most %(n)d skills.") % {"n": MAX_SKILLS},
            field="skills",
        )
    return out


def posting_validate(
    *,
    salary_min_fen: int,
    salary_max_fen: int,
    headcount: int,
    valid_from: dt.date,
    valid_until: dt.date,
    trade: str,
) -> None:
    """Refuse a posting's bad figures with a field (the database constraints stand behind)."""
    if salary_min_fen < 0:
        raise Refused(
            code="salary_negative",
            message=_("The salary cannot be negative."),
            field="salary_min_fen",
        )
    if salary_min_fen > salary_max_fen:
        raise Refused(
            code="salary_range",
            message=_("The lowest salary must not exceed the highest."),
            field="salary_max_fen",
        )
    if salary_max_fen > MAX_SALARY_FEN:
        raise Refused(
            code="salary_too_high",
            message=_("The highest salary is implausibly high."),
            field="salary_max_fen",
        )
    if headcount < 1:
        raise Refused(
            code="headcount", message=_("Headcount must be at least 1."), field="headcount"
        )
    if valid_from > valid_until:
        raise Refused(
            code="validity",
            message=_("The posting must start before it ends."),
            field="valid_until",
        )
    if trade not in Trade.values:
        raise Refused(code="trade", message=_("Unknown trade."), field="trade")


@transaction.atomic
def posting_create(
    *,
    actor: Any,
    enterprise: Enterprise,
    title: str,
    trade: str,
    salary_min_fen: int,
    salary_max_fen: int,
    valid_from: dt.date,
    valid_until: dt.date,
    headcount: int = 1,
    skills: Iterable[str] = (),
    region_code: str = "",
    org: Org | None = None,
    kind: str = Posting.Kind.REGULAR,
    status: str = Posting.Status.OPEN,
    description: str = "",
    ip: str | None = None,
) -> Posting:
    """A posting of ``enterprise``, published through ``org`` (default: the enterprise's union)."""
    posting_validate(
        salary_min_fen=salary_min_fen,
        salary_max_fen=salary_max_fen,
        headcount=headcount,
        valid_from=valid_from,
        valid_until=valid_until,
        trade=trade,
    )
    if not title.strip():
        raise Refused(code="title", message=_("A posting needs a title."), field="title")
    posting = Posting.objects.create(
        enterprise=enterprise,
        org=org or enterprise.union,
        title=title.strip(),
        description=description,
        trade=trade,
        salary_min_fen=salary_min_fen,
        salary_max_fen=salary_max_fen,
        region_code=region_code or enterprise.region_code,
        skills=_clean_skills(skills),
        headcount=headcount,
        valid_from=valid_from,
        valid_until=valid_until,
        kind=kind,
        status=status,
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    if actor is not None:
        audit_record(
            actor=actor,
            action="jobs.posting.create",
            obj=posting,
            org=posting.org,
            data={"enterprise": enterprise.pk, "kind": kind, "headcount": headcount},
            ip=ip,
        )
    return posting


@transaction.atomic
def posting_set_status(
    *, posting: Posting, status: str, actor: Any, ip: str | None = None
) -> Posting:
    if status not in Posting.Status.values:
        raise Refused(code="status", message=_("Unknown status."), field="status")
    posting = Posting.objects.select_for_update().get(pk=posting.pk)
    old = posting.status
    posting.status = status
    posting.save(update_fields=["status"])
    audit_record(
        actor=actor,
        action="jobs.posting.status",
        obj=posting,
        org=posting.org,
        data={"from": old, "to": status},
        ip=ip,
    )
    return posting


def _step(
    application: Application,
    *,
    from_status: str,
    to_status: str,
    actor: Any = None,
    by_member: bool = False,
    note: str = "",
    at: dt.datetime,
) -> ApplicationStep:
    return ApplicationStep.objects.create(
        application=application,
        from_status=from_status,
        to_status=to_status,
        actor=actor if getattr(actor, "pk", None) else None,
        by_member=by_member,
        note=note[:200],
        at=at,
    )


def _member_ok(member: Member) -> None:
    if member.status != Member.Status.ACTIVE:
        raise Refused(
            code="member_inactive", message=_("Only active members can apply."), status=409
        )


@transaction.atomic
def application_submit(
    *, member: Member, posting: Posting, today: dt.date | None = None
) -> Application:
    """The member applies online for an open posting (once per posting)."""
    _member_ok(member)
    today = today or local_today()
    if posting.status != Posting.Status.OPEN or not (
        posting.valid_from <= today <= posting.valid_until
    ):
        raise Refused(code="posting_closed", message=_("This posting is not open."), status=409)
    if Application.objects.filter(member=member, posting=posting).exists():
        raise Refused(
            code="already_applied", message=_("You have already applied for this post."), status=409
        )
    at = now()
    try:
        with transaction.atomic():
            application = Application.objects.create(
                member=member,
                enterprise=posting.enterprise,
                posting=posting,
                org=posting.org,
                source=Application.Source.ONLINE,
                submitted_at=at,
            )
    except IntegrityError:  # a concurrent double submit: the unique constraint decides
        raise Refused(
            code="already_applied", message=_("You have already applied for this post."), status=409
        ) from None
    _step(application, from_status="", to_status=S.SUBMITTED, by_member=True, at=at)
    service_event_record(member=member, kind="jobs.application", source=application, occurred_at=at)
    return application


@transaction.atomic
def booth_resume(
    *, booth: Booth, member: Member, posting: Posting | None = None
) -> tuple[Application, bool]:
    """A booth scanned the member's code: a delivered résumé. Returns (application, created).

    ``posting`` (optional) must be an open posting of the booth's employer. A second scan at the
    same booth (for the same posting) returns the first application."""
    _member_ok(member)
    if posting is not None and (
        posting.enterprise_id != booth.enterprise_id or posting.status != Posting.Status.OPEN
    ):
        raise Refused(
            code="posting_not_at_booth",
            message=_("That posting is not offered at this booth."),
            field="posting",
            status=409,
        )
    existing = Application.objects.filter(member=member, posting=posting, booth=booth)
    if posting is not None:
        existing = Application.objects.filter(member=member, posting=posting)
    found = existing.first()
    if found is not None:
        return found, False
    at = now()
    try:
        with transaction.atomic():
            application = Application.objects.create(
                member=member,
                enterprise=booth.enterprise,
                posting=posting,
                booth=booth,
                org=booth.fair.org,
                source=Application.Source.BOOTH,
                submitted_at=at,
            )
    except IntegrityError:
        raise Refused(
            code="already_applied",
            message=_("Your résumé is already with this employer."),
            status=409,
        ) from None
    _step(application, from_status="", to_status=S.SUBMITTED, by_member=True, at=at, note="booth")
    service_event_record(member=member, kind="jobs.application", source=application, occurred_at=at)
    return application, True


@transaction.atomic
def fair_checkin(
    *, fair: JobFair, member: Member, terminal: Terminal | None = None
) -> tuple[FairCheckin, bool]:
    """The member checked in at the fair's gate. Returns (check-in, created); once per fair."""
    _member_ok(member)
    if fair.date != local_today():
        raise Refused(
            code="fair_not_today", message=_("This job fair is not open today."), status=409
        )
    found = FairCheckin.objects.filter(fair=fair, member=member).first()
    if found is not None:
        return found, False
    at = now()
    try:
        with transaction.atomic():
            checkin = FairCheckin.objects.create(
                fair=fair, member=member, terminal=terminal, checked_in_at=at
            )
    except IntegrityError:
        return FairCheckin.objects.get(fair=fair, member=member), False
    service_event_record(member=member, kind="jobs.fair_checkin", source=checkin, occurred_at=at)
    return checkin, True


@transaction.atomic
def application_transition(
    *,
    application: Application,
    to_status: str,
    actor: Any = None,
    member: Member | None = None,
    note: str = "",
    ip: str | None = None,
) -> Application:
    """Move an application. Exactly one of ``actor`` (a staff or employer user allowed to handle
    it) and ``member`` (its own applicant, who may only withdraw) acts. Illegal moves refused."""
    if (actor is None) == (member is None):
        raise ValueError("exactly one of actor and member acts")
    app = Application.objects.select_for_update().get(pk=application.pk)
    if member is not None:
        if app.member_id != member.pk:
            raise NotFound(message=_("No such application."))
        if to_status not in MEMBER_MOVES:
            raise Refused(
                code="not_allowed",
                message=_("Only the employer can make this change."),
                field="status",
                status=403,
            )
    else:
        if not selectors.may_handle(actor, app):
            raise NotFound(message=_("No such application."))
        if to_status in MEMBER_MOVES:
            raise Refused(
                code="not_allowed",
                message=_("Only the applicant can withdraw an application."),
                field="status",
                status=403,
            )
    if to_status not in S.values:
        raise Refused(code="status", message=_("Unknown status."), field="status")
    if to_status not in TRANSITIONS[app.status]:
        raise Refused(
            code="illegal_transition",
            message=_("An application that is %(from)s cannot become %(to)s.")
            % {"from": S(app.status).label, "to": S(to_status).label},
            field="status",
            status=409,
        )
    at = now()
    old = app.status
    app.status = to_status
    fields = ["status", "updated_at"]
    if to_status == S.OFFERED and app.intention_at is None:
        app.intention_at = at
        fields.append("intention_at")
    if to_status == S.HIRED:
        app.hired_at = at
        fields.append("hired_at")
    app.save(update_fields=fields)
    _step(
        app,
        from_status=old,
        to_status=to_status,
        actor=actor,
        by_member=member is not None,
        note=note,
        at=at,
    )
    if to_status == S.WITHDRAWN:  # the application no longer counts (docs/figures.md)
        service_event_compensate(kind="jobs.application_withdrawn", source=app, occurred_at=at)
    if actor is not None:
        audit_record(
            actor=actor,
            action="jobs.application.status",
            obj=app,
            org=app.org,
            data={"from": old, "to": to_status, "enterprise": app.enterprise_id},
            ip=ip,
        )
    return app


@transaction.atomic
def employer_staff_link(
    *, actor: Any, user: Any, enterprise: Enterprise, ip: str | None = None
) -> EmployerStaff:
    """Let ``user`` (a staff account) act for ``enterprise``; needs jobs.manage at its union."""
    if not can(actor, "jobs.manage", enterprise.union):
        raise NotFound(message=_("No such enterprise."))
    link, _created = EmployerStaff.objects.get_or_create(user=user, enterprise=enterprise)
    if not user.is_staff:
        user.is_staff = True
        user.save(update_fields=["is_staff"])
    audit_record(
        actor=actor,
        action="jobs.employer_staff.link",
        obj=link,
        org=enterprise.union,
        data={"user": user.pk, "enterprise": enterprise.pk},
        ip=ip,
    )
    return link


def skill_pay_validate(raises: Mapping[str, int]) -> dict[str, int]:
    """Known levels, non-negative whole fen, never less for a higher level."""
    if not raises:
        raise Refused(
            code="no_levels", message=_("Give the raise of at least one level."), field="raises"
        )
    clean: dict[str, int] = {}
    for level, fen in raises.items():
        if level not in SkillLevel.values:
            raise Refused(code="level", message=_("Unknown skill level."), field="raises")
        if not isinstance(fen, int) or isinstance(fen, bool) or fen < 0:
            raise Refused(
                code="raise_negative",
                message=_("A raise is a whole, non-negative number of fen."),
                field="raises",
            )
        clean[level] = fen
    ordered = sorted(clean.items(), key=lambda kv: SkillLevel.rank(kv[0]))
    for (_lo, lo_fen), (hi, hi_fen) in itertools.pairwise(ordered):
        if hi_fen < lo_fen:
            raise Refused(
                code="raise_order",
                message=_("A higher level cannot earn a smaller raise (%(level)s).")
                % {"level": SkillLevel(hi).label},
                field="raises",
            )
    return clean


@transaction.atomic
def skill_pay_scheme_set(
    *,
    actor: Any,
    enterprise: Enterprise,
    effective_from: dt.date,
    raises: Mapping[str, int],
    workers_covered: int,
    note: str = "",
    ip: str | None = None,
) -> SkillPayScheme:
    """Record an enterprise's skill-pay scheme from ``effective_from`` (replacing that day's)."""
    clean = skill_pay_validate(raises)
    if workers_covered < 0:
        raise Refused(
            code="workers",
            message=_("Workers covered cannot be negative."),
            field="workers_covered",
        )
    scheme, _created = SkillPayScheme.objects.update_or_create(
        enterprise=enterprise,
        effective_from=effective_from,
        defaults={"workers_covered": workers_covered, "note": note},
    )
    scheme.raises.all().delete()
    SkillPayRaise.objects.bulk_create(
        SkillPayRaise(scheme=scheme, level=level, monthly_raise_fen=fen)
        for level, fen in clean.items()
    )
    if actor is not None:
        audit_record(
            actor=actor,
            action="jobs.skill_pay.set",
            obj=scheme,
            org=enterprise.union,
            data={"raises": clean, "workers_covered": workers_covered},
            ip=ip,
        )
    return scheme
