"""A small world for rights cases: federation → district → union with an employer and members."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from gonghui.members.models import Member
from gonghui.orgs.models import Enterprise, Org
from gonghui.rights import services
from gonghui.rights.models import RightsCase
from tests.factories import EnterpriseFactory, make_member, org_child, org_root


@dataclass
class World:
    fed: Org
    district: Org
    union: Org
    other_union: Org
    enterprise: Enterprise
    member: Member


def ensure_case_types() -> None:
    """The default case types come from a data migration; a transactional test that runs after
    another one finds the tables flushed, so it seeds them again (idempotent)."""
    from importlib import import_module

    from django.apps import apps

    import_module("gonghui.rights.migrations.0002_case_types").forwards(apps, None)


def make_world() -> World:
    fed = org_root()
    district = org_child(fed, kind=Org.Kind.DISTRICT)
    union = org_child(district)
    other_union = org_child(district)
    enterprise = EnterpriseFactory(union=union, is_above_scale=True)
    return World(
        fed=fed,
        district=district,
        union=union,
        other_union=other_union,
        enterprise=enterprise,
        member=make_member(union, enterprise=enterprise),
    )


def intake(member: Member | None, **kw: Any) -> services.IntakeResult:
    data: dict[str, Any] = {
        "kind": RightsCase.Kind.COMPLAINT,
        "case_type": "wage_arrears",
        "description": "公司拖欠三个月工资",
        "member": member,
        "amount_claimed_fen": 1_500_000,
    }
    data.update(kw)
    return services.case_intake(**data)


def solved(page) -> dict[str, str]:
    """The proof of work of an H5 intake page, solved as its script would."""
    import re

    from gonghui.core.pow import pow_solve

    html = page.content.decode()
    challenge = re.search(r'name="pow_challenge" value="([^"]+)"', html)[1]
    bits = int(re.search(r'data-pow-bits="(\d+)"', html)[1])
    return {"pow_challenge": challenge, "pow_nonce": pow_solve(challenge, bits)}


def api_solved(client=None) -> dict[str, str]:
    """A fresh challenge from the API, solved."""
    from django.test import Client

    from gonghui.core.pow import pow_solve

    got = (client or Client()).get("/api/v1/rights/intake/challenge").json()
    return {
        "pow_challenge": got["challenge"],
        "pow_nonce": pow_solve(got["challenge"], got["bits"]),
    }
