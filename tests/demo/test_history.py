"""The demo's past year (``gonghui.demo.history``): loaded ONCE for this module (it is the
expensive part of ``gonghui demo``), inside a transaction rolled back afterwards."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterator
from typing import Any

import pytest
from django.apps import apps
from django.conf import settings
from django.db import transaction
from django.db.models import Count

from gonghui.activities.models import Registration
from gonghui.benefits.models import Redemption
from gonghui.core.chain import chain_seal, chain_verify
from gonghui.core.timeutil import SHANGHAI, local_today, now
from gonghui.demo import data
from gonghui.demo.history import history_load
from gonghui.demo.history.calendar import holiday
from gonghui.demo.services import demo_load
from gonghui.funds.models import LedgerTransaction
from gonghui.funds.selectors import ledger_verify
from gonghui.jobs.models import Application
from gonghui.members import selectors, servicekinds
from gonghui.members.models import Enrolment, Member, MemberActivity, ServiceEvent
from gonghui.orgs.models import Org
from gonghui.venues.models import Booking

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def year(django_db_setup: Any, django_db_blocker: Any) -> Iterator[dict[str, Any]]:
    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        before = settings.GONGHUI_DEMO_HISTORY
        settings.GONGHUI_DEMO_HISTORY = True
        try:
            result = demo_load()
            yield {"made": result.steps_created["history"]}
        finally:
            settings.GONGHUI_DEMO_HISTORY = before
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


@pytest.fixture
def root(year: dict[str, Any]) -> Org:
    return Org.objects.get(code=data.FEDERATION.code)


def _last_12_months() -> tuple[dt.datetime, dt.datetime]:
    end = now()
    return end - dt.timedelta(days=366), end


def test_ten_thousand_events_over_every_registered_kind(year: dict[str, Any]) -> None:
    assert ServiceEvent.objects.count() >= 10_000
    present = set(ServiceEvent.objects.values_list("kind", flat=True).distinct())
    missing = {s.kind for s in servicekinds.specs()} - present
    assert not missing, f"kinds without an event in the demo: {sorted(missing)}"


def test_every_event_has_its_source_row(year: dict[str, Any]) -> None:
    ids: dict[str, set[str]] = defaultdict(set)
    for source_type, source_id in ServiceEvent.objects.values_list("source_type", "source_id"):
        ids[source_type].add(source_id)
    for source_type, wanted in ids.items():
        model = apps.get_model(source_type)
        found = {str(pk) for pk in model._default_manager.values_list("pk", flat=True)}
        assert wanted <= found, f"{source_type}: {len(wanted - found)} events without their row"


def test_events_are_in_the_past_spread_over_the_year(year: dict[str, Any]) -> None:
    events = ServiceEvent.objects.all()
    assert not events.filter(occurred_at__gt=now()).exists()
    first = events.order_by("occurred_at").values_list("occurred_at", flat=True).first()
    assert first is not None and first < now() - dt.timedelta(days=330)
    recent = events.filter(occurred_at__gte=now() - dt.timedelta(days=365))
    by_month = {
        at.astimezone(SHANGHAI).strftime("%Y-%m")
        for at in recent.values_list("occurred_at", flat=True)
    }
    assert len(by_month) >= 12


def test_weekends_and_holidays_are_busier_for_offers(year: dict[str, Any]) -> None:
    per_day: dict[dt.date, int] = defaultdict(int)
    for at in ServiceEvent.objects.filter(kind="benefits.redemption").values_list(
        "occurred_at", flat=True
    ):
        per_day[at.astimezone(SHANGHAI).date()] += 1

    def mean(days: list[dt.date]) -> float:
        return sum(per_day[d] for d in days) / max(1, len(days))

    days = [local_today() - dt.timedelta(days=n) for n in range(1, 366)]
    weekdays = [d for d in days if d.weekday() < 5 and not holiday(d)]
    weekends = [d for d in days if d.weekday() >= 5 and not holiday(d)]
    holidays = [d for d in days if holiday(d)]
    assert mean(weekends) > 1.3 * mean(weekdays)
    assert mean(holidays) > mean(weekends)


def test_the_ledger_verifies_and_its_hash_chain_too(year: dict[str, Any]) -> None:
    check = ledger_verify()
    assert check.ok, (check.mismatches, check.negative_accounts, check.unbalanced_transactions)
    kinds = set(LedgerTransaction.objects.values_list("kind", flat=True).distinct())
    assert {"benefits.subsidy", "activities.subsidy", "assistance.help"} <= kinds
    assert LedgerTransaction.objects.filter(occurred_at__lt=now() - dt.timedelta(days=300)).exists()
    chain_seal()
    report = chain_verify()
    assert report.problems == []


def test_person_times_and_active_members(year: dict[str, Any], root: Org) -> None:
    start, end = _last_12_months()
    assert selectors.person_times(org=root, start=start, end=end) >= 8_000
    today = local_today()
    last_month_end = today.replace(day=1) - dt.timedelta(days=1)
    last_month = last_month_end.replace(day=1)
    assert selectors.active_members(org=root, start=last_month, end=last_month_end) > 300
    daily = selectors.active_by_day(org=root, start=today - dt.timedelta(days=365), end=today)
    ordinary = [n for d, n in daily.items() if d.weekday() < 5 and not holiday(d)]
    assert 100 <= sum(ordinary) / len(ordinary) <= 600  # a few hundred a day


def test_members_join_over_the_year(year: dict[str, Any]) -> None:
    since = local_today() - dt.timedelta(days=365)
    joined = Member.objects.filter(joined_on__gte=since)
    assert joined.count() >= 100
    months = {d.strftime("%Y-%m") for d in joined.values_list("joined_on", flat=True)}
    assert len(months) >= 11
    events = ServiceEvent.objects.filter(kind="members.enrolment")
    approved = Enrolment.objects.filter(status=Enrolment.Status.APPROVED, member__in=joined)
    assert events.count() == approved.count() >= 100


def test_compensations_net_to_the_live_source_rows(year: dict[str, Any], root: Org) -> None:
    start, end = now() - dt.timedelta(days=3650), now() + dt.timedelta(days=1)
    counted = selectors.person_times_by_kind(org=root, start=start, end=end)
    live = {
        "benefits.redemption": Redemption.objects.exclude(status=Redemption.Status.VOIDED),
        "venues.booking": Booking.objects.filter(member__isnull=False).exclude(
            status=Booking.Status.CANCELLED
        ),
        "jobs.application": Application.objects.exclude(status=Application.Status.WITHDRAWN),
        "activities.registration": Registration.objects.filter(
            status__in=[
                *Registration.HOLDING,
                Registration.Status.ATTENDED,
                Registration.Status.NO_SHOW,
            ]
        ),
    }
    for kind, rows in live.items():
        assert counted[kind] == rows.count(), kind
    cancelled = ServiceEvent.objects.filter(
        kind__in=[s.kind for s in servicekinds.specs() if s.is_compensation]
    )
    by_kind = dict(cancelled.values_list("kind").annotate(n=Count("id")))
    assert all(by_kind.get(k, 0) > 0 for k in servicekinds.cancellations().values())


def test_activity_rows_of_the_year_are_one_per_member_and_day(year: dict[str, Any]) -> None:
    rows = MemberActivity.objects.filter(day__lt=local_today())
    assert rows.count() >= 50_000
    assert set(rows.values_list("via", flat=True).distinct()) >= {"session", "service"}


def test_a_second_load_writes_nothing(year: dict[str, Any]) -> None:
    events = ServiceEvent.objects.count()
    assert history_load() == {}
    assert ServiceEvent.objects.count() == events
