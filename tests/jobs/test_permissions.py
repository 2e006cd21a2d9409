"""Employer staff see only their own enterprise's postings and applicants (console and API);
union staff see their subtree; everything else answers 404."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from gonghui.core.models import AuditEntry
from gonghui.jobs import services
from gonghui.jobs.models import Application, Posting
from gonghui.orgs.models import Role
from tests.factories import make_member, make_staff, org_child, org_root

from .factories import make_employer_staff, make_enterprise, make_posting

pytestmark = pytest.mark.django_db
S = Application.Status


@pytest.fixture(autouse=True)
def _fast_hasher(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def world():
    root = org_root()
    union_a = org_child(root)
    union_b = org_child(root)
    ent_a = make_enterprise(union_a, name="甲公司")
    ent_a2 = make_enterprise(union_a, name="甲二公司")
    ent_b = make_enterprise(union_b, name="乙公司")
    p_a = make_posting(ent_a, title="甲岗位")
    p_a2 = make_posting(ent_a2, title="甲二岗位")
    p_b = make_posting(ent_b, title="乙岗位")
    m1 = make_member(union_a, name="张三")
    m2 = make_member(union_b, name="李四")
    app_a = services.application_submit(member=m1, posting=p_a)
    app_a2 = services.application_submit(member=m1, posting=p_a2)
    app_b = services.application_submit(member=m2, posting=p_b)
    return {
        "root": root,
        "union_a": union_a,
        "union_b": union_b,
        "ent_a": ent_a,
        "ent_b": ent_b,
        "p_a": p_a,
        "p_a2": p_a2,
        "p_b": p_b,
        "app_a": app_a,
        "app_a2": app_a2,
        "app_b": app_b,
    }


def login(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


APPS = "/admin/jobs/application/"
POSTS = "/admin/jobs/posting/"


def test_employer_console_lists_only_own_applicants(world):
    c = login(make_employer_staff(world["ent_a"]))
    r = c.get(APPS)
    assert r.status_code == 200
    body = r.content.decode()
    assert "甲岗位" in body and "甲二岗位" not in body and "乙岗位" not in body
    assert c.get(f"{APPS}{world['app_a'].pk}/change/").status_code == 200
    for other in ("app_a2", "app_b"):  # same union, other employer; other union
        assert c.get(f"{APPS}{world[other].pk}/change/").status_code == 404
    r = c.get(POSTS)
    assert "甲岗位" in r.content.decode() and "乙岗位" not in r.content.decode()
    assert c.get(f"{POSTS}{world['p_b'].pk}/change/").status_code == 404
    # employer staff hold no org capability: fairs and schemes are closed
    assert c.get("/admin/jobs/jobfair/").status_code == 403
    assert c.get("/admin/jobs/skillpayscheme/").status_code == 403


def test_employer_moves_own_applications_in_console_only(world):
    employer = make_employer_staff(world["ent_a"])
    c = login(employer)
    ids = [world["app_a"].pk, world["app_b"].pk]
    r = c.post(APPS, {"action": "move_to_viewed", "_selected_action": ids})
    assert r.status_code == 302
    for key, want in (("app_a", S.VIEWED), ("app_b", S.SUBMITTED)):
        world[key].refresh_from_db()
        assert world[key].status == want
    assert (
        AuditEntry.objects.filter(action="jobs.application.status", actor_id=employer.pk).count()
        == 1
    )
    # an illegal move is reported and changes nothing
    r = c.post(
        APPS, {"action": "move_to_hired", "_selected_action": [world["app_a"].pk]}, follow=True
    )
    world["app_a"].refresh_from_db()
    assert world["app_a"].status == S.VIEWED
    assert f"{world['app_a']}:" in r.content.decode()


def test_employer_creates_a_posting_for_own_enterprise_only(world):
    employer = make_employer_staff(world["ent_a"])
    c = login(employer)
    form = {
        "enterprise": world["ent_a"].pk,
        "title": "新岗位",
        "description": "",
        "trade": "manufacturing",
        "kind": "regular",
        "status": "open",
        "salary_min_fen": 400000,
        "salary_max_fen": 600000,
        "region_code": "",
        "headcount": 2,
        "valid_from": "2026-01-01",
        "valid_until": "2026-12-31",
        "skills_text": "焊工，电工、焊工",
    }
    r = c.post(f"{POSTS}add/", form)
    assert r.status_code == 302, r.content.decode()[:2000]
    p = Posting.objects.get(title="新岗位")
    assert p.org_id == world["ent_a"].union_id and p.skills == ["焊工", "电工"]
    assert AuditEntry.objects.filter(action="jobs.posting.create", actor_id=employer.pk).exists()
    r = c.post(f"{POSTS}add/", {**form, "title": "越权", "enterprise": world["ent_b"].pk})
    assert r.status_code == 200 and not Posting.objects.filter(title="越权").exists()
    r = c.post(f"{POSTS}add/", {**form, "title": "倒挂", "salary_min_fen": 700000})
    assert r.status_code == 200 and not Posting.objects.filter(title="倒挂").exists()


def test_api_employer_sees_only_own_applicants(world):
    c = login(make_employer_staff(world["ent_a"]))
    r = c.get("/api/v1/jobs/applications")
    assert r.status_code == 200
    assert [a["id"] for a in r.json()] == [world["app_a"].pk]
    assert c.get(f"/api/v1/jobs/applications/{world['app_a'].pk}").status_code == 200
    for other in ("app_a2", "app_b"):
        assert c.get(f"/api/v1/jobs/applications/{world[other].pk}").status_code == 404
        r = c.post(
            f"/api/v1/jobs/applications/{world[other].pk}/status",
            json.dumps({"status": "viewed"}),
            content_type="application/json",
        )
        assert r.status_code == 404
        world[other].refresh_from_db()
        assert world[other].status == S.SUBMITTED
    r = c.post(
        f"/api/v1/jobs/applications/{world['app_a'].pk}/status",
        json.dumps({"status": "viewed"}),
        content_type="application/json",
    )
    assert r.status_code == 200 and r.json()["status"] == "viewed"
    r = c.post(
        f"/api/v1/jobs/applications/{world['app_a'].pk}/status",
        json.dumps({"status": "hired"}),
        content_type="application/json",
    )
    assert r.status_code == 409 and r.json()["code"] == "illegal_transition"
    assert [p["id"] for p in c.get("/api/v1/jobs/postings").json()] == [world["p_a"].pk]


def test_org_scoping_for_union_staff(world):
    admin_a = make_staff(world["union_a"], Role.UNION_ADMIN)
    c = login(admin_a)
    got = {a["id"] for a in c.get("/api/v1/jobs/applications").json()}
    assert got == {world["app_a"].pk, world["app_a2"].pk}
    assert c.get(f"/api/v1/jobs/applications/{world['app_b'].pk}").status_code == 404
    assert c.get(f"{APPS}{world['app_b'].pk}/change/").status_code == 404
    assert c.get(f"{APPS}{world['app_a2'].pk}/change/").status_code == 200
    fed = login(make_staff(world["root"], Role.FEDERATION_ADMIN))
    assert len(fed.get("/api/v1/jobs/applications").json()) == 3
    # figures: own subtree only
    ok = c.get(f"/api/v1/jobs/figures?org_id={world['union_a'].pk}&start=2020-01-01")
    assert ok.status_code == 200 and ok.json()["applications"] == 2
    assert (
        c.get(f"/api/v1/jobs/figures?org_id={world['union_b'].pk}&start=2020-01-01").status_code
        == 404
    )
    # a member session is not staff
    nobody = Client()
    assert nobody.get("/api/v1/jobs/applications").status_code == 401


def test_roles_without_jobs_view_see_nothing(world):
    reviewer = make_staff(world["union_a"], Role.REVIEWER)
    c = login(reviewer)
    assert c.get("/api/v1/jobs/applications").json() == []
    assert c.get(f"{APPS}{world['app_a'].pk}/change/").status_code == 404
