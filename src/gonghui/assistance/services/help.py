"""Gradient rules (the yearly ceiling per category and kind of help) and help records: help is
given to an active file within its rule's ceiling, paid from the rule org's assistance fund
through the ledger."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from gonghui.core.actors import is_staff_actor
from gonghui.core.audit import audit_record
from gonghui.core.errors import Refused
from gonghui.core.money import format_fen
from gonghui.core.timeutil import local_today
from gonghui.funds.models import AccountKind
from gonghui.funds.services import account_open, transaction_post
from gonghui.members.services import service_event_record
from gonghui.orgs.models import Org
from gonghui.orgs.scoping import can

from ..models import (
    Category,
    GradientRule,
    HardshipFile,
    HelpKind,
    HelpRecord,
)
from ..selectors import help_given, rule_for
from .files import S, _amount, _choice


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
    given = help_given(file=locked, kind=kind, year=given_on.year)
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
        created_by=actor if is_staff_actor(actor) else None,
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
