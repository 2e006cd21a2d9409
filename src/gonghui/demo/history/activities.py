"""A year of union activities: three or four a month, first come, registered, cancelled,
checked in and closed through ``activities.services`` with the clock at each moment, so the
sessions' places, the subsidies' budget and ledger, and the events are the services' own."""

from __future__ import annotations

import datetime as dt
import random

from gonghui.activities import services
from gonghui.activities.models import Activity, Allocation, CheckIn, Kind, Registration, Session
from gonghui.core.errors import Refused
from gonghui.funds import services as funds
from gonghui.funds.models import AccountKind, Budget, BudgetScope
from gonghui.members.models import Member
from gonghui.orgs.models import Org

from . import bulk
from .calendar import Year, at_local, attempt, clock_at, leisure_weight

SOURCE = "demo.history"
SUBSIDY_FEN = 2_000  # ¥20 a place on the subsidised ones
CANCEL_SHARE = 0.05
ATTEND_SHARE = 0.86

# (title, kind, place, capacity, subsidised, start hour, hours)
PROGRAMME: list[tuple[str, str, str, int, bool, int, int]] = [
    ("职工羽毛球友谊赛", Kind.SPORTS_CULTURE, "玉环市全民健身中心", 64, False, 14, 3),
    ("工惠观影日", Kind.SPORTS_CULTURE, "玉环万达影城", 120, True, 19, 3),
    ("职工健步走", Kind.SPORTS_CULTURE, "玉环市漩门湾湿地公园", 150, False, 8, 3),
    ("工会普法讲座", Kind.LECTURE, "玉环市职工服务中心报告厅", 80, False, 19, 2),
    ("职工书法摄影展开幕", Kind.SPORTS_CULTURE, "玉环市文化馆", 100, False, 10, 3),
    ("工惠潮集·周末市集", Kind.UNION_FAIR, "楚门镇文化广场", 150, True, 9, 5),
    ("职工亲子手工课", Kind.SPORTS_CULTURE, "玉城街道职工之家", 40, True, 14, 2),
    ("一线职工健康义诊", Kind.SCREENING, "玉环市人民医院门诊楼", 100, False, 8, 4),
    ("职工篮球友谊赛", Kind.SPORTS_CULTURE, "玉环市体育中心篮球馆", 80, False, 19, 2),
    ("职工志愿服务·海滩清洁", Kind.VOLUNTEER, "坎门海滨公园", 50, False, 8, 3),
]
# Seasonal ones, by local (month, day): the title and the programme slot they use.
SEASONAL = {
    (1, 20): ("迎新春·职工写春联送福", 4),
    (3, 8): ("三八节女职工插花沙龙", 6),
    (5, 1): ("五一劳动节职工游园会", 5),
    (6, 1): ("六一职工亲子运动会", 2),
    (9, 28): ("国庆职工歌咏比赛", 4),
    (12, 20): ("年末职工趣味运动会", 2),
}


def _budget(root: Org, year: Year) -> Budget:
    welfare = funds.account_open(org=root, kind=AccountKind.WELFARE)
    with clock_at(year.start):
        return funds.budget_create(
            org=root,
            name="往期职工文体活动补贴",
            account=welfare,
            cap_fen=8_000_000,
            scope_kind=BudgetScope.CAMPAIGN,
            source=(SOURCE, "activities"),
        )


def _dates(year: Year) -> list[tuple[dt.date, str, int]]:
    """Session days: about one a week (a Saturday or Sunday mostly) plus the seasonal ones."""
    out: list[tuple[dt.date, str, int]] = []
    n = 0
    for day in year.days[14:]:  # the first ones open a fortnight into the year
        if (day.month, day.day) in SEASONAL:
            title, slot = SEASONAL[(day.month, day.day)]
            out.append((day, title, slot))
        elif day.weekday() in (5, 6) and year.rng.random() < 0.17 * leisure_weight(day) / 1.7:
            slot = n % len(PROGRAMME)
            out.append((day, PROGRAMME[slot][0], slot))
            n += 1
    return out


