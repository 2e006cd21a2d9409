"""Helpers shared by the enrolment, transfer, API and console-review tests (H2a)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from gonghui.members.enrolment import enrolment_submit
from gonghui.members.models import Enrolment
from gonghui.members.privacy import PRIVACY_NOTICE_VERSION
from gonghui.orgs.models import Enterprise, Org
from tests.factories import EnterpriseFactory, id_number_for, next_n, org_child, org_root, phone_for

CODE_RE = re.compile(r"(?<!\d)(\d{6})(?!\d)")


def last_code(outbox: list[tuple[str, str]], phone: str) -> str:
    """The 6-digit code of the newest SMS sent to ``phone``."""
    for to, message in reversed(outbox):
        if to == phone:
            m = CODE_RE.search(message)
            assert m, message
            return m.group(1)
    raise AssertionError(f"no SMS to {phone}")


@dataclass
class World:
    """city federation ─┬─ township federation ─┬─ union A (enterprise A)
    │                        └─ union B
    ├─ delivery industry federation (gig riders)
    └─ other township ─── union C (another subtree)"""

    root: Org
    township: Org
    union_a: Org
    union_b: Org
    delivery: Org
    other_township: Org
    union_c: Org
    enterprise_a: Enterprise
    enterprise_c: Enterprise


def make_world() -> World:
    root = org_root()
    township = org_child(root, Org.Kind.DISTRICT, name="沙门镇总工会")
    union_a = org_child(township, name="甲公司工会")
    union_b = org_child(township, name="乙公司工会")
    delivery = org_child(
        root, Org.Kind.INDUSTRY, name="外卖配送行业工会联合会", trade=Org.Trade.DELIVERY
    )
    other = org_child(root, Org.Kind.DISTRICT, name="楚门镇总工会")
    union_c = org_child(other, name="丙公司工会")
    return World(
        root=root,
        township=township,
        union_a=union_a,
        union_b=union_b,
        delivery=delivery,
        other_township=other,
        union_c=union_c,
        enterprise_a=EnterpriseFactory(name="玉环甲机械有限公司", union=union_a),
        enterprise_c=EnterpriseFactory(name="玉环丙阀门有限公司", union=union_c),
    )


def submit(org: Org, n: int | None = None, **kw) -> Enrolment:
    """An enrolment for a fresh person n (valid ID and phone) into ``org``."""
    n = n if n is not None else next_n() + 5000
    values = {
        "verified_phone": phone_for(n),
        "name": "申请人",
        "id_number": id_number_for(n),
        "org": org,
        "employment_type": "employee",
        "consent_version": PRIVACY_NOTICE_VERSION,
    }
    values.update(kw)
    return enrolment_submit(**values)
