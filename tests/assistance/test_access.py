"""Who opens a hardship file: every role against every file view (console change page, console
actions page, API); the assigned case worker and supervisors only; out of scope → 404; each
opening audited. Members see their own files on the H5; help records and rules in scope."""

from __future__ import annotations

import pytest
from django.test import Client

from gonghui.assistance import services
from gonghui.assistance.models import GradientRule, HardshipFile
from gonghui.core.models import AuditEntry
from gonghui.members.session import SESSION_MEMBER_KEY
from gonghui.orgs.models import Role
from tests.factories import make_member, make_staff

from .factories import active_file, make_world, rules

pytestmark = pytest.mark.django_db

SUPERVISORS = {Role.FEDERATION_ADMIN, Role.UNION_ADMIN}


@pytest.fixture(autouse=True)
def _fast_hasher(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def world():
    return make_world()


@pytest.fixture
def file(world):
    boss = make_staff(world.fed, Role.FEDERATION_ADMIN)
    rules(world.fed, living=300_000)
    f = active_file(world.member, boss)
    services.help_record_create(file=f, kind="living", amount_fen=1000, actor=boss)
    return f


def client_for(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def urls(f: HardshipFile) -> dict[str, str]:
    return {
        "console": f"/admin/assistance/hardshipfile/{f.pk}/change/",
        "actions": f"/admin/assistance/hardshipfile/{f.pk}/act/",
        "api": f"/api/v1/assistance/files/{f.pk}",
    }


def views_audited(f: HardshipFile) -> int:
    return AuditEntry.objects.filter(action="assistance.file.view", object_id=str(f.pk)).count()


@pytest.mark.parametrize("role", Role.values)
@pytest.mark.parametrize("where", ["fed", "union", "other_union"])
def test_every_role_against_every_file_view(world, file, role, where):
    user = make_staff(getattr(world, where), role)
    c = client_for(user)
    allowed = role in SUPERVISORS and where != "other_union"
    for name, url in urls(file).items():
        before = views_audited(file)
        r = c.get(url)
        if allowed:
            assert r.status_code == 200, (name, r.status_code)
            assert views_audited(file) == before + (0 if name == "actions" else 1)
        else:
            assert r.status_code == 404, (name, r.status_code)
            assert views_audited(file) == before
    # lists show the file to the same people
    listing = c.get("/api/v1/assistance/files").json()
    assert [row["id"] for row in listing] == ([file.pk] if allowed else [])


def test_assigned_case_worker_sees_the_file_unassigned_one_gets_404(world, file):
    boss = make_staff(world.fed, Role.FEDERATION_ADMIN)
    assigned = make_staff(world.union, Role.CASE_WORKER)
    other = make_staff(world.union, Role.CASE_WORKER)
    services.file_assign(file=file, case_worker=assigned, actor=boss)
    for name, url in urls(file).items():
        assert client_for(assigned).get(url).status_code == 200, name
        assert client_for(other).get(url).status_code == 404, name
    audited = AuditEntry.objects.filter(action="assistance.file.view", object_id=str(file.pk))
    assert {(e.actor_id, e.data["via"]) for e in audited} == {
        (assigned.pk, "console"),
        (assigned.pk, "api"),
    }
    # the assigned worker can act (verify/review) but cannot assign or activate
    r = client_for(assigned).post(
        f"/api/v1/assistance/files/{file.pk}/transition",
        {"action": "review"},
        content_type="application/json",
    )
    assert r.status_code == 200 and r.json()["last_reviewed_on"]
    r = client_for(assigned).post(
        f"/api/v1/assistance/files/{file.pk}/transition",
        {"action": "close", "note": "x"},
        content_type="application/json",
    )
    assert r.status_code == 403 and r.json()["code"] == "supervisors_only"
    # an unassigned worker cannot act either: 404
    r = client_for(other).post(
        f"/api/v1/assistance/files/{file.pk}/help",
        {"kind": "living", "amount_fen": 1},
        content_type="application/json",
    )
    assert r.status_code == 404


def test_out_of_scope_file_is_404_even_for_an_admin_elsewhere(world, file):
    elsewhere = make_world()
    admin_elsewhere = make_staff(elsewhere.fed, Role.FEDERATION_ADMIN)
    for url in urls(file).values():
        assert client_for(admin_elsewhere).get(url).status_code == 404
    assert client_for(admin_elsewhere).get("/api/v1/assistance/files/999999").status_code == 404


def test_api_refusals_are_clear_and_change_nothing(world, file):
    boss = make_staff(world.fed, Role.FEDERATION_ADMIN)
    c = client_for(boss)
    r = c.post(
        f"/api/v1/assistance/files/{file.pk}/help",
        {"kind": "living", "amount_fen": 10_000_000},
        content_type="application/json",
    )
    assert r.status_code == 409 and r.json()["code"] == "ceiling_reached" and r.json()["message"]
    r = c.post(
        f"/api/v1/assistance/files/{file.pk}/transition",
        {"action": "verify"},
        content_type="application/json",
    )
    assert r.status_code == 409 and r.json()["code"] == "illegal_transition"
    r = c.post(
        f"/api/v1/assistance/files/{file.pk}/help",
        {"kind": "living", "amount_fen": "lots"},
        content_type="application/json",
    )
    assert r.status_code == 422
    assert file.help.count() == 1
    ok = c.post(
        f"/api/v1/assistance/files/{file.pk}/help",
        {"kind": "living", "amount_fen": 500, "note": "春节"},
        content_type="application/json",
    )
    assert ok.status_code == 201 and ok.json()["amount_fen"] == 500


def test_console_actions_page(world, file):
    boss = make_staff(world.fed, Role.FEDERATION_ADMIN)
    worker = make_staff(world.union, Role.CASE_WORKER)
    c = client_for(boss)
    url = urls(file)["actions"]
    r = c.post(url, {"form": "assign", "case_worker": worker.pk})
    assert r.status_code == 302
    file.refresh_from_db()
    assert file.case_worker == worker
    r = c.post(
        url,
        {"form": "help", "kind": "living", "amount": "5000", "given_on": "2000-01-01"},
        follow=True,
    )
    assert r.status_code == 200 and file.help.count() == 1  # refused: no rule for 2000
    assert "2000" in r.content.decode()
    r = c.post(url, {"form": "transition", "action": "verify"}, follow=True)
    assert file.events.filter(action="verify").count() == 1  # once, when it was applied
    r = c.post(url, {"form": "transition", "action": "close", "note": "脱困"})
    assert r.status_code == 302
    file.refresh_from_db()
    assert file.status == "closed"


def test_figures_api_in_scope(world, file):
    auditor = make_staff(world.fed, Role.AUDITOR)
    r = client_for(auditor).get(f"/api/v1/assistance/figures?org_id={world.fed.pk}")
    assert r.status_code == 200 and r.json()["grants"] == 1 and r.json()["amount_fen"] == 1000
    lawyer = make_staff(world.fed, Role.LAWYER)
    assert (
        client_for(lawyer).get(f"/api/v1/assistance/figures?org_id={world.fed.pk}").status_code
        == 404
    )
    # the auditor sees figures but not the file itself
    assert client_for(auditor).get(urls(file)["api"]).status_code == 404


def test_rules_and_help_records_in_the_console(world, file):
    union_admin = make_staff(world.union, Role.UNION_ADMIN)
    fed_admin = make_staff(world.fed, Role.FEDERATION_ADMIN)
    assert client_for(fed_admin).get("/admin/assistance/gradientrule/").status_code == 200
    page = client_for(fed_admin).get("/admin/assistance/gradientrule/").content.decode()
    assert 'data-testid="assistance-figures"' in page
    rule = GradientRule.objects.get()
    # a union admin does not see the federation's rule
    assert (
        client_for(union_admin).get(f"/admin/assistance/gradientrule/{rule.pk}/change/").status_code
        == 404
    )
    rec = file.help.get()
    assert (
        client_for(union_admin).get(f"/admin/assistance/helprecord/{rec.pk}/change/").status_code
        == 200
    )
    lawyer = make_staff(world.union, Role.LAWYER)
    assert (
        client_for(lawyer).get(f"/admin/assistance/helprecord/{rec.pk}/change/").status_code == 404
    )


def member_client(member) -> Client:
    c = Client()
    s = c.session
    s[SESSION_MEMBER_KEY] = member.pk
    s.save()
    return c


def test_member_sees_own_file_and_applies(world, file):
    own = member_client(world.member).get("/m/assistance/")
    assert own.status_code == 200
    body = own.content.decode()
    assert 'data-testid="file-status"' in body and "¥10.00" in body
    assert 'data-testid="apply-link"' not in body  # an open file: no second application
    stranger = make_member(world.union)
    c = member_client(stranger)
    page = c.get("/m/assistance/").content.decode()
    assert 'data-testid="no-file"' in page
    assert Client().get("/m/assistance/").status_code == 302  # sign in first
    data = {
        "category": "relative",
        "worker_type": "migrant",
        "main_cause": "illness",
        "secondary_causes": ["illness"],
        "applicant_income": "1000",
        "housing": "rented",
        "hh-TOTAL_FORMS": "6",
        "hh-INITIAL_FORMS": "0",
        "hh-MIN_NUM_FORMS": "0",
        "hh-MAX_NUM_FORMS": "6",
        "hh-0-relation": "child",
        "hh-0-name": "小红",
        "hh-0-birth_date": "2016-05-01",
        "hh-0-health": "healthy",
        "hh-0-income": "",
    }
    bad = c.post("/m/assistance/apply", data)
    assert bad.status_code == 200 and 'data-testid="error-secondary_causes"' in bad.content.decode()
    assert not HardshipFile.objects.filter(member=stranger).exists()
    data["secondary_causes"] = ["education"]
    ok = c.post("/m/assistance/apply", data)
    assert ok.status_code == 302
    f = HardshipFile.objects.get(member=stranger)
    assert (f.household_size, f.per_capita_income_fen, f.status) == (2, 50_000, "applied")
    # the member's page shows status; other members' files never appear
    assert "hardship-file" in c.get("/m/assistance/").content.decode()


def test_an_empty_hardship_application_is_refused_field_by_field(world):
    """Issue #12 item 4: an empty form was filed with the preselected first choices."""
    applicant = make_member(world.union)
    c = member_client(applicant)
    page = c.get("/m/assistance/apply").content.decode()
    assert 'class="h5-select"' in page and 'class="h5-input"' in page  # styled like the H5
    assert page.count('data-testid="household-row"') == 6 and "data-add-row" in page
    assert '<option value="" selected>' in page  # nothing preselected
    empty = {
        "hh-TOTAL_FORMS": "6",
        "hh-INITIAL_FORMS": "0",
        "hh-MIN_NUM_FORMS": "0",
        "hh-MAX_NUM_FORMS": "6",
    }
    body = c.post("/m/assistance/apply", empty).content.decode()
    for field in ("category", "worker_type", "main_cause", "applicant_income", "housing"):
        assert f'data-testid="error-{field}"' in body, field
    assert not HardshipFile.objects.filter(member=applicant).exists()
