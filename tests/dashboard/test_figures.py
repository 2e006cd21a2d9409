"""The dashboard's figures equal the members / funds selectors' answers; breakdowns add up."""

from __future__ import annotations

import datetime as dt

import pytest

from gonghui.dashboard import selectors
from gonghui.dashboard.periods import period_from_params
from gonghui.funds import selectors as fund_selectors
from gonghui.members import selectors as member_selectors
from gonghui.members.servicekinds import Amount

pytestmark = pytest.mark.django_db

OCT = period_from_params("month", "2026-10-01", None)


def values(org):
    return {c.figure.key: (c.value, c.previous) for c in selectors.headline(org, OCT)}


def test_headline_equals_the_members_selectors(world):
    for org in (world.city, world.east, world.e1, world.west):
        got = values(org)
        prev = OCT.previous()
        assert got["dashboard.person_times"] == (
            member_selectors.person_times(org=org, start=OCT.start, end=OCT.end),
            member_selectors.person_times(org=org, start=prev.start, end=prev.end),
        )
        amounts = member_selectors.amounts(org=org, start=OCT.start, end=OCT.end)
        assert got["dashboard.spent"][0] == amounts[Amount.SPENT]
        assert got["dashboard.recovered"][0] == amounts[Amount.RECOVERED]
        assert got["dashboard.active_members"][0] == member_selectors.active_members(
            org=org, start=OCT.first, end=OCT.last
        )


def test_headline_numbers(world):
    got = values(world.city)
    assert got["dashboard.person_times"] == (5, 2)  # the voided redemption does not count
    assert got["dashboard.spent"][0] == 1_000
    assert got["dashboard.recovered"][0] == 10_000
    assert got["dashboard.active_members"] == (3, 1)
    assert got["dashboard.new_members"][0] == 2  # 10-03 and 10-31; 09-30 is September
    assert got["dashboard.funds_spent"][0] == 2_800  # allocations are no spending


def test_kinds_by_label_and_amount(world):
    rows = {r.kind: r for r in selectors.kinds(world.city, OCT)}
    assert rows["benefits.redemption"].person_times == 3
    assert rows["benefits.redemption"].amount_fen == 1_000
    assert rows["members.enrolment"].person_times == 2
    assert rows["members.enrolment"].previous == 1
    assert rows["rights.case_closed"].amount_fen == 10_000
    assert str(rows["members.enrolment"].label) != "members.enrolment"


def test_spending_by_fund_and_purpose_net_of_reversals(world):
    got = fund_selectors.spending(org=world.city, start=OCT.start, end=OCT.end)
    assert got == {("welfare", "benefits.subsidy"): 800, ("assistance", "assistance.help"): 2_000}
    assert fund_selectors.spending(org=world.west, start=OCT.start, end=OCT.end) == {}
    rows = selectors.funds_spending(world.city, OCT)
    assert {str(r.purpose_label) for r in rows} and all(r.purpose_label != r.purpose for r in rows)


def test_trend_and_daily_active(world):
    trend = selectors.person_times_trend(world.city, OCT)
    assert len(trend) == 31 and sum(p.value for p in trend) == 5
    assert trend[0].value == 1  # 10-01 00:00 local
    daily = {p.first: p.value for p in selectors.daily_active(world.city, OCT)}
    assert daily[dt.date(2026, 10, 20)] == 2 and daily[dt.date(2026, 10, 1)] == 0
    year = period_from_params("year", "2026-01-01", None)
    months = selectors.person_times_trend(world.city, year)
    assert [p.value for p in months][8:11] == [2, 5, 1]


@pytest.mark.usefixtures("published")
@pytest.mark.parametrize("key", ["dashboard.person_times", "dashboard.spent", "dashboard.new_members",
                                 "dashboard.funds_spent", "dashboard.kind.benefits.redemption",
                                 "tests.members"])  # fmt: skip
def test_additive_breakdown_sums_to_the_parent(world, key):
    f = selectors.figure(key)
    for org in (world.city, world.east, world.west):
        b = selectors.breakdown(f, org, OCT)
        assert sum(p.value for p in b.parts) == b.total


def test_breakdown_has_this_level_when_the_org_has_rows_of_its_own(world):
    b = selectors.breakdown(selectors.PERSON_TIMES, world.east, OCT)
    assert [(p.org.name if p.org else None, p.value) for p in b.parts] == [
        (None, 1),
        ("东一厂工会", 2),
        ("东二厂工会", 0),
    ]
    top = selectors.breakdown(selectors.PERSON_TIMES, world.city, OCT)
    assert [p.org for p in top.parts] == [world.east, world.west]  # no rows of its own


@pytest.mark.usefixtures("published")
def test_non_additive_figures_are_computed_per_child(world):
    active = selectors.breakdown(selectors.ACTIVE, world.city, OCT)
    assert [p.value for p in active.parts] == [2, 1] and active.total == 3
    own = selectors.breakdown(selectors.figure("tests.own_events"), world.east, OCT)
    assert own.total == 1 and all(p.org is not None for p in own.parts)  # no 本级 line


@pytest.mark.usefixtures("published")
def test_registered_figures_by_section(world):
    sections = {s.key: s for s in selectors.registered(world.city, OCT)}
    figs = {c.figure.key: c.value for c in sections["tests"].figures}
    assert figs == {"tests.members": 4, "tests.own_events": 0}
    assert [p.label for p in selectors.pending(None, world.city) if p.key == "tests.waiting"]
