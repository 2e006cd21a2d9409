"""A small world for hardship assistance: federation → district → union, a member, funded
assistance and bank accounts at the federation, gradient rules."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from gonghui.assistance import services
from gonghui.assistance.models import GradientRule, HardshipFile
from gonghui.core.timeutil import local_today
from gonghui.funds.models import AccountKind, FundAccount
from gonghui.funds.services import account_open, fund_allocate
from gonghui.members.models import Member
from gonghui.orgs.models import Org
from tests.factories import make_member, org_child, org_root


@dataclass
class World:
    fed: Org
    district: Org
    union: Org
    other_union: Org
    member: Member
    bank: FundAccount
    fund: FundAccount

    def refresh(self) -> None:
        self.bank.refresh_from_db()
        self.fund.refresh_from_db()


def make_world(*, funds_fen: int = 10_000_000) -> World:
    fed = org_root()
    district = org_child(fed, kind=Org.Kind.DISTRICT)
    union = org_child(district)
    other_union = org_child(district)
    bank = account_open(org=fed, kind=AccountKind.BANK)
    fund = account_open(org=fed, kind=AccountKind.ASSISTANCE)
    if funds_fen:
        fund_allocate(org=fed, from_account=bank, to_account=fund, amount_fen=funds_fen)
    world = World(
        fed=fed,
        district=district,
        union=union,
        other_union=other_union,
        member=make_member(union),
        bank=bank,
        fund=fund,
    )
    world.refresh()
    return world


def rules(org: Org, *, year: int | None = None, category: str = "deep", **ceilings: int) -> None:
    year = year or local_today().year
    for kind, fen in ceilings.items():
        GradientRule.objects.update_or_create(
            org=org, year=year, category=category, kind=kind, defaults={"ceiling_fen": fen}
        )


def apply(member: Member, **kw: Any) -> HardshipFile:
    data: dict[str, Any] = {
        "category": "deep",
        "worker_type": "urban_worker",
        "main_cause": "illness",
        "secondary_causes": ["unemployment"],
        "applicant_income_fen": 1_200_000,
        "other_income_fen": 0,
        "housing": "rented",
        "household": [
            {
                "relation": "child",
                "name": "小明",
                "birth_date": dt.date(2015, 3, 1),
                "health": "healthy",
                "income_fen": 0,
            }
        ],
    }
    data.update(kw)
    return services.file_apply(member=member, **data)


def active_file(member: Member, actor: Any, **kw: Any) -> HardshipFile:
    f = apply(member, **kw)
    f = services.file_transition(file=f, action="verify", actor=actor)
    return services.file_transition(file=f, action="activate", actor=actor)
