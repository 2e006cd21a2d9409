"""A year of 职工维权: members' consultations answered by the lawyer, complaints moved through
their steps and closed with what was recovered, and a few collective wage cases whose workers
count when they close — through ``rights.services`` with the clock at each moment."""

from __future__ import annotations

import datetime as dt

from gonghui.core.errors import Refused
from gonghui.members.models import Member
from gonghui.rights import services
from gonghui.rights.models import CaseType, RightsCase

from .calendar import Year, clock_at

CONSULTATIONS = 70
COMPLAINTS = 45
COLLECTIVE = 7

QUESTIONS = [
    "公司要求每天加班两小时但不给加班费，我该怎么办？",
    "签了劳动合同但公司没有给我一份，这合法吗？",
    "怀孕后公司要把我调岗降薪，可以拒绝吗？",
    "年休假没休完，公司说作废，能要求补偿吗？",
    "离职时公司扣押最后一个月工资，怎么维权？",
    "外卖平台扣款规则不透明，工会能帮忙反映吗？",
    "工伤认定需要准备哪些材料？",
    "公司没有给我缴纳社保，可以要求补缴吗？",
]
COMPLAINT_TYPES = [
    ("wage_arrears", "拖欠工资{n}个月，多次催讨无果，请工会协助追讨。"),
    ("contract_dispute", "公司单方面解除劳动合同未支付经济补偿，涉及{n}个月工资。"),
    ("work_injury", "上班途中受伤，公司拒绝申报工伤，已住院{n}周。"),
]


def _lawyer_answers(year: Year, case: RightsCase, at: dt.datetime, lawyer: object) -> None:
    with clock_at(at):
        services.case_answer(
            case=case, text="已电话答复，并告知可依法申请劳动仲裁的途径和时效。", actor=lawyer
        )
        services.case_close(case=case, outcome="answered", actor=lawyer)


def load(*, year: Year, members: list[Member], lawyer: object, boss: object) -> int:
    rng = year.rng
    steps = {t.code: t.steps.count() for t in CaseType.objects.all()}
    made = 0
    for day in year.spread(CONSULTATIONS, weight="work"):
        member = rng.choice(members)
        if member.joined_on > day:
            continue
        at = year.moment(day, 7, 23)
        with clock_at(at):
            case = services.case_intake(
                kind="consultation",
                case_type="consultation",
                description=rng.choice(QUESTIONS),
                member=member,
            ).case
        answered = at + dt.timedelta(hours=rng.randrange(2, 40))
        if year.past(answered):
            _lawyer_answers(year, case, answered, lawyer)
        made += 1
    for day in year.spread(COMPLAINTS, weight="work"):
        member = rng.choice(members)
        if member.joined_on > day:
            continue
        case_type, text = rng.choice(COMPLAINT_TYPES)
        claimed = rng.randrange(30, 400) * 10_000
        at = year.moment(day, 8, 20)
        with clock_at(at):
            case = services.case_intake(
                kind="complaint",
                case_type=case_type,
                description=text.format(n=rng.randrange(2, 6)),
                member=member,
                enterprise=member.enterprise,
                employer_name="" if member.enterprise_id else "玉环某企业",
                amount_claimed_fen=claimed,
            ).case
        made += 1
        _work_through(year, case, at, steps.get(case_type, 1), claimed, boss)
    for day in year.spread(COLLECTIVE, weight="work"):
        made += _collective(year, members, day, boss)
    return made


def _work_through(
    year: Year, case: RightsCase, at: dt.datetime, steps: int, claimed: int, boss: object
) -> None:
    """Advance the case through its steps over the following weeks and close it (unless the
    year ends first: then it is still open today)."""
    rng = year.rng
    for _step in range(steps - 1):
        at = at + dt.timedelta(days=rng.randrange(3, 15))
        if not year.past(at):
            return
        with clock_at(at):
            services.case_advance(case=case, actor=boss, note="已与企业联系核实")
    at = at + dt.timedelta(days=rng.randrange(3, 20))
    if not year.past(at):
        return
    outcome = rng.choices(["resolved", "partly", "unresolved"], weights=[6, 3, 1])[0]
    share = {"resolved": 1.0, "partly": rng.uniform(0.4, 0.8), "unresolved": 0.0}[outcome]
    with clock_at(at):
        services.case_close(
            case=case,
            outcome=outcome,
            actor=boss,
            amount_recovered_fen=int(claimed * share) // 100 * 100,
        )


def _collective(year: Year, members: list[Member], day: dt.date, boss: object) -> int:
    rng = year.rng
    with_employer = [m for m in members if m.enterprise_id and m.joined_on <= day]
    first = rng.choice(with_employer)
    workers = [m for m in with_employer if m.enterprise_id == first.enterprise_id]
    others = [w for w in workers if w.pk != first.pk]
    workers = [first, *rng.sample(others, min(3, len(others)))]
    if len(workers) < 2:
        return 0
    each = rng.randrange(50, 150) * 10_000
    at = year.moment(day, 8, 18)
    with clock_at(at):
        case = services.case_intake(
            kind="complaint",
            case_type="wage_arrears",
            description=f"车间{len(workers)}名工人被拖欠工资，企业称资金周转困难。",
            member=first,
            enterprise=first.enterprise,
            amount_claimed_fen=each * len(workers),
        ).case
        for worker in workers[1:]:
            try:
                services.case_party_add(
                    case=case,
                    member=worker,
                    amount_claimed_fen=each,
                    amount_recovered_fen=each,
                    actor=boss,
                )
            except Refused:
                continue
    _work_through(year, case, at, 3, each * len(workers), boss)
    return 1
