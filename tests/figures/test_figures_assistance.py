"""The hardship-assistance figures and its pending reviews (issue #13 item 4)."""

from __future__ import annotations

import datetime as dt

import pytest

from gonghui.assistance.models import HardshipFile, HelpKind, HelpRecord
from gonghui.core.timeutil import local_today
from gonghui.members import figures
from gonghui.orgs.models import Role
from tests.factories import make_member, make_staff
from tests.figures.helpers import AFTER_DAY, BEFORE_DAY, IN_DAY, assert_figures, make_tree

pytestmark = pytest.mark.django_db
ACTIVE = HardshipFile.Status.ACTIVE


def _file(org, status: str = ACTIVE, activated_on=BEFORE_DAY, **kw) -> HardshipFile:
    return HardshipFile.objects.create(
        member=make_member(org),
        org=org,
        category="deep",
        worker_type="urban_worker",
        main_cause="illness",
        housing="rented",
        status=status,
        applied_on=dt.date(2025, 1, 1),
        activated_on=activated_on,
        **kw,
    )


def _help(file: HardshipFile, kind: str, amount_fen: int, on: dt.date) -> None:
    HelpRecord.objects.create(
        file=file, kind=kind, amount_fen=amount_fen, given_on=on, paid_by=file.org
    )


def test_assistance_figures_by_union_and_district():
    tree = make_tree()
    a = _file(tree.a)
    _file(tree.a, activated_on=IN_DAY)
    _file(tree.a, activated_on=AFTER_DAY)  # on file only after the period
    _file(tree.a, status=HardshipFile.Status.CLOSED)
    _file(tree.a, status=HardshipFile.Status.APPLIED, activated_on=None)
    b = _file(tree.b)
    x = _file(tree.other)
    _help(a, HelpKind.VISIT, 50_000, IN_DAY)
    _help(a, HelpKind.VISIT, 0, BEFORE_DAY)
    _help(a, HelpKind.LIVING, 200_000, IN_DAY)
    _help(a, HelpKind.MEDICAL, 100_000, IN_DAY)
    _help(a, HelpKind.EDUCATION, 100_000, AFTER_DAY)
    _help(b, HelpKind.EDUCATION, 300_000, IN_DAY)
    _help(x, HelpKind.LIVING, 999_000, IN_DAY)
    _help(x, HelpKind.VISIT, 0, IN_DAY)

    assert_figures(
        tree,
        {
            "assistance.files": (2, 1),
            "assistance.visits": (1, 0),
            "assistance.grants": (2, 1),
            "assistance.grants_fen": (300_000, 300_000),
        },
    )
    assert not figures.figure("assistance.files").public  # not for a published report


def test_pending_reviews_respect_scope():
    tree = make_tree()
    today = local_today()
    worker = make_staff(tree.a, Role.CASE_WORKER)
    _file(tree.a, next_review_on=today, case_worker=worker)
    _file(tree.a, next_review_on=today - dt.timedelta(days=3))
    _file(tree.a, next_review_on=today + dt.timedelta(days=300))  # not due
    _file(tree.b, next_review_on=today)
    _file(tree.other, next_review_on=today)
    admin_a = make_staff(tree.a, Role.UNION_ADMIN)
    district_admin = make_staff(tree.district, Role.UNION_ADMIN)
    pending = next(p for p in figures.pending() if p.key == "assistance.reviews")

    assert pending.count(admin_a, tree.a) == 2
    assert pending.count(admin_a, tree.district) == 2
    assert pending.count(district_admin, tree.district) == 3
    assert pending.count(worker, tree.a) == 1  # only the file assigned to them
