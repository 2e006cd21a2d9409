"""Writes of hardship assistance: files, their state machine, gradient rules and help records.

Per-capita income (documented in docs/assistance.md): the household's income over the last 12
months (the applicant's + every household member's + other household income, integer fen)
divided by the household size (the applicant plus the household members), rounded half up to a
whole fen.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gonghui.core.audit import audit_record
from gonghui.core.errors import Refused
from gonghui.core.money import format_fen
from gonghui.core.timeutil import local_today
from gonghui.funds.models import AccountKind
from gonghui.funds.services import account_open, transaction_post
from gonghui.members.models import Member
from gonghui.members.services import service_event_record
from gonghui.orgs.models import Org, Role
from gonghui.orgs.scoping import can

from .models import (
    Category,
    Cause,
    FileEvent,
    GradientRule,
    HardshipDocument,
    HardshipFile,
    HelpKind,
    HelpRecord,
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
        actor=actor if getattr(actor, "is_authenticated", False) else None,
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
    if getattr(actor, "is_authenticated", False):
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


# --- gradient rules and help ------------------------------------------------------------------
def rule_for(*, file: HardshipFile, kind: str, year: int) -> GradientRule | None:
    """The rule of the nearest org above the file's union (itself included)."""
    org = file.org
    paths = [org.path[:i] for i in range(Org.steplen, len(org.path) + 1, Org.steplen)]
    rules = GradientRule.objects.filter(
        org__path__in=paths, year=year, category=file.category, kind=kind
    ).select_related("org")
    return max(rules, key=lambda r: len(r.org.path), default=None)


@transaction.atomic
def rule_set(
    *, org: Org, year: int, category: str, kind: str, ceiling_fen: int, actor: Any
) -> GradientRule:
    if not can(actor, "assistance.rules", org):
        raise Refused(code="not_found", message=_("Not found."), status=404)
    if not 2000 <= year <= 2100:
        raise Refused(code="invalid_year", message=_("Not a valid year."), field="year")
    rule, _created = GradientRule.objects.update_or_create(
        org=org,
        year=year,
        category=_choice(category, Category, "category"),
        kind=_choice(kind, HelpKind, "kind"),
        defaults={"ceiling_fen": _amount(ceiling_fen, "ceiling_fen")},
    )
    audit_record(
        actor=actor,
        action="assistance.rule.set",
        obj=rule,
        org=org,
        data={"year": year, "category": category, "kind": kind, "ceiling_fen": ceiling_fen},
    )
    return rule


