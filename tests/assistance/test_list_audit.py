"""Lists that show who has a hardship file are audited: one entry per request, with the filters
and the row count (console changelists of files and help records, and the API list)."""

from __future__ import annotations

import pytest
from django.test import Client

from gonghui.assistance import services
from gonghui.core.models import AuditEntry
from gonghui.orgs.models import Role
from tests.factories import make_member, make_staff

from .factories import active_file, make_world, rules

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast_hasher(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def world():
    w = make_world()
    boss = make_staff(w.fed, Role.FEDERATION_ADMIN)
    rules(w.fed, living=300_000)
    f = active_file(w.member, boss)
    services.help_record_create(file=f, kind="living", amount_fen=1000, actor=boss)
    active_file(make_member(w.union), boss)
    return w


def client_for(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def listed(action: str):
    return list(AuditEntry.objects.filter(action=action).order_by("pk"))


def test_the_console_list_of_files_is_audited_per_request(world):
    union_admin = make_staff(world.union, Role.UNION_ADMIN)
    c = client_for(union_admin)
    r = c.get("/admin/assistance/hardshipfile/", {"status": "active", "q": "张"})
    assert r.status_code == 200
    r = c.get("/admin/assistance/hardshipfile/")
    assert r.status_code == 200
    first, second = listed("assistance.file.list")
    assert first.actor_id == union_admin.pk and first.ip == "127.0.0.1"
    assert first.org_id == world.union.pk
    assert first.data["via"] == "console"
    assert first.data["filters"] == {"status": "active", "q": "张"}
    assert second.data["filters"] == {} and second.data["rows"] == 2 and second.data["total"] == 2


def test_the_console_list_of_help_records_is_audited(world):
    c = client_for(make_staff(world.fed, Role.FEDERATION_ADMIN))
    assert c.get("/admin/assistance/helprecord/", {"kind": "living"}).status_code == 200
    (entry,) = listed("assistance.helprecord.list")
    assert entry.data["filters"] == {"kind": "living"} and entry.data["rows"] == 1


def test_a_case_worker_list_is_audited_with_what_it_showed(world):
    worker = make_staff(world.union, Role.CASE_WORKER)
    assert client_for(worker).get("/admin/assistance/hardshipfile/").status_code == 200
    (entry,) = listed("assistance.file.list")
    assert entry.actor_id == worker.pk and entry.data["rows"] == 0  # no file assigned to them


def test_no_entry_when_the_list_is_refused(world):
    auditor = make_staff(world.fed, Role.AUDITOR)
    assert client_for(auditor).get("/admin/assistance/hardshipfile/").status_code == 403
    assert listed("assistance.file.list") == []


def test_the_api_list_of_files_is_audited(world):
    c = client_for(make_staff(world.fed, Role.FEDERATION_ADMIN))
    rows = c.get("/api/v1/assistance/files", {"status": "active"}).json()
    assert len(rows) == 2
    (entry,) = listed("assistance.file.list")
    assert entry.data == {"via": "api", "filters": {"status": "active"}, "rows": 2}
    assert entry.org_id == world.fed.pk
