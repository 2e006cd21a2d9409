"""Demo medical mutual aid: the federation's 2026 plan with three benefit categories and their
ratio bands; enrolment batches for the demo member's employer and two large enterprises (their
premium invoices, two of them paid into the mutual-aid fund); claims in every state, two of them
the demo member's (one paid, one waiting for review). Keyed: the plan by (org, year), categories
by kind, batches by (plan, enterprise), claims by invoice number, the fund top-up by its source."""

from __future__ import annotations

import datetime as dt
import io

from django.contrib.auth import get_user_model

from gonghui.demo import data
from gonghui.funds import services as funds
from gonghui.funds.models import AccountKind, LedgerTransaction
from gonghui.members.models import Member
from gonghui.members.selectors import member_by_phone
from gonghui.mutualaid import services
from gonghui.mutualaid.models import (
    AidClaim,
    AidPlan,
    BenefitCategory,
    EnrolmentBatch,
    PremiumInvoice,
    RatioBand,
)
from gonghui.orgs.models import Enterprise, Org

ORDER = 60
YEAR = 2026
ENROLLED_AT = dt.datetime(YEAR, 1, 5, 1, 0, tzinfo=dt.UTC)
FUND_TOPUP_FEN = 20_000_000  # 20万元 from the bank, on top of the premiums
LARGE_ENTERPRISES = ["玉环恒达阀门有限公司", "玉环明视眼镜有限公司"]
DEMO_PDF = b"%PDF-1.4\n% Gonghui demo document\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"

# kind: (name, deductible, yearly cap per share, bands [(up to, ratio bp)])
CATEGORIES: dict[str, tuple[str, int, int, list[tuple[int | None, int]]]] = {
    "inpatient": (
        "住院医疗互助",
        100_000,
        5_000_000,
        [(1_000_000, 5000), (5_000_000, 6000), (None, 7000)],
    ),
    "special_outpatient": ("门诊特殊病种", 50_000, 1_000_000, [(None, 6000)]),
    "critical_illness": ("重大疾病", 0, 2_000_000, [(2_000_000, 10000)]),
}

# (who: "demo" or index among the enrolled, kind, hospital, invoice no, date, amount, target state)
CLAIMS: list[tuple[str | int, str, str, str, dt.date, int, str]] = [
    (
        "demo",
        "inpatient",
        "玉环市人民医院",
        "DEMO-ZY-0001",
        dt.date(YEAR, 3, 12),
        2_360_000,
        "paid",
    ),
    (
        "demo",
        "special_outpatient",
        "玉环市中医院",
        "DEMO-MT-0002",
        dt.date(YEAR, 6, 3),
        320_000,
        "submitted",
    ),
    (1, "inpatient", "台州医院", "DEMO-ZY-0003", dt.date(YEAR, 4, 20), 880_000, "approved"),
    (
        2,
        "critical_illness",
        "浙江大学医学院附属第一医院",
        "DEMO-ZD-0004",
        dt.date(YEAR, 5, 8),
        1_500_000,
        "checked",
    ),
    (
        3,
        "inpatient",
        "玉环市第二人民医院",
        "DEMO-ZY-0005",
        dt.date(YEAR, 2, 20),
        450_000,
        "rejected",
    ),
    (4, "inpatient", "玉环市人民医院", "DEMO-ZY-0006", dt.date(YEAR, 7, 15), 5_600_000, "paid"),
]


def _plan(federation: Org) -> tuple[AidPlan, int]:
    created = 0
    plan, made = AidPlan.objects.get_or_create(
        org=federation,
        year=YEAR,
        defaults={
            "name": f"{YEAR}年度玉环市职工医疗互助保障计划",
            "share_price_fen": 6000,
            "max_shares": 3,
            "unit_share_bp": 7000,
            "enrol_from": dt.date(YEAR, 1, 1),
            "enrol_until": dt.date(YEAR, 12, 31),
            "waiting_days": 30,
        },
    )
    created += int(made)
    for kind, (name, deductible, cap, bands) in CATEGORIES.items():
        category, made = BenefitCategory.objects.get_or_create(
            plan=plan,
            kind=kind,
            defaults={"name": name, "deductible_fen": deductible, "annual_cap_fen": cap},
        )
        created += int(made)
        if made:
            for up_to, ratio in bands:
                RatioBand.objects.create(category=category, up_to_fen=up_to, ratio_bp=ratio)
                created += 1
    return plan, created


