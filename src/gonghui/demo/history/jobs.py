"""A year of employment help: union-pushed postings opened every other month, members applying
online (a few withdraw), and four job fairs (春风行动 after 春节, 五一, 金秋, 年末) with members
checking in at the gate — all through ``jobs.services`` with the clock at each moment."""

from __future__ import annotations

import datetime as dt

from gonghui.core.errors import Refused
from gonghui.jobs import services
from gonghui.jobs.models import Application, JobFair, Posting
from gonghui.members.models import Member
from gonghui.orgs.models import Enterprise, Org

from ..steps.jobs import POSTINGS
from .calendar import SPRING_FESTIVAL, Year, at_local, clock_at

APPLICATIONS = 420
WITHDRAW_SHARE = 0.08
FAIR_VISITORS = (60, 110)


def _postings(root: Org, year: Year) -> list[Posting]:
    """Every other month, a batch of the demo's posts (titled with the month of the batch)."""
    out = []
    for start in year.days[::61]:
        for ent_name, title, trade, lo, hi, heads, skills, kind in POSTINGS:
            enterprise = Enterprise.objects.filter(name=ent_name).first()
            if enterprise is None:
                continue
            with clock_at(at_local(start, 9)):
                out.append(
                    services.posting_create(
                        actor=None,
                        enterprise=enterprise,
                        org=root if kind == Posting.Kind.UNION_PUSHED else None,
                        title=f"{title}（{start.month}月批次）",
                        trade=trade,
                        salary_min_fen=lo * 100,
                        salary_max_fen=hi * 100,
                        headcount=heads,
                        skills=skills,
                        valid_from=start,
                        valid_until=start + dt.timedelta(days=45),
                        kind=kind,
                        description=f"{ent_name}招聘{title}{heads}名。",
                    )
                )
    return out


def _fair_days(year: Year) -> list[tuple[dt.date, str]]:
    out = []
    for day in year.days:
        festival = SPRING_FESTIVAL.get(day.year)
        if festival is not None and day == festival + dt.timedelta(days=10):
            out.append((day, f"{day.year}年“春风行动”工会送岗招聘会（往期）"))
        elif (day.month, day.day) == (5, 8):
            out.append((day, f"{day.year}年五一职工专场招聘会"))
        elif (day.month, day.day) == (9, 20):
            out.append((day, f"{day.year}年金秋招聘月工会专场"))
        elif (day.month, day.day) == (12, 1):
            out.append((day, f"{day.year}年岁末就业援助专场招聘会"))
    return out


def load(*, root: Org, year: Year, members: list[Member]) -> int:
    rng = year.rng
    postings = _postings(root, year)
    made: list[tuple[Application, Member]] = []
    for _ in range(APPLICATIONS):
        posting = rng.choice(postings)
        span = (posting.valid_until - posting.valid_from).days
        day = posting.valid_from + dt.timedelta(days=rng.randrange(span))
        if day >= year.today:
            continue
        member = rng.choice(members)
        if member.joined_on > day:
            continue
        with clock_at(year.moment(day, 8, 23)):
            try:
                made.append((services.application_submit(member=member, posting=posting), member))
            except Refused:  # applied already
                continue
    for application, member in rng.sample(made, int(len(made) * WITHDRAW_SHARE)):
        at = application.submitted_at + dt.timedelta(days=rng.randrange(1, 6))
        if not year.past(at):
            continue
        with clock_at(at):
            services.application_transition(
                application=application, to_status="withdrawn", member=member, note="已另找工作"
            )
    checkins = 0
    for day, title in _fair_days(year):
        with clock_at(at_local(day, 7)):
            fair = JobFair.objects.create(
                org=root,
                title=title,
                date=day,
                place="玉环市人力资源市场",
                kind=JobFair.Kind.UNION_PUSHED,
            )
        for member in rng.sample(members, rng.randrange(*FAIR_VISITORS)):
            if member.joined_on > day:
                continue
            with clock_at(year.moment(day, 9, 15)):
                _checkin, created = services.fair_checkin(fair=fair, member=member)
            checkins += int(created)
    return len(made) + checkins
