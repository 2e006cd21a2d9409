"""Mutual-aid test data: a federation → township → grassroots union with an enterprise and its
members, a 2026 plan with an inpatient category in three bands, enrolment through the service."""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass, field

from gonghui.funds.models import AccountKind
from gonghui.funds.services import account_open, fund_allocate
from gonghui.members.models import Member
from gonghui.mutualaid import services
from gonghui.mutualaid.models import (
    AidClaim,
    AidEnrolment,
    AidPlan,
    BenefitCategory,
    CategoryKind,
    RatioBand,
)
from gonghui.orgs.models import Enterprise, Org
from tests.factories import EnterpriseFactory, make_member, org_child, org_root

YEAR = 2026
ENROLLED_AT = dt.datetime(YEAR, 1, 2, 2, 0, tzinfo=dt.UTC)
INVOICE_DATE = dt.date(YEAR, 3, 1)
PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
JPG = b"\xff\xd8\xff\xe0" + b"\x00" * 64
EXE = b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 64


@dataclass
class World:
    federation: Org
    township: Org
    union: Org
    enterprise: Enterprise
    members: list[Member]
    plan: AidPlan
    inpatient: BenefitCategory
    extra: dict = field(default_factory=dict)

    @property
    def member(self) -> Member:
        return self.members[0]


def make_plan(org: Org, *, year: int = YEAR, waiting_days: int = 0, **kw) -> AidPlan:
    defaults = {
        "name": f"{year}年度职工医疗互助保障",
        "share_price_fen": 5000,
        "max_shares": 3,
        "unit_share_bp": 7000,
        "enrol_from": dt.date(year, 1, 1),
        "enrol_until": dt.date(year, 12, 31),
        "waiting_days": waiting_days,
    }
    defaults.update(kw)
    return AidPlan.objects.create(org=org, year=year, **defaults)


def make_category(
    plan: AidPlan,
    *,
    kind: str = CategoryKind.INPATIENT,
    deductible_fen: int = 100_000,
    annual_cap_fen: int = 5_000_000,
    bands: tuple[tuple[int | None, int], ...] = (
        (1_000_000, 5000),
        (5_000_000, 6000),
        (None, 7000),
    ),
) -> BenefitCategory:
    category = BenefitCategory.objects.create(
        plan=plan, kind=kind, deductible_fen=deductible_fen, annual_cap_fen=annual_cap_fen
    )
    for up_to, ratio in bands:
        RatioBand.objects.create(category=category, up_to_fen=up_to, ratio_bp=ratio)
    return category


def build_world(
    label: str = "甲", *, members: int = 2, waiting_days: int = 0, shares: int = 1
) -> World:
    fed = org_root(name=f"{label}市总工会")
    town = org_child(fed, Org.Kind.DISTRICT, name=f"{label}镇总工会")
    union = org_child(town, name=f"{label}基层工会")
    enterprise = EnterpriseFactory(union=union, name=f"{label}互助测试企业")
    people = [make_member(union, enterprise=enterprise) for _ in range(members)]
    plan = make_plan(fed, waiting_days=waiting_days)
    inpatient = make_category(plan)
    services.enrolment_batch_create(
        plan=plan, enterprise=enterprise, actor=None, shares=shares, at=ENROLLED_AT
    )
    return World(fed, town, union, enterprise, people, plan, inpatient)


def fund(plan: AidPlan, amount_fen: int) -> None:
    """Put money into the plan org's mutual-aid fund (from its bank account)."""
    bank = account_open(org=plan.org, kind=AccountKind.BANK)
    aid = account_open(org=plan.org, kind=AccountKind.MUTUAL_AID)
    fund_allocate(org=plan.org, from_account=bank, to_account=aid, amount_fen=amount_fen)


_invoice_counter = iter(range(1, 10**6))


def upload(data: bytes = PDF, name: str = "invoice.pdf") -> services.Upload:
    return services.Upload(name=name, stream=io.BytesIO(data), size=len(data))


def submit(
    world: World,
    *,
    member: Member | None = None,
    amount_fen: int = 2_000_000,
    invoice_no: str | None = None,
    invoice_date: dt.date = INVOICE_DATE,
    category: BenefitCategory | None = None,
    uploads: list[services.Upload] | None = None,
    actor=None,
) -> AidClaim:
    return services.claim_submit(
        member=member or world.member,
        category=category or world.inpatient,
        hospital="玉环市人民医院",
        invoice_no=invoice_no or f"INV{next(_invoice_counter):08d}",
        invoice_date=invoice_date,
        amount_fen=amount_fen,
        uploads=[upload()] if uploads is None else uploads,
        actor=actor,
    )


def claim_in(world: World, status: str, **kw) -> AidClaim:
    """A claim brought to ``status`` through the services."""
    claim = submit(world, **kw)
    S = AidClaim.Status
    if status == S.SUBMITTED:
        return claim
    if status == S.REJECTED:
        return services.claim_reject(claim=claim, actor=None, reason="other", text="test")
    claim = services.claim_check(claim=claim, actor=None)
    if status == S.CHECKED:
        return claim
    claim = services.claim_approve(claim=claim, actor=None)
    if status == S.APPROVED:
        return claim
    fund(world.plan, claim.payout_fen or 1)
    return services.claim_pay(claim=claim, actor=None)


def enrolment_of(world: World, member: Member | None = None) -> AidEnrolment:
    return AidEnrolment.objects.get(plan=world.plan, member=member or world.member)
