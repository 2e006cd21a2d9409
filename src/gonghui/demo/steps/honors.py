"""Demo honours: twenty model workers and craftsmen (the article counts 205 in the city), a
city volunteer team of model workers and craftsmen and a township craftsmen's team, and their
volunteer services (助企行, 劳模助教, 科技共富) with enterprises and workers helped. One past
service ran as a volunteer activity (members registered and checked in: their hours come from the
check-ins), and the city team's next service runs as the demo's upcoming volunteer activity
(环城护河), where members register. Keyed: honorees by (org, name, title, level, year), teams by
(org, name), services by (team, title)."""

from __future__ import annotations

import datetime as dt

from gonghui.activities import services as activities
from gonghui.activities.models import Activity
from gonghui.core import timeutil
from gonghui.core.errors import Refused
from gonghui.core.timeutil import local_today
from gonghui.honors import services
from gonghui.honors.models import Honoree, VolunteerService, VolunteerTeam
from gonghui.members.models import Member
from gonghui.orgs.models import Enterprise, Org

ORDER = 71

# (name, level, title, year, field, employer); the first six are members of the demo unions.
HONOREES = [
    ("", "national", "model_worker", 2020, "阀门制造", "玉环恒达阀门有限公司"),
    ("", "provincial", "craftsman", 2023, "数控加工", "玉环华鑫汽车配件有限公司"),
    ("", "provincial", "may_day_medal", 2021, "眼镜制造", "玉环明视眼镜有限公司"),
    ("", "city", "craftsman", 2024, "焊接", "玉环精工机械制造有限公司"),
    ("", "city", "model_worker", 2022, "海洋捕捞", "玉环坎门海洋渔业有限公司"),
    ("", "county", "advanced_worker", 2025, "快递服务", "玉环迅捷快递服务有限公司"),
    ("陈国良", "national", "model_worker", 2015, "水产品加工", "玉环东海水产食品有限公司"),
    ("林秀珍", "provincial", "model_worker", 2010, "文旦种植", "玉环楚门文旦专业合作社"),
    ("王建华", "provincial", "craftsman", 2022, "模具制造", "玉环精工模具有限公司"),
    ("张海峰", "city", "craftsman", 2021, "船舶修理", "玉环坎门渔船修造厂"),
    ("李明辉", "city", "craftsman", 2023, "铸造", "玉环恒达精密铸造厂"),
    ("黄丽娟", "city", "model_worker", 2019, "物业管理", "玉环城南物业服务有限公司"),
    ("吴志刚", "city", "may_day_medal", 2024, "汽车零部件", "玉环华鑫汽车配件有限公司"),
    ("周建军", "county", "craftsman", 2025, "卫浴制造", "玉环永固卫浴科技有限公司"),
    ("郑美玲", "county", "model_worker", 2018, "零售", "玉城广陵超市有限公司"),
    ("叶文斌", "county", "craftsman", 2024, "光学镜片", "玉环明视光学镜片有限公司"),
    ("金晓东", "provincial", "may_day_medal", 2019, "道路货运", "玉环通途物流有限公司"),
    ("杨海波", "city", "craftsman", 2022, "水暖器材", "玉环永固水暖洁具有限公司"),
    ("朱红梅", "city", "advanced_worker", 2023, "即时配送", "玉环速达同城配送有限公司"),
    ("潘立新", "national", "craftsman", 2024, "通用设备", "玉环精工机械制造有限公司"),
]
CITY_TEAM = "玉环市劳模工匠志愿服务队"
TOWN_TEAM = "楚门镇工匠助企服务队"
# (team, title, days ago, place, kind, hours, enterprises helped, workers helped, volunteers)
SERVICES = [
    (
        CITY_TEAM,
        "劳模工匠助企行·恒达阀门工艺诊断",
        120,
        "玉环恒达阀门有限公司",
        "enterprise_help",
        4,
        ["玉环恒达阀门有限公司", "玉环恒达铜业有限公司"],
        420,
        [0, 1, 3, 8],
    ),
    (
        CITY_TEAM,
        "劳模助教·数控技能公开课",
        90,
        "玉环市工匠学院",
        "teaching",
        3,
        ["玉环华鑫汽车配件有限公司", "玉环精工机械制造有限公司"],
        160,
        [1, 8, 19],
    ),
    (
        CITY_TEAM,
        "科技共富·渔船安全检修进坎门",
        75,
        "坎门渔港",
        "tech_prosperity",
        5,
        ["玉环坎门海洋渔业有限公司", "玉环坎门渔船修造厂"],
        380,
        [4, 9, 6],
    ),
    (
        CITY_TEAM,
        "劳模工匠助企行·眼镜产业链",
        40,
        "玉环明视眼镜有限公司",
        "enterprise_help",
        4,
        ["玉环明视眼镜有限公司", "玉环明视光学镜片有限公司", "玉环楚门眼镜配件厂"],
        910,
        [2, 15],
    ),
    (
        TOWN_TEAM,
        "工匠进车间·卫浴质量攻关",
        30,
        "玉环永固卫浴科技有限公司",
        "enterprise_help",
        3,
        ["玉环永固卫浴科技有限公司", "玉环永固水暖洁具有限公司"],
        530,
        [13, 17],
    ),
    (
        TOWN_TEAM,
        "科技共富·文旦种植技术下田头",
        14,
        "楚门文旦基地",
        "tech_prosperity",
        4,
        ["玉环楚门文旦专业合作社", "玉环楚门果蔬配送有限公司"],
        95,
        [7, 13],
    ),
]


