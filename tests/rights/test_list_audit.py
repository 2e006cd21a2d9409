"""Lists that show who has a rights case are audited: one entry per request, with the filters
and the row count (the console changelist and the API lists)."""

from __future__ import annotations

import pytest
from django.test import Client

from gonghui.core.models import AuditEntry
from gonghui.orgs.models import Role
from tests.factories import make_staff

from .factories import intake, make_world

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast_hasher(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def world():
    w = make_world()
    intake(w.member, enterprise=w.enterprise)
    intake(w.member)
    return w


def client_for(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def listed():
    return list(AuditEntry.objects.filter(action="rights.case.list").order_by("pk"))


def test_the_console_list_of_cases_is_audited_per_request(world):
    boss = make_staff(world.district, Role.UNION_ADMIN)
    c = client_for(boss)
    assert c.get("/admin/rights/rightscase/", {"overdue": "1"}).status_code == 200
    assert c.get("/admin/rights/rightscase/", {"status": "open", "p": "1"}).status_code == 200
    first, second = listed()
    assert first.actor_id == boss.pk and first.org_id == world.district.pk
    assert first.data["via"] == "console"
    assert first.data["filters"] == {"overdue": "1"} and first.data["rows"] == 0
    assert second.data["filters"] == {"status": "open"} and second.data["rows"] == 2


def test_an_unassigned_lawyer_list_is_audited_empty(world):
    lawyer = make_staff(world.union, Role.LAWYER)
    assert client_for(lawyer).get("/admin/rights/rightscase/").status_code == 200
    (entry,) = listed()
    assert entry.actor_id == lawyer.pk and entry.data["rows"] == 0


def test_no_entry_when_the_list_is_refused(world):
    assert client_for(make_staff(world.fed, Role.AUDITOR)).get(
        "/admin/rights/rightscase/"
    ).status_code in (403, 404)
    assert listed() == []


@pytest.mark.parametrize(
    ("url", "query", "rows"),
    [
        ("/api/v1/rights/cases", {"status": "open"}, 2),
        ("/api/v1/rights/cases/overdue", {}, 0),
    ],
)
def test_the_api_lists_of_cases_are_audited(world, url, query, rows):
    c = client_for(make_staff(world.fed, Role.FEDERATION_ADMIN))
    assert len(c.get(url, query).json()) == rows
    (entry,) = listed()
    assert entry.data == {"via": "api", "filters": query, "rows": rows, **overdue(url)}
    assert entry.org_id == world.fed.pk


def overdue(url: str) -> dict:
    return {"overdue": True} if url.endswith("/overdue") else {}
