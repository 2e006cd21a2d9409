"""Hardship files: per-capita income, causes, the state machine, gradient ceilings, the ledger,
service events, figures and the yearly-review reminder."""

from __future__ import annotations

import datetime as dt
import logging

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command

from gonghui.assistance import selectors, services
from gonghui.assistance.models import FileEvent, HardshipFile, HelpRecord
from gonghui.assistance.tasks import review_reminders
from gonghui.core.errors import Refused
from gonghui.core.models import AuditEntry
from gonghui.core.timeutil import local_today
from gonghui.funds.models import LedgerTransaction
from gonghui.members.models import ServiceEvent
from gonghui.orgs.models import Role
from tests.factories import make_member, make_staff

from .factories import active_file, apply, make_world, rules

pytestmark = pytest.mark.django_db

S = HardshipFile.Status


@pytest.fixture
def world():
    return make_world()


@pytest.fixture
def boss(world):
    return make_staff(world.fed, Role.FEDERATION_ADMIN)


# --- per-capita income ----------------------------------------------------------------------
@pytest.mark.parametrize(
    ("total", "size", "expected"),
    [(0, 1, 0), (100, 3, 33), (101, 2, 51), (100, 8, 13), (5, 2, 3), (1_200_000, 2, 600_000)],
)
def test_per_capita_rounds_half_up(total, size, expected):
    assert services.per_capita_fen(total, size) == expected


def test_per_capita_from_the_household(world):
    f = apply(
        world.member,
        applicant_income_fen=1_000_000,
        other_income_fen=200_001,
        household=[
            {
                "relation": "spouse",
                "name": "甲",
                "birth_date": dt.date(1980, 1, 1),
                "income_fen": 300_000,
            },
            {"relation": "child", "name": "乙", "birth_date": dt.date(2012, 1, 1)},
        ],
    )
    assert f.household_size == 3
    assert f.household_income_fen == 1_500_001
    assert f.per_capita_income_fen == 500_000  # 500000.33 → 500000
    f.household.filter(name="乙").delete()
    f = services.file_recompute(file=f)
    assert (f.household_size, f.per_capita_income_fen) == (2, 750_001)  # 750000.5 → 750001


# --- causes ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("main", "secondary", "code"),
    [
        ("illness", ["illness"], "cause_repeated"),
        ("illness", ["accident", "accident"], "cause_repeated"),
        ("illness", ["accident", "disaster", "education", "other"], "too_many_causes"),
        ("flu", [], "invalid_choice"),
        ("illness", ["flu"], "invalid_choice"),
    ],
)
def test_bad_causes_are_refused_and_nothing_is_written(world, main, secondary, code):
    with pytest.raises(Refused) as exc:
        apply(world.member, main_cause=main, secondary_causes=secondary)
    assert exc.value.code == code and str(exc.value.message)
    assert not HardshipFile.objects.exists()


def test_the_model_refuses_a_secondary_cause_equal_to_the_main_one(world):
    # The causes are sealed at rest (issue #10): the database can no longer compare them, so
    # the rules once held by CHECK constraints are held by the service and HardshipFile.clean().
    f = apply(world.member, secondary_causes=["accident", "disaster", "education"])
    assert f.secondary_causes == ["accident", "disaster", "education"]
    f.full_clean()
    for field, value in [
        ("secondary_cause_1", "illness"),
        ("secondary_cause_2", "accident"),
        ("secondary_cause_1", ""),  # a gap before a filled slot
    ]:
        g = HardshipFile.objects.get(pk=f.pk)
        setattr(g, field, value)
        with pytest.raises(ValidationError):
            g.full_clean()


@pytest.mark.parametrize(
    ("field", "value", "code"),
    [
        ("applicant_income_fen", -1, "invalid_amount"),
        ("applicant_income_fen", 1.5, "invalid_amount"),
        ("category", "rich", "invalid_choice"),
        ("housing", "castle", "invalid_choice"),
        (
            "household",
            [{"relation": "child", "name": "", "birth_date": dt.date(2010, 1, 1)}],
            "invalid_name",
        ),
        (
            "household",
            [{"relation": "child", "name": "丙", "birth_date": dt.date(2999, 1, 1)}],
            "invalid_birth_date",
        ),
    ],
)
def test_bad_input_is_refused_with_the_field(world, field, value, code):
    with pytest.raises(Refused) as exc:
        apply(world.member, **{field: value})
    assert exc.value.code == code and exc.value.field
    assert not HardshipFile.objects.exists()


