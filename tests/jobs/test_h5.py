"""Member H5 pages under /m/jobs/: matched posts with reasons, apply, my applications, fairs."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client

from gonghui.core.timeutil import local_today
from gonghui.jobs.models import Application, Booth, JobFair, Posting
from gonghui.members.session import SESSION_MEMBER_KEY
from tests.factories import make_member, org_child, org_root

from .factories import make_enterprise, make_posting

pytestmark = pytest.mark.django_db


def member_client(member) -> Client:
    c = Client()
    session = c.session
    session[SESSION_MEMBER_KEY] = member.pk
    session.save()
    return c


@pytest.fixture
def world():
    union = org_child(org_root())
    ent = make_enterprise(union, name="港湾物流", region_code=union.region_code)
    posting = make_posting(ent, title="叉车司机", skills=["叉车"], kind=Posting.Kind.UNION_PUSHED)
    member = make_member(union, skills=["叉车"])
    return union, ent, posting, member


def test_anonymous_goes_to_login():
    r = Client().get("/m/jobs/")
    assert r.status_code == 302 and r["Location"].startswith("/m/login")


def test_home_has_the_jobs_entry(world):
    *_rest, member = world
    body = member_client(member).get("/m/").content.decode()
    assert 'data-testid="service-jobs"' in body and "/m/jobs/" in body


def test_list_detail_apply_withdraw(world):
    _union, _ent, posting, member = world
    c = member_client(member)
    body = c.get("/m/jobs/").content.decode()
    assert "叉车司机" in body and f'data-testid="reasons-{posting.pk}"' in body
    assert 'data-code="skills"' in body and 'data-code="union_pushed"' in body
    detail = c.get(f"/m/jobs/{posting.pk}/").content.decode()
    assert 'data-testid="apply"' in detail and "¥5,000 – ¥8,000" in detail
    r = c.post(f"/m/jobs/{posting.pk}/apply")
    assert r.status_code == 302 and r["Location"].startswith("/m/jobs/applications/")
    a = Application.objects.get(member=member, posting=posting)
    mine = c.get("/m/jobs/applications/").content.decode()
    assert f'data-testid="application-{a.pk}"' in mine and 'data-testid="applied-ok"' not in mine
    again = c.post(f"/m/jobs/{posting.pk}/apply", follow=True).content.decode()
    assert 'data-testid="jobs-message"' in again
    assert Application.objects.filter(member=member).count() == 1
    assert 'data-testid="applied-status"' in c.get(f"/m/jobs/{posting.pk}/").content.decode()
    assert c.post(f"/m/jobs/applications/{a.pk}/withdraw").status_code == 302
    a.refresh_from_db()
    assert a.status == "withdrawn"


def test_others_applications_and_closed_posts_are_404(world):
    union, ent, posting, member = world
    other = make_member(union)
    theirs = member_client(other)
    c = member_client(member)
    c.post(f"/m/jobs/{posting.pk}/apply")
    a = Application.objects.get()
    assert theirs.post(f"/m/jobs/applications/{a.pk}/withdraw").status_code == 404
    a.refresh_from_db()
    assert a.status == "submitted"
    closed = make_posting(ent, title="已关闭", status=Posting.Status.CLOSED)
    assert c.get(f"/m/jobs/{closed.pk}/").status_code == 404
    assert c.post(f"/m/jobs/{closed.pk}/apply").status_code == 404
    assert c.get("/m/jobs/applications/").status_code == 200


def test_fairs_page_lists_upcoming_fairs_with_booths(world):
    union, ent, _posting, member = world
    fair = JobFair.objects.create(
        org=union,
        title="新就业形态专场招聘会",
        date=local_today(),
        place="广场",
        kind="gig_special",
    )
    Booth.objects.create(fair=fair, enterprise=ent, number="B07")
    JobFair.objects.create(
        org=union, title="往届招聘会", date=local_today() - dt.timedelta(days=1), place="x"
    )
    body = member_client(member).get("/m/jobs/fairs/").content.decode()
    assert "新就业形态专场招聘会" in body and "B07" in body and "往届招聘会" not in body


def test_member_api_matches_and_apply(world):
    _union, _ent, posting, member = world
    c = member_client(member)
    r = c.get("/api/v1/jobs/me/matches")
    assert r.status_code == 200
    first = r.json()[0]
    assert first["posting"]["id"] == posting.pk
    assert {x["code"] for x in first["reasons"]} >= {"skills", "union_pushed"}
    c = Client(enforce_csrf_checks=False)
    c.cookies = member_client(member).cookies
    r = c.post(f"/api/v1/jobs/me/postings/{posting.pk}/apply")
    assert r.status_code == 201 and r.json()["status"] == "submitted"
    r = c.post(f"/api/v1/jobs/me/postings/{posting.pk}/apply")
    assert r.status_code == 409 and r.json()["code"] == "already_applied"
    assert [x["id"] for x in c.get("/api/v1/jobs/me/applications").json()] == [
        Application.objects.get().pk
    ]
