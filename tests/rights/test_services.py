"""Rights cases: intake (signed in or anonymous with an access code), numbers, steps and their
due dates, every illegal move refused, assignment, collective cases, the open-case warning,
overdue lists, outcomes and service events; collective contracts and their coverage rate."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.db import IntegrityError, transaction

from gonghui.core.errors import Refused
from gonghui.core.models import AuditEntry
from gonghui.core.timeutil import local_today
from gonghui.members.models import ServiceEvent
from gonghui.orgs.models import Role
from gonghui.rights import selectors, services
from gonghui.rights.models import CaseEntry, CaseParty, CaseType, CollectiveContract, RightsCase
from tests.factories import EnterpriseFactory, make_member, make_staff, org_child

from .factories import intake, make_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    return make_world()


@pytest.fixture
def boss(world):
    return make_staff(world.fed, Role.FEDERATION_ADMIN)


def test_default_case_types_have_ordered_steps():
    codes = set(CaseType.objects.values_list("code", flat=True))
    assert {"consultation", "wage_arrears", "work_injury", "contract_dispute"} <= codes
    wage = CaseType.objects.get(code="wage_arrears")
    steps = list(wage.steps.order_by("order"))
    assert [s.order for s in steps] == [1, 2, 3, 4] and all(s.due_days > 0 for s in steps)


def test_member_intake_numbers_step_and_due_date(world):
    result = intake(world.member)
    case = result.case
    year = local_today().year
    assert re.fullmatch(rf"YH-{year}-\d{{6}}", case.number)
    assert result.access_code == "" and result.open_cases == []
    assert case.org == world.union and case.member == world.member
    assert case.step.order == 1 and case.due_on == local_today() + dt.timedelta(
        days=case.step.due_days
    )
    assert case.entries.get().kind == CaseEntry.Kind.CREATED
    # a member's case is counted once, at its intake (docs/figures.md)
    event = ServiceEvent.objects.get(kind="rights.intake")
    assert (event.member, event.org, event.source_id) == (world.member, world.union, str(case.pk))
    second = intake(world.member).case
    assert int(second.number[-6:]) == int(case.number[-6:]) + 1


def test_case_number_prefix_is_configurable(world, settings):
    settings.GONGHUI_CASE_NUMBER_PREFIX = "TZ"
    assert intake(world.member).case.number.startswith("TZ-")


def test_anonymous_intake_and_tracking(world):
    result = intake(
        None, anonymous=True, contact_phone="13912345678", employer_name="某某物流有限公司"
    )
    case = result.case
    assert case.member is None and case.is_anonymous
    assert len(result.access_code) == 10
    assert result.access_code not in str(RightsCase.objects.filter(pk=case.pk).values().get())
    assert "13912345678" not in str(RightsCase.objects.filter(pk=case.pk).values().get())
    assert case.contact_phone_masked == "139****5678"
    assert case.org == world.fed  # no member and no enterprise: the federation receives it
    assert services.case_track(number=case.number, access_code=result.access_code) == case
    assert services.case_track(number=case.number.lower(), access_code=result.access_code.lower())
    for number, code in [(case.number, "WRONGCODE1"), ("YH-1999-000001", result.access_code)]:
        with pytest.raises(Refused) as exc:
            services.case_track(number=number, access_code=code)
        assert exc.value.status == 404
    assert not ServiceEvent.objects.exists()  # an anonymous intake has no member, no event
    member_case = intake(world.member).case
    with pytest.raises(Refused):  # a member's case has no access code
        services.case_track(number=member_case.number, access_code="")


def test_anonymous_intake_drops_the_member_link(world):
    case = intake(world.member, anonymous=True).case
    assert case.member is None and case.is_anonymous
    with pytest.raises(IntegrityError), transaction.atomic():
        RightsCase.objects.filter(pk=case.pk).update(member=world.member)


@pytest.mark.parametrize(
    ("kw", "code"),
    [
        ({"kind": "lawsuit"}, "invalid_choice"),
        ({"case_type": "divorce"}, "invalid_case_type"),
        ({"description": "短"}, "invalid_description"),
        ({"amount_claimed_fen": -1}, "invalid_amount"),
        ({"contact_phone": "12345"}, "invalid_phone"),
        ({"member": None}, "sign_in_or_anonymous"),
    ],
)
def test_bad_intake_is_refused_and_nothing_is_written(world, kw, code):
    with pytest.raises(Refused) as exc:
        intake(kw.pop("member", world.member), **kw)
    assert exc.value.code == code and str(exc.value.message)
    assert not RightsCase.objects.exists()


def test_open_case_warning(world):
    first = intake(world.member).case
    result = intake(world.member, kind="consultation", case_type="consultation")
    assert result.open_cases == [first.number]
    other = make_member(world.union, enterprise=world.enterprise)
    assert intake(other).open_cases == []


# --- the state machine --------------------------------------------------------------------
def test_steps_through_to_closing(world, boss):
    case = intake(world.member).case
    steps = list(case.case_type.steps.order_by("order"))
    for step in steps[1:]:
        case = services.case_advance(case=case, actor=boss, note="已联系企业")
        assert case.step == step
        assert case.due_on == local_today() + dt.timedelta(days=step.due_days)
    with pytest.raises(Refused) as exc:
        services.case_advance(case=case, actor=boss)
    assert exc.value.code == "last_step" and str(exc.value.message)
    case = services.case_close(
        case=case, outcome="resolved", amount_recovered_fen=1_200_000, actor=boss
    )
    assert case.status == "closed" and case.due_on is None
    ev = ServiceEvent.objects.get(kind="rights.case_closed")
    assert (ev.member, ev.amount_fen) == (world.member, 1_200_000)
    assert AuditEntry.objects.filter(action="rights.case.close").count() == 1


@pytest.mark.parametrize(
    "move",
    ["advance", "close", "note", "answer", "assign", "party"],
)
def test_every_move_on_a_closed_case_is_refused(world, boss, move):
    case = intake(world.member, kind="consultation", case_type="consultation").case
    case = services.case_close(case=case, outcome="answered", actor=boss)
    lawyer = make_staff(world.union, Role.LAWYER)
    entries = CaseEntry.objects.count()
    calls = {
        "advance": lambda: services.case_advance(case=case, actor=boss),
        "close": lambda: services.case_close(case=case, outcome="resolved", actor=boss),
        "note": lambda: services.case_note(case=case, text="补充", actor=boss),
        "answer": lambda: services.case_answer(case=case, text="答复", actor=boss),
        "assign": lambda: services.case_assign(case=case, lawyer=lawyer, actor=boss),
        "party": lambda: services.case_party_add(case=case, member=world.member, actor=boss),
    }
    with pytest.raises(Refused) as exc:
        calls[move]()
    assert exc.value.code == "case_closed" and exc.value.status == 409
    assert str(exc.value.message)
    assert CaseEntry.objects.count() == entries


def test_other_illegal_moves(world, boss):
    complaint = intake(world.member).case
    with pytest.raises(Refused) as exc:
        services.case_answer(case=complaint, text="答复", actor=boss)
    assert exc.value.code == "not_a_consultation"
    with pytest.raises(Refused) as exc:
        services.case_close(case=complaint, outcome="answered", actor=boss)
    assert exc.value.code == "invalid_outcome"
    for outcome in ("", "won"):
        with pytest.raises(Refused) as exc:
            services.case_close(case=complaint, outcome=outcome, actor=boss)
        assert exc.value.code == "outcome_required"
    with pytest.raises(Refused):
        services.case_close(case=complaint, outcome="resolved", amount_recovered_fen=-1, actor=boss)
    with pytest.raises(Refused) as exc:
        services.case_note(case=complaint, text="  ", actor=boss)
    assert exc.value.code == "text_required"
    complaint.refresh_from_db()
    assert complaint.status == "open"
    # the database refuses a closed case without an outcome
    with pytest.raises(IntegrityError), transaction.atomic():
        RightsCase.objects.filter(pk=complaint.pk).update(status="closed")


def test_consultation_answer_counts_once(world, boss):
    case = intake(world.member, kind="consultation", case_type="consultation").case
    services.case_answer(case=case, text="依据劳动合同法第三十条……", actor=boss)
    services.case_answer(case=case, text="补充答复", actor=boss)
    assert ServiceEvent.objects.filter(kind="rights.consultation").count() == 1
    assert [e.kind for e in selectors.public_timeline(case)] == ["created", "answer", "answer"]
    anonymous = intake(None, anonymous=True, kind="consultation", case_type="consultation").case
    services.case_answer(case=anonymous, text="答复", actor=boss)
    assert ServiceEvent.objects.filter(kind="rights.consultation").count() == 1


def test_assignment_checks_roles(world, boss):
    case = intake(world.member).case
    lawyer = make_staff(world.district, Role.LAWYER)
    worker = make_staff(world.union, Role.CASE_WORKER)
    lawyer_elsewhere = make_staff(world.other_union, Role.LAWYER)
    with pytest.raises(Refused) as exc:
        services.case_assign(case=case, lawyer=worker, actor=boss)
    assert exc.value.code == "not_a_lawyer"
    with pytest.raises(Refused) as exc:
        services.case_assign(case=case, lawyer=lawyer_elsewhere, actor=boss)
    assert exc.value.code == "not_a_lawyer"
    with pytest.raises(Refused) as exc:
        services.case_assign(case=case, case_worker=lawyer, actor=boss)
    assert exc.value.code == "not_a_case_worker"
    with pytest.raises(Refused) as exc:
        services.case_assign(case=case, lawyer=lawyer, actor=worker)
    assert exc.value.code == "supervisors_only"
    case = services.case_assign(case=case, lawyer=lawyer, case_worker=worker, actor=boss)
    assert (case.lawyer, case.case_worker) == (lawyer, worker)


def test_collective_case(world, boss):
    case = intake(world.member, enterprise=world.enterprise).case
    mates = [make_member(world.union, enterprise=world.enterprise) for _ in range(3)]
    for i, m in enumerate(mates):
        services.case_party_add(
            case=case,
            member=m,
            amount_claimed_fen=500_000,
            amount_recovered_fen=400_000 + i,
            actor=boss,
        )
    with pytest.raises(Refused) as exc:
        services.case_party_add(case=case, member=mates[0], actor=boss)
    assert exc.value.code == "party_exists"
    stranger = make_member(world.union, enterprise=EnterpriseFactory(union=world.union))
    with pytest.raises(Refused) as exc:
        services.case_party_add(case=case, member=stranger, actor=boss)
    assert exc.value.code == "other_employer"
    assert CaseParty.objects.filter(case=case).count() == 3
    # a party sees the open case as theirs (and gets the warning on a new intake)
    assert intake(mates[0]).open_cases == [case.number]
    case = services.case_close(case=case, outcome="resolved", actor=boss)
    assert case.amount_recovered_fen == 1_200_003
    # the applicant's case closes (its amount is the parties'), each party is counted once
    closed = ServiceEvent.objects.get(kind="rights.case_closed")
    assert closed.member_id == case.member_id and closed.amount_fen == 0
    events = ServiceEvent.objects.filter(kind="rights.collective_closed")
    assert sorted(events.values_list("member_id", flat=True)) == sorted(m.pk for m in mates)
    assert sorted(events.values_list("amount_fen", flat=True)) == [400_000, 400_001, 400_002]


def test_collective_case_needs_an_employer(boss):
    world = make_world()
    case = intake(world.member, employer_name="", enterprise=None).case
    with pytest.raises(Refused) as exc:
        services.case_party_add(case=case, member=make_member(world.union), actor=boss)
    assert exc.value.code == "no_employer"


def test_overdue_list(world, boss):
    late = intake(world.member).case
    on_time = intake(make_member(world.union)).case
    RightsCase.objects.filter(pk=late.pk).update(due_on=local_today() - dt.timedelta(days=1))
    assert list(selectors.cases_overdue(user=boss, today=local_today())) == [late]
    # moving to the next step restarts the due date
    services.case_advance(case=late, actor=boss)
    assert list(selectors.cases_overdue(user=boss, today=local_today())) == []
    later = local_today() + dt.timedelta(days=60)
    assert {c.pk for c in selectors.cases_overdue(user=boss, today=later)} == {late.pk, on_time.pk}
    union_admin_elsewhere = make_staff(world.other_union, Role.UNION_ADMIN)
    assert list(selectors.cases_overdue(user=union_admin_elsewhere, today=later)) == []


# --- collective contracts -----------------------------------------------------------------
def test_contract_validation(world, boss):
    today = local_today()
    base = {
        "org": world.union,
        "title": "工资集体协议",
        "signed_on": today,
        "valid_from": today,
        "valid_until": today + dt.timedelta(days=365),
        "wage_increase_bp": 500,
        "workers_covered": 120,
        "actor": boss,
    }
    cases = [
        ({"kind": "enterprise"}, "enterprise_required"),
        ({"kind": "industry", "enterprise": world.enterprise}, "enterprise_not_allowed"),
        ({"kind": "regional", "region_code": "33"}, "region_required"),
        (
            {"kind": "industry", "valid_until": today - dt.timedelta(days=1)},
            "invalid_window",
        ),
        ({"kind": "industry", "wage_increase_bp": -5}, "invalid_number"),
        ({"kind": "treaty"}, "invalid_choice"),
    ]
    for kw, code in cases:
        with pytest.raises(Refused) as exc:
            services.contract_create(**{**base, **kw})
        assert exc.value.code == code
    assert not CollectiveContract.objects.exists()
    with pytest.raises(IntegrityError), transaction.atomic():
        CollectiveContract.objects.create(
            kind="enterprise",
            org=world.union,
            title="x",
            signed_on=today,
            valid_from=today,
            valid_until=today,
            wage_increase_bp=0,
            workers_covered=0,
        )


def test_coverage_rate_of_above_scale_enterprises(world, boss):
    today = local_today()
    window = {
        "signed_on": today - dt.timedelta(days=20),
        "valid_from": today - dt.timedelta(days=10),
        "valid_until": today + dt.timedelta(days=355),
        "wage_increase_bp": 300,
        "workers_covered": 50,
        "actor": boss,
    }
    industry = org_child(world.district, kind="industry")
    union_in_industry = org_child(industry)
    a = world.enterprise  # above scale, under world.union
    b = EnterpriseFactory(union=world.union, is_above_scale=True, region_code="331022")
    c = EnterpriseFactory(union=union_in_industry, is_above_scale=True)
    EnterpriseFactory(union=world.union, is_above_scale=False)  # not counted
    d = EnterpriseFactory(union=world.other_union, is_above_scale=True)
    assert selectors.coverage(org=world.fed, on=today)["covered"] == 0
    services.contract_create(kind="enterprise", org=world.union, enterprise=a, title="A", **window)
    services.contract_create(kind="industry", org=industry, title="行业", **window)
    services.contract_create(
        kind="regional", org=world.district, region_code="331022", title="区域", **window
    )
    # expired: does not cover d
    services.contract_create(
        kind="enterprise",
        org=world.other_union,
        enterprise=d,
        title="D",
        **{**window, "valid_until": today - dt.timedelta(days=1)},
    )
    cov = selectors.coverage(org=world.fed, on=today)
    assert (cov["above_scale"], cov["covered"], cov["rate_bp"]) == (4, 3, 7500)
    assert cov["contracts_valid"] == 3 and cov["workers_covered"] == 150
    assert selectors.coverage(org=world.union, on=today)["rate_bp"] == 10000  # a and b
    assert selectors.coverage(org=world.other_union, on=today)["rate_bp"] == 0
    assert selectors.coverage(org=industry, on=today)["covered"] == 1  # c
    assert selectors.coverage(org=org_child(world.fed), on=today)["rate_bp"] is None
    # a regional contract for another region does not cover
    assert b.region_code == "331022" and c.region_code == "331021"
    later = today + dt.timedelta(days=400)
    assert selectors.coverage(org=world.fed, on=later)["covered"] == 0
