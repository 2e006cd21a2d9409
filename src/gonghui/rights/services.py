"""Writes of rights cases and collective contracts.

Case numbers: ``<prefix>-<year>-<6 digits>`` (e.g. ``YH-2026-000123``), from the named sequence
``rights.case.<year>`` (core.sequences, a row lock), so they are unique across the deployment
and never reused; the prefix is ``settings.GONGHUI_CASE_NUMBER_PREFIX`` (default "YH"), the year
is the local (Asia/Shanghai) year of intake.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from gonghui.core import crypto
from gonghui.core.actors import is_staff_actor
from gonghui.core.audit import audit_record
from gonghui.core.errors import Refused
from gonghui.core.identifiers import InvalidIdentifier, mask_phone, normalize_phone
from gonghui.core.sequences import sequence_take
from gonghui.core.timeutil import local_today, now
from gonghui.members.models import Member
from gonghui.members.services import service_event_record
from gonghui.orgs.models import Enterprise, Org, Role, RoleAssignment
from gonghui.orgs.scoping import can

from .models import CaseEntry, CaseParty, CaseStep, CaseType, CollectiveContract, RightsCase

PHONE_PURPOSE = "rights.contact_phone"
MAX_AMOUNT_FEN = 10**11
ACCESS_CODE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0/O, 1/I
ACCESS_CODE_LENGTH = 10


@dataclass
class IntakeResult:
    case: RightsCase
    access_code: str = ""  # shown once (anonymous intake), never stored in clear
    open_cases: list[str] = field(default_factory=list)  # numbers of the member's other open cases


def _staff(actor: Any) -> Any:
    return actor if is_staff_actor(actor) else None


def case_number(year: int, n: int) -> str:
    prefix = settings.GONGHUI_CASE_NUMBER_PREFIX
    return f"{prefix}-{year}-{n:06d}"


def access_code_hash(code: str) -> str:
    return hashlib.sha256(f"gonghui-rights:{code.strip().upper()}".encode()).hexdigest()


def _amount(value: Any, field_name: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise Refused(
            code="invalid_amount",
            message=_("An amount is a whole number of fen, not negative."),
            field=field_name,
        )
    if value > MAX_AMOUNT_FEN:
        raise Refused(
            code="amount_too_large", message=_("The amount is too large."), field=field_name
        )
    return value


def _due(step: CaseStep, start: dt.date) -> dt.date:
    return start + dt.timedelta(days=step.due_days)


def _entry(case: RightsCase, kind: str, text: str, actor: Any, *, public: bool) -> CaseEntry:
    return CaseEntry.objects.create(
        case=case, kind=kind, text=text, actor=_staff(actor), is_public=public
    )


def open_cases_of(member: Member, *, exclude_pk: int | None = None) -> list[str]:
    """Numbers of the member's open cases (as applicant or as a party of a collective case)."""
    from django.db.models import Q

    qs = RightsCase.objects.filter(
        Q(member=member) | Q(parties__member=member), status=RightsCase.Status.OPEN
    )
    if exclude_pk is not None:
        qs = qs.exclude(pk=exclude_pk)
    return sorted(set(qs.values_list("number", flat=True)))


def _default_org(member: Member | None, enterprise: Enterprise | None) -> Org:
    if member is not None:
        return member.org
    if enterprise is not None:
        return enterprise.union
    root = Org.objects.filter(depth=1).order_by("path").first()
    if root is None:
        raise Refused(code="no_union", message=_("No union is set up yet."))
    return root


