"""The rights figures (anonymous intakes count here), contract coverage and overdue cases
(issue #13 item 4)."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest

from gonghui.core.timeutil import local_today
from gonghui.members import figures
from gonghui.orgs.models import Role
from gonghui.rights.models import CaseType, CollectiveContract, RightsCase
from tests.factories import EnterpriseFactory, make_member, make_staff
from tests.figures.helpers import AFTER, BEFORE, FIRST, IN, assert_figures, make_tree, value
from tests.rights.factories import ensure_case_types

pytestmark = pytest.mark.django_db
_numbers = itertools.count(1)
OPEN, CLOSED = RightsCase.Status.OPEN, RightsCase.Status.CLOSED


def _case(org, *, opened, closed=None, recovered=0, anonymous=False, **kw) -> RightsCase:
    ensure_case_types()
    case_type = CaseType.objects.get(code="wage_arrears")
    case = RightsCase.objects.create(
        number=f"R{next(_numbers):08d}",
        kind=RightsCase.Kind.COMPLAINT,
        case_type=case_type,
        org=org,
        member=None if anonymous else make_member(org),
        is_anonymous=anonymous,
        step=case_type.steps.order_by("order").first(),
        step_started_on=opened.date(),
        status=CLOSED if closed else OPEN,
        outcome=RightsCase.Outcome.RESOLVED if closed else "",
        closed_at=closed,
        amount_recovered_fen=recovered,
        **kw,
    )
    RightsCase.objects.filter(pk=case.pk).update(created_at=opened)
    return case


def test_rights_figures_by_union_and_district():
    tree = make_tree()
    _case(tree.a, opened=IN)
    _case(tree.a, opened=FIRST, anonymous=True)  # an anonymous intake counts here
    _case(tree.a, opened=BEFORE, closed=IN, recovered=150_000)
    _case(tree.a, opened=IN, closed=AFTER, recovered=1)
    _case(tree.a, opened=AFTER)
    _case(tree.b, opened=IN, closed=IN, recovered=20_000, anonymous=True)
    _case(tree.other, opened=IN, closed=IN, recovered=9_999)

    assert_figures(
        tree,
        {
            "rights.opened": (3, 1),
            "rights.closed": (1, 1),
            "rights.recovered": (150_000, 20_000),
        },
    )


def _contract(org, enterprise, *, valid_until=dt.date(2026, 12, 31)) -> None:
    CollectiveContract.objects.create(
        kind=CollectiveContract.Kind.ENTERPRISE,
        org=org,
        enterprise=enterprise,
        title="工资集体协议",
        signed_on=dt.date(2026, 1, 1),
        valid_from=dt.date(2026, 1, 1),
        valid_until=valid_until,
        wage_increase_bp=500,
        workers_covered=100,
    )


def test_contract_coverage_is_a_rate_per_org_not_a_sum():
    tree = make_tree()
    a_ents = [EnterpriseFactory(union=tree.a, is_above_scale=True) for _ in range(2)]
    b_ents = [EnterpriseFactory(union=tree.b, is_above_scale=True) for _ in range(3)]
    EnterpriseFactory(union=tree.b, is_above_scale=False)  # not above scale: not counted
    _contract(tree.a, a_ents[0])
    _contract(tree.b, b_ents[0])
    _contract(tree.b, b_ents[1], valid_until=dt.date(2026, 3, 30))  # expired by the last day
    fig = figures.figure("rights.contract_coverage")
    assert not fig.additive
    assert fig.unit == figures.Unit.PERMILLE
    assert value("rights.contract_coverage", tree.a) == 500
    assert value("rights.contract_coverage", tree.b) == 333
    assert value("rights.contract_coverage", tree.district) == 400  # 2 of 5, not 500 + 333
    assert value("rights.contract_coverage", tree.other) == 0  # no above-scale enterprise


def test_pending_overdue_cases_respect_scope():
    tree = make_tree()
    late = local_today() - dt.timedelta(days=2)
    lawyer = make_staff(tree.a, Role.LAWYER)
    _case(tree.a, opened=BEFORE, due_on=late, lawyer=lawyer)
    _case(tree.a, opened=BEFORE, due_on=late)
    _case(tree.a, opened=BEFORE, due_on=local_today() + dt.timedelta(days=5))
    _case(tree.a, opened=BEFORE, closed=BEFORE, due_on=late)
    _case(tree.b, opened=BEFORE, due_on=late)
    admin_a = make_staff(tree.a, Role.UNION_ADMIN)
    district_admin = make_staff(tree.district, Role.UNION_ADMIN)
    pending = next(p for p in figures.pending() if p.key == "rights.overdue")

    assert pending.count(admin_a, tree.a) == 2
    assert pending.count(admin_a, tree.district) == 2
    assert pending.count(district_admin, tree.district) == 3
    assert pending.count(lawyer, tree.district) == 1
    assert "overdue=1" in pending.url(tree.a)