def test_one_open_file_per_member_and_return_after_closing(world, boss):
    f = apply(world.member)
    with pytest.raises(Refused) as exc:
        apply(world.member)
    assert exc.value.code == "file_open"
    services.file_transition(file=f, action="close", actor=boss, note="收入已恢复")
    again = apply(world.member)
    assert again.is_returned and again.flag_for(local_today().year) == "returned"


# --- state machine --------------------------------------------------------------------------
ALL_ACTIONS = list(services.TRANSITIONS)


def _file_in(status, world, boss):
    f = apply(world.member)
    path = {
        S.APPLIED: [],
        S.VERIFIED: ["verify"],
        S.ACTIVE: ["verify", "activate"],
        S.CLOSED: ["close"],
    }[status]
    for action in path:
        f = services.file_transition(file=f, action=action, actor=boss, note="理由")
    return f


@pytest.mark.parametrize("status", [S.APPLIED, S.VERIFIED, S.ACTIVE, S.CLOSED])
@pytest.mark.parametrize("action", ALL_ACTIONS)
def test_every_transition_is_allowed_or_refused_with_a_message(world, boss, status, action):
    f = _file_in(status, world, boss)
    allowed, to = services.TRANSITIONS[action]
    events = FileEvent.objects.count()
    if status in allowed:
        f = services.file_transition(file=f, action=action, actor=boss, note="理由")
        assert f.status == to
        assert FileEvent.objects.count() == events + 1
        assert AuditEntry.objects.filter(action=f"assistance.file.{action}").exists()
    else:
        with pytest.raises(Refused) as exc:
            services.file_transition(file=f, action=action, actor=boss, note="理由")
        assert exc.value.code == "illegal_transition" and exc.value.status == 409
        assert str(exc.value.message)
        f.refresh_from_db()
        assert f.status == status and FileEvent.objects.count() == events


def test_unknown_action_and_close_without_reason(world, boss):
    f = apply(world.member)
    with pytest.raises(Refused) as exc:
        services.file_transition(file=f, action="approve", actor=boss)
    assert exc.value.code == "invalid_action"
    with pytest.raises(Refused) as exc:
        services.file_transition(file=f, action="close", actor=boss)
    assert exc.value.code == "reason_required"


def test_case_worker_verifies_and_reviews_but_only_supervisors_activate(world, boss):
    worker = make_staff(world.union, Role.CASE_WORKER)
    f = apply(world.member)
    f = services.file_transition(file=f, action="verify", actor=worker)
    with pytest.raises(Refused) as exc:
        services.file_transition(file=f, action="activate", actor=worker)
    assert exc.value.code == "supervisors_only"
    f = services.file_transition(file=f, action="activate", actor=boss)
    f = services.file_transition(file=f, action="review", actor=worker)
    assert f.last_reviewed_on == local_today()
    assert f.next_review_on == local_today() + dt.timedelta(days=365)


def test_reopen_marks_returned(world, boss):
    f = active_file(world.member, boss)
    f = services.file_transition(file=f, action="close", actor=boss, note="脱困")
    f = services.file_transition(file=f, action="reopen", actor=boss, note="再次因病致困")
    assert f.status == S.APPLIED and f.is_returned and f.closed_on is None


def test_assign_only_a_case_worker_of_the_union(world, boss):
    f = apply(world.member)
    worker = make_staff(world.district, Role.CASE_WORKER)
    elsewhere = make_staff(make_world().union, Role.CASE_WORKER)
    lawyer = make_staff(world.union, Role.LAWYER)
    for wrong in (elsewhere, lawyer):
        with pytest.raises(Refused) as exc:
            services.file_assign(file=f, case_worker=wrong, actor=boss)
        assert exc.value.code == "not_a_case_worker"
    with pytest.raises(Refused):
        services.file_assign(file=f, case_worker=worker, actor=worker)
    assert services.file_assign(file=f, case_worker=worker, actor=boss).case_worker == worker


