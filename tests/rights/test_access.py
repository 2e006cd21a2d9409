"""Who opens a rights case: every role against every case view (console change page, console
actions page, API); the assigned lawyer and case worker and the supervisors only; out of scope
→ 404; each opening audited. The H5: intake (signed in, or anonymous with an access code shown
once), my cases with status, follow a case by number and code."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from gonghui.core.models import AuditEntry
from gonghui.members.session import SESSION_MEMBER_KEY
from gonghui.orgs.models import Role
from gonghui.rights import services
from gonghui.rights.models import RightsCase
from tests.factories import make_member, make_staff

from .factories import api_solved, intake, make_world, solved

pytestmark = pytest.mark.django_db

SUPERVISORS = {Role.FEDERATION_ADMIN, Role.UNION_ADMIN}


@pytest.fixture(autouse=True)
def _fast_hasher(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def world():
    return make_world()


@pytest.fixture
def case(world):
    return intake(world.member, enterprise=world.enterprise).case


def client_for(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def member_client(member) -> Client:
    c = Client()
    s = c.session
    s[SESSION_MEMBER_KEY] = member.pk
    s.save()
    return c


def urls(case: RightsCase) -> dict[str, str]:
    return {
        "console": f"/admin/rights/rightscase/{case.pk}/change/",
        "actions": f"/admin/rights/rightscase/{case.pk}/act/",
        "api": f"/api/v1/rights/cases/{case.pk}",
    }


def views_audited(case: RightsCase) -> int:
    return AuditEntry.objects.filter(action="rights.case.view", object_id=str(case.pk)).count()


@pytest.mark.parametrize("role", Role.values)
@pytest.mark.parametrize("where", ["fed", "union", "other_union"])
def test_every_role_against_every_case_view(world, case, role, where):
    user = make_staff(getattr(world, where), role)
    c = client_for(user)
    allowed = role in SUPERVISORS and where != "other_union"
    for name, url in urls(case).items():
        before = views_audited(case)
        r = c.get(url)
        if allowed:
            assert r.status_code == 200, (name, r.status_code)
            assert views_audited(case) == before + (0 if name == "actions" else 1)
        else:
            assert r.status_code == 404, (name, r.status_code)
            assert views_audited(case) == before
    listing = c.get("/api/v1/rights/cases").json()
    assert [row["id"] for row in listing] == ([case.pk] if allowed else [])


@pytest.mark.parametrize("role", [Role.LAWYER, Role.CASE_WORKER])
def test_assigned_worker_sees_the_case_unassigned_one_gets_404(world, case, role):
    boss = make_staff(world.fed, Role.FEDERATION_ADMIN)
    assigned = make_staff(world.union, role)
    other = make_staff(world.union, role)
    field = "lawyer" if role == Role.LAWYER else "case_worker"
    services.case_assign(case=case, actor=boss, **{field: assigned})
    for name, url in urls(case).items():
        assert client_for(assigned).get(url).status_code == 200, name
        assert client_for(other).get(url).status_code == 404, name
    audited = AuditEntry.objects.filter(action="rights.case.view", object_id=str(case.pk))
    assert {(e.actor_id, e.data["via"]) for e in audited} == {
        (assigned.pk, "console"),
        (assigned.pk, "api"),
    }
    # the assigned worker works the case; the other one cannot touch it
    r = client_for(assigned).post(
        f"/api/v1/rights/cases/{case.pk}/notes",
        {"text": "已电话联系企业"},
        content_type="application/json",
    )
    assert r.status_code == 201
    r = client_for(other).post(
        f"/api/v1/rights/cases/{case.pk}/notes", {"text": "x"}, content_type="application/json"
    )
    assert r.status_code == 404
    # ... and cannot assign (only supervisors do)
    r = client_for(assigned).post(
        f"/api/v1/rights/cases/{case.pk}/assign",
        {f"{field}_id": other.pk},
        content_type="application/json",
    )
    assert r.status_code == 403 and r.json()["code"] == "supervisors_only"


def test_out_of_scope_case_is_404(world, case):
    admin_elsewhere = make_staff(make_world().fed, Role.FEDERATION_ADMIN)
    for url in urls(case).values():
        assert client_for(admin_elsewhere).get(url).status_code == 404
    assert client_for(admin_elsewhere).get("/api/v1/rights/cases/99999").status_code == 404


def test_console_shows_the_open_case_warning_and_works_the_case(world, case):
    boss = make_staff(world.union, Role.UNION_ADMIN)
    lawyer = make_staff(world.union, Role.LAWYER)
    second = intake(world.member, kind="consultation", case_type="consultation").case
    page = client_for(boss).get(urls(second)["console"]).content.decode()
    assert 'data-testid="open-case-warning"' in page and case.number in page
    c = client_for(boss)
    act = urls(case)["actions"]
    assert c.post(act, {"form": "assign", "lawyer": lawyer.pk}).status_code == 302
    assert c.post(act, {"form": "advance", "text": "核实中"}).status_code == 302
    mate = make_member(world.union, enterprise=world.enterprise)
    r = c.post(
        act,
        {
            "form": "party",
            "member_no": mate.member_no,
            "amount_claimed": "3000",
            "amount_recovered": "2500",
        },
    )
    assert r.status_code == 302
    r = c.post(act, {"form": "answer", "text": "答复"}, follow=True)
    assert r.status_code == 200  # refused (not a consultation): shown as a message
    assert not case.entries.filter(kind="answer").exists()
    assert (
        c.post(act, {"form": "close", "outcome": "resolved", "amount_recovered": ""}).status_code
        == 302
    )
    case.refresh_from_db()
    assert (case.status, case.lawyer, case.amount_recovered_fen) == ("closed", lawyer, 250_000)
    assert case.parties.count() == 1


def test_overdue_filter_and_api(world, case):
    import datetime as dt

    from gonghui.core.timeutil import local_today

    boss = make_staff(world.union, Role.UNION_ADMIN)
    RightsCase.objects.filter(pk=case.pk).update(due_on=local_today() - dt.timedelta(days=2))
    fresh = intake(make_member(world.union)).case
    c = client_for(boss)
    assert [r["number"] for r in c.get("/api/v1/rights/cases/overdue").json()] == [case.number]
    page = c.get("/admin/rights/rightscase/?overdue=1").content.decode()
    assert case.number in page and fresh.number not in page


def test_contracts_console_shows_coverage(world):
    import datetime as dt

    from gonghui.core.timeutil import local_today

    boss = make_staff(world.fed, Role.FEDERATION_ADMIN)
    today = local_today()
    services.contract_create(
        kind="enterprise",
        org=world.union,
        enterprise=world.enterprise,
        title="A",
        signed_on=today,
        valid_from=today,
        valid_until=today + dt.timedelta(days=30),
        wage_increase_bp=450,
        workers_covered=80,
        actor=boss,
    )
    page = client_for(boss).get("/admin/rights/collectivecontract/").content.decode()
    assert 'data-testid="contract-coverage"' in page and "100.00%" in page
    r = client_for(boss).get(f"/api/v1/rights/coverage?org_id={world.fed.pk}")
    assert r.json()["rate_bp"] == 10000 and r.json()["workers_covered"] == 80
    lawyer = make_staff(world.fed, Role.LAWYER)
    assert client_for(lawyer).get("/admin/rights/collectivecontract/").status_code == 403
    assert (
        client_for(lawyer).get(f"/api/v1/rights/coverage?org_id={world.fed.pk}").status_code == 404
    )


# --- H5 ---------------------------------------------------------------------------------------
def _form(**kw):
    data = {
        "kind": "complaint",
        "case_type": "wage_arrears",
        "description": "老板拖欠两个月工资，一直不给",
        "employer_name": "某某快递站",
        "amount_claimed": "8000",
        "contact_phone": "",
    }
    data.update(kw)
    return data


def test_anonymous_h5_intake_shows_the_access_code_once_and_tracks(world):
    c = Client()
    page = c.get("/m/rights/new")
    assert page.status_code == 200 and 'data-testid="anonymous-note"' in page.content.decode()
    # Issue #10 item 6: an anonymous intake carries the solved proof of work of its page.
    r = c.post("/m/rights/new", _form(contact_phone="13800001111", **solved(page)))
    assert r.status_code == 302 and r["Location"] == "/m/rights/done"
    done = c.get("/m/rights/done").content.decode()
    number = re.search(r'data-testid="case-number">([^<]+)<', done)[1]
    code = re.search(r'data-testid="access-code">([^<]+)<', done)[1]
    case = RightsCase.objects.get(number=number)
    assert case.is_anonymous and case.member is None and case.amount_claimed_fen == 800_000
    assert c.get("/m/rights/done").status_code == 302  # shown once
    tracked = Client().post("/m/rights/track", {"number": number, "access_code": code})
    assert tracked.status_code == 200 and 'data-testid="timeline"' in tracked.content.decode()
    wrong = Client().post("/m/rights/track", {"number": number, "access_code": "AAAAAAAAAA"})
    assert wrong.status_code == 404 and case.description not in wrong.content.decode()


def test_h5_bad_input_changes_nothing(world):
    c = member_client(world.member)
    r = c.post("/m/rights/new", _form(description="短", amount_claimed="abc"))
    body = r.content.decode()
    assert r.status_code == 200
    assert (
        'data-testid="error-description"' in body and 'data-testid="error-amount_claimed"' in body
    )
    r = c.post("/m/rights/new", _form(contact_phone="123"))
    assert 'data-testid="error-contact_phone"' in r.content.decode()
    assert not RightsCase.objects.exists()


def test_member_h5_cases_status_and_warning(world, case):
    c = member_client(world.member)
    r = c.post("/m/rights/new", _form(kind="consultation", case_type="consultation"))
    done = c.get(r["Location"]).content.decode()
    assert 'data-testid="open-case-warning"' in done and case.number in done
    assert 'data-testid="access-code"' not in done  # a member follows on "my cases"
    home = c.get("/m/rights/").content.decode()
    assert home.count('data-testid="my-case"') == 2
    detail = c.get(f"/m/rights/case/{case.number}")
    assert detail.status_code == 200 and 'data-testid="case-status"' in detail.content.decode()
    # another member cannot open it
    other = member_client(make_member(world.union))
    assert other.get(f"/m/rights/case/{case.number}").status_code == 404


def test_api_intake_is_anonymous(world):
    r = Client().post(
        "/api/v1/rights/intake",
        {
            "kind": "consultation",
            "case_type": "consultation",
            "description": "加班费怎么算？",
            "anonymous": True,
            **api_solved(),  # issue #10 item 6: a proof of work per anonymous intake
        },
        content_type="application/json",
    )
    assert r.status_code == 201 and len(r.json()["access_code"]) == 10
    t = Client().post(
        "/api/v1/rights/track",
        {"number": r.json()["number"], "access_code": r.json()["access_code"]},
        content_type="application/json",
    )
    assert t.status_code == 200 and t.json()["status"] == "open"
    bad = Client().post(
        "/api/v1/rights/intake",
        {"kind": "consultation", "case_type": "consultation", "description": "加班费怎么算？"},
        content_type="application/json",
    )
    assert bad.status_code == 400 and bad.json()["code"] == "anonymous_only"
    assert RightsCase.objects.count() == 1


def test_h5_home_lists_both_services(world):
    home = member_client(world.member).get("/m/").content.decode()
    assert 'href="/m/assistance/"' in home and 'href="/m/rights/"' in home


def test_h5_intake_form_is_styled_and_preselects_no_matter(world):
    """Issue #12 item 4: the rights form was unstyled raw inputs with the first matter chosen."""
    page = member_client(world.member).get("/m/rights/new").content.decode()
    assert 'class="h5-select"' in page and 'class="h5-input"' in page
    assert 'class="h5-check"' in page  # the radio buttons of "what do you need"
    select = page[page.index('name="case_type"') : page.index("</select>", page.index("case_type"))]
    assert '<option value="" selected>' in select
