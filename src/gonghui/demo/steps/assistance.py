"""Demo hardship assistance: the federation's assistance fund (topped up once from the bank),
this year's gradient rules, four hardship files of members under 坎门街道 (the demo case worker's
area) — deep, relative and accident-caused, one returned — with visits and grants paid through
the ledger. Keyed: the top-up by its ledger source, rules by (org, year, category, kind), files
by member."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth import get_user_model

from gonghui.assistance import services
from gonghui.assistance.models import GradientRule, HardshipFile
from gonghui.core.timeutil import local_today
from gonghui.demo import data
from gonghui.funds import services as funds
from gonghui.funds.models import AccountKind
from gonghui.members.models import Member
from gonghui.orgs.models import Org

ORDER = 70
FUND_TOPUP_FEN = 50_000_000  # 50万元

# category -> {kind: yearly ceiling per file, fen}
RULES = {
    "deep": {"visit": 100_000, "living": 1_000_000, "education": 500_000, "medical": 2_000_000},
    "relative": {"visit": 50_000, "living": 500_000, "education": 300_000},
    "accident": {"visit": 50_000, "living": 800_000, "medical": 1_500_000},
}

# (category, worker type, main cause, secondary causes, income fen, housing, household, help)
FILES = [
    (
        "deep",
        "urban_worker",
        "illness",
        ["education"],
        2_400_000,
        "rented",
        [
            ("spouse", "李秀兰", dt.date(1982, 4, 2), "serious", 0),
            ("child", "张子涵", dt.date(2012, 9, 1), "healthy", 0),
        ],
        [
            ("visit", 80_000, "春节慰问"),
            ("living", 600_000, "生活补助"),
            ("education", 300_000, "秋季助学"),
        ],
    ),
    (
        "relative",
        "migrant",
        "unemployment",
        [],
        1_800_000,
        "dormitory",
        [("child", "王小雨", dt.date(2016, 3, 12), "healthy", 0)],
        [("visit", 30_000, "夏送清凉慰问")],
    ),
    (
        "accident",
        "urban_worker",
        "accident",
        ["disability"],
        900_000,
        "own",
        [("parent", "陈阿婆", dt.date(1950, 1, 20), "chronic", 360_000)],
        [("medical", 800_000, "意外致困医疗救助")],
    ),
    ("relative", "urban_worker", "illness", [], 3_000_000, "public", [], []),
]


def load() -> int:
    root = Org.objects.get(code=data.FEDERATION.code)
    User = get_user_model()
    boss = User.objects.get(username="fed_admin")
    worker = User.objects.get(username="case_worker")
    created = 0

    bank = funds.account_open(org=root, kind=AccountKind.BANK)
    fund = funds.account_open(org=root, kind=AccountKind.ASSISTANCE)
    topup = funds.fund_allocate(
        org=root,
        from_account=bank,
        to_account=fund,
        amount_fen=FUND_TOPUP_FEN,
        memo="困难职工帮扶资金",
        source=("demo.assistance", "fund-topup"),
    )
    created += int(not topup.replayed)

    year = local_today().year
    for category, kinds in RULES.items():
        for kind, ceiling in kinds.items():
            _rule, new = GradientRule.objects.get_or_create(
                org=root, year=year, category=category, kind=kind, defaults={"ceiling_fen": ceiling}
            )
            created += int(new)

    area = Org.objects.get(code="YH-KM")
    members = list(
        Member.objects.filter(
            org__path__startswith=area.path, status=Member.Status.ACTIVE
        ).order_by("member_no")[: len(FILES)]
    )
    for i, (member, spec) in enumerate(zip(members, FILES, strict=False)):
        if HardshipFile.objects.filter(member=member).exists():
            continue
        category, worker_type, main, secondary, income, housing, household, help_given = spec
        f = services.file_apply(
            member=member,
            category=category,
            worker_type=worker_type,
            main_cause=main,
            secondary_causes=secondary,
            applicant_income_fen=income,
            housing=housing,
            evidence_note="收入证明、病历、低保证明已核",
            household=[
                {"relation": r, "name": n, "birth_date": b, "health": h, "income_fen": inc}
                for r, n, b, h, inc in household
            ],
            actor=boss,
        )
        created += 1
        services.file_assign(file=f, case_worker=worker, actor=boss)
        if i == len(FILES) - 1:
            continue  # one file waits for verification
        f = services.file_transition(file=f, action="verify", actor=worker)
        f = services.file_transition(file=f, action="activate", actor=boss)
        for kind, amount, note in help_given:
            services.help_record_create(file=f, kind=kind, amount_fen=amount, note=note, actor=boss)
            created += 1
    return created
