"""日活 beyond the services: members who opened the H5 on a day (``MemberActivity`` with
``via=session``), a few hundred a day, more at weekends and holidays. Bulk-inserted with
``ignore_conflicts`` on the unique (member, day): a day a member was already served keeps its
service row, exactly as ``members.activity.activity_note`` would (first activity wins)."""

from __future__ import annotations

from gonghui.members.models import Member, MemberActivity

from .calendar import Year, leisure_weight

DAILY_SESSIONS = 160  # members signing in on an ordinary weekday


def load(*, year: Year, members: list[Member]) -> int:
    rng = year.rng
    # Some members use the H5 far more than others: a few regulars, many occasional.
    weights = [rng.paretovariate(1.4) for _ in members]
    rows: list[MemberActivity] = []
    for day in year.days:
        count = int(DAILY_SESSIONS * leisure_weight(day) * rng.uniform(0.85, 1.15))
        seen: set[int] = set()
        for member in rng.choices(members, weights=weights, k=count):
            if member.pk in seen or member.joined_on > day:
                continue
            seen.add(member.pk)
            rows.append(
                MemberActivity(
                    member_id=member.pk,
                    day=day,
                    org_id=member.org_id,
                    via=MemberActivity.Via.SESSION,
                    first_at=year.moment(day, 7, 23),
                )
            )
    MemberActivity.objects.bulk_create(rows, ignore_conflicts=True, batch_size=2_000)
    return len(rows)
