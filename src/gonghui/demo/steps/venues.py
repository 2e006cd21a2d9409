"""Demo venues: a workers' home (职工之家), a gym, a library and two meeting rooms, with opening
hours, slot templates, slots for the next 14 days, a gate terminal each, and a weekly union
booking of the large meeting room. Keyed by (org code, venue name): a second run adds nothing
but the slots of new days."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model

from gonghui.codes.models import Terminal
from gonghui.codes.services import terminal_create
from gonghui.core.timeutil import SHANGHAI, local_today
from gonghui.demo import data
from gonghui.orgs.models import Org
from gonghui.venues import services
from gonghui.venues.models import Booking, Closure, Mode, OpeningHours, SlotTemplate, Venue

ORDER = 60
DAYS = 14

T = dt.time
EVERY_DAY = range(7)
WEEKDAYS = range(5)

# (org code, name, kind, address, capacity, rules, hours per weekday, templates)
VENUES: list[tuple[Any, ...]] = [
    (
        "YH-CM",
        "楚门镇职工之家",
        Venue.Kind.WORKERS_HOME,
        "玉环市楚门镇中山路88号",
        60,
        {"max_active_bookings": 3, "book_ahead_days": 7, "cancel_hours": 2},
        [(d, T(8, 30), T(21, 30)) for d in EVERY_DAY],
        [
            (d, s, e, Mode.SHARED, 40)
            for d in EVERY_DAY
            for s, e in ((T(9), T(12)), (T(14), T(17)), (T(19), T(21)))
        ],
    ),
    (
        "YH-CM",
        "楚门职工健身房",
        Venue.Kind.GYM,
        "玉环市楚门镇文化广场东侧",
        30,
        {"max_active_bookings": 2, "book_ahead_days": 3, "cancel_hours": 1},
        [(d, T(7), T(21)) for d in EVERY_DAY],
        [(d, T(h), T(h + 2), Mode.SHARED, 20) for d in EVERY_DAY for h in range(7, 21, 2)],
    ),
    (
        "YH",
        "玉环市职工书屋",
        Venue.Kind.LIBRARY,
        "玉环市玉城街道广陵路1号二楼",
        50,
        {"max_active_bookings": 3, "book_ahead_days": 7, "cancel_hours": 2},
        [(d, T(9), T(21)) for d in range(1, 7)],  # closed on Mondays
        [
            (d, s, e, Mode.SHARED, 30)
            for d in range(1, 7)
            for s, e in ((T(9), T(12)), (T(13, 30), T(17, 30)), (T(18, 30), T(21)))
        ],
    ),
    (
        "YH",
        "市总工会第一会议室",
        Venue.Kind.MEETING_ROOM,
        "玉环市玉城街道广陵路1号三楼",
        40,
        {"book_ahead_days": 14, "cancel_hours": 24, "exclusive_by": Venue.ExclusiveBy.UNIONS},
        [(d, T(8, 30), T(21, 30)) for d in WEEKDAYS],
        [
            (d, s, e, Mode.EXCLUSIVE, 1)
            for d in WEEKDAYS
            for s, e in ((T(9), T(11)), (T(14), T(16)))
        ],
    ),
    (
        "YH",
        "市总工会第二会议室",
        Venue.Kind.MEETING_ROOM,
        "玉环市玉城街道广陵路1号三楼",
        12,
        {
            "book_ahead_days": 7,
            "cancel_hours": 4,
            "max_active_bookings": 1,
            "exclusive_by": Venue.ExclusiveBy.MEMBERS,
        },
        [(d, T(8, 30), T(17, 30)) for d in range(6)],
        [
            (d, s, e, Mode.EXCLUSIVE, 1)
            for d in range(6)
            for s, e in ((T(9), T(11)), (T(14), T(16)))
        ],
    ),
]


# Where the demo venues stand (WGS-84, degrees): Chumen town in the north of Yuhuan, the
# federation's building on Guangling Road in Yucheng.
COORDINATES: dict[str, tuple[str, str]] = {
    "楚门镇职工之家": ("28.193610", "121.258790"),
    "楚门职工健身房": ("28.191950", "121.262410"),
    "玉环市职工书屋": ("28.135480", "121.233760"),
    "市总工会第一会议室": ("28.135480", "121.233760"),
    "市总工会第二会议室": ("28.135480", "121.233760"),
}


def load() -> int:
    created = 0
    venues = []
    for code, name, kind, address, capacity, rules, hours, templates in VENUES:
        org = Org.objects.get(code=code)
        venue = Venue.objects.filter(org=org, name=name).first()
        if venue is None:
            venue = Venue.objects.create(
                org=org,
                name=name,
                kind=kind,
                address=address,
                region_code=data.REGION,
                capacity=capacity,
                description="",
                latitude=Decimal(COORDINATES[name][0]),
                longitude=Decimal(COORDINATES[name][1]),
                **rules,
            )
            created += 1
            for weekday, opens, closes in hours:
                OpeningHours.objects.create(
                    venue=venue, weekday=weekday, opens=opens, closes=closes
                )
            for weekday, start, end, mode, places in templates:
                SlotTemplate.objects.create(
                    venue=venue, weekday=weekday, start=start, end=end, mode=mode, capacity=places
                )
            created += len(hours) + len(templates)
        elif venue.latitude is None:  # a demo loaded before venues had coordinates
            venue.latitude, venue.longitude = (Decimal(c) for c in COORDINATES[name])
            venue.save(update_fields=["latitude", "longitude"])
        if not Terminal.objects.filter(
            context_type="venues.venue", context_id=str(venue.pk)
        ).exists():
            terminal_create(
                actor=None,
                org=org,
                kind=Terminal.Kind.GATE,
                name=f"{name} 门禁",
                context_type="venues.venue",
                context_id=str(venue.pk),
            )
            created += 1
        venues.append(venue)

    library = venues[2]
    stocktaking = local_today() + dt.timedelta(days=10)
    if not Closure.objects.filter(venue=library).exists():
        Closure.objects.create(
            venue=library, starts_on=stocktaking, ends_on=stocktaking, reason="图书盘点"
        )
        created += 1

    created += services.slots_generate(venues=venues, days=DAYS)

    # A grassroots union meets in the large meeting room every Thursday evening for 4 weeks.
    room = venues[3]
    purpose = "工会委员会例会"
    if not Booking.objects.filter(venue=room, purpose=purpose).exists():
        admin = get_user_model().objects.filter(username="fed_admin").first()
        union = Org.objects.get(code="YH-YC-01")
        today = local_today()
        thursday = today + dt.timedelta(days=(3 - today.weekday()) % 7 or 7)
        starts = dt.datetime.combine(thursday, T(19), tzinfo=SHANGHAI).astimezone(dt.UTC)
        if admin is not None:
            created += len(
                services.booking_create_recurring(
                    venue=room,
                    org=union,
                    actor=admin,
                    starts_at=starts,
                    ends_at=starts + dt.timedelta(hours=2),
                    weeks=4,
                    purpose=purpose,
                )
            )
    return created
