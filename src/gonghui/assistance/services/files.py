"""Hardship files: application (with the household and per-capita income), recomputation, the
state machine (verify, activate, review, close, reopen), assignment of a case worker.

Per-capita income (documented in docs/assistance.md): the household's income over the last 12
months (the applicant's + every household member's + other household income, integer fen)
divided by the household size (the applicant plus the household members), rounded half up to a
whole fen."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gonghui.core.actors import is_staff_actor
from gonghui.core.audit import audit_record
from gonghui.core.errors import Refused
from gonghui.core.timeutil import local_today
from gonghui.members.models import Member
from gonghui.orgs.models import Org, Role
from gonghui.orgs.scoping import can

from ..models import (
    Category,
    Cause,
    FileEvent,
    HardshipFile,
    HouseholdMember,
    Housing,
    WorkerType,
)

MAX_AMOUNT_FEN = 10**10  # 1亿元: far above any grant
MAX_HOUSEHOLD = 20
REVIEW_INTERVAL_DAYS = 365

S = HardshipFile.Status

#: action -> (allowed from-statuses, to-status)
TRANSITIONS: dict[str, tuple[tuple[str, ...], str]] = {
    "verify": ((S.APPLIED,), S.VERIFIED),
    "activate": ((S.VERIFIED,), S.ACTIVE),
    "review": ((S.ACTIVE,), S.ACTIVE),
    "close": ((S.APPLIED, S.VERIFIED, S.ACTIVE), S.CLOSED),
    "reopen": ((S.CLOSED,), S.APPLIED),
}


#: Actions that only supervisors (admins above the file's union) may take; a case worker
#: verifies and reviews.
SUPERVISOR_ACTIONS = frozenset({"activate", "close", "reopen"})


def per_capita_fen(total_fen: int, size: int) -> int:
    """Total household income over household size, rounded half up to a whole fen."""
    if size < 1 or total_fen < 0:
        raise ValueError("size >= 1 and total >= 0")
    return (2 * total_fen + size) // (2 * size)


def _amount(value: Any, field: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise Refused(
            code="invalid_amount",
            message=_("An amount is a whole number of fen, not negative."),
            field=field,
        )
    if value > MAX_AMOUNT_FEN:
        raise Refused(code="amount_too_large", message=_("The amount is too large."), field=field)
    return value


def _choice(value: Any, choices: Any, field: str, *, blank: bool = False) -> str:
    if blank and value in ("", None):
        return ""
    if value not in choices.values:
        raise Refused(code="invalid_choice", message=_("Not a valid choice."), field=field)
    return str(value)


def _clean_causes(main: Any, secondary: Sequence[str]) -> tuple[str, list[str]]:
    main = _choice(main, Cause, "main_cause")
    picked = [c for c in secondary if c]
    if len(picked) > 3:
        raise Refused(
            code="too_many_causes",
            message=_("At most three secondary causes."),
            field="secondary_causes",
        )
    for c in picked:
        _choice(c, Cause, "secondary_causes")
    if main in picked:
        raise Refused(
            code="cause_repeated",
            message=_("A secondary cause cannot be the main cause."),
            field="secondary_causes",
        )
    if len(set(picked)) != len(picked):
        raise Refused(
            code="cause_repeated",
            message=_("Each secondary cause can be given once."),
            field="secondary_causes",
        )
    return main, picked + [""] * (3 - len(picked))


def _clean_household(household: Sequence[dict[str, Any]]) -> list[HouseholdMember]:
    if len(household) > MAX_HOUSEHOLD:
        raise Refused(
            code="household_too_large", message=_("Too many household members."), field="household"
        )
    rows = []
    for person in household:
        name = str(person.get("name", "")).strip()
        if not name or len(name) > 60:
            raise Refused(
                code="invalid_name",
                message=_("Each household member needs a name (at most 60 characters)."),
                field="household",
            )
        birth = person.get("birth_date")
        if not isinstance(birth, dt.date) or birth > local_today():
            raise Refused(
                code="invalid_birth_date",
                message=_("Each household member needs a birth date in the past."),
                field="household",
            )
        rows.append(
            HouseholdMember(
                relation=_choice(person.get("relation"), HouseholdMember.Relation, "household"),
                name=name,
                birth_date=birth,
                health=_choice(
                    person.get("health", HouseholdMember.Health.HEALTHY),
                    HouseholdMember.Health,
                    "household",
                ),
                income_fen=_amount(person.get("income_fen", 0), "household"),
            )
        )
    return rows


def _recompute(file: HardshipFile) -> None:
    members = list(file.household.values_list("income_fen", flat=True))
    file.household_size = 1 + len(members)
    file.household_income_fen = file.applicant_income_fen + file.other_income_fen + sum(members)
    file.per_capita_income_fen = per_capita_fen(file.household_income_fen, file.household_size)


def _event(file: HardshipFile, action: str, frm: str, to: str, actor: Any, note: str = "") -> None:
    FileEvent.objects.create(
        file=file,
        action=action,
        from_status=frm,
        to_status=to,
        note=note[:200],
        actor=actor if is_staff_actor(actor) else None,
    )


@transaction.atomic
def file_apply(
    *,
    member: Member,
    category: str,
    worker_type: str,
    main_cause: str,
    secondary_causes: Sequence[str] = (),
    applicant_income_fen: int = 0,
    other_income_fen: int = 0,
    housing: str,
    housing_note: str = "",
    health_note: str = "",
    evidence_note: str = "",
    household: Sequence[dict[str, Any]] = (),
    actor: Any = None,
) -> HardshipFile:
    """Open a file for ``member`` (by the member on the H5, or by staff for them)."""
    main, secondary = _clean_causes(main_cause, secondary_causes)
    rows = _clean_household(household)
    for text, field, limit in (
        (housing_note, "housing_note", 200),
        (health_note, "health_note", 200),
        (evidence_note, "evidence_note", 2000),
    ):
        if len(text) > limit:
            raise Refused(code="too_long", message=_("This text is too long."), field=field)
    if HardshipFile.objects.filter(member=member).exclude(status=S.CLOSED).exists():
        raise Refused(
            code="file_open",
            message=_("This member already has an open hardship file."),
            field="member",
            status=409,
        )
    returned = HardshipFile.objects.filter(member=member, status=S.CLOSED).exists()
    file = HardshipFile(
        member=member,
        org=member.org,
        category=_choice(category, Category, "category"),
        worker_type=_choice(worker_type, WorkerType, "worker_type"),
        main_cause=main,
        secondary_cause_1=secondary[0],
        secondary_cause_2=secondary[1],
        secondary_cause_3=secondary[2],
        applicant_income_fen=_amount(applicant_income_fen, "applicant_income_fen"),
        other_income_fen=_amount(other_income_fen, "other_income_fen"),
        housing=_choice(housing, Housing, "housing"),
        housing_note=housing_note.strip(),
        health_note=health_note.strip(),
        evidence_note=evidence_note.strip(),
        is_returned=returned,
        applied_on=local_today(),
    )
    try:
        with transaction.atomic():
            file.save()
    except IntegrityError:
        raise Refused(
            code="file_open",
            message=_("This member already has an open hardship file."),
            field="member",
            status=409,
        ) from None
    for row in rows:
        row.file = file
    HouseholdMember.objects.bulk_create(rows)
    _recompute(file)
    file.save(update_fields=["household_size", "household_income_fen", "per_capita_income_fen"])
    _event(file, "apply", "", S.APPLIED, actor)
    if is_staff_actor(actor):
        audit_record(actor=actor, action="assistance.file.create", obj=file, org=file.org)
    return file


@transaction.atomic
def file_recompute(*, file: HardshipFile) -> HardshipFile:
    """Recompute household size, income and per-capita income after household edits."""
    locked = HardshipFile.objects.select_for_update().get(pk=file.pk)
    _recompute(locked)
    locked.save(update_fields=["household_size", "household_income_fen", "per_capita_income_fen"])
    return locked


@transaction.atomic
def file_transition(*, file: HardshipFile, action: str, actor: Any, note: str = "") -> HardshipFile:
    """Move a file through its state machine; any other move is refused with a message."""
    if action not in TRANSITIONS:
        raise Refused(code="invalid_action", message=_("Unknown action."), field="action")
    if action in SUPERVISOR_ACTIONS and not can(actor, "assistance.supervise", file.org):
        raise Refused(
            code="supervisors_only",
            message=_("Only a supervisor of this union activates, closes or reopens a file."),
            status=403,
        )
    locked = HardshipFile.objects.select_for_update().get(pk=file.pk)
    allowed, to = TRANSITIONS[action]
    if locked.status not in allowed:
        raise Refused(
            code="illegal_transition",
            message=_("A file that is %(status)s cannot be %(action)s.")
            % {"status": locked.get_status_display(), "action": ACTION_LABELS[action]},
            field="action",
            status=409,
        )
    note = note.strip()
    if action == "close" and not note:
        raise Refused(code="reason_required", message=_("Give a reason for closing."), field="note")
    if (
        action == "reopen"
        and HardshipFile.objects.filter(member=locked.member).exclude(status=S.CLOSED).exists()
    ):
        raise Refused(
            code="file_open",
            message=_("This member already has an open hardship file."),
            field="action",
            status=409,
        )
    today = local_today()
    frm = locked.status
    locked.status = to
    if action == "activate":
        locked.activated_on = today
        locked.next_review_on = today + dt.timedelta(days=REVIEW_INTERVAL_DAYS)
    elif action == "review":
        locked.last_reviewed_on = today
        locked.next_review_on = today + dt.timedelta(days=REVIEW_INTERVAL_DAYS)
        locked.reminded_on = None
    elif action == "close":
        locked.closed_on = today
        locked.close_reason = note[:200]
        locked.next_review_on = None
    elif action == "reopen":
        locked.is_returned = True
        locked.closed_on = None
        locked.close_reason = ""
        locked.activated_on = None
        locked.applied_on = today
    locked.save()
    _event(locked, action, frm, to, actor, note)
    audit_record(
        actor=actor,
        action=f"assistance.file.{action}",
        obj=locked,
        org=locked.org,
        data={"from": frm, "to": to},
    )
    return locked


ACTION_LABELS: dict[str, Any] = {
    "verify": gettext_lazy("verified"),
    "activate": gettext_lazy("activated"),
    "review": gettext_lazy("reviewed"),
    "close": gettext_lazy("closed"),
    "reopen": gettext_lazy("reopened"),
}


@transaction.atomic
def file_assign(*, file: HardshipFile, case_worker: Any, actor: Any) -> HardshipFile:
    """Assign a case worker who holds the case-worker role over the file's union."""
    if not can(actor, "assistance.supervise", file.org):
        raise Refused(
            code="supervisors_only",
            message=_("Only a supervisor of this union assigns files."),
            status=403,
        )
    if case_worker is not None and not _holds_role(case_worker, Role.CASE_WORKER, file.org):
        raise Refused(
            code="not_a_case_worker",
            message=_("This person is not a case worker of this union."),
            field="case_worker",
        )
    locked = HardshipFile.objects.select_for_update().get(pk=file.pk)
    locked.case_worker = case_worker
    locked.save(update_fields=["case_worker"])
    audit_record(
        actor=actor,
        action="assistance.file.assign",
        obj=locked,
        org=locked.org,
        data={"case_worker": getattr(case_worker, "pk", None)},
    )
    return locked


def _holds_role(user: Any, role: str, org: Org) -> bool:
    from gonghui.orgs.models import RoleAssignment

    paths = RoleAssignment.objects.filter(user=user, role=role, org__is_active=True).values_list(
        "org__path", flat=True
    )
    return getattr(user, "is_active", False) and any(org.path.startswith(p) for p in paths)
