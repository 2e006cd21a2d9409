"""The replica router (issue #13 item 5): inside ``reading_replica()`` the dashboard's reads go to
the ``replica`` alias (in tests a mirror of the default database, TEST MIRROR), writes never do,
and nothing outside it is routed."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connections, router
from django.test.utils import CaptureQueriesContext

from gonghui.dashboard import rollups
from gonghui.dashboard.models import EventDay
from gonghui.dashboard.router import reading_replica
from gonghui.dashboard.services import rollup_advance
from gonghui.members.models import ServiceEvent

from .helpers import assert_exact, federation, local

SRC = str(Path(__file__).resolve().parents[2] / "src")
replica_db = pytest.mark.django_db(transaction=True, databases=["default", "replica"])


@pytest.fixture
def replica_on(settings):
    assert connections["replica"].settings_dict["TEST"]["MIRROR"] == "default"
    settings.GONGHUI_READ_REPLICA = True


@replica_db
def test_the_dashboard_reads_on_the_replica_inside_reading_replica(replica_on):
    fed = federation()
    fed.event(0, 0, 0, 5, 1_000)
    fed.active(0, 0, 3)
    period = {"start": local(2026, 1, 1), "end": local(2026, 2, 1)}
    with (
        CaptureQueriesContext(connections["replica"]) as on_replica,
        CaptureQueriesContext(connections["default"]) as on_default,
        reading_replica(),
    ):
        assert rollups.person_times_by_kind(org=fed.root, **period) == {"benefits.redemption": 1}
        assert (
            rollups.active_members(
                org=fed.root, start=dt.date(2026, 1, 1), end=dt.date(2026, 1, 31)
            )
            == 1
        )
        assert ServiceEvent.objects.count() == 1  # an ORM read too
        assert router.db_for_read(ServiceEvent) == "replica"
        assert router.db_for_write(EventDay) == "default"
    assert len(on_replica.captured_queries) >= 3
    assert on_default.captured_queries == []
    assert any("dashboard_eventmonth" in q["sql"] for q in on_replica.captured_queries)


@replica_db
def test_writes_and_reads_outside_go_to_the_default_database(replica_on):
    fed = federation()
    fed.event(0, 0, 0, 5, 1_000)
    with CaptureQueriesContext(connections["replica"]) as on_replica:
        with reading_replica():
            rollup_advance()  # a write service, even inside: the default database
        rollups.person_times_by_kind(org=fed.root, start=local(2026, 1, 1), end=local(2026, 2, 1))
    assert on_replica.captured_queries == []
    assert router.db_for_read(ServiceEvent) == "default"
    assert_exact(fed)


@replica_db
def test_no_replica_in_use_means_no_routing(settings):
    settings.GONGHUI_READ_REPLICA = False
    with reading_replica():
        assert router.db_for_read(ServiceEvent) == "default"


PROBE = (
    "import json; from django.conf import settings;"
    "r = settings.DATABASES.get('replica');"
    "print(json.dumps([r and r['HOST'], r and r['TEST'], settings.DATABASE_ROUTERS,"
    " settings.GONGHUI_READ_REPLICA]))"
)


def _probe(**env: str) -> list:
    base = {
        k: v for k, v in os.environ.items() if not k.startswith("DATABASE_") and k != "PYTHONPATH"
    }
    base.update(env, PYTHONPATH=SRC, DJANGO_SETTINGS_MODULE="gonghui.settings")
    out = subprocess.run(
        [sys.executable, "-c", PROBE], env=base, capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_database_replica_url_makes_the_replica_alias_and_the_router():
    assert _probe(
        DATABASE_URL="postgres://app@primary:5432/gonghui",
        DATABASE_REPLICA_URL="postgres://app@standby:5432/gonghui",
    ) == ["standby", {"MIRROR": "default"}, ["gonghui.dashboard.router.ReplicaRouter"], True]


def test_without_it_there_is_no_replica_and_no_router():
    assert _probe(DATABASE_URL="postgres://app@primary:5432/gonghui") == [None, None, [], False]


@replica_db
@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/dashboard/summary",
        "/api/v1/dashboard/kinds",
        "/api/v1/dashboard/activity",
        "/admin/dashboard/",
        "/admin/dashboard/report/",
    ],
)
def test_the_dashboards_pages_and_api_read_on_the_replica(replica_on, url):
    from django.test import Client

    from gonghui.orgs.models import Role
    from tests.factories import make_staff

    fed = federation()
    fed.event(0, 0, 0, 5, 1_000)
    client = Client()
    client.force_login(make_staff(fed.root, Role.FEDERATION_ADMIN))
    with (
        CaptureQueriesContext(connections["replica"]) as on_replica,
        CaptureQueriesContext(connections["default"]) as on_default,
    ):
        response = client.get(url, {"org": fed.root.pk, "period": "month"})
    assert response.status_code == 200, response.content[:300]
    figures_read = [
        q["sql"]
        for q in on_replica.captured_queries
        if "members_serviceevent" in q["sql"] or "dashboard_" in q["sql"]
    ]
    assert figures_read, "no figure was read on the replica"
    assert not [
        q["sql"]
        for q in on_default.captured_queries
        if "members_serviceevent" in q["sql"] or "dashboard_" in q["sql"]
    ]
