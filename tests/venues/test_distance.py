"""Real distance on the member's venue list (issue 12, item 6): no venue claims to be near without
a position; with ?lat=&lng= the list is nearest first with 「850 米」/「1.2 公里」; bad positions are
ignored with a message, never a 500. Coordinates: both or neither, in range (CHECK), editable in
the console."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.test import Client

from gonghui.venues.models import Venue
from tests.venues.test_api_pages import member_client, staff_client

from .factories import make_venue

pytestmark = pytest.mark.django_db

HERE = ("28.13520", "121.23380")  # Yuhuan, Yucheng


@pytest.fixture
def venues(federation):
    library = make_venue(
        federation,
        name="玉环市职工书屋",
        kind=Venue.Kind.LIBRARY,
        latitude=Decimal("28.135480"),
        longitude=Decimal("121.233760"),
    )
    chumen = make_venue(
        federation,
        name="楚门镇职工之家",
        kind=Venue.Kind.WORKERS_HOME,
        latitude=Decimal("28.193610"),
        longitude=Decimal("121.258790"),
    )
    gym = make_venue(
        federation,
        name="东港职工健身房",
        latitude=Decimal("28.144000"),
        longitude=Decimal("121.243000"),
    )
    unknown = make_venue(federation, name="坐标未知的会议室", kind=Venue.Kind.MEETING_ROOM)
    return library, chumen, gym, unknown


def zh(member) -> Client:
    c = member_client(member)
    c.defaults["HTTP_ACCEPT_LANGUAGE"] = "zh-hans"
    return c


def cards(body: str) -> list[tuple[str, str]]:
    """(venue name, distance text or "") of each card, in order."""
    out = []
    for card in re.findall(r'data-testid="venue".*?</a>', body, re.S):
        name = re.search(r'class="venue-name">(.*?)</span>', card).group(1)
        distance = re.search(r'data-testid="distance">(.*?)</span>', card)
        out.append((name, distance.group(1) if distance else ""))
    return out


def test_without_a_position_no_venue_claims_to_be_near(member, venues):
    body = zh(member).get("/m/venues/").content.decode()
    assert "在您附近" not in body and "Near you" not in body
    assert 'data-testid="distance"' not in body
    assert all(distance == "" for _name, distance in cards(body))
    assert len(cards(body)) == 4
    assert 'data-testid="locate"' in body and "按距离排序" in body


def test_with_a_position_nearest_first_with_distances(member, venues):
    r = zh(member).get("/m/venues/", {"lat": HERE[0], "lng": HERE[1]})
    assert r.status_code == 200
    body = r.content.decode()
    assert cards(body) == [
        ("玉环市职工书屋", "30 米"),
        ("东港职工健身房", "1.3 公里"),
        ("楚门镇职工之家", "6.9 公里"),
        ("坐标未知的会议室", ""),  # no coordinates: last, no distance
    ]
    assert 'data-testid="located"' in body and 'data-testid="locate"' not in body
    # the kind filter keeps the position
    assert 'href="?kind=library&amp;lat=28.13520&amp;lng=121.23380"' in body


def test_english_distances(member, venues):
    c = member_client(member)
    c.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    body = c.get("/m/venues/", {"lat": "28.144", "lng": "121.243"}).content.decode()
    assert cards(body)[0] == ("东港职工健身房", "0 m")
    assert cards(body)[1] == ("玉环市职工书屋", "1.3 km")


def test_the_position_is_not_stored(member, venues):
    from django.contrib.sessions.models import Session

    zh(member).get("/m/venues/", {"lat": HERE[0], "lng": HERE[1]})
    for row in Session.objects.all():
        assert "28.135" not in str(row.get_decoded())


@pytest.mark.parametrize(
    "query",
    [
        {"lat": "28.1"},
        {"lng": "121.2"},
        {"lat": "north", "lng": "121.2"},
        {"lat": "91", "lng": "121.2"},
        {"lat": "28.1", "lng": "-180.01"},
        {"lat": "nan", "lng": "121.2"},
        {"lat": "28.1", "lng": "Infinity"},
        {"lat": "1" * 400, "lng": "121.2"},
        {"lat": "28.1\x00", "lng": "121.2"},
    ],
)
def test_bad_positions_are_ignored_with_a_message(member, venues, query):
    r = zh(member).get("/m/venues/", query)
    assert r.status_code == 200
    body = r.content.decode()
    assert 'data-testid="location-error"' in body
    assert "无法识别您的位置" in body
    assert 'data-testid="distance"' not in body
    assert len(cards(body)) == 4


def test_coordinates_are_both_or_neither_and_in_range(federation):
    venue = make_venue(federation)
    for lat, lng in [
        (Decimal("28.1"), None),
        (None, Decimal("121.2")),
        (Decimal("90.5"), Decimal("121.2")),
        (Decimal("-90.5"), Decimal("121.2")),
        (Decimal("28.1"), Decimal("180.5")),
        (Decimal("28.1"), Decimal("-180.5")),
    ]:
        with pytest.raises(IntegrityError), transaction.atomic():
            Venue.objects.filter(pk=venue.pk).update(latitude=lat, longitude=lng)
    Venue.objects.filter(pk=venue.pk).update(latitude=Decimal("-90"), longitude=Decimal("180"))


def _change_form(venue, federation) -> dict:
    return {
        "org": federation.pk,
        "name": venue.name,
        "kind": venue.kind,
        "address": "",
        "latitude": "",
        "longitude": "",
        "region_code": "331021",
        "capacity": 30,
        "description": "",
        "is_active": "on",
        "max_active_bookings": 3,
        "book_ahead_days": 7,
        "cancel_hours": 2,
        "exclusive_by": "unions",
        "closures-TOTAL_FORMS": 0,
        "closures-INITIAL_FORMS": 0,
        "templates-TOTAL_FORMS": 0,
        "templates-INITIAL_FORMS": 0,
        "hours-TOTAL_FORMS": 0,
        "hours-INITIAL_FORMS": 0,
    }


def test_console_edits_the_coordinates(venue, keeper, federation):
    venue.hours.all().delete()
    c = staff_client(keeper)
    c.defaults["HTTP_ACCEPT_LANGUAGE"] = "zh-hans"
    url = f"/admin/venues/venue/{venue.pk}/change/"
    page = c.get(url).content.decode()
    assert "纬度" in page and "经度" in page
    data = _change_form(venue, federation)
    data["latitude"] = "28.135480"
    bad = c.post(url, data)
    assert bad.status_code == 200 and "纬度和经度须同时填写或同时留空" in bad.content.decode()
    data["longitude"] = "221.5"
    bad = c.post(url, data)
    assert bad.status_code == 200
    venue.refresh_from_db()
    assert venue.latitude is None
    data["longitude"] = "121.233760"
    ok = c.post(url, data)
    assert ok.status_code == 302, ok.content[:3000]
    venue.refresh_from_db()
    assert (venue.latitude, venue.longitude) == (Decimal("28.135480"), Decimal("121.233760"))


# --- the member API ----------------------------------------------------------------------------
def test_api_lists_nearest_first_with_distance_in_metres(member, venues):
    c = member_client(member)
    plain = c.get("/api/v1/venues/").json()
    assert all(v["distance_m"] is None for v in plain)
    library = next(v for v in plain if v["name"] == "玉环市职工书屋")
    assert (library["latitude"], library["longitude"]) == (28.13548, 121.23376)
    r = c.get("/api/v1/venues/", {"lat": HERE[0], "lng": HERE[1]})
    assert r.status_code == 200
    assert [(v["name"], v["distance_m"]) for v in r.json()] == [
        ("玉环市职工书屋", 31),
        ("东港职工健身房", 1331),
        ("楚门镇职工之家", 6942),
        ("坐标未知的会议室", None),
    ]


@pytest.mark.parametrize(
    "query",
    [
        {"lat": "28.1"},
        {"lng": "121.2"},
        {"lat": "north", "lng": "121.2"},
        {"lat": "91", "lng": "121.2"},
        {"lat": "28.1", "lng": "-180.01"},
        {"lat": "nan", "lng": "121.2"},
        {"lat": "28.1", "lng": "inf"},
    ],
)
def test_api_refuses_bad_positions(member, venues, query):
    r = member_client(member).get("/api/v1/venues/", query)
    assert r.status_code == 422, r.content
