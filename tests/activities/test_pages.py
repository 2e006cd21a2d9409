"""H5 pages, the API's refusals (clear 4xx, nothing changed), the console: gate, live count,
.xlsx, scope; check-in through scan dispatch (gate code and poster reverse scan)."""

from __future__ import annotations

import datetime as dt
import io
import json

import pytest
from django.test import Client

from gonghui.activities import services
from gonghui.activities.models import Allocation, CheckIn, Kind, Registration
from gonghui.codes import protocol
from gonghui.codes import services as codes
from gonghui.core import timeutil
from gonghui.core.audit import AuditEntry
from gonghui.members.models import ServiceEvent
from gonghui.members.session import SESSION_MEMBER_KEY
from gonghui.orgs.models import Role
from tests.factories import make_member, make_staff, org_child

from .factories import make_activity, make_session

pytestmark = pytest.mark.django_db
S = Registration.Status


def member_client(member) -> Client:
    c = Client()
    session = c.session
    session[SESSION_MEMBER_KEY] = member.pk
    session.save()
    return c


def api_client(member) -> Client:
    c = Client(enforce_csrf_checks=True)
    s = c.session
    s[SESSION_MEMBER_KEY] = member.pk
    s.save()
    c.cookies["csrftoken"] = "a" * 32
    return c


def post_json(c, url, body=None, raw=None):
    return c.post(
        url,
        data=raw if raw is not None else json.dumps(body or {}),
        content_type="application/json",
        HTTP_X_CSRFTOKEN="a" * 32,
    )


