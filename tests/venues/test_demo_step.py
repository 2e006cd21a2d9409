"""The venues demo step: five venues with hours, templates, slots for 14 days, gate terminals and
a weekly union booking; a second run adds nothing."""

from __future__ import annotations

import pytest
from django.db import transaction

from gonghui.codes.models import Terminal
from gonghui.demo import services as demo
from gonghui.demo.steps import venues as step
from gonghui.venues.models import Booking, Mode, Slot, Venue

pytestmark = pytest.mark.django_db


def test_venues_demo_step_is_complete_and_idempotent():
    orgs, _n = demo._orgs()
    demo._staff(orgs)
    with transaction.atomic():
        created = step.load()
    assert created > 0
    assert sorted(Venue.objects.values_list("kind", flat=True)) == sorted(
        ["workers_home", "gym", "library", "meeting_room", "meeting_room"]
    )
    assert Terminal.objects.filter(context_type="venues.venue").count() == 5
    for venue in Venue.objects.all():
        assert venue.slots.exists(), venue
        days = {s.starts_at.date() for s in venue.slots.all()}
        assert 10 <= len(days) <= 15, (venue, len(days))
    for venue in Venue.objects.all():  # real-looking coordinates in Yuhuan (玉环市)
        assert 28.0 < venue.latitude < 28.35 and 121.1 < venue.longitude < 121.4, venue
    assert not Slot.objects.filter(mode=Mode.EXCLUSIVE).exclude(capacity=1).exists()
    assert Booking.objects.filter(recurrence_group__isnull=False).count() == 4
    slots, bookings = Slot.objects.count(), Booking.objects.count()
    with transaction.atomic():
        assert step.load() == 0
    assert (Slot.objects.count(), Booking.objects.count()) == (slots, bookings)