def _pick(year: Year, members: list[Member], day: dt.date) -> Member:
    while True:
        member = year.rng.choice(members)
        if member.joined_on <= day:
            return member


def load(*, root: Org, year: Year, members: list[Member], organiser: object) -> int:
    budget = _budget(root, year)
    rng = year.rng
    events = 0
    for day, title, slot in _dates(year):
        _title, kind, place, capacity, subsidised, hour, hours = PROGRAMME[slot]
        starts = at_local(day, hour)
        opens = starts - dt.timedelta(days=14)
        with clock_at(opens - dt.timedelta(hours=2)):
            activity = Activity.objects.create(
                org=root,
                title=title,
                kind=kind,
                allocation=Allocation.FIRST_COME,
                registration_opens=opens,
                registration_closes=starts - dt.timedelta(hours=12),
                is_published=True,
                subsidy_fen=SUBSIDY_FEN if subsidised else 0,
                subsidy_budget=budget if subsidised else None,
                description="往期活动",
            )
            session = services.session_create(
                actor=None,
                activity=activity,
                starts_at=starts,
                ends_at=starts + dt.timedelta(hours=hours),
                place=place,
                capacity=capacity,
            )
        wanted = int(capacity * rng.uniform(0.55, 1.02))
        times = sorted(
            opens + dt.timedelta(seconds=rng.randrange(int((14 * 24 - 12) * 3600 * 0.9)))
            for _ in range(wanted)
        )
        regs: list[Registration] = []
        for at in times:
            member = _pick(year, members, day)
            with clock_at(at):
                try:
                    regs.append(services.registration_create(member=member, session=session))
                except Refused:  # already registered, not eligible: the H5 says why
                    continue
            regs[-1].created_at = at
        # On PostgreSQL the hot path stamps a registration with the database's clock
        # (clock_timestamp()), which the demo's clock does not reach: dated as registered.
        Registration.objects.bulk_update(regs, ["created_at"], batch_size=500)
        deadline = starts - dt.timedelta(hours=activity.cancel_hours_before)
        for reg in rng.sample(regs, int(len(regs) * CANCEL_SHARE)):
            if reg.created_at >= deadline:
                continue
            at = min(reg.created_at + dt.timedelta(hours=rng.randrange(1, 72)), deadline)
            attempt(
                at,
                services.registration_cancel,
                registration=reg,
                member=reg.member,
                reason="临时有事",
            )
        attended = [
            reg
            for reg in Registration.objects.filter(
                session=session, status__in=Registration.HOLDING
            ).order_by("pk")
            if rng.random() < ATTEND_SHARE
        ]
        events += _checkins(session, attended, starts, rng)
        with clock_at(starts + dt.timedelta(hours=hours, minutes=30)):
            services.attendance_close(actor=organiser, session=session)
        events += len(regs)
    return events


def _checkins(
    session: Session, attended: list[Registration], starts: dt.datetime, rng: random.Random
) -> int:
    """The place holders who came, checked in at the gate around the start: what
    ``checkin_record`` writes for each (the check-in, the registration attended, the event),
    bulk-inserted. Its ``members.attendance`` hook has no listener for these activities (none
    is a linked volunteer service)."""
    rows = [
        CheckIn(
            registration=reg,
            session=session,
            member_id=reg.member_id,
            via=CheckIn.Via.TERMINAL,
            at=starts + dt.timedelta(minutes=rng.randrange(-40, 30)),
        )
        for reg in attended
    ]
    CheckIn.objects.bulk_create(rows)
    Registration.objects.filter(pk__in=[r.pk for r in attended]).update(
        status=Registration.Status.ATTENDED
    )
    org_id = session.activity.org_id
    return bulk.events_write(
        "activities.checkin", (bulk.Served(c.member_id, org_id, c, c.at) for c in rows)
    )
