"""A small federation with service events, activity, members and ledger postings in October
2026 (and September, the previous month), and registry fixtures for published figures."""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

import pytest

from gonghui.core.timeutil import SHANGHAI
from gonghui.funds import services as funds
from gonghui.funds.models import AccountKind
from gonghui.members import figures as registry
from gonghui.members.activity import activity_note
from gonghui.members.figures import Query, Unit
from gonghui.members.models import Member, ServiceEvent
from gonghui.members.services import service_event_compensate, service_event_record
from gonghui.orgs.models import Org
from tests.factories import make_member, make_staff, org_child, org_root

_sources = itertools.count(1)

OCT = {"period": "month", "start": "2026-10-01"}


def local(y: int, m: int, d: int, h: int = 12, mi: int = 0) -> dt.datetime:
    return dt.datetime(y, m, d, h, mi, tzinfo=SHANGHAI)


def source() -> Any:
    return SimpleNamespace(_meta=SimpleNamespace(label_lower="tests.thing"), pk=next(_sources))


def event(member: Member, kind: str, at: dt.datetime, amount_fen: int = 0, org: Org | None = None):
    src = source()
    service_event_record(
        member=member, kind=kind, source=src, amount_fen=amount_fen, org=org, occurred_at=at
    )
    return src


@dataclass
class World:
    city: Org
    east: Org  # a district
    e1: Org
    e2: Org
    west: Org  # another district
    w1: Org
    members: dict[str, Member]


@pytest.fixture
def world(db) -> World:
    city = org_root(name="玉环市总工会")
    east = org_child(city, Org.Kind.DISTRICT, name="东城镇总工会")
    e1 = org_child(east, name="东一厂工会")
    e2 = org_child(east, name="东二厂工会")
    west = org_child(city, Org.Kind.DISTRICT, name="西城镇总工会")
    w1 = org_child(west, name="西一厂工会")
    m = {
        "a": make_member(e1, name="甲", joined_on=dt.date(2026, 10, 3)),
        "b": make_member(e2, name="乙", joined_on=dt.date(2026, 9, 30)),
        "c": make_member(w1, name="丙", joined_on=dt.date(2026, 10, 31)),
        "d": make_member(e1, name="丁", joined_on=dt.date(2025, 1, 1)),
    }
    # October (local days): redemptions, one voided; an enrolment; a recovered amount
    event(m["a"], "benefits.redemption", local(2026, 10, 1, 0, 0), 500)
    event(m["a"], "benefits.redemption", local(2026, 10, 15), 300)
    voided = event(m["b"], "benefits.redemption", local(2026, 10, 20), 700)
    service_event_compensate(
        kind="benefits.redemption_void", source=voided, occurred_at=local(2026, 11, 2)
    )
    event(m["c"], "benefits.redemption", local(2026, 10, 31, 23, 59), 200)
    event(m["c"], "members.enrolment", local(2026, 10, 31, 8))
    event(m["d"], "members.enrolment", local(2026, 10, 8), org=east)  # at east itself (本级)
    event(m["b"], "rights.case_closed", local(2026, 10, 9), 10_000)
    # the edges: before October (September) and after it (November, local)
    event(m["a"], "benefits.redemption", local(2026, 9, 30, 23, 59), 100)
    event(m["a"], "benefits.redemption", local(2026, 11, 1, 0, 0), 100)
    event(m["b"], "members.enrolment", local(2026, 9, 12))
    # activity: a on two days, b once, c once, and a in September
    for key, day in (("a", 2), ("a", 20), ("b", 20), ("c", 31)):
        activity_note(
            member_id=m[key].pk, org_id=m[key].org_id, via="service", at=local(2026, 10, day)
        )
    activity_note(member_id=m["a"].pk, org_id=m["a"].org_id, via="service", at=local(2026, 9, 1))
    # the ledger: an allocation (no spending), subsidies from welfare (one reversed), help paid
    bank = funds.account_open(org=city, kind=AccountKind.BANK)
    welfare = funds.account_open(org=city, kind=AccountKind.WELFARE)
    assistance = funds.account_open(org=east, kind=AccountKind.ASSISTANCE)
    payable = funds.account_open(org=city, kind=AccountKind.MERCHANT_PAYABLE)
    funds.fund_allocate(
        org=city, from_account=bank, to_account=welfare, amount_fen=100_000,
        occurred_at=local(2026, 10, 2),
    )  # fmt: skip
    funds.fund_allocate(
        org=east, from_account=bank, to_account=assistance, amount_fen=50_000,
        occurred_at=local(2026, 10, 2),
    )  # fmt: skip
    funds.transaction_post(
        org=city, kind="benefits.subsidy", entries=[(welfare, 800), (payable, -800)],
        occurred_at=local(2026, 10, 15),
    )  # fmt: skip
    undone = funds.transaction_post(
        org=city, kind="benefits.subsidy", entries=[(welfare, 700), (payable, -700)],
        occurred_at=local(2026, 10, 20),
    )  # fmt: skip
    funds.transaction_reverse(txn=undone, actor=None, occurred_at=local(2026, 10, 21))
    funds.transaction_post(
        org=east, kind="assistance.help", entries=[(assistance, 2_000), (bank, -2_000)],
        occurred_at=local(2026, 10, 9),
    )  # fmt: skip
    return World(city, east, e1, e2, west, w1, m)


def staff(org: Org, role: str):
    return make_staff(org, role)


@pytest.fixture
def published():
    """Two figures published to members.figures for the test: an additive count of members
    (a stock) and a non-additive one (members per union, ‰ of the subtree's unions with any)."""

    def members_at(q: Query) -> int:
        return Member.objects.filter(org__path__startswith=q.org.path).count()

    def events_here(q: Query) -> int:
        return ServiceEvent.objects.filter(
            org=q.org, occurred_at__gte=q.start, occurred_at__lt=q.end
        ).count()

    registry.register_section("tests", "测试栏目", order=99)
    registry.register(
        "tests.members", "测试会员数", section="tests", unit=Unit.COUNT, compute=members_at,
        stock=True,
    )  # fmt: skip
    registry.register(
        "tests.own_events", "测试本级事件", section="tests", unit=Unit.COUNT,
        compute=events_here, additive=False,
    )  # fmt: skip
    registry.register_pending(
        "tests.waiting", "测试待办", count=lambda user, org: 3, url=lambda org: "/admin/"
    )
    yield
    registry._FIGURES.pop("tests.members", None)
    registry._FIGURES.pop("tests.own_events", None)
    registry._SECTIONS.pop("tests", None)
    registry._PENDING.pop("tests.waiting", None)
