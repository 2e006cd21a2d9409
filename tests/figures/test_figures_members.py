"""The members app's figures and pending-work counters (issue #13 item 4)."""

from __future__ import annotations

import pytest

from gonghui.members import figures
from gonghui.members.models import EmploymentType, Member, TransferRequest
from gonghui.orgs.models import Role
from tests.factories import make_member, make_staff
from tests.figures.helpers import AFTER_DAY, BEFORE_DAY, IN_DAY, assert_figures, make_tree, value
from tests.members.enrol_helpers import submit

pytestmark = pytest.mark.django_db


def test_members_figures_by_union_and_district():
    tree = make_tree()
    make_member(tree.a, joined_on=IN_DAY)
    make_member(tree.a, joined_on=IN_DAY, employment_type=EmploymentType.GIG)
    make_member(tree.a, joined_on=BEFORE_DAY)
    make_member(tree.a, joined_on=AFTER_DAY)  # after the period: not yet a member at its end
    make_member(tree.b, joined_on=IN_DAY, employment_type=EmploymentType.GIG)
    left = make_member(tree.b, joined_on=BEFORE_DAY)
    Member.objects.filter(pk=left.pk).update(status=Member.Status.LEFT)
    make_member(tree.other, joined_on=IN_DAY, employment_type=EmploymentType.GIG)

    assert_figures(
        tree,
        {
            "members.new": (2, 1),
            "members.new_gig": (1, 1),
            "members.total": (3, 1),
        },
    )
    assert figures.figure("members.total").stock
    assert value("members.new", tree.fed) == 4  # the other district counts at the federation


def test_pending_enrolments_and_transfers_respect_scope():
    tree = make_tree()
    submit(tree.a)
    submit(tree.a)
    submit(tree.b)
    submit(tree.other)
    mover = make_member(tree.other)
    TransferRequest.objects.create(member=mover, from_org=tree.other, to_org=tree.a)
    TransferRequest.objects.create(
        member=mover, from_org=tree.other, to_org=tree.b, status=TransferRequest.Status.REJECTED
    )
    admin_a = make_staff(tree.a, Role.UNION_ADMIN)
    district_admin = make_staff(tree.district, Role.UNION_ADMIN)
    auditor = make_staff(tree.district, Role.AUDITOR)  # sees, does not review
    enrolments = next(p for p in figures.pending() if p.key == "members.enrolments")
    transfers = next(p for p in figures.pending() if p.key == "members.transfers")

    assert enrolments.count(admin_a, tree.a) == 2
    assert enrolments.count(admin_a, tree.district) == 2  # B is not theirs to review
    assert enrolments.count(district_admin, tree.district) == 3
    assert enrolments.count(district_admin, tree.b) == 1
    assert enrolments.count(auditor, tree.district) == 0
    assert transfers.count(admin_a, tree.a) == 1
    assert transfers.count(district_admin, tree.b) == 0
    assert transfers.count(district_admin, tree.district) == 1
    assert enrolments.url(tree.a).startswith("/admin/members/enrolment/")
