"""The activities demo step: every kind, sessions, a committed lottery; a second run adds nothing."""

from __future__ import annotations

import pytest
from django.db import transaction

from gonghui.activities.models import Activity, Draw, Kind, Session
from gonghui.demo import services as demo
from gonghui.demo.steps import activities as step

pytestmark = pytest.mark.django_db


def test_activities_demo_step_is_complete_and_idempotent():
    orgs, _n = demo._orgs()
    demo._staff(orgs)
    with transaction.atomic():
        created = step.load()
    assert created > 0
    assert set(Activity.objects.values_list("kind", flat=True)) == set(Kind.values)
    assert Session.objects.count() == 10
    assert all(s.places_left == s.capacity for s in Session.objects.all())
    assert Draw.objects.count() == 1 and Draw.objects.get().seed == ""
    counts = (Activity.objects.count(), Session.objects.count(), Draw.objects.count())
    with transaction.atomic():
        assert step.load() == 0
    assert (Activity.objects.count(), Session.objects.count(), Draw.objects.count()) == counts