@transaction.atomic
def help_record_create(
    *,
    file: HardshipFile,
    kind: str,
    amount_fen: int,
    actor: Any,
    given_on: dt.date | None = None,
    note: str = "",
) -> HelpRecord:
    """Give help to an active file: within the yearly ceiling of its gradient rule, paid from the
    rule org's assistance fund through the ledger; appends a ServiceEvent."""
    kind = _choice(kind, HelpKind, "kind")
    amount_fen = _amount(amount_fen, "amount_fen")
    if kind != HelpKind.VISIT and amount_fen == 0:
        raise Refused(
            code="invalid_amount",
            message=_("A grant or aid needs an amount above zero."),
            field="amount_fen",
        )
    note = note.strip()
    if len(note) > 200:
        raise Refused(code="too_long", message=_("This text is too long."), field="note")
    given_on = given_on or local_today()
    if given_on > local_today():
        raise Refused(
            code="future_date", message=_("The date cannot be in the future."), field="given_on"
        )
    # Lock the file first: concurrent help for one file queues here, and sums after the lock.
    locked = (
        HardshipFile.objects.select_for_update().select_related("org", "member").get(pk=file.pk)
    )
    if locked.status != S.ACTIVE:
        raise Refused(
            code="file_not_active",
            message=_("Help is given to active files only; this file is %(status)s.")
            % {"status": locked.get_status_display()},
            field="file",
            status=409,
        )
    rule = rule_for(file=locked, kind=kind, year=given_on.year)
    if rule is None:
        raise Refused(
            code="no_rule",
            message=_("No gradient rule gives this kind of help to this category in %(year)s.")
            % {"year": given_on.year},
            field="kind",
        )
    given = (
        HelpRecord.objects.filter(file=locked, kind=kind, given_on__year=given_on.year).aggregate(
            s=Sum("amount_fen")
        )["s"]
        or 0
    )
    if given + amount_fen > rule.ceiling_fen:
        raise Refused(
            code="ceiling_reached",
            message=_(
                "This would pass the yearly ceiling of %(ceiling)s: %(given)s given, %(left)s left."
            )
            % {
                "ceiling": format_fen(rule.ceiling_fen),
                "given": format_fen(given),
                "left": format_fen(max(rule.ceiling_fen - given, 0)),
            },
            field="amount_fen",
            status=409,
        )
    record = HelpRecord.objects.create(
        file=locked,
        kind=kind,
        amount_fen=amount_fen,
        given_on=given_on,
        note=note,
        paid_by=rule.org,
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    if amount_fen:
        fund = account_open(org=rule.org, kind=AccountKind.ASSISTANCE)
        bank = account_open(org=rule.org, kind=AccountKind.BANK)
        txn = transaction_post(
            org=rule.org,
            kind="assistance.help",
            entries=[(fund, amount_fen), (bank, -amount_fen)],
            memo=f"{record.get_kind_display()} #{record.pk}",
            source=("assistance.help", record.pk),
            actor=actor,
        )
        record.ledger_transaction = txn
        record.save(update_fields=["ledger_transaction"])
    service_event_record(
        member=locked.member,
        kind="assistance.visit" if kind == HelpKind.VISIT else "assistance.grant",
        source=record,
        amount_fen=amount_fen,
        org=locked.org,
    )
    audit_record(
        actor=actor,
        action="assistance.help.create",
        obj=record,
        org=locked.org,
        data={"file": locked.pk, "kind": kind, "amount_fen": amount_fen},
    )
    return record


# --- yearly review reminders ------------------------------------------------------------------
def review_reminders_send(*, today: dt.date | None = None) -> int:
    """Tell each file's case worker (or, unassigned, the log) that a yearly review falls due.

    A file is reminded once per due period (``reminded_on`` is cleared by the review). Returns
    the number of files reminded. Staff users carry no phone here, so the notice goes to the
    ``gonghui.assistance`` log; with a phone on the user (``user.phone``) it is sent by SMS."""
    import logging

    from gonghui.core.sms import sms_send

    from .selectors import files_due_for_review

    log = logging.getLogger("gonghui.assistance")
    today = today or local_today()
    count = 0
    for file in files_due_for_review(today=today).filter(reminded_on__isnull=True):
        with transaction.atomic():
            taken = HardshipFile.objects.filter(pk=file.pk, reminded_on__isnull=True).update(
                reminded_on=today
            )
            if taken != 1:
                continue
            worker = file.case_worker
            message = _(
                "Hardship file #%(pk)s (%(org)s) is due for its yearly review on %(due)s."
            ) % {
                "pk": file.pk,
                "org": file.org.name,
                "due": file.next_review_on,
            }
            phone = getattr(worker, "phone", "") if worker is not None else ""
            if phone:
                sms_send(phone=phone, message=str(message))
            log.info(
                "review reminder: file %s to %s: %s",
                file.pk,
                worker.get_username() if worker is not None else "(unassigned)",
                message,
            )
            audit_record(
                actor=None,
                action="assistance.file.remind",
                obj=file,
                org=file.org,
                data={"case_worker": getattr(worker, "pk", None), "due": str(file.next_review_on)},
            )
            count += 1
    return count


# --- evidence documents -----------------------------------------------------------------------
DOCUMENT_FOLDER = "assistance/documents"
MAX_DOCUMENTS = 20


def document_add(
    *, file: HardshipFile, name: str, stream: Any, actor: Any, size: int | None = None
) -> HardshipDocument:
    """Check (type by content, size, safe name) and store one evidence document privately."""
    from gonghui.core import uploads

    checked = uploads.check_upload(name=name, stream=stream, size=size, field="document")
    stored = uploads.store(checked, folder=DOCUMENT_FOLDER)
    try:
        with transaction.atomic():
            locked = HardshipFile.objects.select_for_update().get(pk=file.pk)
            if locked.documents.count() >= MAX_DOCUMENTS:
                raise Refused(
                    code="too_many_documents",
                    message=_("A file holds at most %(n)d documents.") % {"n": MAX_DOCUMENTS},
                    field="document",
                )
            doc = HardshipDocument.objects.create(
                file=locked,
                name=checked.name,
                content_type=checked.content_type,
                size=checked.size,
                sha256=checked.sha256,
                stored_name=stored,
                uploaded_by=actor if getattr(actor, "is_authenticated", False) else None,
            )
            audit_record(
                actor=actor,
                action="assistance.document.add",
                obj=doc,
                org=locked.org,
                data={"file": locked.pk, "size": checked.size, "type": checked.content_type},
            )
    except BaseException:
        uploads.remove_quietly([stored], folder=DOCUMENT_FOLDER)
        raise
    return doc