def staff_client(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def test_h5_browse_register_mine_cancel(union, member):
    activity = make_activity(union, title="篮球赛")
    session = make_session(activity, capacity=1)
    c = member_client(member)
    r = c.get("/m/activities/")
    assert r.status_code == 200 and "篮球赛" in r.content.decode()
    assert c.get("/m/activities/?kind=lecture").content.decode().count("篮球赛") == 0
    detail = c.get(f"/m/activities/{activity.pk}/")
    assert detail.status_code == 200 and f"register-{session.pk}" in detail.content.decode()
    r = c.post(f"/m/activities/session/{session.pk}/register")
    assert r.status_code == 302 and r["Location"] == "/m/activities/mine/"
    mine = c.get("/m/activities/mine/").content.decode()
    reg = Registration.objects.get(member=member)
    assert f"registration-{reg.pk}" in mine and f"cancel-{reg.pk}" in mine
    # a second try shows the refusal on the page, with a 409
    again = c.post(f"/m/activities/session/{session.pk}/register")
    assert again.status_code == 409 and "register-error" in again.content.decode()
    c.post(f"/m/activities/registration/{reg.pk}/cancel")
    reg.refresh_from_db()
    assert reg.status == S.CANCELLED


def test_h5_needs_sign_in_and_menu_entry(union, member):
    assert Client().get("/m/activities/").status_code == 302
    home = member_client(member).get("/m/").content.decode()
    assert "service-activities" in home


def test_h5_near_me_by_region(root, union, member):
    elsewhere = org_child(root, region_code="330100")
    far = make_activity(elsewhere, title="远方活动", audience_org=root)
    make_session(far)
    near = make_activity(union, title="身边活动")
    make_session(near)
    body = member_client(member).get("/m/activities/?near=1").content.decode()
    assert "身边活动" in body and "远方活动" not in body


def test_h5_child_class_form(union, member):
    activity = make_activity(union, kind=Kind.CAREER_CLASS, child_min_age=8, child_max_age=12)
    session = make_session(activity)
    c = member_client(member)
    assert "child_birth_date" in c.get(f"/m/activities/{activity.pk}/").content.decode()
    bad = c.post(
        f"/m/activities/session/{session.pk}/register",
        {"child_name": "小红", "child_birth_date": "not-a-date"},
    )
    assert bad.status_code == 400
    assert not Registration.objects.exists()


def test_api_register_and_refusals_change_nothing(union, member):
    session = make_session(make_activity(union), capacity=2)
    c = api_client(member)
    url = f"/api/v1/activities/sessions/{session.pk}/register"
    # without the CSRF header: refused
    no_csrf = c.post(url, data="{}", content_type="application/json")
    assert no_csrf.status_code in (401, 403)
    # malformed JSON and wrong types: 4xx with a message
    assert post_json(c, url, raw="{not json").status_code in (400, 422)
    bad_date = post_json(c, url, {"child_birth_date": "2020-13-45"})
    assert bad_date.status_code == 422 and bad_date.json()["code"] == "invalid"
    assert post_json(c, "/api/v1/activities/sessions/999999/register").status_code == 404
    assert not Registration.objects.exists()
    ok = post_json(c, url)
    assert ok.status_code == 201 and ok.json()["status"] == "confirmed"
    dup = post_json(c, url)
    assert dup.status_code == 409 and dup.json()["code"] == "already_registered"
    assert dup.json()["message"]
    session.refresh_from_db()
    assert session.places_left == 1
    mine = c.get("/api/v1/activities/registrations")
    assert mine.status_code == 200 and len(mine.json()) == 1
    # cancelling another member's registration: 404, nothing changes
    other = make_member(union)
    reg = Registration.objects.get(member=member)
    r = post_json(api_client(other), f"/api/v1/activities/registrations/{reg.pk}/cancel")
    assert r.status_code == 404
    reg.refresh_from_db()
    assert reg.status == S.CONFIRMED
    r = post_json(c, f"/api/v1/activities/registrations/{reg.pk}/cancel")
    assert r.status_code == 200 and r.json()["status"] == "cancelled"


def test_api_eligibility_refusal_is_403_with_message(union):
    session = make_session(make_activity(union, audience="gig"))
    r = post_json(
        api_client(make_member(union)), f"/api/v1/activities/sessions/{session.pk}/register"
    )
    assert r.status_code == 403 and r.json()["code"] == "not_eligible_type"
    assert (
        "gig" in r.json()["message"].lower() or "零工" in r.json()["message"] or r.json()["message"]
    )


def _soon_session(union, capacity=5):
    return make_session(
        make_activity(union), capacity=capacity, starts_at=timeutil.now() + dt.timedelta(minutes=20)
    )


def _code(member):
    credential, seed = codes.credential_issue(member=member)
    step = protocol.time_step(timeutil.now().timestamp())
    return protocol.encode(seed=seed, credential_id=credential.pk, step=step, seq=0)


def test_gate_page_checks_in_with_the_code_and_count_moves(union, member, organiser):
    session = _soon_session(union)
    services.registration_create(member=member, session=session)
    c = staff_client(organiser)
    page = c.get(f"/admin/activities/session/{session.pk}/checkin/")
    assert page.status_code == 200
    assert 'data-testid="count-checked-in">0<' in page.content.decode()
    r = c.post(
        f"/admin/activities/session/{session.pk}/checkin/", {"code": _code(member), "key": "k1"}
    )
    assert r.status_code == 200, r.content.decode()[-500:]
    assert 'data-testid="gate-result"' in r.content.decode()
    counts = c.get(f"/admin/activities/session/{session.pk}/checkin/counts/").content.decode()
    assert 'data-testid="count-checked-in">1<' in counts
    checkin = CheckIn.objects.get(session=session)
    assert checkin.via == "terminal"
    assert ServiceEvent.objects.filter(kind="activities.checkin", member=member).count() == 1
    # the same member again (a new code): refused, still one check-in
    credential = member.code_credentials.get(status="active")
    from gonghui.codes.services import seed_of

    step = protocol.time_step(timeutil.now().timestamp())
    code2 = protocol.encode(seed=seed_of(credential), credential_id=credential.pk, step=step, seq=1)
    again = c.post(f"/admin/activities/session/{session.pk}/checkin/", {"code": code2, "key": "k2"})
    assert again.status_code == 409
    assert CheckIn.objects.filter(session=session).count() == 1
    # the JSON count for other screens
    assert c.get(f"/api/v1/activities/sessions/{session.pk}/counts").json()["checked_in"] == 1


def test_poster_reverse_scan_checks_in(union, member, organiser):
    session = _soon_session(union)
    services.registration_create(member=member, session=session)
    terminal = services.session_terminal(actor=organiser, session=session, kind="spot_poster")
    token = codes.poster_token(terminal)
    c = api_client(member)
    r = c.post(
        "/api/v1/codes/reverse-scan",
        data=json.dumps({"token": token}),
        content_type="application/json",
        HTTP_X_CSRFTOKEN="a" * 32,
        HTTP_IDEMPOTENCY_KEY="p-1",
    )
    assert r.status_code == 200, r.json()
    assert r.json()["result"]["checked_in"] is True
    assert CheckIn.objects.get(session=session).via == "poster"


def test_console_scope_and_xlsx(root, union, member, organiser):
    session = _soon_session(union)
    services.registration_create(member=member, session=session)
    outsider = make_staff(org_child(root), Role.ORGANISER)
    oc = staff_client(outsider)
    assert oc.get(f"/admin/activities/session/{session.pk}/checkin/").status_code == 404
    assert oc.get(f"/admin/activities/session/{session.pk}/attendees.xlsx").status_code == 404
    assert oc.get(f"/api/v1/activities/sessions/{session.pk}/counts").status_code == 404
    c = staff_client(organiser)
    for url in (
        "/admin/activities/activity/",
        "/admin/activities/session/",
        "/admin/activities/registration/",
        f"/admin/activities/activity/{session.activity_id}/change/",
    ):
        assert c.get(url).status_code == 200, url
    r = c.get(f"/admin/activities/session/{session.pk}/attendees.xlsx")
    assert r.status_code == 200
    from openpyxl import load_workbook

    ws = load_workbook(io.BytesIO(r.content)).active
    rows = list(ws.iter_rows(values_only=True))
    assert len(rows) == 2 and rows[1][1] == member.member_no
    assert AuditEntry.objects.filter(action="activities.attendees.export").count() == 1


def test_console_create_session_sets_places(union, organiser):
    activity = make_activity(union)
    c = staff_client(organiser)
    start = timeutil.to_local(timeutil.now() + dt.timedelta(days=3))
    r = c.post(
        "/admin/activities/session/add/",
        {
            "activity": activity.pk,
            "starts_at_0": start.strftime("%Y-%m-%d"),
            "starts_at_1": "09:00:00",
            "ends_at_0": start.strftime("%Y-%m-%d"),
            "ends_at_1": "11:00:00",
            "place": "职工之家",
            "capacity": "30",
            "waitlist_enabled": "on",
        },
    )
    assert r.status_code == 302, r.content.decode()[-2000:]
    session = activity.sessions.get()
    assert session.capacity == session.places_left == 30


def test_console_review_actions(union, organiser, member):
    activity = make_activity(union, kind=Kind.SCREENING, allocation=Allocation.REVIEW)
    session = make_session(activity, capacity=3)
    reg = services.registration_create(member=member, session=session)
    c = staff_client(organiser)
    r = c.post(
        "/admin/activities/registration/",
        {"action": "approve", "_selected_action": [reg.pk]},
    )
    assert r.status_code == 302
    reg.refresh_from_db()
    assert reg.status == S.APPROVED
    assert AuditEntry.objects.filter(action="activities.application.approve").exists()