@transaction.atomic
def case_intake(
    *,
    kind: str,
    case_type: CaseType | str,
    description: str,
    member: Member | None = None,
    anonymous: bool = False,
    contact_phone: str = "",
    enterprise: Enterprise | None = None,
    employer_name: str = "",
    amount_claimed_fen: int = 0,
    org: Org | None = None,
    actor: Any = None,
) -> IntakeResult:
    """Receive a consultation or complaint (H5, 24 hours, optionally anonymous; or by staff)."""
    if kind not in RightsCase.Kind.values:
        raise Refused(code="invalid_choice", message=_("Not a valid choice."), field="kind")
    if isinstance(case_type, str):
        found = CaseType.objects.filter(code=case_type, is_active=True).first()
        if found is None:
            raise Refused(
                code="invalid_case_type", message=_("Unknown case type."), field="case_type"
            )
        case_type = found
    steps = list(case_type.steps.order_by("order"))
    if not steps:
        raise Refused(
            code="case_type_without_steps",
            message=_("This case type has no steps configured."),
            field="case_type",
        )
    description = (description or "").strip()
    if len(description) < 5 or len(description) > 5000:
        raise Refused(
            code="invalid_description",
            message=_("Describe the matter in 5 to 5000 characters."),
            field="description",
        )
    employer_name = (employer_name or "").strip()
    if len(employer_name) > 120:
        raise Refused(code="too_long", message=_("This text is too long."), field="employer_name")
    amount_claimed_fen = _amount(amount_claimed_fen, "amount_claimed_fen")
    phone_cipher = phone_masked = ""
    if contact_phone:
        try:
            phone = normalize_phone(contact_phone)
        except InvalidIdentifier:
            raise Refused(
                code="invalid_phone",
                message=_("Enter a valid mobile phone number."),
                field="contact_phone",
            ) from None
        phone_cipher = crypto.encrypt(phone, purpose=PHONE_PURPOSE)
        phone_masked = mask_phone(phone)
    if anonymous:
        member = None
    elif member is None and _staff(actor) is None:
        raise Refused(
            code="sign_in_or_anonymous",
            message=_("Sign in as a member, or choose anonymous."),
            field="anonymous",
        )
    access_code = ""
    if member is None:
        access_code = "".join(
            secrets.choice(ACCESS_CODE_ALPHABET) for _i in range(ACCESS_CODE_LENGTH)
        )
    home = org or _default_org(member, enterprise)
    today = local_today()
    (n,) = sequence_take(name=f"rights.case.{today.year}")
    case = RightsCase.objects.create(
        number=case_number(today.year, n),
        kind=kind,
        case_type=case_type,
        org=home,
        member=member,
        is_anonymous=anonymous,
        contact_phone_cipher=phone_cipher,
        contact_phone_masked=phone_masked,
        access_code_hash=access_code_hash(access_code) if access_code else "",
        description=description,
        enterprise=enterprise,
        employer_name=employer_name or (enterprise.name if enterprise else ""),
        amount_claimed_fen=amount_claimed_fen,
        step=steps[0],
        step_started_on=today,
        due_on=_due(steps[0], today),
    )
    _entry(case, CaseEntry.Kind.CREATED, steps[0].name, actor, public=True)
    if member is not None:  # an anonymous intake has no member and no event (docs/figures.md)
        service_event_record(member=member, kind="rights.intake", source=case, org=home)
    if _staff(actor) is not None:
        audit_record(actor=actor, action="rights.case.create", obj=case, org=home)
    warning = open_cases_of(member, exclude_pk=case.pk) if member is not None else []
    return IntakeResult(case=case, access_code=access_code, open_cases=warning)


def case_track(*, number: str, access_code: str) -> RightsCase:
    """The case an anonymous person follows with its number and access code (else 404)."""
    case = RightsCase.objects.filter(number=(number or "").strip().upper()).first()
    wanted = case.access_code_hash if case is not None else "0" * 64
    given = access_code_hash(access_code or "")
    if case is None or not wanted or not hmac.compare_digest(wanted, given):
        raise Refused(
            code="not_found",
            message=_("No case matches this number and access code."),
            status=404,
        )
    return case


def _locked_open(case: RightsCase, action: Any) -> RightsCase:
    locked = (
        RightsCase.objects.select_for_update().select_related("step", "case_type").get(pk=case.pk)
    )
    if locked.status != RightsCase.Status.OPEN:
        raise Refused(
            code="case_closed",
            message=_("The case is closed: it cannot be %(action)s.") % {"action": action},
            status=409,
        )
    return locked


def _holds_role(user: Any, role: str, org: Org) -> bool:
    if user is None or not getattr(user, "is_active", False):
        return False
    paths = RoleAssignment.objects.filter(user=user, role=role, org__is_active=True).values_list(
        "org__path", flat=True
    )
    return any(org.path.startswith(p) for p in paths)


@transaction.atomic
def case_assign(
    *, case: RightsCase, actor: Any, lawyer: Any = None, case_worker: Any = None
) -> RightsCase:
    """Assign a lawyer and/or a case worker (each must hold that role over the case's union)."""
    if not can(actor, "rights.supervise", case.org):
        raise Refused(
            code="supervisors_only",
            message=_("Only a supervisor of this union assigns cases."),
            status=403,
        )
    locked = _locked_open(case, _("assigned"))
    if lawyer is not None and not _holds_role(lawyer, Role.LAWYER, locked.org):
        raise Refused(
            code="not_a_lawyer",
            message=_("This person is not a lawyer of this union."),
            field="lawyer",
        )
    if case_worker is not None and not _holds_role(case_worker, Role.CASE_WORKER, locked.org):
        raise Refused(
            code="not_a_case_worker",
            message=_("This person is not a case worker of this union."),
            field="case_worker",
        )
    if lawyer is None and case_worker is None:
        raise Refused(code="nobody", message=_("Choose a lawyer or a case worker."), field="lawyer")
    names = []
    if lawyer is not None:
        locked.lawyer = lawyer
        names.append(lawyer.get_username())
    if case_worker is not None:
        locked.case_worker = case_worker
        names.append(case_worker.get_username())
    locked.save(update_fields=["lawyer", "case_worker"])
    _entry(locked, CaseEntry.Kind.ASSIGNED, ", ".join(names), actor, public=False)
    audit_record(
        actor=actor,
        action="rights.case.assign",
        obj=locked,
        org=locked.org,
        data={
            "lawyer": getattr(lawyer, "pk", None),
            "case_worker": getattr(case_worker, "pk", None),
        },
    )
    return locked


