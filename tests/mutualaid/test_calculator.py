"""The calculator: fixed examples that read like the plan's rules, and hypothesis properties:
never above the cap or the bill, never negative, monotonic in the bill, the yearly cap holds
across many claims."""

from __future__ import annotations

import pytest
from django.utils import translation
from hypothesis import given, settings
from hypothesis import strategies as st

from gonghui.mutualaid.services.calculator import Band, Rule, calculate, explain, format_ratio

RULE = Rule(
    category="住院",
    deductible_fen=100_000,  # ¥1,000
    annual_cap_fen=5_000_000,  # ¥50,000 per share
    bands=(Band(1_000_000, 5000), Band(5_000_000, 6000), Band(None, 7000)),
)


def test_example_over_two_bands():
    # ¥20,000 bill: (10,000 − 1,000) × 50 % + (20,000 − 10,000) × 60 % = 4,500 + 6,000
    calc = calculate(rule=RULE, bill_fen=2_000_000)
    assert calc.payout_fen == 450_000 + 600_000
    codes = [line.code for line in calc.lines]
    assert codes == ["rule", "bill", "deductible", "band", "band", "by_bands", "cap", "result"]
    bands = [line.params for line in calc.lines if line.code == "band"]
    assert bands[0] == {
        "from": 100_000,
        "to": 1_000_000,
        "up_to": 1_000_000,
        "part": 900_000,
        "ratio_bp": 5000,
        "pay": 450_000,
    }
    assert bands[1]["part"] == 1_000_000 and bands[1]["pay"] == 600_000


def test_below_the_deductible_pays_nothing_and_says_so():
    calc = calculate(rule=RULE, bill_fen=100_000)
    assert calc.payout_fen == 0
    assert "below_deductible" in [line.code for line in calc.lines]


def test_cap_left_limits_and_is_explained():
    calc = calculate(rule=RULE, bill_fen=2_000_000, paid_this_year_fen=4_500_000)
    assert calc.payout_fen == 500_000 and calc.by_bands_fen == 1_050_000
    capped = [line for line in calc.lines if line.code == "capped"]
    assert capped and capped[0].params == {"amount": 1_050_000, "left": 500_000}


def test_shares_multiply_the_cap():
    calc = calculate(rule=RULE, bill_fen=50_000_000, paid_this_year_fen=0, shares=2)
    assert calc.cap_left_fen == 10_000_000
    assert calc.payout_fen == 10_000_000


def test_amount_beyond_a_closed_last_band_is_not_paid():
    rule = Rule("门诊", 0, 10**9, (Band(10_000, 10000),))
    calc = calculate(rule=rule, bill_fen=15_000)
    assert calc.payout_fen == 10_000
    beyond = [line for line in calc.lines if line.code == "beyond_bands"]
    assert beyond[0].params == {"from": 10_000, "part": 5_000}


def test_band_under_the_deductible_is_skipped():
    rule = Rule("x", 50_000, 10**9, (Band(20_000, 9000), Band(None, 5000)))
    calc = calculate(rule=rule, bill_fen=150_000)
    assert calc.payout_fen == 50_000  # (150,000 − 50,000) × 50 %


def test_rounding_half_up_per_band():
    rule = Rule("x", 0, 10**9, (Band(None, 5000),))
    assert calculate(rule=rule, bill_fen=3).payout_fen == 2  # 1.5 fen → 2


@pytest.mark.parametrize(
    ("bad", "kw"),
    [
        ("bill", {"bill_fen": -1}),
        ("paid", {"bill_fen": 1, "paid_this_year_fen": -1}),
        ("shares", {"bill_fen": 1, "shares": 0}),
    ],
)
def test_bad_input_raises(bad, kw):
    with pytest.raises(ValueError):
        calculate(rule=RULE, **kw)


def test_explanation_is_translated():
    calc = calculate(rule=RULE, bill_fen=2_000_000, paid_this_year_fen=4_500_000)
    with translation.override("en"):
        text = explain(calc.explanation())
    assert text[0].startswith("Rule: 住院; deductible ¥1,000.00")
    assert "Band ¥1,000.00 to ¥10,000.00: ¥9,000.00 at 50% = ¥4,500.00." in text
    assert text[-1] == "Payout: ¥5,000.00."
    with translation.override("zh-hans"):
        zh = explain(calc.explanation())
    assert len(zh) == len(text)
    assert format_ratio(7250) == "72.5%" and format_ratio(6000) == "60%"


def test_a_category_without_a_name_shows_its_kind_in_the_readers_language():
    rule = Rule(category="", kind="inpatient", deductible_fen=0, annual_cap_fen=100, bands=())
    lines = calculate(rule=rule, bill_fen=10).explanation()
    with translation.override("en"):
        assert explain(lines)[0].startswith("Rule: Inpatient;")
    with translation.override("zh-hans"):
        assert explain(lines)[0].startswith("规则：住院；")


# --- properties --------------------------------------------------------------------------------

amounts = st.integers(min_value=0, max_value=10**9)


@st.composite
def rules(draw):
    n = draw(st.integers(min_value=0, max_value=4))
    uppers = sorted(
        draw(st.sets(st.integers(min_value=1, max_value=10**8), min_size=n, max_size=n))
    )
    bands = [Band(u, draw(st.integers(min_value=0, max_value=10000))) for u in uppers]
    if draw(st.booleans()):
        bands.append(Band(None, draw(st.integers(min_value=0, max_value=10000))))
    draw(st.randoms()).shuffle(bands)  # the calculator sorts them itself
    return Rule(
        category="x",
        deductible_fen=draw(st.integers(min_value=0, max_value=10**6)),
        annual_cap_fen=draw(st.integers(min_value=0, max_value=10**8)),
        bands=tuple(bands),
    )


@settings(max_examples=100, deadline=None)
@given(rule=rules(), bill=amounts, paid=amounts, shares=st.integers(min_value=1, max_value=5))
def test_never_negative_never_above_bill_or_cap(rule, bill, paid, shares):
    calc = calculate(rule=rule, bill_fen=bill, paid_this_year_fen=paid, shares=shares)
    assert 0 <= calc.payout_fen <= bill
    assert calc.payout_fen <= max(0, rule.annual_cap_fen * shares - paid)
    assert calc.payout_fen <= rule.annual_cap_fen * shares
    assert calc.lines[-1].params["payout"] == calc.payout_fen
    assert explain(calc.lines)  # every line can be rendered


@settings(max_examples=100, deadline=None)
@given(rule=rules(), a=amounts, b=amounts, paid=amounts)
def test_monotonic_in_the_bill(rule, a, b, paid):
    low, high = sorted((a, b))
    assert (
        calculate(rule=rule, bill_fen=low, paid_this_year_fen=paid).payout_fen
        <= calculate(rule=rule, bill_fen=high, paid_this_year_fen=paid).payout_fen
    )


@settings(max_examples=60, deadline=None)
@given(
    rule=rules(),
    bills=st.lists(st.integers(min_value=0, max_value=10**8), min_size=1, max_size=30),
    shares=st.integers(min_value=1, max_value=3),
)
def test_yearly_cap_holds_across_many_claims(rule, bills, shares):
    paid = 0
    wanted = 0
    for bill in bills:
        calc = calculate(rule=rule, bill_fen=bill, paid_this_year_fen=paid, shares=shares)
        paid += calc.payout_fen
        wanted += calc.by_bands_fen
    cap = rule.annual_cap_fen * shares
    assert paid <= cap
    assert paid == min(cap, wanted)  # nothing is lost below the cap either