def _enterprises(demo_member: Member | None) -> list[Enterprise]:
    found = list(Enterprise.objects.filter(name__in=LARGE_ENTERPRISES).order_by("name"))
    if demo_member is not None and demo_member.enterprise_id:
        own = Enterprise.objects.get(pk=demo_member.enterprise_id)
        found = [own] + [e for e in found if e.pk != own.pk]
    return found


def load() -> int:
    federation = Org.objects.get(code=data.FEDERATION.code)
    reviewer = get_user_model().objects.filter(username="reviewer").first()
    admin = get_user_model().objects.filter(username="fed_admin").first()
    demo_member = member_by_phone(data.DEMO_MEMBER_PHONE)
    plan, created = _plan(federation)

    enterprises = _enterprises(demo_member)
    for i, enterprise in enumerate(enterprises):
        if EnrolmentBatch.objects.filter(plan=plan, enterprise=enterprise).exists():
            continue
        if not Member.objects.filter(enterprise=enterprise, status=Member.Status.ACTIVE).exists():
            continue
        batch = services.enrolment_batch_create(
            plan=plan,
            enterprise=enterprise,
            actor=admin,
            shares=2 if i == 0 else 1,
            paid_by="shared" if i != 2 else "unit",
            at=ENROLLED_AT,
        )
        created += 1 + batch.enrolled_count
        invoice = PremiumInvoice.objects.filter(batch=batch).first()
        if invoice is not None:
            created += 1
            if i < 2:
                services.premium_receive(invoice=invoice, actor=admin)

    # Top up the fund once, so that the demo payouts never depend on the premiums alone.
    if not LedgerTransaction.objects.filter(
        source_type="demo.mutualaid", source_id=str(plan.pk)
    ).exists():
        funds.fund_allocate(
            org=federation,
            from_account=funds.account_open(org=federation, kind=AccountKind.BANK),
            to_account=funds.account_open(org=federation, kind=AccountKind.MUTUAL_AID),
            amount_fen=FUND_TOPUP_FEN,
            memo="互助金专户拨入(演示)",
            source=("demo.mutualaid", str(plan.pk)),
        )
        created += 1

    others = Member.objects.filter(aid_enrolments__plan=plan)
    if demo_member is not None:
        others = others.exclude(pk=demo_member.pk)
    insured = list(others.order_by("pk")[:10])
    categories = {c.kind: c for c in BenefitCategory.objects.filter(plan=plan)}
    for who, kind, hospital, invoice_no, date, amount, target in CLAIMS:
        if AidClaim.objects.filter(plan=plan, invoice_no=invoice_no).exists():
            continue
        if who == "demo":
            member = demo_member
        else:
            member = insured[int(who)] if int(who) < len(insured) else None
        if member is None or not member.aid_enrolments.filter(plan=plan).exists():
            continue
        claim = services.claim_submit(
            member=member,
            category=categories[kind],
            hospital=hospital,
            invoice_no=invoice_no,
            invoice_date=date,
            amount_fen=amount,
            uploads=[services.Upload(name="发票.pdf", stream=io.BytesIO(DEMO_PDF))],
            actor=reviewer if who != "demo" else None,
        )
        created += 2
        if target == "rejected":
            services.claim_reject(
                claim=claim,
                actor=reviewer,
                reason="documents_missing",
                text="缺少出院小结",
            )
            continue
        if target == "submitted":
            continue
        claim = services.claim_check(claim=claim, actor=reviewer)
        if target == "checked":
            continue
        claim = services.claim_approve(claim=claim, actor=reviewer)
        if target == "paid":
            services.claim_pay(claim=claim, actor=reviewer)
    return created