def _text(text: str, *, required: bool = True) -> str:
    text = (text or "").strip()
    if required and not text:
        raise Refused(code="text_required", message=_("Write something."), field="text")
    if len(text) > 5000:
        raise Refused(code="too_long", message=_("This text is too long."), field="text")
    return text


@transaction.atomic
def case_note(*, case: RightsCase, text: str, actor: Any, public: bool = False) -> CaseEntry:
    text = _text(text)
    locked = _locked_open(case, _("annotated"))
    entry = _entry(locked, CaseEntry.Kind.NOTE, text, actor, public=public)
    audit_record(actor=actor, action="rights.case.note", obj=locked, org=locked.org)
    return entry


@transaction.atomic
def case_answer(*, case: RightsCase, text: str, actor: Any) -> CaseEntry:
    """Answer a consultation (shown to the applicant); counts one ServiceEvent per case."""
    text = _text(text)
    locked = _locked_open(case, _("answered"))
    if locked.kind != RightsCase.Kind.CONSULTATION:
        raise Refused(
            code="not_a_consultation",
            message=_("Only a consultation is answered; a complaint moves through its steps."),
            status=409,
        )
    entry = _entry(locked, CaseEntry.Kind.ANSWER, text, actor, public=True)
    if locked.member is not None:
        service_event_record(
            member=locked.member, kind="rights.consultation", source=locked, org=locked.org
        )
    audit_record(actor=actor, action="rights.case.answer", obj=locked, org=locked.org)
    return entry


@transaction.atomic
def case_advance(*, case: RightsCase, actor: Any, note: str = "") -> RightsCase:
    """Move to the next step of the case type; the due date restarts from today."""
    note = _text(note, required=False)
    locked = _locked_open(case, _("moved on"))
    following = (
        CaseStep.objects.filter(case_type=locked.case_type, order__gt=locked.step.order)
        .order_by("order")
        .first()
    )
    if following is None:
        raise Refused(
            code="last_step",
            message=_("The case is at its last step: close it with an outcome."),
            status=409,
        )
    today = local_today()
    frm = locked.step
    locked.step = following
    locked.step_started_on = today
    locked.due_on = _due(following, today)
    locked.save(update_fields=["step", "step_started_on", "due_on"])
    _entry(
        locked,
        CaseEntry.Kind.ADVANCED,
        following.name + (f": {note}" if note else ""),
        actor,
        public=True,
    )
    audit_record(
        actor=actor,
        action="rights.case.advance",
        obj=locked,
        org=locked.org,
        data={"from": frm.order, "to": following.order},
    )
    return locked


@transaction.atomic
def case_close(
    *, case: RightsCase, outcome: str, actor: Any, amount_recovered_fen: int = 0, note: str = ""
) -> RightsCase:
    """Close with an outcome and the amount recovered; appends rights.case_closed events."""
    if outcome not in RightsCase.Outcome.values or not outcome:
        raise Refused(code="outcome_required", message=_("Choose an outcome."), field="outcome")
    amount_recovered_fen = _amount(amount_recovered_fen, "amount_recovered_fen")
    note = _text(note, required=False)
    locked = _locked_open(case, _("closed"))
    if outcome == RightsCase.Outcome.ANSWERED and locked.kind != RightsCase.Kind.CONSULTATION:
        raise Refused(
            code="invalid_outcome",
            message=_("Only a consultation can be closed as answered."),
            field="outcome",
        )
    parties = list(locked.parties.select_related("member"))
    if parties and amount_recovered_fen == 0:
        amount_recovered_fen = sum(p.amount_recovered_fen for p in parties)
    locked.status = RightsCase.Status.CLOSED
    locked.outcome = outcome
    locked.amount_recovered_fen = amount_recovered_fen
    locked.closed_at = now()
    locked.due_on = None
    locked.save(update_fields=["status", "outcome", "amount_recovered_fen", "closed_at", "due_on"])
    label = str(locked.get_outcome_display()) + (f": {note}" if note else "")
    _entry(locked, CaseEntry.Kind.CLOSED, label, actor, public=True)
    if locked.member is not None:
        service_event_record(
            member=locked.member,
            kind="rights.case_closed",
            source=locked,
            amount_fen=amount_recovered_fen if not parties else 0,
            org=locked.org,
        )
    for party in parties:
        service_event_record(
            member=party.member,
            kind="rights.collective_closed",
            source=party,
            amount_fen=party.amount_recovered_fen,
            org=locked.org,
        )
    audit_record(
        actor=actor,
        action="rights.case.close",
        obj=locked,
        org=locked.org,
        data={"outcome": outcome, "amount_recovered_fen": amount_recovered_fen},
    )
    return locked


