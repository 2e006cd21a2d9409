"""Demo merchant benefits: 8 partner merchants in Yuhuan with 13 stores, 12 offers of every kind
(union-paid with budgets on the federation's welfare fund, and merchants' own discounts), a POS
terminal per store, and the demo merchant-staff login as cashier of the first merchant.

Keyed: merchants by USCC, stores by (merchant, name), offers by (merchant, title), budgets by
their source ("demo.benefits", key), terminals by their store; the welfare top-up has a ledger
source, so a second run books nothing. Terminal API keys are hashed and never printed: staff make
a new key in the console ("New API key") or sign in at the POS page as the cashier."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.auth import get_user_model

from gonghui.benefits import services
from gonghui.benefits.models import Merchant, MerchantStaff, Offer, OfferKind, Payer, Store
from gonghui.codes.models import Terminal
from gonghui.codes.services import terminal_create
from gonghui.core.identifiers import make_uscc
from gonghui.demo import data
from gonghui.funds import services as funds
from gonghui.funds.models import AccountKind, Budget, BudgetScope
from gonghui.orgs.models import Org, Role

ORDER = 40
WELFARE_TOPUP_FEN = 50_000_000  # ¥500,000 for the year's merchant subsidies


def _uscc(n: int) -> str:
    return make_uscc(f"91{data.REGION}MA2B{n:05d}")


# (n, name, contact, settlement account, [(store name, address, region, lat, lng)])
MERCHANTS: list[tuple[int, str, str, str, list[tuple[str, str, str, float, float]]]] = [
    (
        1,
        "玉环好又多超市有限公司",
        "陈雪梅",
        "玉环农商银行 玉城支行 201000123456701",
        [
            ("玉城店", "玉环市玉城街道广陵路56号", "331021", 28.1283, 121.2312),
            ("楚门店", "玉环市楚门镇中山路120号", "331021", 28.1804, 121.2732),
            ("坎门店", "玉环市坎门街道海港路18号", "331021", 28.0850, 121.2851),
        ],
    ),
    (
        2,
        "玉环海鲜楼餐饮有限公司",
        "林国栋",
        "中国工商银行 玉环支行 1207051109200088881",
        [("坎门总店", "玉环市坎门街道东海路88号", "331021", 28.0871, 121.2902)],
    ),
    (
        3,
        "玉环康宁大药房连锁有限公司",
        "郑丽",
        "中国农业银行 玉环支行 19940101040012345",
        [
            ("广陵路店", "玉环市玉城街道广陵路200号", "331021", 28.1301, 121.2355),
            ("清港店", "玉环市清港镇清港大道9号", "331021", 28.1622, 121.2050),
        ],
    ),
    (
        4,
        "玉环车友汽车服务有限公司",
        "王强",
        "中国建设银行 玉环支行 33050166730000001234",
        [("城北维修中心", "玉环市玉城街道北环路31号", "331021", 28.1402, 121.2290)],
    ),
    (
        5,
        "玉环新华书店有限公司",
        "叶文",
        "中国银行 玉环支行 361070012345",
        [("玉城书店", "玉环市玉城街道环城西路7号", "331021", 28.1269, 121.2278)],
    ),
    (
        6,
        "玉环悦动健身有限公司",
        "徐晨",
        "浙商银行 台州玉环支行 3450020010120100012345",
        [
            ("楚门馆", "玉环市楚门镇文旅路66号", "331021", 28.1788, 121.2690),
            ("玉城馆", "玉环市玉城街道双港路15号", "331021", 28.1250, 121.2401),
        ],
    ),
    (
        7,
        "玉环骑士驿站便利店",
        "黄磊",
        "玉环农商银行 大麦屿支行 201000987654302",
        [
            ("大麦屿店", "玉环市大麦屿街道港区路3号", "331021", 28.1180, 121.1820),
            ("沙门店", "玉环市沙门镇滨港路21号", "331021", 28.1405, 121.3005),
        ],
    ),
    (
        8,
        "玉环明亮眼镜店",
        "潘敏",
        "中国邮政储蓄银行 玉环支行 933001010012345678",
        [("玉城店", "玉环市玉城街道广陵路98号", "331021", 28.1290, 121.2330)],
    ),
]


def _t(h: int, m: int = 0) -> dt.time:
    return dt.time(h, m)


# (merchant n, title, kind, payer, figures, rules, budget cap fen or None)
OFFERS: list[tuple[int, str, str, str, dict[str, Any], dict[str, Any], int | None]] = [
    (1, "会员购物9折（工会补贴，每单最高20元）", OfferKind.PERCENT, Payer.UNION,
     {"percent_bp": 1000, "max_subsidy_fen": 2_000},
     {"limit_per_day": 1, "limit_per_month": 8, "stock_total": 5_000}, 3_000_000),
    (1, "满100减15", OfferKind.FIXED_THRESHOLD, Payer.MERCHANT,
     {"threshold_fen": 10_000, "amount_off_fen": 1_500},
     {"limit_per_week": 2}, None),
    (2, "工会会员餐满200减50", OfferKind.FIXED_THRESHOLD, Payer.UNION,
     {"threshold_fen": 20_000, "amount_off_fen": 5_000},
     {"limit_per_month": 2, "stock_total": 800, "time_from": _t(11), "time_until": _t(21)},
     2_000_000),
    (2, "午市会员价套餐", OfferKind.MEMBER_PRICE, Payer.MERCHANT,
     {"item_name": "海鲜面套餐", "list_price_fen": 3_800, "member_price_fen": 2_800},
     {"limit_per_day": 1, "time_from": _t(10, 30), "time_until": _t(14), "weekdays": "12345"},
     None),
    (3, "常用药品95折", OfferKind.PERCENT, Payer.MERCHANT,
     {"percent_bp": 500}, {"limit_per_day": 2}, None),
    (3, "职工健康包免费领", OfferKind.FREE_ITEM, Payer.UNION,
     {"item_name": "职工健康包（口罩、创可贴、体温计）", "list_price_fen": 3_500},
     {"limit_per_month": 1, "stock_total": 300}, 1_050_000),
    (4, "新就业形态劳动者电动车保养8折", OfferKind.PERCENT, Payer.UNION,
     {"percent_bp": 2000, "max_subsidy_fen": 5_000},
     {"gig_only": True, "limit_per_month": 2, "stock_total": 500}, 1_500_000),
    (5, "图书满50减10", OfferKind.FIXED_THRESHOLD, Payer.UNION,
     {"threshold_fen": 5_000, "amount_off_fen": 1_000},
     {"limit_per_week": 1, "stock_total": 1_000}, 1_000_000),
    (6, "健身单次体验免费", OfferKind.FREE_ITEM, Payer.MERCHANT,
     {"item_name": "单次健身", "list_price_fen": 4_000},
     {"limit_per_month": 1, "stock_total": 200}, None),
    (6, "月卡会员价", OfferKind.MEMBER_PRICE, Payer.UNION,
     {"item_name": "健身月卡", "list_price_fen": 19_900, "member_price_fen": 9_900},
     {"limit_per_month": 1, "stock_total": 150}, 1_500_000),
    (7, "骑手夜间热饮免费", OfferKind.FREE_ITEM, Payer.UNION,
     {"item_name": "热饮一杯", "list_price_fen": 800},
     {"gig_only": True, "limit_per_day": 1, "time_from": _t(20), "time_until": _t(6)},
     500_000),
    (8, "配镜85折（工会补贴，最高100元）", OfferKind.PERCENT, Payer.UNION,
     {"percent_bp": 1500, "max_subsidy_fen": 10_000},
     {"limit_per_month": 1, "stock_total": 400}, 2_000_000),
]  # fmt: skip


def _merchants(root: Org) -> tuple[dict[int, Merchant], dict[int, list[Store]], int]:
    created = 0
    merchants: dict[int, Merchant] = {}
    stores: dict[int, list[Store]] = {}
    for n, name, contact, account, store_specs in MERCHANTS:
        merchant = Merchant.objects.filter(uscc=_uscc(n)).first()
        if merchant is None:
            merchant = services.merchant_create(
                org=root,
                name=name,
                uscc=_uscc(n),
                contact_name=contact,
                contact_phone=f"1385760{n:04d}",
                settlement_account=account,
            )
            created += 1
        merchants[n] = merchant
        stores[n] = []
        for store_name, address, region, lat, lng in store_specs:
            store, made = Store.objects.get_or_create(
                merchant=merchant,
                name=store_name,
                defaults={"address": address, "region_code": region, "lat": lat, "lng": lng},
            )
            created += int(made)
            stores[n].append(store)
    return merchants, stores, created


def load() -> int:
    root = Org.objects.get(code=data.FEDERATION.code)
    created = 0
    merchants, stores, n = _merchants(root)
    created += n

    bank = funds.account_open(org=root, kind=AccountKind.BANK)
    welfare = funds.account_open(org=root, kind=AccountKind.WELFARE)
    topup = funds.fund_allocate(
        org=root,
        from_account=bank,
        to_account=welfare,
        amount_fen=WELFARE_TOPUP_FEN,
        memo="2026年度职工普惠福利费",
        source=("demo.benefits", "welfare-2026"),
    )
    created += int(not topup.replayed)

    for m, title, kind, payer, figures, rules, cap in OFFERS:
        merchant = merchants[m]
        if Offer.objects.filter(merchant=merchant, title=title).exists():
            continue
        budget = None
        if cap is not None:
            key = f"{m}:{title}"[:64]
            budget = Budget.objects.filter(source_type="demo.benefits", source_id=key).first()
            if budget is None:
                budget = funds.budget_create(
                    org=root,
                    name=title[:120],
                    account=welfare,
                    cap_fen=cap,
                    scope_kind=BudgetScope.OFFER,
                    source=("demo.benefits", key),
                )
                created += 1
        stock = rules.get("stock_total")
        Offer.objects.create(
            merchant=merchant,
            title=title,
            kind=kind,
            payer=payer,
            org=root,
            budget=budget,
            stock_left=stock,
            **figures,
            **rules,
        )
        created += 1

    for store_list in stores.values():
        for store in store_list:
            if Terminal.objects.filter(
                context_type=services.CONTEXT_TYPE, context_id=str(store.pk)
            ).exists():
                continue
            terminal_create(
                actor=None,
                org=root,
                kind=Terminal.Kind.POS,
                name=f"{store.merchant.name[:40]} {store.name} 收银台",
                context_type=services.CONTEXT_TYPE,
                context_id=str(store.pk),
            )
            created += 1

    # The demo merchant-staff login is the cashier of the first merchant (all its stores).
    username = next(s.username for s in data.STAFF if s.role == Role.MERCHANT_STAFF)
    cashier = get_user_model().objects.filter(username=username).first()
    if cashier is not None:
        _staff, made = MerchantStaff.objects.get_or_create(
            user=cashier, merchant=merchants[1], defaults={"is_manager": True}
        )
        created += int(made)
    return created
