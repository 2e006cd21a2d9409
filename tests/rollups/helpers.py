"""A small federation and direct writers of service events and member activity for the roll-up
tests: root → district → unions a and b, and a second district with union c."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from gonghui.core.db import insert_or_skip
from gonghui.core.timeutil import SHANGHAI
from gonghui.dashboard import rollups
from gonghui.members import selectors
from gonghui.members.models import Member, MemberActivity, ServiceEvent
from gonghui.members.services import service_event_compensate, service_event_record
from gonghui.orgs.models import Org
from tests.factories import make_member, org_child, org_root

BASE = dt.datetime(2026, 1, 20, tzinfo=SHANGHAI)  # events from here on, over ~75 days

# (kind, amount of each event or None for no amount, the compensating kind or None)
KINDS: list[tuple[str, bool, str | None]] = [
    ("benefits.redemption", True, "benefits.redemption_void"),  # counts, spent
    ("activities.registration", True, "activities.registration_cancelled"),  # counts, spent
    ("jobs.application", False, "jobs.application_withdrawn"),  # counts, no amount
    ("members.enrolment", False, None),  # counts
    ("rights.case_closed", True, None),  # does not count, recovered
    ("activities.checkin", False, None),  # neither: never rolled up
]


class Source:
    """What ``service_event_record`` needs of a source row: a label and a key."""

    class _meta:
        label_lower = "tests.source"

    def __init__(self, pk: int) -> None:
        self.pk = pk


@dataclass
class Federation:
    root: Org
    district: Org
    a: Org
    b: Org
    other: Org  # district 2
    c: Org
    members: list[Member]
    sources: int = 0
    originals: list[tuple[str, Source]] = field(default_factory=list)  # cancellable, not cancelled

    @property
    def orgs(self) -> list[Org]:
        return [self.root, self.district, self.a, self.b, self.c]

    @property
    def event_orgs(self) -> list[Org]:
        return [self.a, self.b, self.c, self.district]

    def event(self, kind_i: int, member_i: int, org_i: int, hours: float, amount: int) -> None:
        kind, has_amount, cancelled_by = KINDS[kind_i % len(KINDS)]
        self.sources += 1
        source = Source(self.sources)
        service_event_record(
            member=self.members[member_i % len(self.members)],
            kind=kind,
            source=source,
            amount_fen=amount if has_amount else 0,
            org=self.event_orgs[org_i % len(self.event_orgs)],
            occurred_at=BASE + dt.timedelta(hours=hours),
        )
        if cancelled_by:
            self.originals.append((cancelled_by, source))

    def cancel(self, pick: int, hours: float) -> bool:
        if not self.originals:
            return False
        kind, source = self.originals.pop(pick % len(self.originals))
        made = service_event_compensate(
            kind=kind, source=source, occurred_at=BASE + dt.timedelta(hours=hours)
        )
        return made is not None

    def active(self, member_i: int, org_i: int, days: int) -> None:
        member = self.members[member_i % len(self.members)]
        at = BASE + dt.timedelta(days=days, hours=10)
        insert_or_skip(
            MemberActivity(
                member_id=member.pk,
                day=at.date(),
                org=self.event_orgs[org_i % len(self.event_orgs)],
                via=MemberActivity.Via.SESSION,
                first_at=at,
            )
        )


def federation() -> Federation:
    root = org_root()
    district = org_child(root, kind=Org.Kind.DISTRICT)
    a, b = org_child(district), org_child(district)
    other = org_child(root, kind=Org.Kind.DISTRICT)
    c = org_child(other)
    members = [make_member(a), make_member(b), make_member(c)]
    return Federation(root, district, a, b, other, c, members)


def local(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=SHANGHAI)  # type: ignore[misc]


# Periods of the events (aware, half-open) and of activity (dates, both included).
EVENT_PERIODS = [
    (local(2026, 2, 1), local(2026, 3, 1)),  # a month
    (local(2026, 1, 1), local(2026, 4, 1)),  # a quarter
    (local(2025, 12, 1), local(2026, 7, 1)),  # more than the events
    (local(2026, 1, 25, 10), local(2026, 3, 3, 7, 30)),  # odd edges
    (local(2026, 2, 10, 3), local(2026, 2, 10, 20)),  # inside one day
    (local(2026, 2, 10, 3), local(2026, 2, 12)),  # a partial day, then a whole one
]
ACTIVITY_PERIODS = [
    (dt.date(2026, 2, 1), dt.date(2026, 2, 28)),  # a month
    (dt.date(2026, 1, 1), dt.date(2026, 3, 31)),  # a quarter
    (dt.date(2026, 1, 1), dt.date(2026, 12, 31)),  # a year
    (dt.date(2025, 12, 15), dt.date(2027, 1, 10)),  # a year and edges
    (dt.date(2026, 1, 25), dt.date(2026, 3, 3)),  # odd
    (dt.date(2026, 2, 10), dt.date(2026, 2, 10)),  # one day
]


def answers(source: Any, orgs: list[Org]) -> list[Any]:
    """Every figure of every org and period, from ``source`` (rollups or members.selectors)."""
    out: list[Any] = []
    for org in orgs:
        for start, end in EVENT_PERIODS:
            out.append(source.person_times_by_kind(org=org, start=start, end=end))
            out.append(source.amounts_by_kind(org=org, start=start, end=end))
        for day0, day1 in ACTIVITY_PERIODS:
            out.append(source.active_members(org=org, start=day0, end=day1))
            out.append(source.active_by_day(org=org, start=day0, end=day1))
    return out


def assert_exact(fed: Federation) -> None:
    """The roll-ups answer exactly what the live selectors answer."""
    got, want = answers(rollups, fed.orgs), answers(selectors, fed.orgs)
    for i, (g, w) in enumerate(zip(got, want, strict=True)):
        assert g == w, (i, g, w)


def all_events() -> int:
    return ServiceEvent.objects.count()