# Services that ran as activities: title → (hour it started, honorees who checked in; members).
AS_ACTIVITY = {"劳模工匠助企行·眼镜产业链": (9, [0, 2, 4])}
# The upcoming service, run as the activities step's volunteer activity of that title.
UPCOMING = (CITY_TEAM, "职工志愿服务·环城护河", "community", 3)


def _honorees() -> tuple[list[Honoree], int]:
    fed = Org.objects.get(code="YH")
    members = list(Member.objects.filter(status=Member.Status.ACTIVE).order_by("member_no")[:6])
    out: list[Honoree] = []
    created = 0
    for i, (name, level, title, year, field, employer) in enumerate(HONOREES):
        member = members[i] if not name and i < len(members) else None
        name = name or (member.name if member else f"劳模{i + 1}")
        found = Honoree.objects.filter(
            org=fed, name=name, title=title, level=level, year=year
        ).first()
        if found is None:
            found = services.honoree_create(
                actor=None,
                org=fed,
                member=member,
                name=name,
                level=level,
                title=title,
                year=year,
                field=field,
                employer_name=employer,
            )
            created += 1
        out.append(found)
    return out, created


def load() -> int:
    honorees, created = _honorees()
    teams = {}
    for code, name, leader in (("YH", CITY_TEAM, 0), ("YH-CM", TOWN_TEAM, 13)):
        org = Org.objects.get(code=code)
        team = VolunteerTeam.objects.filter(org=org, name=name).first()
        if team is None:
            team = services.team_create(actor=None, org=org, name=name, leader=honorees[leader])
            created += 1
        teams[name] = team
    today = local_today()
    for team_name, title, ago, place, kind, hours, ents, workers, who in SERVICES:
        team = teams[team_name]
        if VolunteerService.objects.filter(team=team, title=title).exists():
            continue
        as_activity = AS_ACTIVITY.get(title)
        service = services.volunteer_service_record(
            actor=None,
            team=team,
            title=title,
            date=today - dt.timedelta(days=ago),
            place=place,
            kind=kind,
            hours=hours,
            enterprises=list(Enterprise.objects.filter(name__in=ents)),
            workers_helped=workers,
            volunteers=[] if as_activity else [honorees[i] for i in who],
        )
        created += 1
        if as_activity:
            created += _ran_as_activity(service, ago, *as_activity, honorees=honorees)
    created += _upcoming(teams)
    return created


def _ran_as_activity(
    service: VolunteerService, ago: int, hour: int, who: list[int], *, honorees: list[Honoree]
) -> int:
    """The service ran as a volunteer activity ``ago`` days ago: the member honorees registered
    the week before and checked in at the gate; hours follow from the check-ins."""
    starts = dt.datetime.combine(
        local_today() - dt.timedelta(days=ago), dt.time(hour), tzinfo=timeutil.SHANGHAI
    )
    thing = services.volunteer_service_activity_create(
        actor=None,
        service=service,
        starts_at=starts,
        place=service.place,
        capacity=30,
        registration_opens=starts - dt.timedelta(days=10),
        registration_closes=starts - dt.timedelta(hours=2),
    )
    session = Activity.objects.get(pk=thing.id).sessions.get()
    created = 2
    for i in who:
        member = honorees[i].member
        if member is None:
            continue
        try:
            activities.registration_create(
                member=member, session=session, now=starts - dt.timedelta(days=3)
            )
            activities.checkin_record(
                session=session,
                member=member,
                via="terminal",
                now=starts + dt.timedelta(minutes=10 + i),
            )
        except Refused:
            continue
        created += 2
    return created


def _upcoming(teams: dict[str, VolunteerTeam]) -> int:
    team_name, title, kind, hours = UPCOMING
    team = teams[team_name]
    activity = Activity.objects.filter(org=team.org, title=title).first()
    if activity is None or VolunteerService.objects.filter(team=team, title=title).exists():
        return 0
    first = activity.sessions.order_by("starts_at").first()
    service = services.volunteer_service_record(
        actor=None,
        team=team,
        title=title,
        date=timeutil.to_local(first.starts_at).date() if first else local_today(),
        place=first.place if first else "",
        kind=kind,
        hours=hours,
    )
    services.volunteer_service_activity_link(actor=None, service=service, activity_id=activity.pk)
    return 1
