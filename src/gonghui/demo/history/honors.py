"""A year of volunteering: the city's model-worker volunteer team serves twice a month (helping
enterprises, teaching, community service) with members as its volunteers
(``honors.services.volunteer_service_record``: one ``honors.volunteer_service`` event each)."""

from __future__ import annotations

from gonghui.honors import services
from gonghui.honors.models import VolunteerService
from gonghui.members.models import Member
from gonghui.orgs.models import Enterprise, Org

from .calendar import Year, at_local, clock_at

TEAM = "玉环市职工志愿服务队"
SERVICES = [
    ("助企行·设备维护指导", VolunteerService.Kind.ENTERPRISE_HELP, 3),
    ("劳模助教·技能传帮带", VolunteerService.Kind.TEACHING, 2),
    ("社区义诊义剪", VolunteerService.Kind.COMMUNITY, 3),
    ("科技共富·农机下乡", VolunteerService.Kind.TECH_PROSPERITY, 4),
]
VOLUNTEERS = (6, 14)


def load(*, root: Org, year: Year, members: list[Member]) -> int:
    rng = year.rng
    with clock_at(year.start):
        team = services.team_create(actor=None, org=root, name=TEAM)
    enterprises = list(Enterprise.objects.order_by("pk")[:20])
    pool = rng.sample(members, 120)  # the team's regulars
    made = 0
    for day in year.days:
        if day.day not in (8, 22):
            continue
        title, kind, hours = rng.choice(SERVICES)
        volunteers = [m for m in rng.sample(pool, rng.randrange(*VOLUNTEERS)) if m.joined_on <= day]
        with clock_at(at_local(day, 17)):
            services.volunteer_service_record(
                actor=None,
                team=team,
                title=title,
                date=day,
                place="玉环市",
                kind=kind,
                hours=hours,
                enterprises=rng.sample(enterprises, 2) if kind == "enterprise_help" else [],
                workers_helped=rng.randrange(10, 80),
                volunteers=volunteers,
            )
        made += len(volunteers)
    return made