# --- help, ceilings, ledger -----------------------------------------------------------------
def test_grant_pays_from_the_assistance_fund_and_counts_a_service(world, boss):
    rules(world.fed, living=300_000, visit=50_000)
    f = active_file(world.member, boss)
    fund_before, bank_before = world.fund.balance_fen, world.bank.balance_fen
    rec = services.help_record_create(file=f, kind="living", amount_fen=200_000, actor=boss)
    world.refresh()
    assert world.fund.balance_fen == fund_before - 200_000
    assert world.bank.balance_fen == bank_before - 200_000
    txn = rec.ledger_transaction
    assert txn.kind == "assistance.help" and txn.source == ("assistance.help", str(rec.pk))
    assert sorted(txn.entries.values_list("account_id", "amount_fen")) == sorted(
        [(world.fund.pk, 200_000), (world.bank.pk, -200_000)]
    )
    assert rec.paid_by == world.fed
    ev = ServiceEvent.objects.get(kind="assistance.grant")
    assert (ev.member, ev.amount_fen, ev.source_id) == (world.member, 200_000, str(rec.pk))
    visit = services.help_record_create(file=f, kind="visit", amount_fen=0, actor=boss)
    assert visit.ledger_transaction is None
    assert ServiceEvent.objects.filter(kind="assistance.visit", member=world.member).count() == 1


def test_yearly_ceiling_holds_and_refusal_changes_nothing(world, boss):
    rules(world.fed, living=300_000)
    f = active_file(world.member, boss)
    services.help_record_create(file=f, kind="living", amount_fen=250_000, actor=boss)
    with pytest.raises(Refused) as exc:
        services.help_record_create(file=f, kind="living", amount_fen=50_001, actor=boss)
    assert exc.value.code == "ceiling_reached" and "¥500.00" in str(exc.value.message)
    services.help_record_create(file=f, kind="living", amount_fen=50_000, actor=boss)
    assert selectors.help_given(file=f, kind="living", year=local_today().year) == 300_000
    assert HelpRecord.objects.count() == 2
    assert LedgerTransaction.objects.filter(kind="assistance.help").count() == 2
    # a previous year's help does not count against this year
    last_year = local_today().replace(month=1, day=1) - dt.timedelta(days=1)
    rules(world.fed, year=last_year.year, living=100_000)
    services.help_record_create(
        file=f, kind="living", amount_fen=100_000, actor=boss, given_on=last_year
    )


def test_the_nearest_rule_wins(world, boss):
    rules(world.fed, education=100_000)
    rules(world.district, education=20_000)
    # the district has no account: open and fund it
    from gonghui.funds.models import AccountKind
    from gonghui.funds.services import account_open, fund_allocate

    bank = account_open(org=world.district, kind=AccountKind.BANK)
    fund = account_open(org=world.district, kind=AccountKind.ASSISTANCE)
    fund_allocate(org=world.district, from_account=bank, to_account=fund, amount_fen=1_000_000)
    f = active_file(world.member, boss)
    rec = services.help_record_create(file=f, kind="education", amount_fen=20_000, actor=boss)
    assert rec.paid_by == world.district
    with pytest.raises(Refused) as exc:
        services.help_record_create(file=f, kind="education", amount_fen=1, actor=boss)
    assert exc.value.code == "ceiling_reached"


@pytest.mark.parametrize(
    ("kind", "amount", "code"),
    [
        ("medical", 100, "no_rule"),
        ("living", 0, "invalid_amount"),
        ("living", -5, "invalid_amount"),
        ("gift", 100, "invalid_choice"),
    ],
)
def test_help_refusals(world, boss, kind, amount, code):
    rules(world.fed, living=300_000)
    f = active_file(world.member, boss)
    with pytest.raises(Refused) as exc:
        services.help_record_create(file=f, kind=kind, amount_fen=amount, actor=boss)
    assert exc.value.code == code
    assert not HelpRecord.objects.exists() and not ServiceEvent.objects.exists()


