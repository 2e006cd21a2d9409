"""Enrolment in batches from an enterprise roster, premium invoices and their receipt."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from gonghui.core.actors import is_staff_actor
from gonghui.core.audit import audit_record
from gonghui.core.errors import Refused
from gonghui.core.money import percent_of
from gonghui.core.sequences import sequence_take
from gonghui.core.timeutil import local_today, now, to_local
from gonghui.funds.models import AccountKind
from gonghui.funds.services import account_open, transaction_post
from gonghui.members.models import Member
from gonghui.members.services import service_events_record_many
from gonghui.orgs.models import Enterprise, Org

from ..models import AidEnrolment, AidPlan, EnrolmentBatch, PaidBy, PremiumInvoice

KIND_PREMIUM = "mutualaid.premium"


def plan_covers_org(plan: AidPlan, org: Org) -> bool:
    """A plan of an org serves that org's whole subtree."""
    return org.path.startswith(plan.org.path)


def premium_parts(*, plan: AidPlan, shares: int, paid_by: str) -> tuple[int, int, int]:
    """(premium, employer part, member part) of one member: half up in the member's favour."""
    premium = plan.share_price_fen * shares
    if paid_by == PaidBy.UNIT:
        unit = premium
    elif paid_by == PaidBy.MEMBER:
        unit = 0
    else:
        unit = percent_of(premium, plan.unit_share_bp)
    return premium, unit, premium - unit


def coverage_window(*, plan: AidPlan, enrolled_on: dt.date) -> tuple[dt.date, dt.date]:
    """Coverage starts ``waiting_days`` after enrolment (or after 1 January of the plan's year,
    whichever is later) and ends on 31 December of the plan's year."""
    start = max(enrolled_on, dt.date(plan.year, 1, 1)) + dt.timedelta(days=plan.waiting_days)
    return start, dt.date(plan.year, 12, 31)


