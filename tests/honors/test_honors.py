"""Honours: honorees, volunteer teams and services, hours per volunteer/team/year, enterprises
and workers helped, service events for member volunteers, console scope and audit."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.test import Client

from gonghui.core.errors import Refused
from gonghui.core.models import AuditEntry
from gonghui.honors import selectors, services
from gonghui.honors.models import VolunteerParticipation, VolunteerService
from gonghui.members.models import ServiceEvent
from gonghui.orgs.models import Role
from tests.factories import EnterpriseFactory, make_member, make_staff, org_child, org_root

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast_hasher(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def world():
    root = org_root()
    a = org_child(root)
    b = org_child(root)
    admin = make_staff(root, Role.FEDERATION_ADMIN)
    m1 = make_member(a, name="劳模甲")
    m2 = make_member(a, name="志愿者乙")
    h1 = services.honoree_create(
        actor=admin,
        org=a,
        member=m1,
        name="",
        level="provincial",
        title="model_worker",
        year=2020,
        field="机械",
    )
    h2 = services.honoree_create(
        actor=admin,
        org=a,
        name="工匠丙",
        level="city",
        title="craftsman",
        year=2022,
        field="阀门",
    )
    team = services.team_create(actor=admin, org=a, name="劳模工匠志愿服务队", leader=h1)
    ents = [EnterpriseFactory(union=a) for _ in range(3)]
    return {
        "root": root,
        "a": a,
        "b": b,
        "admin": admin,
        "m1": m1,
        "m2": m2,
        "h1": h1,
        "h2": h2,
        "team": team,
        "ents": ents,
    }


def test_hours_enterprises_workers_and_events(world):
    w = world
    s1 = services.volunteer_service_record(
        actor=w["admin"],
        team=w["team"],
        title="助企行·车间诊断",
        date=dt.date(2025, 3, 5),
        kind="enterprise_help",
        hours="3.5",
        enterprises=w["ents"][:2],
        workers_helped=120,
        volunteers=[w["h1"], w["h2"]],
    )
    s2 = services.volunteer_service_record(
        actor=w["admin"],
        team=w["team"],
        title="劳模助教",
        date=dt.date(2025, 6, 1),
        kind="teaching",
        hours=2,
        enterprises=w["ents"][1:],
        workers_helped=80,
        volunteers=[w["h1"], w["m2"]],
    )
    services.volunteer_service_record(
        actor=w["admin"],
        team=w["team"],
        title="科技共富",
        date=dt.date(2024, 11, 1),
        kind="tech_prosperity",
        hours=4,
        workers_helped=10,
        volunteers=[w["h1"]],
    )
    # h1 is a member: the participation carries the member, and each one is a service event
    p = VolunteerParticipation.objects.get(service=s1, honoree=w["h1"])
    assert p.member_id == w["m1"].pk and p.hours == Decimal("3.5")
    assert ServiceEvent.objects.filter(member=w["m1"], kind="honors.volunteer_service").count() == 3
    assert ServiceEvent.objects.filter(member=w["m2"], kind="honors.volunteer_service").count() == 1
    assert ServiceEvent.objects.filter(kind="honors.volunteer_service").count() == 4  # h2: none

    by_volunteer = selectors.hours_by_volunteer(w["root"], 2025)
    assert [(r["name"], r["hours"], r["services"]) for r in by_volunteer] == [
        ("劳模甲", Decimal("5.5"), 2),
        ("工匠丙", Decimal("3.5"), 1),
        ("志愿者乙", Decimal("2.0"), 1),
    ]
    assert selectors.hours_by_volunteer(w["root"])[0]["hours"] == Decimal("9.5")
    (team_row,) = selectors.hours_by_team(w["root"], 2025)
    assert (team_row["hours"], team_row["services"], team_row["volunteer_times"]) == (
        Decimal("11.0"),
        2,
        4,
    )
    assert selectors.hours_by_year(w["root"]) == {2024: Decimal("4.0"), 2025: Decimal("11.0")}
    assert selectors.summary(w["root"], 2025) == {
        "services": 2,
        "enterprises_helped": 3,  # distinct: the middle one was helped twice
        "workers_helped": 200,
        "volunteer_times": 4,
        "hours": Decimal("11.0"),
    }
    assert selectors.summary(w["b"])["services"] == 0  # another union's subtree
    assert selectors.honorees_by_level(w["root"]) == {"provincial": 1, "city": 1}
    assert AuditEntry.objects.filter(action="honors.volunteer_service.create").count() == 3
    assert s2.participations.count() == 2


def test_refusals_change_nothing(world):
    w = world
    for kwargs, code in (
        ({"hours": 0}, "hours"),
        ({"hours": 25}, "hours"),
        ({"hours": "x"}, "hours"),
        ({"kind": "party"}, "kind"),
        ({"workers_helped": -1}, "workers"),
    ):
        base = {
            "actor": w["admin"],
            "team": w["team"],
            "title": "t",
            "date": dt.date(2025, 1, 1),
            "kind": "teaching",
            "hours": 2,
            "volunteers": [w["h1"]],
        }
        base.update(kwargs)
        with pytest.raises(Refused) as exc:
            services.volunteer_service_record(**base)
        assert exc.value.code == code
    assert not VolunteerService.objects.exists() and not ServiceEvent.objects.exists()
    s = services.volunteer_service_record(
        actor=None,
        team=w["team"],
        title="t",
        date=dt.date(2025, 1, 1),
        kind="teaching",
        hours=2,
        volunteers=[w["h1"]],
    )
    with pytest.raises(Refused) as exc:  # the honoree's member is already listed
        services.participation_add(actor=None, service=s, member=w["m1"])
    assert exc.value.code == "already_listed"
    with pytest.raises(Refused):
        services.honoree_create(
            actor=None, org=w["a"], name="x", level="galactic", title="craftsman", year=2020
        )


def test_console_is_scoped_and_records_events(world):
    w = world
    other_admin = make_staff(w["b"], Role.UNION_ADMIN)
    own_admin = make_staff(w["a"], Role.UNION_ADMIN)
    c = Client()
    c.force_login(other_admin)
    assert c.get(f"/admin/honors/honoree/{w['h1'].pk}/change/").status_code == 404
    assert "劳模甲" not in c.get("/admin/honors/honoree/").content.decode()
    c.force_login(own_admin)
    assert c.get(f"/admin/honors/honoree/{w['h1'].pk}/change/").status_code == 200
    form = {
        "team": w["team"].pk,
        "title": "助企行",
        "date": "2025-04-01",
        "place": "",
        "kind": "enterprise_help",
        "hours": "2.5",
        "workers_helped": "30",
        "note": "",
        "enterprises_helped": [w["ents"][0].pk],
        "participations-TOTAL_FORMS": "1",
        "participations-INITIAL_FORMS": "0",
        "participations-MIN_NUM_FORMS": "0",
        "participations-MAX_NUM_FORMS": "1000",
        "participations-0-honoree": w["h1"].pk,
        "participations-0-member": "",
        "participations-0-hours": "2.5",
    }
    r = c.post("/admin/honors/volunteerservice/add/", form)
    assert r.status_code == 302, r.content.decode()[:3000]
    service = VolunteerService.objects.get(title="助企行")
    p = service.participations.get()
    assert p.member_id == w["m1"].pk
    assert ServiceEvent.objects.filter(kind="honors.volunteer_service", member=w["m1"]).count() == 1
    assert AuditEntry.objects.filter(action="honors.volunteerservice.create").exists()
    c.force_login(other_admin)
    assert c.get(f"/admin/honors/volunteerservice/{service.pk}/change/").status_code == 404
