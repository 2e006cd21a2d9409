"""Demo rights cases and collective wage contracts: the demo member's wage-arrears complaint
(assigned to the demo lawyer), a collective wage-arrears case of three workers at one employer,
an answered anonymous consultation, and enterprise, industry and regional contracts. Keyed:
cases by their description, contracts by title."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.auth import get_user_model

from gonghui.core.timeutil import local_today
from gonghui.demo import data
from gonghui.members.models import Member
from gonghui.members.selectors import member_by_phone
from gonghui.orgs.models import Enterprise, Org
from gonghui.rights import services
from gonghui.rights.models import CollectiveContract, RightsCase

ORDER = 72

DEMO_COMPLAINT = "2026年8月至10月的工资共计15000元至今未发，多次催要无果。"
COLLECTIVE = "车间三名工人被拖欠两个月工资，老板称资金周转困难。"
CONSULTATION = "试用期被辞退，公司不给任何补偿，这样合法吗？"


def _has_case(description: str) -> bool:
    """Descriptions are sealed at rest (no query can match them): compare the opened texts."""
    return description in set(RightsCase.objects.values_list("description", flat=True))


def _cases() -> int:
    User = get_user_model()
    boss = User.objects.get(username="fed_admin")
    lawyer = User.objects.get(username="lawyer")
    created = 0
    member = member_by_phone(data.DEMO_MEMBER_PHONE)
    if member is not None and not _has_case(DEMO_COMPLAINT):
        case = services.case_intake(
            kind="complaint",
            case_type="wage_arrears",
            description=DEMO_COMPLAINT,
            member=member,
            enterprise=member.enterprise,
            employer_name="" if member.enterprise else "玉环某制造企业",
            amount_claimed_fen=1_500_000,
        ).case
        services.case_assign(case=case, lawyer=lawyer, actor=boss)
        services.case_advance(case=case, actor=lawyer, note="已与企业人事联系，核实工资台账")
        services.case_note(
            case=case, text="企业承认欠薪，承诺两周内支付", actor=lawyer, public=True
        )
        created += 1

    if not _has_case(COLLECTIVE):
        enterprise = Enterprise.objects.filter(union__code="YH-KM-03").order_by("pk").first()
        workers = list(
            Member.objects.filter(enterprise=enterprise, status=Member.Status.ACTIVE).order_by(
                "member_no"
            )[:3]
        )
        if enterprise is not None and len(workers) == 3:
            case = services.case_intake(
                kind="complaint",
                case_type="wage_arrears",
                description=COLLECTIVE,
                member=workers[0],
                enterprise=enterprise,
                amount_claimed_fen=2_400_000,
            ).case
            for w in workers[1:]:
                services.case_party_add(
                    case=case,
                    member=w,
                    amount_claimed_fen=800_000,
                    amount_recovered_fen=800_000,
                    actor=boss,
                )
            for _step in range(3):
                services.case_advance(case=case, actor=boss)
            services.case_close(
                case=case,
                outcome="resolved",
                amount_recovered_fen=2_400_000,
                actor=boss,
                note="企业分两次足额支付",
            )
            created += 1

    if not _has_case(CONSULTATION):
        case = services.case_intake(
            kind="consultation",
            case_type="consultation",
            description=CONSULTATION,
            anonymous=True,
        ).case
        services.case_answer(
            case=case,
            text="试用期内用人单位解除合同须证明不符合录用条件，并说明理由；否则可主张赔偿金。",
            actor=lawyer,
        )
        services.case_close(case=case, outcome="answered", actor=lawyer)
        created += 1
    return created


def _contracts() -> int:
    boss = get_user_model().objects.get(username="fed_admin")
    today = local_today()
    start = today.replace(month=1, day=1)
    window: dict[str, Any] = {
        "signed_on": start - dt.timedelta(days=15),
        "valid_from": start,
        "valid_until": start.replace(year=start.year + 2) - dt.timedelta(days=1),
    }
    created = 0
    specs: list[dict[str, Any]] = []
    for enterprise in Enterprise.objects.filter(
        is_above_scale=True, union__code__startswith="YH-YC"
    ).order_by("pk"):
        specs.append(
            {
                "kind": "enterprise",
                "org": enterprise.union,
                "enterprise": enterprise,
                "title": f"{enterprise.name}工资集体协议",
                "wage_increase_bp": 500,
                "workers_covered": 200,
            }
        )
    specs.append(
        {
            "kind": "industry",
            "org": Org.objects.get(code="YH-KD"),
            "title": "玉环市快递物流行业工资专项集体合同",
            "wage_increase_bp": 400,
            "workers_covered": 1800,
        }
    )
    specs.append(
        {
            "kind": "regional",
            "org": Org.objects.get(code="YH-CM"),
            "region_code": data.REGION,
            "title": "楚门镇眼镜行业区域性工资集体协议",
            "wage_increase_bp": 450,
            "workers_covered": 3200,
        }
    )
    for spec in specs:
        if CollectiveContract.objects.filter(title=spec["title"]).exists():
            continue
        services.contract_create(**spec, **window, actor=boss)
        created += 1
    return created


def load() -> int:
    return _cases() + _contracts()