def test_help_needs_an_active_file_and_money_in_the_fund():
    world = make_world(funds_fen=100)
    boss = make_staff(world.fed, Role.FEDERATION_ADMIN)
    rules(world.fed, living=300_000)
    f = apply(world.member)
    with pytest.raises(Refused) as exc:
        services.help_record_create(file=f, kind="living", amount_fen=100, actor=boss)
    assert exc.value.code == "file_not_active"
    f = services.file_transition(file=f, action="verify", actor=boss)
    f = services.file_transition(file=f, action="activate", actor=boss)
    with pytest.raises(Refused) as exc:
        services.help_record_create(file=f, kind="living", amount_fen=101, actor=boss)
    assert exc.value.code == "insufficient_funds"
    assert not HelpRecord.objects.exists()


def test_help_in_the_future_is_refused(world, boss):
    rules(world.fed, living=300_000)
    f = active_file(world.member, boss)
    with pytest.raises(Refused) as exc:
        services.help_record_create(
            file=f,
            kind="living",
            amount_fen=1,
            actor=boss,
            given_on=local_today() + dt.timedelta(days=1),
        )
    assert exc.value.code == "future_date"


def test_figures_per_subtree(world, boss):
    rules(world.fed, living=300_000, visit=10_000)
    f = active_file(world.member, boss)
    other = active_file(make_member(world.other_union), boss)
    services.help_record_create(file=f, kind="visit", amount_fen=5_000, actor=boss)
    services.help_record_create(file=f, kind="visit", amount_fen=0, actor=boss)
    services.help_record_create(file=f, kind="living", amount_fen=100_000, actor=boss)
    services.help_record_create(file=other, kind="living", amount_fen=30_000, actor=boss)
    year = local_today().year
    fed = selectors.figures(org=world.fed, year=year)
    assert fed["people_visited"] == 1
    assert (fed["grants"], fed["grant_amount_fen"], fed["amount_fen"]) == (2, 130_000, 135_000)
    assert fed["by_kind"]["visit"] == {"count": 2, "amount_fen": 5_000}
    assert (fed["active_files"], fed["new_files"], fed["carried_files"]) == (2, 2, 0)
    union = selectors.figures(org=world.union, year=year)
    assert (union["grants"], union["amount_fen"], union["active_files"]) == (1, 105_000, 1)
    assert selectors.figures(org=world.fed, year=year + 1)["new_files"] == 0
    assert selectors.figures(org=world.fed, year=year + 1)["carried_files"] == 2


# --- reminders ------------------------------------------------------------------------------
def test_review_reminder_task_notifies_once(world, boss, caplog):
    worker = make_staff(world.union, Role.CASE_WORKER)
    f = active_file(world.member, boss)
    services.file_assign(file=f, case_worker=worker, actor=boss)
    not_due = active_file(make_member(world.union), boss)
    HardshipFile.objects.filter(pk=f.pk).update(
        next_review_on=local_today() + dt.timedelta(days=10)
    )
    with caplog.at_level(logging.INFO, logger="gonghui.assistance"):
        assert review_reminders.apply().get() == 1
    assert worker.username in caplog.text and f"#{f.pk}" in caplog.text
    assert review_reminders.apply().get() == 0  # once per due period
    f.refresh_from_db()
    assert f.reminded_on == local_today()
    not_due.refresh_from_db()
    assert not_due.reminded_on is None
    assert (
        AuditEntry.objects.filter(action="assistance.file.remind", object_id=str(f.pk)).count() == 1
    )
    # the review clears the reminder and moves the due date a year on
    f = services.file_transition(file=f, action="review", actor=worker)
    assert f.reminded_on is None and f.next_review_on > local_today() + dt.timedelta(days=300)


def test_reminder_command(world, boss, capsys):
    f = active_file(world.member, boss)
    HardshipFile.objects.filter(pk=f.pk).update(next_review_on=local_today())
    call_command("assistance_reminders")
    assert "1 reminder(s) sent" in capsys.readouterr().out


def test_beat_schedule_names_the_task():
    from django.conf import settings

    from gonghui.celery import app

    entry = settings.CELERY_BEAT_SCHEDULE["assistance-review-reminders"]
    assert entry["task"] == review_reminders.name
    app.loader.import_default_modules()
    assert entry["task"] in app.tasks
