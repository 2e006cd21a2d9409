"""The honours demo: a past volunteer service ran as an activity (hours from check-ins), the
next one runs as the demo's upcoming volunteer activity; a second run adds nothing."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from django.core.management import call_command

from gonghui.activities.models import CheckIn
from gonghui.demo.steps import honors as honors_step
from gonghui.honors import selectors
from gonghui.honors.models import VolunteerService
from gonghui.members.models import ServiceEvent

pytestmark = pytest.mark.django_db


def test_demo_has_a_service_run_as_an_activity_with_checkins():
    call_command("demo", stdout=io.StringIO())
    ran = VolunteerService.objects.get(title="劳模工匠助企行·眼镜产业链")
    assert ran.activity_source == "activities.activity"
    checkins = CheckIn.objects.filter(session__activity_id=ran.activity_ref)
    assert checkins.count() == 3
    parts = list(ran.participations.all())
    assert sorted(p.member_id for p in parts) == sorted(c.member_id for c in checkins)
    assert {(p.via, p.hours) for p in parts} == {("checkin", Decimal("4.0"))}
    assert (
        ServiceEvent.objects.filter(
            kind="honors.volunteer_service", source_id__in=[str(p.pk) for p in parts]
        ).count()
        == 3
    )
    upcoming = VolunteerService.objects.get(title="职工志愿服务·环城护河")
    thing = selectors.service_activity(upcoming)
    assert thing is not None and thing.title == "职工志愿服务·环城护河"
    assert not upcoming.participations.exists()
    # a member honoree of the city team sees it on their page
    member = parts[0].member
    assert upcoming.pk in [r["service"].pk for r in selectors.upcoming_for_member(member)]
    assert honors_step.load() == 0