@transaction.atomic
def case_party_add(
    *,
    case: RightsCase,
    member: Member,
    actor: Any,
    amount_claimed_fen: int = 0,
    amount_recovered_fen: int = 0,
) -> CaseParty:
    """Add a claimant to a collective case: one employer for all (the case's)."""
    amount_claimed_fen = _amount(amount_claimed_fen, "amount_claimed_fen")
    amount_recovered_fen = _amount(amount_recovered_fen, "amount_recovered_fen")
    locked = _locked_open(case, _("changed"))
    if locked.enterprise_id is None and not locked.employer_name:
        raise Refused(
            code="no_employer",
            message=_("A collective case needs the employer first."),
            field="member",
        )
    if (
        locked.enterprise_id is not None
        and member.enterprise_id is not None
        and member.enterprise_id != locked.enterprise_id
    ):
        raise Refused(
            code="other_employer",
            message=_("This member works for another employer than the one of this case."),
            field="member",
        )
    try:
        with transaction.atomic():
            party = CaseParty.objects.create(
                case=locked,
                member=member,
                amount_claimed_fen=amount_claimed_fen,
                amount_recovered_fen=amount_recovered_fen,
            )
    except IntegrityError:
        raise Refused(
            code="party_exists",
            message=_("This member is already a party of the case."),
            field="member",
            status=409,
        ) from None
    _entry(locked, CaseEntry.Kind.PARTY, member.name, actor, public=False)
    audit_record(
        actor=actor,
        action="rights.case.party_add",
        obj=locked,
        org=locked.org,
        data={"member": member.pk},
    )
    return party


# --- collective contracts ----------------------------------------------------------------------
@transaction.atomic
def contract_create(
    *,
    kind: str,
    org: Org,
    title: str,
    signed_on: dt.date,
    valid_from: dt.date,
    valid_until: dt.date,
    wage_increase_bp: int,
    workers_covered: int,
    actor: Any,
    enterprise: Enterprise | None = None,
    region_code: str = "",
) -> CollectiveContract:
    if kind not in CollectiveContract.Kind.values:
        raise Refused(code="invalid_choice", message=_("Not a valid choice."), field="kind")
    if kind == CollectiveContract.Kind.ENTERPRISE and enterprise is None:
        raise Refused(
            code="enterprise_required",
            message=_("An enterprise contract names its enterprise."),
            field="enterprise",
        )
    if kind != CollectiveContract.Kind.ENTERPRISE and enterprise is not None:
        raise Refused(
            code="enterprise_not_allowed",
            message=_("Only an enterprise contract names an enterprise."),
            field="enterprise",
        )
    if kind == CollectiveContract.Kind.REGIONAL and not (
        len(region_code) == 6 and region_code.isdigit()
    ):
        raise Refused(
            code="region_required",
            message=_("A regional contract needs a 6-digit region code."),
            field="region_code",
        )
    if valid_until < valid_from:
        raise Refused(
            code="invalid_window",
            message=_("The contract must end after it starts."),
            field="valid_until",
        )
    if signed_on > valid_until:
        raise Refused(
            code="invalid_window",
            message=_("The contract must be signed before it ends."),
            field="signed_on",
        )
    for value, name in (
        (wage_increase_bp, "wage_increase_bp"),
        (workers_covered, "workers_covered"),
    ):
        if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= 10**7:
            raise Refused(code="invalid_number", message=_("Not a valid number."), field=name)
    title = (title or "").strip()
    if not title or len(title) > 120:
        raise Refused(
            code="invalid_title", message=_("A title is 1 to 120 characters."), field="title"
        )
    contract = CollectiveContract.objects.create(
        kind=kind,
        org=org,
        enterprise=enterprise,
        region_code=region_code,
        title=title,
        signed_on=signed_on,
        valid_from=valid_from,
        valid_until=valid_until,
        wage_increase_bp=wage_increase_bp,
        workers_covered=workers_covered,
    )
    audit_record(actor=actor, action="rights.contract.create", obj=contract, org=org)
    return contract
