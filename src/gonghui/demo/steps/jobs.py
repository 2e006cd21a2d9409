"""Demo employment help: union-pushed posts (工会送岗), gig-worker special posts, a 春风行动 job
fair today (gate and booth terminals) and a gig-worker special fair next week, the demo employer
login linked to 玉环恒达阀门有限公司, applications at every stage (the demo member's among them),
and skill-pay schemes at most above-size enterprises. Keyed: postings by (enterprise, title),
fairs by (org, title), booths by (fair, enterprise), terminals by their context, schemes by
(enterprise, date), applications by (member, posting)."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth import get_user_model

from gonghui.codes.models import Terminal
from gonghui.codes.services import terminal_create
from gonghui.core.skills import SkillLevel
from gonghui.core.timeutil import local_today
from gonghui.demo import data
from gonghui.jobs import services
from gonghui.jobs.models import (
    Application,
    Booth,
    EmployerStaff,
    JobFair,
    Posting,
    SkillPayScheme,
    Trade,
)
from gonghui.members.models import Member
from gonghui.members.selectors import member_by_phone
from gonghui.orgs.models import Enterprise, Org

ORDER = 70

K = Posting.Kind
# (enterprise name, title, trade, salary yuan from, to, headcount, skills, kind)
POSTINGS = [
    (
        "玉环恒达阀门有限公司",
        "数控车工",
        Trade.MANUFACTURING,
        6500,
        9500,
        12,
        ["数控车床"],
        K.UNION_PUSHED,
    ),
    (
        "玉环恒达阀门有限公司",
        "阀门装配工",
        Trade.MANUFACTURING,
        5200,
        7500,
        20,
        ["钳工"],
        K.UNION_PUSHED,
    ),
    ("玉环恒达阀门有限公司", "质检员", Trade.MANUFACTURING, 5000, 7000, 4, ["质检"], K.REGULAR),
    (
        "玉环华鑫汽车配件有限公司",
        "焊工",
        Trade.MANUFACTURING,
        7000,
        10000,
        8,
        ["焊工"],
        K.UNION_PUSHED,
    ),
    (
        "玉环华鑫汽车配件有限公司",
        "设备电工",
        Trade.MANUFACTURING,
        6500,
        9000,
        3,
        ["电工"],
        K.REGULAR,
    ),
    ("玉环明视眼镜有限公司", "镜片加工工", Trade.MANUFACTURING, 5000, 7200, 30, [], K.UNION_PUSHED),
    (
        "玉环永固水暖洁具有限公司",
        "叉车司机",
        Trade.LOGISTICS,
        6000,
        8000,
        5,
        ["叉车", "驾驶"],
        K.UNION_PUSHED,
    ),
    ("玉环东海水产食品有限公司", "水产品加工工", Trade.FISHERY, 4800, 6500, 25, [], K.UNION_PUSHED),
    ("玉环通途物流有限公司", "货车司机", Trade.TRANSPORT, 8000, 12000, 10, ["驾驶"], K.GIG_SPECIAL),
    (
        "玉环迅捷快递服务有限公司",
        "快递员",
        Trade.LOGISTICS,
        6000,
        9000,
        15,
        ["驾驶"],
        K.GIG_SPECIAL,
    ),
    ("玉环速达同城配送有限公司", "外卖骑手", Trade.DELIVERY, 6000, 10000, 40, [], K.GIG_SPECIAL),
    ("玉城广陵超市有限公司", "收银员", Trade.RETAIL, 3800, 4800, 6, ["电商运营"], K.REGULAR),
    ("玉环城南物业服务有限公司", "物业维修工", Trade.PROPERTY, 4500, 6000, 3, ["电工"], K.REGULAR),
]
SPRING_FAIR = "2026年“春风行动”工会送岗招聘会"
GIG_FAIR = "新就业形态劳动者专场招聘会"
SPRING_BOOTHS = ["玉环恒达阀门有限公司", "玉环华鑫汽车配件有限公司", "玉环明视眼镜有限公司",
                 "玉环永固水暖洁具有限公司", "玉环东海水产食品有限公司"]  # fmt: skip
GIG_BOOTHS = ["玉环速达同城配送有限公司", "玉环迅捷快递服务有限公司", "玉环通途物流有限公司"]
# (posting title, number of applicants, how far the first ones get)
PIPELINE = [
    ("数控车工", 8, ["hired", "hired", "offered", "interview", "viewed", "rejected"]),
    ("阀门装配工", 6, ["offered", "interview", "viewed"]),
    ("焊工", 5, ["hired", "offered", "viewed"]),
    ("外卖骑手", 6, ["hired", "hired", "offered"]),
    ("快递员", 3, ["interview"]),
]
PATH = ["viewed", "interview", "offered", "hired"]
# (enterprise, raise in yuan per level junior → senior technician, workers covered)
SCHEMES = [
    ("玉环恒达阀门有限公司", (50, 150, 300, 600, 1000), 860),
    ("玉环恒达铜业有限公司", (50, 100, 200, 400, 800), 240),
    ("玉环华鑫汽车配件有限公司", (80, 150, 300, 600, 1000), 720),
    ("玉环明视眼镜有限公司", (50, 120, 250, 500, 900), 1100),
    ("玉环东海水产食品有限公司", (50, 100, 200, 300, 500), 310),
    ("玉环精工机械制造有限公司", (60, 150, 300, 600, 1000), 280),
    ("玉环永固水暖洁具有限公司", (50, 150, 300, 500, 800), 650),
]


def _enterprise(name: str) -> Enterprise:
    return Enterprise.objects.select_related("union").get(name=name)


def _terminal(*, org: Org, kind: str, name: str, context_type: str, context_id: int) -> Terminal:
    found = Terminal.objects.filter(context_type=context_type, context_id=str(context_id)).first()
    if found is not None:
        return found
    terminal, _key = terminal_create(
        actor=None,
        org=org,
        kind=kind,
        name=name,
        context_type=context_type,
        context_id=str(context_id),
    )
    return terminal


def _postings() -> int:
    today = local_today()
    created = 0
    for ent_name, title, trade, lo, hi, heads, skills, kind in POSTINGS:
        ent = _enterprise(ent_name)
        if Posting.objects.filter(enterprise=ent, title=title).exists():
            continue
        services.posting_create(
            actor=None,
            enterprise=ent,
            org=Org.objects.get(code="YH") if kind == K.UNION_PUSHED else None,
            title=title,
            trade=trade,
            salary_min_fen=lo * 100,
            salary_max_fen=hi * 100,
            headcount=heads,
            skills=skills,
            valid_from=today - dt.timedelta(days=10),
            valid_until=today + dt.timedelta(days=50),
            kind=kind,
            description=f"{ent_name}招聘{title}{heads}名，五险一金，包吃住。",
        )
        created += 1
    return created


def _fairs() -> int:
    created = 0
    today = local_today()
    for code, title, date, place, kind, booths in (
        ("YH", SPRING_FAIR, today, "玉环市人力资源市场", JobFair.Kind.UNION_PUSHED, SPRING_BOOTHS),
        ("YH-WM", GIG_FAIR, today + dt.timedelta(days=7), "玉环市新就业形态劳动者服务驿站",
         JobFair.Kind.GIG_SPECIAL, GIG_BOOTHS),
    ):  # fmt: skip
        org = Org.objects.get(code=code)
        fair = JobFair.objects.filter(org=org, title=title).first()
        if fair is None:
            fair = JobFair.objects.create(org=org, title=title, date=date, place=place, kind=kind)
            created += 1
        _terminal(org=org, kind="gate", name=f"{title} 入口", context_type="jobs.fair",
                  context_id=fair.pk)  # fmt: skip
        for i, name in enumerate(booths, start=1):
            ent = _enterprise(name)
            booth = Booth.objects.filter(fair=fair, enterprise=ent).first()
            if booth is None:
                booth = Booth.objects.create(fair=fair, enterprise=ent, number=f"A{i:02d}")
                created += 1
            if booth.terminal_id is None:
                booth.terminal = _terminal(
                    org=org, kind="booth", name=f"{booth.number} {name}", context_type="jobs.booth",
                    context_id=booth.pk,
                )  # fmt: skip
                booth.save(update_fields=["terminal"])
    return created


def _employer_login() -> int:
    user = get_user_model().objects.filter(username="employer_staff").first()
    if user is None:
        return 0
    _link, created = EmployerStaff.objects.get_or_create(
        user=user, enterprise=_enterprise("玉环恒达阀门有限公司")
    )
    return int(created)


def _applications() -> int:
    created = 0
    staff = get_user_model().objects.get(username="fed_admin")
    members = list(Member.objects.filter(status=Member.Status.ACTIVE).order_by("member_no")[:60])
    offset = 0
    for title, count, fates in PIPELINE:
        posting = Posting.objects.get(title=title)
        for i, member in enumerate(members[offset : offset + count]):
            if Application.objects.filter(member=member, posting=posting).exists():
                continue
            app = services.application_submit(member=member, posting=posting)
            created += 1
            fate = fates[i] if i < len(fates) else None
            if fate == "rejected":
                services.application_transition(application=app, to_status=fate, actor=staff)
            elif fate:
                for step in PATH[: PATH.index(fate) + 1]:
                    app = services.application_transition(
                        application=app, to_status=step, actor=staff
                    )
        offset += count
    demo = member_by_phone(data.DEMO_MEMBER_PHONE)
    if demo is not None:
        posting = Posting.objects.get(title="质检员")
        if not Application.objects.filter(member=demo, posting=posting).exists():
            app = services.application_submit(member=demo, posting=posting)
            services.application_transition(application=app, to_status="viewed", actor=staff)
            created += 1
    return created


def _schemes() -> int:
    created = 0
    start = dt.date(local_today().year, 1, 1)
    for name, yuan, workers in SCHEMES:
        ent = _enterprise(name)
        if SkillPayScheme.objects.filter(enterprise=ent, effective_from=start).exists():
            continue
        services.skill_pay_scheme_set(
            actor=None,
            enterprise=ent,
            effective_from=start,
            raises={level: y * 100 for level, y in zip(SkillLevel.values, yuan, strict=True)},
            workers_covered=workers,
            note="技能等级与薪酬挂钩，每月技能津贴",
        )
        created += 1
    return created


def load() -> int:
    return _postings() + _fairs() + _employer_login() + _applications() + _schemes()
