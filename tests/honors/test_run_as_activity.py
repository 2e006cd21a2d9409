"""Volunteer services run as activities (members.attendance): volunteers and hours from real
check-ins, one ServiceEvent per volunteer per service, linking in the console (scoped, audited),
the member's page; and the manual path still working beside it."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.test import Client

from gonghui.activities import services as activities
from gonghui.activities.models import Activity, CheckIn, Kind, Session
from gonghui.codes import protocol
from gonghui.codes import services as codes
from gonghui.core import timeutil
from gonghui.core.errors import NotFound, Refused
from gonghui.core.models import AuditEntry
from gonghui.honors import selectors, services
from gonghui.honors.models import VolunteerParticipation, VolunteerService
from gonghui.members.models import ServiceEvent
from gonghui.members.session import SESSION_MEMBER_KEY
from gonghui.orgs.models import Role
from tests.activities.factories import make_activity, make_session
from tests.factories import EnterpriseFactory, make_member, make_staff, org_child, org_root

pytestmark = pytest.mark.django_db

EVENT = "honors.volunteer_service"


@pytest.fixture(autouse=True)
def _fast_hasher(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def w():
    root = org_root()
    a = org_child(root)
    b = org_child(root)
    union_admin_a = make_staff(a, Role.UNION_ADMIN)  # honors.manage and activities.manage at a
    union_admin_b = make_staff(b, Role.UNION_ADMIN)
    m1 = make_member(a, name="劳模甲")
    m2 = make_member(a, name="志愿者乙")
    m3 = make_member(a, name="报名未到丙")
    outsider = make_member(b, name="别处丁")
    h1 = services.honoree_create(
        actor=None,
        org=a,
        member=m1,
        name="",
        level="provincial",
        title="model_worker",
        year=2020,
    )
    team = services.team_create(actor=None, org=a, name="劳模工匠志愿服务队", leader=h1)
    return {
        "root": root,
        "a": a,
        "b": b,
        "admin_a": union_admin_a,
        "admin_b": union_admin_b,
        "m1": m1,
        "m2": m2,
        "m3": m3,
        "outsider": outsider,
        "h1": h1,
        "team": team,
        "ent": EnterpriseFactory(union=a),
    }


def _service(w, title="助企行·车间诊断", hours="2.5", volunteers=()):
    return services.volunteer_service_record(
        actor=w["admin_a"],
        team=w["team"],
        title=title,
        date=dt.date(2025, 1, 1),
        kind="enterprise_help",
        hours=hours,
        enterprises=[w["ent"]],
        workers_helped=40,
        volunteers=list(volunteers),
    )


def _check_in(session: Session, member, minutes_after_start: int = 5) -> CheckIn:
    return activities.checkin_record(
        session=session,
        member=member,
        via="terminal",
        now=session.starts_at + dt.timedelta(minutes=minutes_after_start),
    )


def _events(member, service=None) -> int:
    qs = ServiceEvent.objects.filter(kind=EVENT, member=member)
    if service is not None:
        ids = [str(p) for p in service.participations.values_list("pk", flat=True)]
        qs = qs.filter(source_id__in=ids)
    return qs.count()


def test_hours_come_from_checkins_exactly(w):
    service = _service(w)
    starts = timeutil.now() + dt.timedelta(days=3)
    thing = services.volunteer_service_activity_create(
        actor=w["admin_a"], service=service, starts_at=starts, place="恒达阀门车间", capacity=10
    )
    service.refresh_from_db()
    activity = Activity.objects.get(pk=thing.id)
    assert (service.activity_source, service.activity_ref) == ("activities.activity", activity.pk)
    assert activity.kind == Kind.VOLUNTEER and activity.org == w["a"] and activity.is_published
    assert service.date == timeutil.to_local(starts).date()  # the service's date follows it
    first = activity.sessions.get()
    assert first.ends_at - first.starts_at == dt.timedelta(hours=2.5)  # the service's hours
    # a second session of 1 h 40 min (1.7 h)
    second = activities.session_create(
        actor=w["admin_a"],
        activity=activity,
        starts_at=starts + dt.timedelta(days=1),
        ends_at=starts + dt.timedelta(days=1, minutes=100),
        place="恒达阀门车间",
        capacity=10,
    )
    for m in (w["m1"], w["m2"], w["m3"]):
        activities.registration_create(member=m, session=first)
    activities.registration_create(member=w["m1"], session=second)
    _check_in(first, w["m1"])
    _check_in(first, w["m2"])
    _check_in(second, w["m1"])  # m3 registered but never came

    parts = {p.member_id: p for p in service.participations.all()}
    assert set(parts) == {w["m1"].pk, w["m2"].pk}
    assert parts[w["m1"].pk].hours == Decimal("4.2")  # 2.5 + 1.7
    assert parts[w["m2"].pk].hours == Decimal("2.5")
    assert parts[w["m1"].pk].honoree_id == w["h1"].pk  # the member is a model worker
    assert {p.via for p in parts.values()} == {"checkin"}
    assert parts[w["m1"].pk].first_checkin_at == first.starts_at + dt.timedelta(minutes=5)
    # one ServiceEvent per volunteer per service, though m1 checked in twice
    assert (_events(w["m1"]), _events(w["m2"]), _events(w["m3"])) == (1, 1, 0)

    year = service.date.year
    assert [
        (r["name"], r["hours"], r["services"])
        for r in selectors.hours_by_volunteer(w["root"], year)
    ] == [
        ("劳模甲", Decimal("4.2"), 1),
        ("志愿者乙", Decimal("2.5"), 1),
    ]
    (team_row,) = selectors.hours_by_team(w["root"], year)
    assert (team_row["hours"], team_row["services"], team_row["volunteer_times"]) == (
        Decimal("6.7"),
        1,
        2,
    )
    assert selectors.summary(w["root"], year)["services"] == 0  # not held yet
    assert selectors.summary(w["root"], year, today=service.date) == {
        "services": 1,
        "enterprises_helped": 1,
        "workers_helped": 40,
        "volunteer_times": 2,
        "hours": Decimal("6.7"),
    }
    assert selectors.member_hours(w["m1"])["hours"] == Decimal("4.2")
    assert AuditEntry.objects.filter(action="honors.volunteer_service.activity_create").count() == 1
    assert AuditEntry.objects.filter(action="activities.activity.create").count() == 1


def test_no_double_counting(w):
    service = _service(w)
    activity = make_activity(w["a"], kind=Kind.VOLUNTEER)
    session = make_session(activity, starts_at=timeutil.now() + dt.timedelta(days=2))
    activities.registration_create(member=w["m2"], session=session)
    services.volunteer_service_activity_link(
        actor=w["admin_a"], service=service, activity_id=activity.pk
    )
    _check_in(session, w["m2"])
    with pytest.raises(Refused) as exc:  # the activity refuses a second check-in
        _check_in(session, w["m2"], minutes_after_start=30)
    assert exc.value.code == "already_checked_in"
    # recounting (console action, or a replayed notification) changes nothing
    for _ in range(2):
        assert services.service_attendance_sync(service=service) == 1
        services.attendance_listener(
            source="activities.activity",
            id=activity.pk,
            member=w["m2"],
            sitting_id=session.pk,
            at=timeutil.now(),
        )
    (p,) = service.participations.all()
    assert (p.member_id, p.hours) == (w["m2"].pk, Decimal("2.0"))
    assert _events(w["m2"]) == 1
    # nobody is typed into a service run as an activity
    with pytest.raises(Refused) as exc:
        services.participation_add(actor=None, service=service, member=w["m3"])
    assert exc.value.code == "runs_as_activity"
    # the activity is the activity of one service only
    other = _service(w, title="另一次服务")
    with pytest.raises(Refused) as exc:
        services.volunteer_service_activity_link(
            actor=w["admin_a"], service=other, activity_id=activity.pk
        )
    assert exc.value.code == "activity_taken"
    assert not other.participations.exists() and _events(w["m2"]) == 1


def test_link_counts_checkins_made_before_and_refusals(w):
    activity = make_activity(w["a"], kind=Kind.VOLUNTEER)
    session = make_session(
        activity,
        starts_at=timeutil.now() + dt.timedelta(days=2),
        ends_at=timeutil.now() + dt.timedelta(days=2, hours=3),
    )
    activities.registration_create(member=w["m2"], session=session)
    _check_in(session, w["m2"])  # before the service is linked
    service = _service(w)
    assert not service.participations.exists()
    services.volunteer_service_activity_link(
        actor=w["admin_a"], service=service, activity_id=activity.pk
    )
    assert service.participations.get().hours == Decimal("3.0")
    assert _events(w["m2"]) == 1
    _check_in(session, w["m1"])  # a walk-in after the link: counted by the listener
    assert service.participations.get(member=w["m1"]).hours == Decimal("3.0")
    assert AuditEntry.objects.filter(action="honors.volunteer_service.activity_link").count() == 1

    lecture = make_activity(w["a"], kind=Kind.LECTURE)
    with pytest.raises(Refused) as exc:
        services.volunteer_service_activity_link(
            actor=w["admin_a"], service=_service(w, title="x"), activity_id=lecture.pk
        )
    assert exc.value.code == "not_volunteer"
    recorded = _service(w, title="事后登记", volunteers=[w["m3"]])
    with pytest.raises(Refused) as exc:
        services.volunteer_service_activity_link(
            actor=w["admin_a"],
            service=recorded,
            activity_id=make_activity(w["a"], kind=Kind.VOLUNTEER).pk,
        )
    assert exc.value.code == "has_volunteers"
    with pytest.raises(NotFound):  # no such activity
        services.volunteer_service_activity_link(
            actor=w["admin_a"], service=_service(w, title="y"), activity_id=999_999
        )


def test_manual_path_still_works_beside_checkins(w):
    manual = _service(w, title="事后登记的服务", hours="3", volunteers=[w["h1"], w["m2"]])
    assert manual.activity_ref is None
    assert {(p.member_id, p.hours, p.via) for p in manual.participations.all()} == {
        (w["m1"].pk, Decimal("3.0"), "manual"),
        (w["m2"].pk, Decimal("3.0"), "manual"),
    }
    services.participation_add(actor=w["admin_a"], service=manual, member=w["m3"], hours="1.5")
    assert manual.participations.get(member=w["m3"]).hours == Decimal("1.5")
    # m2 also serves at a service run as an activity: one event per service, hours add up
    linked = _service(w, title="报名签到的服务")
    activity = make_activity(w["a"], kind=Kind.VOLUNTEER)
    session = make_session(activity, starts_at=timeutil.now() + dt.timedelta(days=2))
    services.volunteer_service_activity_link(
        actor=w["admin_a"], service=linked, activity_id=activity.pk
    )
    _check_in(session, w["m2"])
    assert (_events(w["m2"], manual), _events(w["m2"], linked), _events(w["m2"])) == (1, 1, 2)
    assert selectors.member_hours(w["m2"])["hours"] == Decimal("5.0")  # 3 typed + 2 checked in
    # the console still accepts typed volunteers for a service without an activity
    assert VolunteerParticipation.objects.filter(service=manual).count() == 3


def _staff(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def test_console_links_in_scope_only(w):
    service = _service(w)
    own = make_activity(w["a"], kind=Kind.VOLUNTEER, title="本会志愿活动")
    make_session(own, starts_at=timeutil.now() + dt.timedelta(days=2))
    foreign = make_activity(w["b"], kind=Kind.VOLUNTEER, title="别会志愿活动")
    link_url = f"/admin/honors/volunteerservice/{service.pk}/activity/link/"
    create_url = f"/admin/honors/volunteerservice/{service.pk}/activity/create/"

    # staff of another org: the service is out of scope, 404 on both pages, GET and POST
    other = _staff(w["admin_b"])
    assert other.get(link_url).status_code == 404
    assert other.post(link_url, {"activity": foreign.pk}).status_code == 404
    assert other.post(create_url, {}).status_code == 404
    # an auditor sees the service but may not change it
    auditor = _staff(make_staff(w["a"], Role.AUDITOR))
    assert auditor.get(f"/admin/honors/volunteerservice/{service.pk}/change/").status_code == 200
    assert auditor.get(link_url).status_code == 404

    c = _staff(w["admin_a"])
    page = c.get(link_url)
    assert page.status_code == 200
    assert "本会志愿活动" in page.content.decode() and "别会志愿活动" not in page.content.decode()
    # an activity of another org posted anyway: 404, nothing linked, nothing audited
    assert c.post(link_url, {"activity": foreign.pk}).status_code == 404
    service.refresh_from_db()
    assert service.activity_ref is None
    assert not AuditEntry.objects.filter(action="honors.volunteer_service.activity_link").exists()

    r = c.post(link_url, {"activity": own.pk})
    assert r.status_code == 302
    service.refresh_from_db()
    assert service.activity_ref == own.pk
    entry = AuditEntry.objects.get(action="honors.volunteer_service.activity_link")
    assert entry.actor_id == w["admin_a"].pk
    change = c.get(f"/admin/honors/volunteerservice/{service.pk}/change/").content.decode()
    assert 'data-testid="linked-activity"' in change and "本会志愿活动" in change

    # create a new activity from another service
    second = _service(w, title="劳模助教")
    starts = timeutil.to_local(timeutil.now() + dt.timedelta(days=5)).replace(
        second=0, microsecond=0
    )
    r = c.post(
        f"/admin/honors/volunteerservice/{second.pk}/activity/create/",
        {"starts_at": starts.strftime("%Y-%m-%dT%H:%M"), "place": "工匠学院", "capacity": "20"},
    )
    assert r.status_code == 302, r.content.decode()[-2000:]
    second.refresh_from_db()
    activity = Activity.objects.get(pk=second.activity_ref)
    session = activity.sessions.get()
    assert (activity.title, activity.org, session.capacity, session.place) == (
        "劳模助教",
        w["a"],
        20,
        "工匠学院",
    )
    assert session.starts_at == starts
    assert AuditEntry.objects.filter(
        action="honors.volunteer_service.activity_create", actor_id=w["admin_a"].pk
    ).exists()
    # the created one cannot be created twice
    again = c.post(
        f"/admin/honors/volunteerservice/{second.pk}/activity/create/",
        {"starts_at": starts.strftime("%Y-%m-%dT%H:%M"), "place": "工匠学院", "capacity": "20"},
    )
    assert again.status_code == 200 and 'data-testid="form-errors"' in again.content.decode()
    assert Activity.objects.filter(title="劳模助教").count() == 1


def test_service_refuses_out_of_scope_actor(w):
    service = _service(w)
    foreign = make_activity(w["b"], kind=Kind.VOLUNTEER)
    with pytest.raises(NotFound):  # the service is not the actor's
        services.volunteer_service_activity_link(
            actor=w["admin_b"], service=service, activity_id=foreign.pk
        )
    own = make_activity(w["a"], kind=Kind.VOLUNTEER)
    with pytest.raises(NotFound):
        services.volunteer_service_activity_create(
            actor=w["admin_b"],
            service=service,
            starts_at=timeutil.now() + dt.timedelta(days=1),
            place="x",
            capacity=5,
        )
    with pytest.raises(NotFound):  # the activity is not the actor's
        services.volunteer_service_activity_link(
            actor=w["admin_a"], service=service, activity_id=foreign.pk
        )
    service.refresh_from_db()
    assert service.activity_ref is None and own.pk


def _member_client(member) -> Client:
    c = Client()
    s = c.session
    s[SESSION_MEMBER_KEY] = member.pk
    s.save()
    return c


def test_member_page_shows_upcoming_services_and_hours(w):
    past = _service(w, title="上月的助企行", hours="3", volunteers=[w["h1"]])
    upcoming = _service(w, title="下周的劳模助教")
    thing = services.volunteer_service_activity_create(
        actor=w["admin_a"],
        service=upcoming,
        starts_at=timeutil.now() + dt.timedelta(days=7),
        place="工匠学院",
        capacity=10,
    )
    page = _member_client(w["m1"]).get("/m/volunteer/")
    assert page.status_code == 200
    html = page.content.decode()
    assert f'data-testid="upcoming-{upcoming.pk}"' in html
    assert f'href="/m/activities/{thing.id}/"' in html  # registration on the activities page
    assert 'data-testid="hours-total">3.0<' in html
    assert f'data-testid="served-{past.pk}"' in html
    # a service planned ahead is not yet held
    assert selectors.summary(w["root"])["services"] == 1
    # the member registers there (the activity is open to the union's members)
    r = _member_client(w["m1"]).get(f"/m/activities/{thing.id}/")
    assert r.status_code == 200
    # a member of another union, who volunteers with no team, sees none of it
    other = _member_client(w["outsider"]).get("/m/volunteer/").content.decode()
    assert 'data-testid="no-upcoming"' in other and 'data-testid="hours-total">0<' in other
    assert _member_client(w["m1"]).get("/m/volunteer/").status_code == 200
    assert Client().get("/m/volunteer/").status_code == 302  # signed-in members only


def _code(member):
    credential, seed = codes.credential_issue(member=member)
    step = protocol.time_step(timeutil.now().timestamp())
    return protocol.encode(seed=seed, credential_id=credential.pk, step=step, seq=0)


def test_gate_checkin_by_code_counts_hours(w):
    """End to end: the member's code at the session's gate → activities' check-in → hours."""
    service = _service(w, hours="1.5")
    thing = services.volunteer_service_activity_create(
        actor=w["admin_a"],
        service=service,
        starts_at=timeutil.now() + dt.timedelta(minutes=30),
        place="恒达阀门车间",
        capacity=5,
    )
    session = Session.objects.get(activity_id=thing.id)
    activities.registration_create(member=w["m2"], session=session)
    c = _staff(w["admin_a"])
    r = c.post(
        f"/admin/activities/session/{session.pk}/checkin/",
        {"code": _code(w["m2"]), "key": "gate-1"},
    )
    assert r.status_code == 200, r.content.decode()[-800:]
    assert CheckIn.objects.filter(session=session, member=w["m2"]).count() == 1
    p = VolunteerService.objects.get(pk=service.pk).participations.get()
    assert (p.member_id, p.hours, p.via) == (w["m2"].pk, Decimal("1.5"), "checkin")
    assert _events(w["m2"]) == 1


