"""A town with two unions, service events, member activity, ledger postings and test figures
in the registry (the registry is replaced for the test: only the figures registered here)."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from gonghui.core.timeutil import SHANGHAI
from gonghui.funds.models import AccountKind
from gonghui.funds.services import (
    account_open,
    fund_allocate,
    transaction_post,
    transaction_reverse,
)
from gonghui.members import figures as registry
from gonghui.members.models import MemberActivity
from gonghui.members.services import service_event_record
from gonghui.orgs.models import Org
from tests.factories import make_member, org_child, org_root

YEAR = 2025


def at(month: int, day: int = 15, year: int = YEAR) -> dt.datetime:
    return dt.datetime(year, month, day, 10, 0, tzinfo=SHANGHAI)


@dataclass
class Town:
    fed: Org
    a: Org
    b: Org


def _events(org: Org, n: int, kind: str, month: int, amount_fen: int = 0) -> list:
    members = [make_member(org) for _i in range(n)]
    for m in members:
        service_event_record(
            member=m, kind=kind, source=m, amount_fen=amount_fen, occurred_at=at(month)
        )
    return members


@pytest.fixture
def town(db) -> Town:
    fed = org_root(name="玉环市总工会")
    a = org_child(fed, name="机械工会")
    b = org_child(fed, name="商贸工会")
    # union A: 12 enrolments in March, 3 fair check-ins in May, 2 subsidised registrations in
    # June (spent 150.00 yuan each); union B: 2 enrolments in March; one event in the next year
    a_members = _events(a, 12, "members.enrolment", 3)
    _events(a, 3, "jobs.fair_checkin", 5)
    _events(a, 2, "activities.registration", 6, amount_fen=15_000)
    _events(b, 2, "members.enrolment", 3)
    _events(a, 1, "members.enrolment", 1)  # January
    nxt = make_member(a)
    service_event_record(
        member=nxt, kind="members.enrolment", source=nxt, occurred_at=at(1, year=YEAR + 1)
    )
    # member activity: 7 members of A active in March (twice each), 3 in April
    for i, m in enumerate(a_members[:7]):
        for day in (3, 20):
            MemberActivity.objects.create(
                member=m, day=dt.date(YEAR, 3, day), org=a, via="session", first_at=at(3, day)
            )
        if i < 3:
            MemberActivity.objects.create(
                member=m, day=dt.date(YEAR, 4, 2), org=a, via="scan", first_at=at(4, 2)
            )
    # the ledger: 10,000,000.00 allocated from the bank to the federation's welfare fund and
    # 500,000.00 on to A's (allocations: not spending), then A spends 123,456.78, 19,000.00 and
    # 1,000.00, which comes back (a void: the reversal of that subsidy)
    bank = account_open(org=fed, kind=AccountKind.BANK)
    fed_welfare = account_open(org=fed, kind=AccountKind.WELFARE)
    a_welfare = account_open(org=a, kind=AccountKind.WELFARE)
    a_funds = account_open(org=a, kind=AccountKind.UNION_FUNDS)
    payable = account_open(
        org=fed, kind=AccountKind.MERCHANT_PAYABLE, party=("benefits.merchant", "1")
    )
    fund_allocate(org=fed, from_account=bank, to_account=fed_welfare, amount_fen=1_000_000_000)
    fund_allocate(org=fed, from_account=fed_welfare, to_account=a_welfare, amount_fen=50_000_000)
    fund_allocate(org=fed, from_account=bank, to_account=a_funds, amount_fen=10_000_000)
    transaction_post(
        org=a,
        kind="benefits.subsidy",
        entries=[(a_welfare, 12_345_678), (payable, -12_345_678)],
        occurred_at=at(7),
    )
    transaction_post(
        org=a,
        kind="activities.subsidy",
        entries=[(a_funds, 1_900_000), (payable, -1_900_000)],
        occurred_at=at(8),
    )
    voided = transaction_post(
        org=a,
        kind="benefits.subsidy",
        entries=[(a_funds, 100_000), (payable, -100_000)],
        occurred_at=at(8),
    )
    transaction_reverse(txn=voided, actor=None, kind="benefits.subsidy_void", occurred_at=at(9))
    return Town(fed=fed, a=a, b=b)


@pytest.fixture
def test_figures(monkeypatch):
    """Only these figures are registered: a public count, a small public count, an amount, and a
    count not for publication."""
    monkeypatch.setattr(registry, "_SECTIONS", {})
    monkeypatch.setattr(registry, "_FIGURES", {})
    registry.register_section("testing", "测试服务", order=1)
    registry.register_section("empty", "空栏目", order=2)
    registry.register(
        "testing.sessions",
        "开展活动场次",
        section="testing",
        unit=registry.Unit.COUNT,
        compute=lambda q: 40 if q.org.depth == 1 else 3,
        order=1,
    )
    registry.register(
        "testing.money",
        "补助金额",
        section="testing",
        unit=registry.Unit.FEN,
        compute=lambda q: 123_456_789,
        order=2,
    )
    registry.register(
        "testing.hours",
        "志愿服务时长",
        section="testing",
        unit=registry.Unit.HOURS,
        compute=lambda q: 12_345,
        order=3,
    )
    registry.register(
        "testing.internal",
        "内部数字",
        section="testing",
        unit=registry.Unit.COUNT,
        compute=lambda q: 777,
        order=4,
        public=False,
    )
    return registry


HAVE_PDFTOTEXT = shutil.which("pdftotext") is not None
needs_pdftotext = pytest.mark.skipif(
    not HAVE_PDFTOTEXT, reason="pdftotext missing (apt-get install poppler-utils)"
)


def pdf_text(data: bytes, tmp_path: Path, *layout: str) -> str:
    path = tmp_path / "r.pdf"
    path.write_bytes(data)
    return subprocess.run(
        ["pdftotext", *layout, "-enc", "UTF-8", str(path), "-"],
        capture_output=True,
        check=True,
        text=True,
    ).stdout
