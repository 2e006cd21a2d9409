"""A year of 职工医疗互助: more enterprises enrol their staff in the year's plan during the year
(``enrolment_batch_create``, premiums received into the fund), and insured members' claims are
submitted, checked, approved and paid (``claim_pay``: the fund's ledger and the event)."""

from __future__ import annotations

import datetime as dt
import io

from django.db.models import Count, Q

from gonghui.core.errors import Refused
from gonghui.funds import services as funds
from gonghui.funds.models import AccountKind
from gonghui.members.models import Member
from gonghui.mutualaid import services
from gonghui.mutualaid.models import AidPlan, BenefitCategory, EnrolmentBatch, PremiumInvoice
from gonghui.orgs.models import Enterprise, Org

from ..steps.mutualaid import DEMO_PDF
from .calendar import Year, at_local, attempt, clock_at

BATCH_MONTHS = (2, 3, 4, 5, 6, 7, 8, 9, 10, 11)
CLAIMS = 30
TOPUP_FEN = 10_000_000  # ¥100,000 into the mutual-aid fund at the start of the year
SOURCE = "demo.history"
HOSPITALS = ["玉环市人民医院", "玉环市中医院", "台州医院", "玉环市第二人民医院"]


def _batches(plan: AidPlan, year: Year, actor: object) -> int:
    enrolled = EnrolmentBatch.objects.filter(plan=plan).values_list("enterprise_id", flat=True)
    enterprises = list(
        Enterprise.objects.exclude(pk__in=list(enrolled))
        .annotate(n=Count("members", filter=Q(members__status=Member.Status.ACTIVE)))
        .filter(n__gte=5)
        .order_by("-n", "pk")
    )
    made = 0
    for i, enterprise in enumerate(enterprises):
        day = dt.date(plan.year, BATCH_MONTHS[i % len(BATCH_MONTHS)], 10 + i // len(BATCH_MONTHS))
        if not (year.days[0] <= day < year.today):
            continue
        at = at_local(day, 10)
        with clock_at(at):
            try:
                batch = services.enrolment_batch_create(
                    plan=plan, enterprise=enterprise, actor=actor, at=at
                )
            except Refused:
                continue
        made += batch.enrolled_count
        invoice = PremiumInvoice.objects.filter(batch=batch).first()
        if invoice is not None and year.past(at + dt.timedelta(days=12)):
            with clock_at(at + dt.timedelta(days=12)):
                services.premium_receive(invoice=invoice, actor=actor)
    return made


def load(*, root: Org, year: Year, reviewer: object, actor: object) -> int:
    plan = AidPlan.objects.filter(org=root, year__in={d.year for d in year.days}).first()
    if plan is None:
        return 0
    rng = year.rng
    with clock_at(year.start):
        funds.fund_allocate(
            org=root,
            from_account=funds.account_open(org=root, kind=AccountKind.BANK),
            to_account=funds.account_open(org=root, kind=AccountKind.MUTUAL_AID),
            amount_fen=TOPUP_FEN,
            memo="往期互助金专户拨入",
            source=(SOURCE, "mutualaid-topup"),
            occurred_at=year.start,
        )
    made = _batches(plan, year, actor)
    categories = list(BenefitCategory.objects.filter(plan=plan).order_by("pk"))
    insured = list(
        Member.objects.filter(aid_enrolments__plan=plan, status=Member.Status.ACTIVE)
        .prefetch_related("aid_enrolments")
        .order_by("pk")
    )
    if not insured or not categories:
        return made
    days = [d for d in year.spread(CLAIMS * 2, weight="work") if d.year == plan.year]
    for n, day in enumerate(days[:CLAIMS]):
        member = rng.choice(insured)
        category = rng.choice(categories)
        invoice_date = day - dt.timedelta(days=rng.randrange(3, 20))
        at = year.moment(day, 9, 20)
        claim = attempt(
            at,
            services.claim_submit,
            member=member,
            category=category,
            hospital=rng.choice(HOSPITALS),
            invoice_no=f"HIST-{plan.year}-{n:04d}",
            invoice_date=invoice_date,
            amount_fen=rng.randrange(20, 400) * 10_000,
            uploads=[services.Upload(name="发票.pdf", stream=io.BytesIO(DEMO_PDF))],
        )
        if claim is None:  # not covered yet (the waiting period), or the invoice before it
            continue
        made += 1
        decided = at + dt.timedelta(days=rng.randrange(2, 10))
        paid = decided + dt.timedelta(days=rng.randrange(1, 6))
        if not year.past(paid):
            continue
        claim = attempt(
            at + dt.timedelta(days=1), services.claim_check, claim=claim, actor=reviewer
        )
        if claim is not None:
            claim = attempt(decided, services.claim_approve, claim=claim, actor=reviewer)
        if claim is not None:  # paid unless refused (e.g. nothing payable under the deductible)
            attempt(paid, services.claim_pay, claim=claim, actor=reviewer)
    return made
