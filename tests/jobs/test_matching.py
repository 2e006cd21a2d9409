"""Matching: open postings ranked for a member by skills, trade and region, with the reasons."""

from __future__ import annotations

import datetime as dt

import pytest

from gonghui.core.timeutil import local_today
from gonghui.jobs import selectors
from gonghui.jobs.models import Posting, Trade
from gonghui.members.models import EmploymentType, GigTrade
from tests.factories import make_member, org_child, org_root

from .factories import make_enterprise, make_posting

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    root = org_root(region_code="331021")
    union = org_child(root, region_code="331021")
    home = make_enterprise(union, region_code="331021", industry="机械制造")
    member = make_member(
        union,
        enterprise=home,
        skills=["焊工", "叉车", "电工"],
        employment_type=EmploymentType.GIG,
        gig_trade=GigTrade.RIDER,
    )
    return root, union, home, member


def codes_of(match) -> dict[str, int]:
    return {r.code: r.weight for r in match.reasons}


def test_ranking_and_explanations(world):
    _root, union, _home, member = world
    same_district = make_enterprise(union, region_code="331021", industry="物流")
    same_city = make_enterprise(union, region_code="331002", industry="机械制造")
    elsewhere = make_enterprise(union, region_code="110101", industry="零售")

    two_skills = make_posting(
        same_district, title="焊工叉车", skills=["焊工", "叉车", "木工"], trade=Trade.MANUFACTURING
    )
    delivery = make_posting(
        same_city, title="外卖骑手", trade=Trade.DELIVERY, kind=Posting.Kind.GIG_SPECIAL
    )
    industry = make_posting(same_city, title="装配工", trade=Trade.MANUFACTURING)
    pushed = make_posting(
        elsewhere, title="收银员", trade=Trade.RETAIL, kind=Posting.Kind.UNION_PUSHED
    )
    nothing = make_posting(elsewhere, title="店员", trade=Trade.RETAIL)
    make_posting(same_district, title="草稿", status=Posting.Status.DRAFT, skills=["焊工"])
    make_posting(
        same_district,
        title="过期",
        skills=["焊工"],
        valid_from=local_today() - dt.timedelta(days=10),
        valid_until=local_today() - dt.timedelta(days=1),
    )

    matches = selectors.postings_for_member(member)
    assert [m.posting.pk for m in matches] == [
        two_skills.pk,  # 2 skills 60 + district 20 = 80
        delivery.pk,  # trade 25 + city 10 + gig special 10 = 45
        industry.pk,  # industry 15 + city 10 = 25
        pushed.pk,  # union pushed 5
        nothing.pk,  # 0
    ]
    assert codes_of(matches[0]) == {"skills": 60, "district": 20}
    assert matches[0].score == 80
    assert "焊工" in matches[0].reasons[0].label and "叉车" in matches[0].reasons[0].label
    assert codes_of(matches[1]) == {"trade": 25, "city": 10, "gig_special": 10}
    assert codes_of(matches[2]) == {"industry": 15, "city": 10}
    assert codes_of(matches[3]) == {"union_pushed": 5}
    assert matches[4].reasons == [] and matches[4].score == 0
    for m in matches:
        assert m.score == sum(r.weight for r in m.reasons)


def test_skills_match_case_insensitively_and_count_at_most_three(world):
    _root, union, _home, member = world
    member.skills = ["Java", "python", "SQL", "Go"]
    member.save(update_fields=["skills"])
    ent = make_enterprise(union, region_code="110101")
    p = make_posting(ent, skills=["java", "Python", "sql", "go"], trade=Trade.OTHER)
    (m,) = selectors.postings_for_member(member)
    assert m.posting.pk == p.pk and codes_of(m) == {"skills": 90}


def test_ties_break_by_closing_date_then_age(world):
    _root, union, _home, member = world
    ent = make_enterprise(union, region_code="110101")
    today = local_today()
    late = make_posting(
        ent, title="A", trade=Trade.OTHER, valid_until=today + dt.timedelta(days=20)
    )
    soon = make_posting(ent, title="B", trade=Trade.OTHER, valid_until=today + dt.timedelta(days=5))
    soon2 = make_posting(
        ent, title="C", trade=Trade.OTHER, valid_until=today + dt.timedelta(days=5)
    )
    order = [m.posting.pk for m in selectors.postings_for_member(member)]
    assert order == [soon.pk, soon2.pk, late.pk]
    assert order == [m.posting.pk for m in selectors.postings_for_member(member)]  # stable


def test_member_without_enterprise_uses_union_region(world):
    _root, union, _home, _member = world
    loner = make_member(union)  # no enterprise, no skills, not a gig worker
    ent = make_enterprise(union, region_code=union.region_code)
    make_posting(ent, trade=Trade.DELIVERY, kind=Posting.Kind.GIG_SPECIAL)
    (m,) = selectors.postings_for_member(loner)
    assert codes_of(m) == {"district": 20}  # no gig bonus for a non-gig worker