def test_member_page_offers_register_only_before_joining(w):
    """Issue #12 item 6: the volunteer page offered 「报名」 for an activity already joined."""
    upcoming = _service(w, title="下周的环城护河")
    thing = services.volunteer_service_activity_create(
        actor=w["admin_a"],
        service=upcoming,
        starts_at=timeutil.now() + dt.timedelta(days=7),
        place="环城河",
        capacity=10,
    )
    activity = Activity.objects.get(pk=thing.id)
    Activity.objects.filter(pk=activity.pk).update(
        registration_opens=timeutil.now() - dt.timedelta(days=1)
    )
    before = _member_client(w["m1"]).get("/m/volunteer/").content.decode()
    card = before[before.index(f'data-testid="upcoming-{upcoming.pk}"') :]
    assert (
        ">报名<" in card[: card.index("</section>")]
        or ">Register<" in card[: card.index("</section>")]
    )
    activities.registration_create(member=w["m1"], session=activity.sessions.get())
    after = _member_client(w["m1"]).get("/m/volunteer/").content.decode()
    card = after[after.index(f'data-testid="upcoming-{upcoming.pk}"') :]
    card = card[: card.index("</section>")]
    assert f'data-testid="joined-{upcoming.pk}"' in card
    assert ">报名<" not in card and ">Register<" not in card
