"""Skill-pay linkage (validation, coverage among above-size enterprises) and the jobs figures."""

from __future__ import annotations

import datetime as dt

import pytest

from gonghui.core.errors import Refused
from gonghui.core.models import AuditEntry
from gonghui.core.skills import SkillLevel
from gonghui.core.timeutil import local_today
from gonghui.jobs import selectors, services
from gonghui.jobs.models import Application, FairCheckin, JobFair, Posting
from gonghui.orgs.models import Role
from tests.factories import make_member, make_staff, org_child, org_root

from .factories import make_employer_staff, make_enterprise, make_posting

pytestmark = pytest.mark.django_db
L = SkillLevel
RAISES = {
    L.JUNIOR: 5_000,
    L.INTERMEDIATE: 10_000,
    L.SENIOR: 30_000,
    L.TECHNICIAN: 60_000,
    L.SENIOR_TECHNICIAN: 100_000,
}


@pytest.fixture(autouse=True)
def _fast_hasher(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def test_skill_levels_are_ordered():
    assert [L.rank(v) for v in L.values] == [1, 2, 3, 4, 5]
    assert L.values[0] == "junior" and L.values[-1] == "senior_technician"


@pytest.mark.parametrize(
    ("raises", "code"),
    [
        ({}, "no_levels"),
        ({"master": 100}, "level"),
        ({L.JUNIOR: -1}, "raise_negative"),
        ({L.JUNIOR: 1.5}, "raise_negative"),
        ({L.JUNIOR: 10_000, L.SENIOR: 5_000}, "raise_order"),
    ],
)
def test_bad_schemes_are_refused(raises, code):
    with pytest.raises(Refused) as exc:
        services.skill_pay_validate(raises)
    assert exc.value.code == code


def test_coverage_counts_above_size_enterprises_and_workers():
    root = org_root()
    a = org_child(root)
    b = org_child(root)
    outside = org_child(org_root())
    admin = make_staff(root, Role.FEDERATION_ADMIN)
    big1 = make_enterprise(a, is_above_scale=True)
    big2 = make_enterprise(b, is_above_scale=True)
    make_enterprise(b, is_above_scale=True)  # no scheme
    small = make_enterprise(a, is_above_scale=False)
    far = make_enterprise(outside, is_above_scale=True)
    today = local_today()
    services.skill_pay_scheme_set(
        actor=admin,
        enterprise=big1,
        effective_from=today - dt.timedelta(days=400),
        raises=RAISES,
        workers_covered=100,
    )
    # a newer scheme of the same enterprise replaces the older one in the counts
    services.skill_pay_scheme_set(
        actor=admin,
        enterprise=big1,
        effective_from=today - dt.timedelta(days=10),
        raises=RAISES,
        workers_covered=150,
    )
    services.skill_pay_scheme_set(
        actor=admin, enterprise=small, effective_from=today, raises=RAISES, workers_covered=20
    )
    # not yet in effect
    services.skill_pay_scheme_set(
        actor=admin,
        enterprise=big2,
        effective_from=today + dt.timedelta(days=5),
        raises=RAISES,
        workers_covered=999,
    )
    services.skill_pay_scheme_set(
        actor=None, enterprise=far, effective_from=today, raises=RAISES, workers_covered=7
    )
    cov = selectors.skill_pay_coverage(root, today)
    assert cov == {
        "enterprises_with_scheme": 2,
        "above_scale_enterprises": 3,
        "above_scale_with_scheme": 1,
        "above_scale_rate_permille": 333,
        "workers_covered": 170,
        "workers_covered_above_scale": 150,
    }
    later = selectors.skill_pay_coverage(root, today + dt.timedelta(days=5))
    assert later["above_scale_with_scheme"] == 2 and later["above_scale_rate_permille"] == 667
    assert selectors.skill_pay_coverage(a, today)["above_scale_rate_permille"] == 1000
    assert AuditEntry.objects.filter(action="jobs.skill_pay.set").count() == 4
    scheme = selectors.scheme_in_effect(big1, today)
    assert {r.level: r.monthly_raise_fen for r in scheme.raises.all()} == RAISES


def test_figures_of_a_subtree_and_period():
    root = org_root()
    a = org_child(root)
    b = org_child(root)
    ent_a = make_enterprise(a)
    ent_b = make_enterprise(b)
    p1 = make_posting(ent_a, headcount=5, kind=Posting.Kind.UNION_PUSHED)
    make_posting(ent_a, headcount=7, status=Posting.Status.DRAFT)  # drafts are not posts
    p3 = make_posting(ent_b, headcount=2)
    employer = make_employer_staff(ent_a)
    m1, m2 = make_member(a), make_member(a)
    x1 = services.application_submit(member=m1, posting=p1)
    services.application_submit(member=m2, posting=p1)
    services.application_submit(member=m1, posting=p3)
    for to in ("viewed", "interview", "offered", "hired"):
        x1 = services.application_transition(application=x1, to_status=to, actor=employer)
    fair = JobFair.objects.create(org=a, title="招聘会", date=local_today(), place="X")
    services.fair_checkin(fair=fair, member=m1)
    today = local_today()
    assert selectors.figures(root, today, today) == {
        "posts": 2,
        "headcount": 7,
        "applications": 3,
        "intentions": 1,
        "hires": 1,
        "fair_checkins": 1,
    }
    assert selectors.figures(a, today, today) == {
        "posts": 1,
        "headcount": 5,
        "applications": 2,
        "intentions": 1,
        "hires": 1,
        "fair_checkins": 1,
    }
    past = today - dt.timedelta(days=400)
    empty = selectors.figures(root, past, past)
    assert empty["applications"] == 0 and empty["posts"] == 0
    assert Application.objects.count() == 3 and FairCheckin.objects.count() == 1
