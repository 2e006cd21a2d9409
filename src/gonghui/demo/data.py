"""The demo's content, generated deterministically: the same lists on every run.

Organisation and enterprise names are fictional; the city is modelled on Yuhuan (玉环市,
region code 331021), whose federation the design's source article describes. ID numbers are
synthetic but valid (GB 11643 check character); USCCs are valid (GB 32100) and fictional.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field, replace

from gonghui.core.identifiers import make_id_number, make_uscc, parse_id_number
from gonghui.members.models import EmploymentType, GigTrade
from gonghui.orgs.models import Enterprise, Org, Role

SEED = 2026
REGION = "331021"
PASSWORD = "gonghui-demo-2026"  # noqa: S105 - the published demo password, refused in production
DEMO_MEMBER_PHONE = "13857600001"
MEMBER_COUNT = 2000
PENDING_ENROLMENTS = 5


@dataclass(frozen=True)
class OrgSpec:
    code: str
    name: str
    kind: str
    parent: str | None
    trade: str = ""
    uscc: str = ""
    contact_name: str = ""
    address: str = ""
    contact_phone: str = ""


def _union_uscc(n: int) -> str:
    # Trade unions' own codes start with 81 (registration authority 8, type 1).
    return make_uscc(f"81{REGION}MC{n:07d}")


FEDERATION = OrgSpec(
    "YH",
    "玉环市总工会",
    Org.Kind.FEDERATION,
    None,
    uscc=_union_uscc(1),
    contact_name="林海燕",
    address="玉环市玉城街道广陵路1号",
)
DISTRICTS = [
    OrgSpec("YH-YC", "玉城街道总工会", Org.Kind.DISTRICT, "YH", uscc=_union_uscc(2)),
    OrgSpec("YH-KM", "坎门街道总工会", Org.Kind.DISTRICT, "YH", uscc=_union_uscc(3)),
    OrgSpec("YH-CM", "楚门镇总工会", Org.Kind.DISTRICT, "YH", uscc=_union_uscc(4)),
]
INDUSTRIES = [
    OrgSpec(
        "YH-KD",
        "玉环市快递物流行业工会联合会",
        Org.Kind.INDUSTRY,
        "YH",
        trade=Org.Trade.EXPRESS,
        uscc=_union_uscc(5),
    ),
    OrgSpec(
        "YH-WM",
        "玉环市外卖配送行业工会联合会",
        Org.Kind.INDUSTRY,
        "YH",
        trade=Org.Trade.DELIVERY,
        uscc=_union_uscc(6),
    ),
]
# Twelve grassroots unions: nine under the township/street federations, three under the
# industry federations.
_GRASSROOTS = [
    ("YH-YC-01", "玉环恒达阀门有限公司工会", "YH-YC", ""),
    ("YH-YC-02", "玉环华鑫汽车配件有限公司工会", "YH-YC", ""),
    ("YH-YC-03", "玉城街道小微企业联合工会", "YH-YC", ""),
    ("YH-KM-01", "玉环坎门海洋渔业有限公司工会", "YH-KM", ""),
    ("YH-KM-02", "玉环东海水产食品有限公司工会", "YH-KM", ""),
    ("YH-KM-03", "玉环精工机械制造有限公司工会", "YH-KM", ""),
    ("YH-CM-01", "玉环明视眼镜有限公司工会", "YH-CM", ""),
    ("YH-CM-02", "楚门文旦农业合作社联合工会", "YH-CM", ""),
    ("YH-CM-03", "玉环永固水暖洁具有限公司工会", "YH-CM", ""),
    ("YH-KD-01", "玉环迅捷快递服务有限公司工会", "YH-KD", Org.Trade.EXPRESS),
    ("YH-KD-02", "玉环通途物流有限公司工会", "YH-KD", Org.Trade.EXPRESS),
    ("YH-WM-01", "玉环速达同城配送有限公司工会", "YH-WM", Org.Trade.DELIVERY),
]
GRASSROOTS = [
    OrgSpec(code, name, Org.Kind.GRASSROOTS, parent, trade=trade, uscc=_union_uscc(10 + i))
    for i, (code, name, parent, trade) in enumerate(_GRASSROOTS)
]
_CONTACTS = ["林海燕", "陈建国", "王丽华", "张伟", "李秀英", "刘志强", "黄美玲", "周国平", "吴晓东"]
_TOWNS = {"YH-YC": "玉城街道", "YH-KM": "坎门街道", "YH-CM": "楚门镇"}
_ROADS = ["广陵路", "环城西路", "世纪大道", "渔港路", "双港路"]


def _with_contact(spec: OrgSpec, i: int) -> OrgSpec:
    """Every demo union has someone to call and a door to knock on (the member's 我的工会 page)."""
    town = _TOWNS.get(spec.parent or "", _TOWNS.get(spec.code, "玉城街道"))
    return replace(
        spec,
        contact_name=spec.contact_name or _CONTACTS[i % len(_CONTACTS)],
        contact_phone=spec.contact_phone or f"0576-8722{1000 + i:04d}",
        address=spec.address or f"玉环市{town}{_ROADS[i % len(_ROADS)]}{18 + 7 * i}号",
    )


ORGS = [
    _with_contact(spec, i)
    for i, spec in enumerate([FEDERATION, *DISTRICTS, *INDUSTRIES, *GRASSROOTS])
]


@dataclass(frozen=True)
class EnterpriseSpec:
    uscc: str
    name: str
    union: str
    industry: str
    size: str
    is_above_scale: bool


_ENTERPRISE_NAMES = {
    "YH-YC-01": [
        ("玉环恒达阀门有限公司", "阀门制造", "large", True),
        ("玉环恒达铜业有限公司", "有色金属加工", "medium", True),
        ("玉环恒达精密铸造厂", "铸造", "small", False),
    ],
    "YH-YC-02": [
        ("玉环华鑫汽车配件有限公司", "汽车零部件", "large", True),
        ("玉环华鑫橡塑制品有限公司", "橡胶塑料制品", "small", False),
    ],
    "YH-YC-03": [
        ("玉城广陵超市有限公司", "零售", "micro", False),
        ("玉环城关印务有限公司", "印刷", "micro", False),
        ("玉环城南物业服务有限公司", "物业管理", "small", False),
    ],
    "YH-KM-01": [
        ("玉环坎门海洋渔业有限公司", "海洋捕捞", "medium", True),
        ("玉环坎门渔船修造厂", "船舶修理", "small", False),
    ],
    "YH-KM-02": [
        ("玉环东海水产食品有限公司", "水产品加工", "medium", True),
        ("玉环东海冷链仓储有限公司", "冷链仓储", "small", False),
        ("玉环海鲜干货贸易有限公司", "批发", "micro", False),
    ],
    "YH-KM-03": [
        ("玉环精工机械制造有限公司", "通用设备制造", "medium", True),
        ("玉环精工模具有限公司", "模具制造", "small", False),
    ],
    "YH-CM-01": [
        ("玉环明视眼镜有限公司", "眼镜制造", "large", True),
        ("玉环明视光学镜片有限公司", "光学镜片", "medium", True),
        ("玉环楚门眼镜配件厂", "眼镜配件", "micro", False),
    ],
    "YH-CM-02": [
        ("玉环楚门文旦专业合作社", "水果种植", "small", False),
        ("玉环楚门果蔬配送有限公司", "农产品流通", "micro", False),
    ],
    "YH-CM-03": [
        ("玉环永固水暖洁具有限公司", "水暖器材制造", "large", True),
        ("玉环永固卫浴科技有限公司", "卫浴制造", "medium", False),
    ],
    "YH-KD-01": [
        ("玉环迅捷快递服务有限公司", "快递服务", "medium", False),
        ("玉环迅捷快递楚门营业部", "快递服务", "small", False),
        ("玉环迅捷快递坎门营业部", "快递服务", "small", False),
    ],
    "YH-KD-02": [
        ("玉环通途物流有限公司", "道路货运", "medium", True),
        ("玉环通途仓储服务有限公司", "仓储", "small", False),
    ],
    "YH-WM-01": [
        ("玉环速达同城配送有限公司", "即时配送", "medium", False),
        ("玉环速达配送玉城站点", "即时配送", "small", False),
        ("玉环速达配送楚门站点", "即时配送", "small", False),
    ],
}
ENTERPRISES = [
    EnterpriseSpec(make_uscc(f"91{REGION}MA2H{i + 1:05d}"), name, union, industry, size, above)
    for i, (union, name, industry, size, above) in enumerate(
        (union, *row) for union, rows in _ENTERPRISE_NAMES.items() for row in rows
    )
]
assert len(ENTERPRISES) == 30 and {e.size for e in ENTERPRISES} <= set(Enterprise.Size.values)


@dataclass(frozen=True)
class StaffSpec:
    username: str
    role: str | None  # None: the superuser
    org: str | None
    first_name: str


STAFF = [
    StaffSpec("admin", None, None, "系统管理员"),
    StaffSpec("fed_admin", Role.FEDERATION_ADMIN, "YH", "林海燕"),
    StaffSpec("union_admin", Role.UNION_ADMIN, "YH-YC", "陈建国"),
    StaffSpec("reviewer", Role.REVIEWER, "YH", "王丽萍"),
    StaffSpec("case_worker", Role.CASE_WORKER, "YH-KM", "张晓东"),
    StaffSpec("lawyer", Role.LAWYER, "YH", "郑律"),
    StaffSpec("cashier", Role.MERCHANT_STAFF, "YH", "黄小芳"),
    StaffSpec("venue_keeper", Role.VENUE_KEEPER, "YH-CM", "吴志强"),
    StaffSpec("organiser", Role.ORGANISER, "YH", "周敏"),
    StaffSpec("employer_staff", Role.EMPLOYER_STAFF, "YH-YC-01", "徐海军"),
    StaffSpec("auditor", Role.AUDITOR, "YH", "叶文静"),
]
assert {s.role for s in STAFF if s.role} == set(Role.values), "one demo login per role"


# --- people ---------------------------------------------------------------------------------
SURNAMES = list("陈林王张李黄吴周徐郑叶金杨朱潘蒋应郭何胡刘赵孙马高梁谢罗许邱冯蔡沈韩程曹彭董袁")
GIVEN_MALE = list("伟强军磊勇杰涛斌明辉刚鹏飞建国华海波平东峰志文俊宇浩")
GIVEN_FEMALE = list("芳娟敏静丽艳娜燕萍霞玲婷雪慧红琴颖洁梅兰秀英晶倩莉丹")
# Most members are local; gig workers come from all over the country (region codes are
# information only, never checked against a list).
LOCAL_REGIONS = ["331021", "331021", "331021", "331081", "331002", "331082"]
MIGRANT_REGIONS = ["511621", "513022", "522427", "412822", "362425", "431223", "450821", "341225"]
PHONE_PREFIXES = [
    "138",
    "139",
    "135",
    "136",
    "137",
    "150",
    "151",
    "152",
    "158",
    "159",
    "187",
    "188",
]
SKILLS = ["电工", "焊工", "叉车", "数控车床", "质检", "钳工", "驾驶", "厨师", "育婴", "电商运营"]


@dataclass(frozen=True)
class PersonSpec:
    name: str
    id_number: str
    phone: str
    birth_date: dt.date
    gender: str
    org: str
    enterprise: str | None  # USCC
    employment_type: str
    gig_trade: str
    is_frontline: bool
    joined_on: dt.date
    skills: list[str] = field(default_factory=list)


def _people(rng: random.Random, count: int) -> list[tuple[str, str, str, dt.date, str]]:
    """(name, id_number, phone, birth, gender) for ``count`` distinct people."""
    ids: set[str] = set()
    phones: set[str] = {DEMO_MEMBER_PHONE}
    out: list[tuple[str, str, str, dt.date, str]] = []
    start, span = dt.date(1968, 1, 1), (dt.date(2005, 12, 31) - dt.date(1968, 1, 1)).days
    while len(out) < count:
        migrant = rng.random() < 0.25
        region = rng.choice(MIGRANT_REGIONS if migrant else LOCAL_REGIONS)
        birth = start + dt.timedelta(days=rng.randrange(span))
        number = make_id_number(region=region, birth=birth, seq=rng.randrange(1000))
        if number in ids:
            continue
        phone = rng.choice(PHONE_PREFIXES) + f"{rng.randrange(10**8):08d}"
        if phone in phones:
            continue
        ids.add(number)
        phones.add(phone)
        parsed = parse_id_number(number, today=dt.date(2026, 1, 1))
        given = GIVEN_MALE if parsed.gender == "M" else GIVEN_FEMALE
        name = rng.choice(SURNAMES) + "".join(rng.choice(given) for _ in range(rng.choice((1, 2))))
        out.append((name, parsed.number, phone, parsed.birth_date, parsed.gender))
    return out


def _enterprises_of(union: str) -> list[str]:
    return [e.uscc for e in ENTERPRISES if e.union == union]


GIG_SHARE = 0.2


def members_and_enrolments() -> tuple[list[PersonSpec], list[PersonSpec]]:
    """The 2,000 members (about 20% gig workers in the industry federations) and the pending
    enrolments; identical on every call."""
    rng = random.Random(SEED)
    people = _people(rng, MEMBER_COUNT + PENDING_ENROLMENTS)
    district_unions = [g.code for g in GRASSROOTS if g.parent in {d.code for d in DISTRICTS}]
    gig_count = round(MEMBER_COUNT * GIG_SHARE)
    members: list[PersonSpec] = []
    for i, (name, id_number, phone, birth, gender) in enumerate(people[:MEMBER_COUNT]):
        if i == 0:
            phone = DEMO_MEMBER_PHONE  # the documented demo member
        joined = dt.date(2012, 1, 1) + dt.timedelta(days=rng.randrange(5000))
        joined = max(joined, dt.date(birth.year + 19, 1, 1))  # joined as an adult
        skills = rng.sample(SKILLS, rng.choice((0, 0, 1, 2)))
        if i >= MEMBER_COUNT - gig_count:  # gig workers: couriers, drivers and riders
            express = rng.random() < 0.5
            trade: str
            if express:
                union = rng.choice(["YH-KD", "YH-KD-01", "YH-KD-01", "YH-KD-02"])
                trade = GigTrade.TRUCK_DRIVER if union == "YH-KD-02" else GigTrade.COURIER
            else:
                union = rng.choice(["YH-WM", "YH-WM-01", "YH-WM-01"])
                trade = GigTrade.RIDER
            enterprise = rng.choice(_enterprises_of(union)) if union.count("-") == 2 else None
            members.append(
                PersonSpec(
                    name,
                    id_number,
                    phone,
                    birth,
                    gender,
                    union,
                    enterprise,
                    EmploymentType.GIG,
                    trade,
                    True,
                    joined,
                    skills,
                )
            )
        else:
            union = rng.choice(district_unions)
            members.append(
                PersonSpec(
                    name,
                    id_number,
                    phone,
                    birth,
                    gender,
                    union,
                    rng.choice(_enterprises_of(union)),
                    EmploymentType.EMPLOYEE,
                    "",
                    rng.random() < 0.6,
                    joined,
                    skills,
                )
            )
    enrol_targets: list[tuple[str, str, str]] = [
        ("YH-YC-01", EmploymentType.EMPLOYEE, ""),
        ("YH-KM-02", EmploymentType.EMPLOYEE, ""),
        ("YH-CM-01", EmploymentType.EMPLOYEE, ""),
        ("YH-WM", EmploymentType.GIG, GigTrade.RIDER),
        ("YH-KD", EmploymentType.GIG, GigTrade.COURIER),
    ]
    enrolments = []
    for (name, id_number, phone, birth, gender), (union, employment, trade) in zip(
        people[MEMBER_COUNT:], enrol_targets, strict=True
    ):
        enterprises = _enterprises_of(union)
        enrolments.append(
            PersonSpec(
                name,
                id_number,
                phone,
                birth,
                gender,
                union,
                enterprises[0] if enterprises else None,
                employment,
                trade,
                True,
                dt.date(2026, 1, 1),
            )
        )
    return members, enrolments