@transaction.atomic
def enrolment_batch_create(
    *,
    plan: AidPlan,
    enterprise: Enterprise,
    actor: Any,
    members: Iterable[Member] | None = None,
    shares: int = 1,
    paid_by: str = PaidBy.SHARED,
    at: dt.datetime | None = None,
) -> EnrolmentBatch:
    """Enrol ``members`` (default: every active member of ``enterprise``) in ``plan`` and issue
    the enterprise's premium invoice. Members already enrolled in the plan are skipped."""
    when = at or now()
    today = to_local(when).date() if at else local_today()
    union = Org.objects.get(pk=enterprise.union_id)
    if not plan.is_active:
        raise Refused(code="plan_inactive", message=_("This plan is not active."), field="plan")
    if not plan_covers_org(plan, union):
        raise Refused(
            code="plan_not_for_org",
            message=_("This plan does not serve the enterprise's union."),
            field="plan",
        )
    if not plan.enrol_from <= today <= plan.enrol_until:
        raise Refused(
            code="enrolment_closed",
            message=_("Enrolment in this plan is open from %(start)s to %(end)s.")
            % {"start": plan.enrol_from, "end": plan.enrol_until},
            field="plan",
        )
    if not isinstance(shares, int) or not 1 <= shares <= plan.max_shares:
        raise Refused(
            code="invalid_shares",
            message=_("Shares per member are 1 to %(max)d in this plan.")
            % {"max": plan.max_shares},
            field="shares",
        )
    if paid_by not in PaidBy.values:
        raise Refused(code="invalid_paid_by", message=_("Unknown payer."), field="paid_by")

    if members is None:
        chosen = list(
            Member.objects.filter(enterprise=enterprise, status=Member.Status.ACTIVE).order_by("pk")
        )
    else:
        chosen = list({m.pk: m for m in members}.values())
        ids = [m.pk for m in chosen]
        fresh = {
            m.pk: m for m in Member.objects.filter(pk__in=ids).only("pk", "enterprise", "status")
        }
        for member in chosen:
            current = fresh.get(member.pk)
            if current is None or current.enterprise_id != enterprise.pk:
                raise Refused(
                    code="member_not_in_enterprise",
                    message=_("%(member)s does not work at %(enterprise)s.")
                    % {"member": member, "enterprise": enterprise},
                    field="members",
                )
            if current.status != Member.Status.ACTIVE:
                raise Refused(
                    code="member_inactive",
                    message=_("%(member)s is not an active member.") % {"member": member},
                    field="members",
                )
    if not chosen:
        raise Refused(
            code="no_members",
            message=_("The enterprise has no active members to enrol."),
            field="members",
        )

    already = set(
        AidEnrolment.objects.filter(plan=plan, member__in=[m.pk for m in chosen]).values_list(
            "member_id", flat=True
        )
    )
    batch = EnrolmentBatch.objects.create(
        plan=plan,
        enterprise=enterprise,
        org=union,
        shares=shares,
        paid_by=paid_by,
        created_by=actor if is_staff_actor(actor) else None,
    )
    premium, unit, member_part = premium_parts(plan=plan, shares=shares, paid_by=paid_by)
    start, end = coverage_window(plan=plan, enrolled_on=today)
    rows = [
        AidEnrolment(
            plan=plan,
            member=m,
            org_id=m.org_id,
            enterprise=enterprise,
            batch=batch,
            shares=shares,
            paid_by=paid_by,
            premium_fen=premium,
            unit_part_fen=unit,
            member_part_fen=member_part,
            enrolled_at=when,
            coverage_from=start,
            coverage_until=end,
        )
        for m in chosen
        if m.pk not in already
    ]
    AidEnrolment.objects.bulk_create(rows)
    service_events_record_many(
        kind="mutualaid.enrolment", items=[(row.member, row) for row in rows], at=when
    )
    batch.enrolled_count = len(rows)
    batch.skipped_count = len(chosen) - len(rows)
    batch.save(update_fields=["enrolled_count", "skipped_count"])
    if rows:
        number = f"MAP{plan.year}{sequence_take(name='mutualaid.invoice')[0]:06d}"
        PremiumInvoice.objects.create(
            number=number,
            batch=batch,
            plan=plan,
            enterprise=enterprise,
            org=union,
            member_count=len(rows),
            unit_part_fen=unit * len(rows),
            member_part_fen=member_part * len(rows),
            total_fen=premium * len(rows),
            issued_at=when,
        )
    audit_record(
        actor=actor,
        action="mutualaid.batch.create",
        obj=batch,
        org=union,
        data={
            "plan": plan.pk,
            "enterprise": enterprise.pk,
            "enrolled": batch.enrolled_count,
            "skipped": batch.skipped_count,
            "shares": shares,
            "paid_by": paid_by,
        },
    )
    return batch


@transaction.atomic
def premium_receive(*, invoice: PremiumInvoice, actor: Any) -> PremiumInvoice:
    """The enterprise (and its members) paid the invoice: the premiums go into the plan org's
    mutual-aid fund, against the enterprise's clearing account (debit clearing, credit fund)."""
    locked = (
        PremiumInvoice.objects.select_for_update(of=("self",))
        .select_related("plan__org")
        .get(pk=invoice.pk)
    )
    if locked.status != PremiumInvoice.Status.ISSUED:
        raise Refused(
            code="invoice_paid",
            message=_("This invoice has already been paid."),
            status=409,
        )
    plan_org = locked.plan.org
    fund = account_open(org=plan_org, kind=AccountKind.MUTUAL_AID)
    clearing = account_open(
        org=plan_org,
        kind=AccountKind.CLEARING,
        party=("orgs.enterprise", str(locked.enterprise_id)),
        name=_("Premiums due: %(enterprise)s") % {"enterprise": locked.enterprise.name},
    )
    txn = transaction_post(
        org=plan_org,
        kind=KIND_PREMIUM,
        entries=[(clearing, locked.total_fen), (fund, -locked.total_fen)],
        memo=_("Premiums of invoice %(number)s") % {"number": locked.number},
        source=("mutualaid.invoice", locked.pk),
        actor=actor,
    )
    locked.status = PremiumInvoice.Status.PAID
    locked.paid_at = now()
    locked.ledger_transaction_id = txn.pk
    locked.save(update_fields=["status", "paid_at", "ledger_transaction_id"])
    audit_record(
        actor=actor,
        action="mutualaid.invoice.paid",
        obj=locked,
        org=locked.org,
        data={"total_fen": locked.total_fen, "transaction": txn.pk},
    )
    return locked
