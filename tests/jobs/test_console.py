"""Union staff console: fairs with booths, skill-pay schemes with raises per level (validated),
employer staff links; scoped and audited."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client

from gonghui.core.models import AuditEntry
from gonghui.jobs.models import Booth, EmployerStaff, JobFair, SkillPayScheme
from gonghui.orgs.models import Role
from tests.factories import make_staff, org_child, org_root

from .factories import make_enterprise

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast_hasher(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def inline(prefix: str, rows: list[dict]) -> dict:
    data = {
        f"{prefix}-TOTAL_FORMS": str(len(rows)),
        f"{prefix}-INITIAL_FORMS": "0",
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }
    for i, row in enumerate(rows):
        for k, v in row.items():
            data[f"{prefix}-{i}-{k}"] = v
    return data


@pytest.fixture
def world():
    root = org_root()
    a, b = org_child(root), org_child(root)
    return root, a, b, make_enterprise(a, is_above_scale=True), make_enterprise(b)


def test_fair_with_booths(world):
    _root, a, b, ent_a, _ent_b = world
    admin = make_staff(a, Role.UNION_ADMIN)
    c = Client()
    c.force_login(admin)
    data = {
        "org": a.pk,
        "title": "春风行动招聘会",
        "date": "2026-03-01",
        "place": "玉环市体育馆",
        "kind": "union_pushed",
        **inline("booths", [{"number": "A01", "enterprise": ent_a.pk, "terminal": ""}]),
    }
    r = c.post("/admin/jobs/jobfair/add/", data)
    assert r.status_code == 302, r.content.decode()[:3000]
    fair = JobFair.objects.get()
    assert Booth.objects.get().fair_id == fair.pk
    assert AuditEntry.objects.filter(action="jobs.jobfair.create", actor_id=admin.pk).exists()
    # a fair of another union: out of scope
    r = c.post("/admin/jobs/jobfair/add/", {**data, "org": b.pk, "title": "越权"})
    assert r.status_code == 200 and not JobFair.objects.filter(title="越权").exists()
    other = make_staff(b, Role.UNION_ADMIN)
    c.force_login(other)
    assert c.get(f"/admin/jobs/jobfair/{fair.pk}/change/").status_code == 404


def test_skill_pay_scheme_in_console(world):
    _root, a, _b, ent_a, _ent_b = world
    c = Client()
    c.force_login(make_staff(a, Role.UNION_ADMIN))
    base = {
        "enterprise": ent_a.pk,
        "effective_from": "2025-01-01",
        "workers_covered": "300",
        "note": "",
    }
    bad = inline(
        "raises",
        [
            {"level": "junior", "monthly_raise_fen": "20000"},
            {"level": "senior", "monthly_raise_fen": "10000"},
        ],
    )
    r = c.post("/admin/jobs/skillpayscheme/add/", {**base, **bad})
    assert r.status_code == 200 and not SkillPayScheme.objects.exists()
    good = inline(
        "raises",
        [
            {"level": "junior", "monthly_raise_fen": "5000"},
            {"level": "senior", "monthly_raise_fen": "30000"},
            {"level": "senior_technician", "monthly_raise_fen": "100000"},
        ],
    )
    r = c.post("/admin/jobs/skillpayscheme/add/", {**base, **good})
    assert r.status_code == 302, r.content.decode()[:3000]
    assert SkillPayScheme.objects.get().raises.count() == 3


def test_employer_staff_link(world):
    _root, a, _b, ent_a, ent_b = world
    c = Client()
    c.force_login(make_staff(a, Role.UNION_ADMIN))
    hr = make_staff(None, None)
    r = c.post("/admin/jobs/employerstaff/add/", {"user": hr.pk, "enterprise": ent_a.pk})
    assert r.status_code == 302
    assert EmployerStaff.objects.filter(user=hr, enterprise=ent_a).exists()
    r = c.post("/admin/jobs/employerstaff/add/", {"user": hr.pk, "enterprise": ent_b.pk})
    assert r.status_code == 200  # enterprise of another union: not a valid choice
    assert not EmployerStaff.objects.filter(enterprise=ent_b).exists()


def test_figures_page_shows_own_scope_only(world):
    _root, a, b, ent_a, ent_b = world
    from gonghui.jobs import services

    from .factories import make_posting

    make_posting(ent_a, headcount=4)
    make_posting(ent_b, headcount=9)
    services.skill_pay_scheme_set(
        actor=None,
        enterprise=ent_a,
        effective_from=dt.date(2020, 1, 1),
        raises={"junior": 5000},
        workers_covered=77,
    )
    c = Client()
    c.force_login(make_staff(a, Role.UNION_ADMIN))
    assert 'data-testid="jobs-figures-link"' in c.get("/admin/jobs/posting/").content.decode()
    body = c.get("/admin/jobs/posting/figures/").content.decode()
    assert f'data-org="{a.code}"' in body and f'data-org="{b.code}"' not in body
    assert ">4<" in body and ">9<" not in body and ">77<" in body and "1 / 1" in body
    c.force_login(make_staff(a, Role.REVIEWER))  # no jobs.view
    assert c.get("/admin/jobs/posting/figures/").status_code in (403, 404)


def test_auditor_opens_a_posting_read_only(world):
    """The auditor holds jobs.view only: the change page of a posting is read-only, not a 500
    (PostingForm used to set ``region_code`` on a form from which read-only fields are gone)."""
    from .factories import make_posting

    _root, a, _b, ent_a, _ent_b = world
    posting = make_posting(ent_a, title="数控车工", skills=["数控"])
    c = Client()
    c.force_login(make_staff(a, Role.AUDITOR))
    r = c.get(f"/admin/jobs/posting/{posting.pk}/change/")
    assert r.status_code == 200
    page = r.content.decode()
    assert "数控车工" in page and "数控" in page.replace("数控车工", "")
    assert 'name="title"' not in page  # nothing to edit
    assert c.get("/admin/jobs/posting/").status_code == 200
    # and the auditor cannot change it by posting anyway
    r = c.post(f"/admin/jobs/posting/{posting.pk}/change/", {"title": "改"})
    assert r.status_code == 403
    posting.refresh_from_db()
    assert posting.title == "数控车工"
