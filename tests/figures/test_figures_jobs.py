"""The jobs figures: postings, applications, fairs, check-ins, skill-pay coverage (issue #13
item 4)."""

from __future__ import annotations

import datetime as dt

import pytest

from gonghui.jobs.models import Application, FairCheckin, JobFair, Posting, SkillPayScheme
from gonghui.members import figures
from tests.factories import EnterpriseFactory, make_member
from tests.figures.helpers import (
    AFTER,
    AFTER_DAY,
    BEFORE,
    BEFORE_DAY,
    IN,
    IN_DAY,
    assert_figures,
    make_tree,
    value,
)

pytestmark = pytest.mark.django_db


def _posting(org, valid_from: dt.date, valid_until: dt.date, status=Posting.Status.OPEN):
    return Posting.objects.create(
        enterprise=EnterpriseFactory(union=org),
        org=org,
        title="普工",
        trade="manufacturing",
        salary_min_fen=500_000,
        salary_max_fen=800_000,
        valid_from=valid_from,
        valid_until=valid_until,
        status=status,
    )


def _apply(posting: Posting, at: dt.datetime, status=Application.Status.SUBMITTED) -> None:
    Application.objects.create(
        member=make_member(posting.org),
        enterprise=posting.enterprise,
        posting=posting,
        org=posting.org,
        source=Application.Source.ONLINE,
        status=status,
        submitted_at=at,
    )


def _fair(org, on: dt.date, checkins: list[dt.datetime]) -> None:
    fair = JobFair.objects.create(org=org, title="春风行动", date=on, place="人力市场")
    for at in checkins:
        FairCheckin.objects.create(fair=fair, member=make_member(org), checked_in_at=at)


def test_jobs_figures_by_union_and_district():
    tree = make_tree()
    live = _posting(tree.a, dt.date(2026, 2, 1), dt.date(2026, 3, 1))  # valid on the first day
    _posting(tree.a, dt.date(2026, 3, 31), dt.date(2026, 5, 1))  # valid on the last day
    _posting(tree.a, dt.date(2026, 3, 5), dt.date(2026, 3, 9), status=Posting.Status.DRAFT)
    _posting(tree.a, dt.date(2026, 1, 1), dt.date(2026, 2, 28))
    _posting(tree.a, AFTER_DAY, dt.date(2026, 5, 1))
    other = _posting(tree.b, dt.date(2026, 3, 1), dt.date(2026, 3, 31), Posting.Status.CLOSED)
    far = _posting(tree.other, dt.date(2026, 3, 1), dt.date(2026, 3, 31))
    _apply(live, IN)
    _apply(live, IN, Application.Status.HIRED)
    _apply(live, IN, Application.Status.WITHDRAWN)  # a withdrawal cancels the application
    _apply(live, BEFORE)
    _apply(other, AFTER)
    _apply(other, IN)
    _apply(far, IN)
    _fair(tree.a, IN_DAY, [IN, IN, AFTER])
    _fair(tree.a, BEFORE_DAY, [BEFORE])
    _fair(tree.b, IN_DAY, [])
    _fair(tree.other, IN_DAY, [IN])

    assert_figures(
        tree,
        {
            "jobs.postings": (2, 1),
            "jobs.applications": (2, 1),
            "jobs.fairs": (1, 1),
            "jobs.fair_checkins": (2, 0),
        },
    )


def test_skill_pay_coverage_is_a_rate_per_org():
    tree = make_tree()
    a_ents = [EnterpriseFactory(union=tree.a, is_above_scale=True) for _ in range(4)]
    b_ents = [EnterpriseFactory(union=tree.b, is_above_scale=True) for _ in range(1)]
    SkillPayScheme.objects.create(enterprise=a_ents[0], effective_from=dt.date(2026, 1, 1))
    SkillPayScheme.objects.create(enterprise=a_ents[1], effective_from=AFTER_DAY)  # too late
    SkillPayScheme.objects.create(enterprise=b_ents[0], effective_from=dt.date(2026, 3, 31))
    fig = figures.figure("jobs.skill_pay_coverage")
    assert not fig.additive
    assert value("jobs.skill_pay_coverage", tree.a) == 250
    assert value("jobs.skill_pay_coverage", tree.b) == 1000
    assert value("jobs.skill_pay_coverage", tree.district) == 400
