"""A year of 困难职工帮扶: hardship files opened in the first months, visits before 春节 and in
the summer heat (夏送清凉), living grants, autumn education aid and medical aid through the year
— through ``assistance.services`` (ceilings, the assistance fund's ledger, the events)."""

from __future__ import annotations

import datetime as dt

from gonghui.assistance import services
from gonghui.assistance.models import GradientRule, HardshipFile
from gonghui.core.errors import Refused
from gonghui.funds import services as funds
from gonghui.funds.models import AccountKind
from gonghui.members.models import Member
from gonghui.orgs.models import Org

from ..steps.assistance import RULES
from .calendar import Year, at_local, clock_at, near_festival

FILES = 20
TOPUP_FEN = 20_000_000  # ¥200,000: last year's assistance money
SOURCE = "demo.history"
AREA = "YH-KM"


def _rules(root: Org, year: Year) -> None:
    for y in sorted({d.year for d in year.days}):
        for category, kinds in RULES.items():
            for kind, ceiling in kinds.items():
                GradientRule.objects.get_or_create(
                    org=root,
                    year=y,
                    category=category,
                    kind=kind,
                    defaults={"ceiling_fen": ceiling},
                )


def _files(year: Year, members: list[Member], boss: object, worker: object) -> list[HardshipFile]:
    rng = year.rng
    taken = set(HardshipFile.objects.values_list("member_id", flat=True))
    # The demo's case worker serves 坎门 (YH-KM): the files are of its members.
    area = Org.objects.get(code=AREA)
    candidates = [
        m
        for m in members
        if m.pk not in taken and m.joined_on <= year.days[0] and m.org.path.startswith(area.path)
    ]
    out = []
    for member in rng.sample(candidates, min(FILES, len(candidates))):
        category = rng.choice(["deep", "relative", "relative", "accident"])
        day = year.days[rng.randrange(0, 60)]
        with clock_at(year.moment(day, 9, 17)):
            f = services.file_apply(
                member=member,
                category=category,
                worker_type=rng.choice(["urban_worker", "migrant"]),
                main_cause=rng.choice(["illness", "unemployment", "accident", "education"]),
                applicant_income_fen=rng.randrange(8, 30) * 100_000,
                housing=rng.choice(["rented", "own", "dormitory", "public"]),
                evidence_note="收入证明、病历已核",
                actor=boss,
            )
            services.file_assign(file=f, case_worker=worker, actor=boss)
        with clock_at(year.moment(day + dt.timedelta(days=3), 9, 17)):
            f = services.file_transition(file=f, action="verify", actor=worker)
        with clock_at(year.moment(day + dt.timedelta(days=6), 9, 17)):
            f = services.file_transition(file=f, action="activate", actor=boss)
        out.append(f)
    return out


def load(*, root: Org, year: Year, members: list[Member], boss: object, worker: object) -> int:
    rng = year.rng
    bank = funds.account_open(org=root, kind=AccountKind.BANK)
    fund = funds.account_open(org=root, kind=AccountKind.ASSISTANCE)
    with clock_at(year.start):
        funds.fund_allocate(
            org=root,
            from_account=bank,
            to_account=fund,
            amount_fen=TOPUP_FEN,
            memo="往期困难职工帮扶资金",
            source=(SOURCE, "assistance-topup"),
            occurred_at=year.start,
        )
    _rules(root, year)
    files = _files(year, members, boss, worker)
    opened = {f.pk: f.created_at.date() + dt.timedelta(days=7) for f in files}
    made = 0
    plan: list[tuple[dt.date, HardshipFile, str, int, str]] = []
    for day in year.days:
        for f in files:
            if day < opened[f.pk]:
                continue
            if near_festival(day) and rng.random() < 0.08:
                plan.append((day, f, "visit", 50_000, "春节送温暖慰问"))
            elif day.month == 7 and day.day <= 20 and rng.random() < 0.03:
                plan.append((day, f, "visit", 20_000, "夏送清凉慰问"))
            elif day.month == 8 and day.day >= 20 and rng.random() < 0.02:
                plan.append((day, f, "education", 200_000, "秋季助学"))
            elif day.day == 15 and rng.random() < 0.25:
                plan.append((day, f, "living", 50_000, "生活补助"))
            elif rng.random() < 0.002:
                plan.append((day, f, "medical", rng.randrange(10, 60) * 10_000, "医疗救助"))
    for day, f, kind, amount, note in plan:
        with clock_at(at_local(day, 10) + dt.timedelta(minutes=rng.randrange(360))):
            try:
                services.help_record_create(
                    file=f, kind=kind, amount_fen=amount, note=note, actor=boss, given_on=day
                )
            except Refused:  # the yearly ceiling: no more of this kind this year
                continue
        made += 1
    return made
