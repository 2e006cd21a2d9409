"""The activities (and venues) figures, with one figure per programme kind (issue #13 item 4)."""

from __future__ import annotations

import datetime as dt

import pytest

from gonghui.activities.models import CheckIn, Kind, Registration, Session
from gonghui.venues.models import Booking, Entry
from tests.activities.factories import make_activity
from tests.factories import make_member, next_n
from tests.figures.helpers import AFTER, BEFORE, FIRST, IN, assert_figures, make_tree, value
from tests.venues.factories import make_venue

pytestmark = pytest.mark.django_db
S = Registration.Status


def _session(org, kind: str, at: dt.datetime) -> Session:
    activity = make_activity(org, kind=kind)
    return Session.objects.create(
        activity=activity,
        starts_at=at,
        ends_at=at + dt.timedelta(hours=2),
        place="职工之家",
        capacity=10,
        places_left=10,
    )


def _register(session: Session, status: str, subsidy_fen: int = 0, *, checkin: bool = False):
    member = make_member(session.activity.org)
    reg = Registration.objects.create(
        session=session, member=member, status=status, subsidy_fen=subsidy_fen, created_at=BEFORE
    )
    if checkin:
        CheckIn.objects.create(
            registration=reg, session=session, member=member, via="staff", at=session.starts_at
        )
    return reg


def test_activities_figures_by_union_and_district():
    tree = make_tree()
    rest = _session(tree.a, Kind.RECUPERATION, IN)
    _register(rest, S.CONFIRMED, 3_000)
    _register(rest, S.ATTENDED, 3_000, checkin=True)
    _register(rest, S.NO_SHOW, 3_000)
    _register(rest, S.CANCELLED, 3_000)
    _register(rest, S.WAITLISTED)
    lecture = _session(tree.a, Kind.LECTURE, FIRST)
    _register(lecture, S.APPROVED, checkin=True)
    _register(_session(tree.a, Kind.LECTURE, BEFORE), S.CONFIRMED, 100)
    _register(_session(tree.a, Kind.LECTURE, AFTER), S.CONFIRMED, 100)
    screening = _session(tree.b, Kind.SCREENING, IN)
    _register(screening, S.WON, 5_000)
    _register(screening, S.LOST)
    _register(_session(tree.other, Kind.SCREENING, IN), S.WON, 5_000, checkin=True)

    assert_figures(
        tree,
        {
            "activities.sessions": (2, 1),
            "activities.places": (4, 1),
            "activities.checkins": (2, 0),
            "activities.subsidy": (9_000, 5_000),
            f"activities.places.{Kind.RECUPERATION}": (3, 0),
            f"activities.places.{Kind.LECTURE}": (1, 0),
            f"activities.places.{Kind.SCREENING}": (0, 1),
            f"activities.places.{Kind.CAREER_CLASS}": (0, 0),
        },
    )
    # one figure per programme kind, and they add up to the places
    kinds = sum(value(f"activities.places.{k}", tree.district) for k in Kind.values)
    assert kinds == value("activities.places", tree.district)


def test_venue_figures_by_union_and_district():
    tree = make_tree()
    for org, at, status in [
        (tree.a, IN, Booking.Status.ACTIVE),
        (tree.a, IN, Booking.Status.ATTENDED),
        (tree.a, IN, Booking.Status.CANCELLED),
        (tree.a, AFTER, Booking.Status.ACTIVE),
        (tree.b, FIRST, Booking.Status.NO_SHOW),
        (tree.other, IN, Booking.Status.ACTIVE),
    ]:
        venue = make_venue(org, name=f"职工之家{next_n()}")
        booking = Booking.objects.create(
            venue=venue,
            starts_at=at,
            ends_at=at + dt.timedelta(hours=1),
            mode="exclusive",
            booker_org=org,
            status=status,
        )
        if status == Booking.Status.ATTENDED:
            Entry.objects.create(
                booking=booking, venue=venue, member=make_member(org), entered_at=at
            )
    assert_figures(tree, {"venues.bookings": (2, 1), "venues.entries": (1, 0)})
