"""venues.geo: haversine distances, the displayed text and the parsing of the query's position
(pure functions, no database)."""

from __future__ import annotations

import math
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.utils import translation

from gonghui.venues.geo import (
    BadLocation,
    Point,
    by_distance,
    format_distance,
    haversine_m,
    parse_point,
)

YUHUAN = Point(28.1352, 121.2338)


def test_haversine_known_distances():
    assert haversine_m(YUHUAN, YUHUAN) == 0
    # one degree of latitude on the mean sphere: 111.195 km
    assert haversine_m(Point(0, 0), Point(1, 0)) == pytest.approx(111_195, abs=1)
    # one degree of longitude at 60° N is half of that on the equator
    assert haversine_m(Point(60, 10), Point(60, 11)) == pytest.approx(
        haversine_m(Point(0, 10), Point(0, 11)) / 2, rel=0.002
    )
    # Beijing Tiananmen → Shanghai People's Square: about 1,067 km
    assert haversine_m(Point(39.9087, 116.3975), Point(31.2304, 121.4737)) == pytest.approx(
        1_067_000, rel=0.005
    )
    # symmetric, and the antipode is half the circumference
    a, b = Point(28.19, 121.26), Point(28.13, 121.23)
    assert haversine_m(a, b) == pytest.approx(haversine_m(b, a))
    assert haversine_m(Point(0, 0), Point(0, 180)) == pytest.approx(math.pi * 6_371_008.8)


@pytest.mark.parametrize(
    ("metres", "zh", "en"),
    [
        (0, "0 米", "0 m"),
        (4, "0 米", "0 m"),
        (850, "850 米", "850 m"),
        (854.9, "850 米", "850 m"),
        (855, "860 米", "860 m"),
        (994, "990 米", "990 m"),
        (995, "1.0 公里", "1.0 km"),
        (1234, "1.2 公里", "1.2 km"),
        (1250, "1.3 公里", "1.3 km"),
        (7049, "7.0 公里", "7.0 km"),
        (99_940, "99.9 公里", "99.9 km"),
        (99_950, "100 公里", "100 km"),
        (1_067_400, "1067 公里", "1067 km"),
    ],
)
def test_format_distance(metres, zh, en):
    with translation.override("zh-hans"):
        assert format_distance(metres) == zh
    with translation.override("en"):
        assert format_distance(metres) == en


@pytest.mark.parametrize("metres", [-1, float("nan"), float("inf")])
def test_format_distance_refuses_nonsense(metres):
    with pytest.raises(ValueError):
        format_distance(metres)


def test_parse_point_accepts_positions():
    assert parse_point(None, None) is None
    assert parse_point("", "") is None
    assert parse_point("28.13520", "121.23380") == Point(28.1352, 121.2338)
    assert parse_point(" -90 ", "180") == Point(-90.0, 180.0)
    assert parse_point("90", "-180") == Point(90.0, -180.0)


@pytest.mark.parametrize(
    ("lat", "lng"),
    [
        ("28.1", None),
        ("", "121.2"),
        ("abc", "121.2"),
        ("28.1", "east"),
        ("90.0001", "121"),
        ("-91", "121"),
        ("28", "180.5"),
        ("28", "-181"),
        ("nan", "121"),
        ("28", "inf"),
        ("1e400", "121"),
        ("28." + "1" * 40, "121"),
        ("28,1", "121,2"),
        (["28"], "121"),
    ],
)
def test_parse_point_refuses_bad_input(lat, lng):
    with pytest.raises(BadLocation):
        parse_point(lat, lng)


def test_by_distance_sorts_and_keeps_unlocated_last():
    def v(name, lat, lng):
        return SimpleNamespace(
            name=name,
            latitude=None if lat is None else Decimal(lat),
            longitude=None if lng is None else Decimal(lng),
        )

    chumen = v("chumen", "28.193610", "121.258790")
    library = v("library", "28.135480", "121.233760")
    nowhere1 = v("nowhere1", None, None)
    nowhere2 = v("nowhere2", None, None)
    rows = by_distance([nowhere1, chumen, nowhere2, library], YUHUAN)
    assert [r[0].name for r in rows] == ["library", "chumen", "nowhere1", "nowhere2"]
    assert rows[0][1] == pytest.approx(31, abs=2)
    assert rows[1][1] == pytest.approx(6_970, rel=0.02)
    assert rows[2][1] is None and rows[3][1] is None
