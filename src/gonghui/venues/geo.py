"""Distances between a member and the venues: pure functions, no database.

The member's position comes from the browser (``?lat=…&lng=…``, asked on a button press), is used
for one answer and never stored. Distances are great-circle distances on a sphere of the mean
Earth radius (haversine): within a county the error is far below the rounding shown."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Protocol, TypeVar

from django.utils.translation import gettext as _

EARTH_RADIUS_M = 6_371_008.8  # IUGG mean radius
_MAX_PARAM_LENGTH = 32


@dataclass(frozen=True)
class Point:
    lat: float
    lng: float


class Located(Protocol):
    latitude: Decimal | None
    longitude: Decimal | None


T = TypeVar("T", bound=Located)


class BadLocation(ValueError):
    """The query's lat/lng are not a position on Earth."""


def haversine_m(a: Point, b: Point) -> float:
    """The great-circle distance from ``a`` to ``b`` in metres."""
    lat1, lat2 = math.radians(a.lat), math.radians(b.lat)
    dlat = lat2 - lat1
    dlng = math.radians(b.lng - a.lng)
    h = math.sin(dlat / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin(dlng / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


def _number(value: Any, low: float, high: float) -> float:
    if not isinstance(value, str) or not value.strip() or len(value) > _MAX_PARAM_LENGTH:
        raise BadLocation(value)
    try:
        number = float(value.strip())
    except ValueError:
        raise BadLocation(value) from None
    if not math.isfinite(number) or not low <= number <= high:
        raise BadLocation(value)
    return number


def parse_point(lat: Any, lng: Any) -> Point | None:
    """The position given as query parameters: None when neither is given; ``BadLocation`` when
    only one is, or either is not a number in range (latitude ±90, longitude ±180)."""
    if lat in (None, "") and lng in (None, ""):
        return None
    return Point(_number(lat, -90.0, 90.0), _number(lng, -180.0, 180.0))


def point_of(obj: Located) -> Point | None:
    if obj.latitude is None or obj.longitude is None:
        return None
    return Point(float(obj.latitude), float(obj.longitude))


def format_distance(metres: float) -> str:
    """「850 米」 under a kilometre (to 10 m), 「1.2 公里」 to 100 km (one decimal), then whole km."""
    if metres < 0 or not math.isfinite(metres):
        raise ValueError(metres)
    tens = int(metres / 10 + 0.5) * 10
    if tens < 1000:
        return _("%(metres)d m") % {"metres": tens}
    km = metres / 1000
    if km < 99.95:
        tenths = int(km * 10 + 0.5)
        return _("%(km)s km") % {"km": f"{tenths // 10}.{tenths % 10}"}
    return _("%(km)s km") % {"km": str(int(km + 0.5))}


def by_distance(items: Iterable[T], origin: Point) -> list[tuple[T, float | None]]:
    """``items`` with their distance from ``origin``, nearest first; items without coordinates
    keep their order after the others (their distance is None)."""
    located: list[tuple[T, float]] = []
    unknown: list[tuple[T, float | None]] = []
    for item in items:
        point = point_of(item)
        if point is None:
            unknown.append((item, None))
        else:
            located.append((item, haversine_m(origin, point)))
    located.sort(key=lambda pair: pair[1])
    out: list[tuple[T, float | None]] = list(located)
    out.extend(unknown)
    return out
