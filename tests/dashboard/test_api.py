"""/api/v1/dashboard/: the same figures as the page, scoped (404 outside)."""

from __future__ import annotations

import pytest

from gonghui.members import selectors as member_selectors
from gonghui.orgs.models import Role
from tests.dashboard.conftest import OCT
from tests.factories import make_staff

pytestmark = pytest.mark.django_db

API = "/api/v1/dashboard"


@pytest.fixture
def federation(client, world):
    client.force_login(make_staff(world.city, Role.FEDERATION_ADMIN))
    return client


def get(client, name, org, **extra):
    r = client.get(f"{API}/{name}", {"org": org.pk, **OCT, **extra})
    assert r.status_code == 200, r.content
    return r.json()


def test_summary(federation, world):
    body = get(federation, "summary", world.city)
    figs = {f["key"]: f for f in body["figures"]}
    assert body["period"] == {"kind": "month", "start": "2026-10-01", "end": "2026-10-31"}
    assert body["previous"]["start"] == "2026-09-01"
    pt = figs["dashboard.person_times"]
    assert (pt["value"], pt["previous"], pt["delta"]) == (5, 2, 3)
    assert float(pt["percent"]) == 150.0
    assert figs["dashboard.funds_spent"]["value"] == 2_800
    assert figs["dashboard.active_members"]["additive"] is False


def test_kinds_activity_funds(federation, world):
    kinds = {k["kind"]: k for k in get(federation, "kinds", world.east)["kinds"]}
    assert kinds["benefits.redemption"]["person_times"] == 2
    assert kinds["members.enrolment"]["label"] != "members.enrolment"
    activity = get(federation, "activity", world.city)
    assert activity["active_members"] == 3 and len(activity["daily"]) == 31
    assert sum(d["active"] for d in activity["daily"]) == 4
    funds = get(federation, "funds", world.city)
    assert funds["total_fen"] == 2_800
    assert {(s["fund"], s["purpose"], s["amount_fen"]) for s in funds["spending"]} == {
        ("welfare", "benefits.subsidy", 800),
        ("assistance", "assistance.help", 2_000),
    }


def test_breakdown_children_sum_to_the_total(federation, world):
    body = get(federation, "breakdown/dashboard.person_times", world.east)
    assert body["total"] == sum(p["value"] for p in body["parts"]) == 3
    assert body["parts"][0]["org"] is None  # 本级
    assert (
        federation.get(f"{API}/breakdown/nope.nothing", {"org": world.city.pk}).status_code == 404
    )


@pytest.mark.usefixtures("published")
def test_figures_and_pending(federation, world):
    sections = {s["key"]: s for s in get(federation, "figures", world.city)["sections"]}
    assert {f["key"] for f in sections["tests"]["figures"]} == {"tests.members", "tests.own_events"}
    pending = get(federation, "pending", world.city)["pending"]
    assert {"key": "tests.waiting", "label": "测试待办", "count": 3, "url": "/admin/"} in pending


def test_default_org_is_the_scope_root_and_figures_match_selectors(client, world):
    client.force_login(make_staff(world.west, Role.UNION_ADMIN))
    r = client.get(f"{API}/summary", OCT)
    assert r.status_code == 200 and r.json()["org"]["id"] == world.west.pk
    from gonghui.dashboard.periods import period_from_params

    p = period_from_params("month", "2026-10-01", None)
    figs = {f["key"]: f["value"] for f in r.json()["figures"]}
    assert figs["dashboard.person_times"] == member_selectors.person_times(
        org=world.west, start=p.start, end=p.end
    )


def test_anonymous_gets_401(client, world):
    assert client.get(f"{API}/summary").status_code == 401
