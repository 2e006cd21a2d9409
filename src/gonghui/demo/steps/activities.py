"""Demo activities: one or two of each kind (sports, union fair, recuperation by review and by
lottery, cancer screening, children's career class, lecture, volunteering), with sessions in the
coming weeks. The lottery's draw is committed before its window opens. The demo member has
registered for the basketball league. Keyed by (org code, title): a second run adds nothing."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.auth import get_user_model

from gonghui.activities import services
from gonghui.activities.models import Activity, Allocation, Audience, Draw, Kind, Registration
from gonghui.core import timeutil
from gonghui.core.errors import Refused
from gonghui.demo import data
from gonghui.members.models import Member
from gonghui.members.pii import phone_index
from gonghui.orgs.models import Org

ORDER = 50

# (org code, title, kind, allocation, extra fields, [(days ahead, hour, hours, place, capacity)])
ACTIVITIES: list[tuple[Any, ...]] = [
    (
        "YH",
        "玉环市职工篮球联赛",
        Kind.SPORTS_CULTURE,
        Allocation.FIRST_COME,
        {"description": "以队报名前请先个人报名，现场检录扫工惠码。"},
        [(10, 19, 2, "玉环市体育中心篮球馆", 120), (17, 19, 2, "玉环市体育中心篮球馆", 120)],
    ),
    (
        "YH-CM",
        "工惠潮集·楚门周末市集",
        Kind.UNION_FAIR,
        Allocation.FIRST_COME,
        {"description": "会员凭工惠码入场，享商户专属优惠。"},
        [(6, 9, 5, "楚门镇文化广场", 800)],
    ),
    (
        "YH",
        "劳模及一线职工疗休养（千岛湖）",
        Kind.RECUPERATION,
        Allocation.REVIEW,
        {
            "limit_per_year": 1,
            "cancel_hours_before": 72,
            "description": "每人每年限一次；一线职工优先，审核后短信通知。",
        },
        [(30, 8, 72, "淳安县千岛湖职工疗休养基地", 40)],
    ),
    (
        "YH",
        "职工疗休养（舟山）抽签",
        Kind.RECUPERATION,
        Allocation.LOTTERY,
        {
            "limit_per_year": 1,
            "cancel_hours_before": 72,
            "opens_in_days": 1,
            "description": "报名期结束后公开抽签，抽签种子已事先公布承诺值。",
        },
        [(40, 8, 48, "舟山市普陀职工疗休养院", 30)],
    ),
    (
        "YH",
        "女职工两癌筛查",
        Kind.SCREENING,
        Allocation.REVIEW,
        {
            "gender": "F",
            "min_age": 35,
            "max_age": 64,
            "limit_per_year": 1,
            "description": "35至64周岁女会员，每年一次，按筛查当日年龄计算。",
        },
        [(14, 8, 4, "玉环市人民医院体检中心", 100), (21, 8, 4, "玉环市人民医院体检中心", 100)],
    ),
    (
        "YH",
        "职工子女职业体验课·小小消防员",
        Kind.CAREER_CLASS,
        Allocation.FIRST_COME,
        {
            "child_min_age": 8,
            "child_max_age": 12,
            "description": "面向8至12周岁会员子女；仅登记孩子姓名和出生日期。",
        },
        [(12, 14, 3, "玉环市消防救援大队", 30)],
    ),
    (
        "YH-YC",
        "新就业形态劳动者权益宣讲",
        Kind.LECTURE,
        Allocation.FIRST_COME,
        {"audience": Audience.GIG, "description": "外卖骑手、快递员专场，现场扫码签到。"},
        [(8, 20, 1, "玉城街道骑手驿站", 60)],
    ),
    (
        "YH",
        "职工志愿服务·环城护河",
        Kind.VOLUNTEER,
        Allocation.FIRST_COME,
        {"description": "志愿服务时长计入会员荣誉记录。"},
        [(9, 8, 3, "玉环市漩门湾湿地公园", 50)],
    ),
]


def load() -> int:
    created = 0
    now = timeutil.now()
    today = timeutil.local_today()
    organiser = get_user_model().objects.filter(username="organiser").first()
    for code, title, kind, allocation, extra, sessions in ACTIVITIES:
        org = Org.objects.filter(code=code).first()
        if org is None or Activity.objects.filter(org=org, title=title).exists():
            continue
        fields = dict(extra)
        opens_in = fields.pop("opens_in_days", 0)
        opens = now + dt.timedelta(days=opens_in) if opens_in else now - dt.timedelta(hours=1)
        first_day = min(days for days, *_rest in sessions)
        activity = Activity.objects.create(
            org=org,
            title=title,
            kind=kind,
            allocation=allocation,
            registration_opens=opens,
            registration_closes=now + dt.timedelta(days=first_day - 3),
            is_published=True,
            **fields,
        )
        created += 1
        for days, hour, hours, place, capacity in sessions:
            starts = dt.datetime.combine(
                today + dt.timedelta(days=days), dt.time(hour), tzinfo=timeutil.SHANGHAI
            )
            session = services.session_create(
                actor=None,
                activity=activity,
                starts_at=starts,
                ends_at=starts + dt.timedelta(hours=hours),
                place=place,
                capacity=capacity,
            )
            created += 1
            if allocation == Allocation.LOTTERY and organiser is not None:
                services.draw_commit(actor=organiser, session=session)
                created += Draw.objects.filter(session=session).count()
    created += _demo_member_registration()
    return created


def _demo_member_registration() -> int:
    member = Member.objects.filter(phone_index=phone_index(data.DEMO_MEMBER_PHONE)).first()
    activity = Activity.objects.filter(title="玉环市职工篮球联赛").first()
    if member is None or activity is None:
        return 0
    session = activity.sessions.order_by("starts_at").first()
    if session is None or Registration.objects.filter(session=session, member=member).exists():
        return 0
    try:
        services.registration_create(member=member, session=session)
    except Refused:
        return 0
    return 1
