"""Activities test factories (members and orgs come from tests/factories.py)."""

from __future__ import annotations

import datetime as dt
import itertools

from gonghui.activities import services
from gonghui.activities.models import Activity, Allocation, Kind, Session
from gonghui.core import timeutil

_n = itertools.count(1)


def make_activity(org, **kw) -> Activity:
    now = timeutil.now()
    defaults = {
        "kind": Kind.SPORTS_CULTURE,
        "title": f"活动{next(_n)}",
        "allocation": Allocation.FIRST_COME,
        "registration_opens": now - dt.timedelta(days=1),
        "registration_closes": now + dt.timedelta(days=5),
        "is_published": True,
    }
    defaults.update(kw)
    return Activity.objects.create(org=org, **defaults)


def make_session(activity, *, capacity: int = 10, starts_in_days: float = 10, **kw) -> Session:
    starts = kw.pop("starts_at", None) or timeutil.now() + dt.timedelta(days=starts_in_days)
    return services.session_create(
        actor=None,
        activity=activity,
        starts_at=starts,
        ends_at=kw.pop("ends_at", None) or starts + dt.timedelta(hours=2),
        place=kw.pop("place", "职工之家"),
        capacity=capacity,
        **kw,
    )


def make_person(org, *, gender: str, birth: dt.date | None = None, **kw):
    """A member of the given gender (the ID number's sequence digit decides it: odd = male)."""
    from tests.factories import make_member, next_n

    n = 500_000 + next_n() * 2 + (1 if gender == "M" else 0)
    return make_member(org, n=n, birth=birth, **kw)


def make_members_bulk(org, count: int) -> list:
    """``count`` members at once (bulk insert, sealed PII as in production); for big tests."""
    from gonghui.core.identifiers import parse_id_number
    from gonghui.members.models import Member
    from gonghui.members.pii import seal
    from gonghui.members.services import member_numbers
    from tests.factories import id_number_for, next_n, phone_for

    numbers = member_numbers(count)
    rows = []
    for no in numbers:
        n = 700_000 + next_n()
        parsed = parse_id_number(id_number_for(n))
        rows.append(
            Member(
                member_no=no,
                name=f"会员{n}",
                gender=parsed.gender,
                birth_date=parsed.birth_date,
                org=org,
                joined_on=timeutil.local_today(),
                **seal(id_number=parsed.number, phone=phone_for(n)).as_fields(),
            )
        )
    return Member.objects.bulk_create(rows)
