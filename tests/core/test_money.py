"""Integer fen: formatting, parsing, percentages rounded half up."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gonghui.core.money import format_fen, parse_yuan, percent_of

amounts = st.integers(min_value=-(10**15), max_value=10**15)


@pytest.mark.parametrize(
    ("fen", "text"),
    [
        (0, "¥0.00"),
        (1, "¥0.01"),
        (10, "¥0.10"),
        (12345, "¥123.45"),
        (100000000, "¥1,000,000.00"),
        (-5, "-¥0.05"),
        (-123456, "-¥1,234.56"),
    ],
)
def test_format_fen(fen, text):
    assert format_fen(fen) == text


def test_format_fen_symbol():
    assert format_fen(12345, symbol="") == "123.45"


@pytest.mark.parametrize("bad", [1.5, "100", True, None])
def test_format_fen_refuses_non_int(bad):
    with pytest.raises(TypeError):
        format_fen(bad)


@given(amounts)
def test_format_then_parse_round_trips(fen):
    assert parse_yuan(format_fen(fen)) == fen
    assert parse_yuan(format_fen(fen, symbol="")) == fen


@pytest.mark.parametrize(
    ("text", "fen"),
    [
        ("0", 0),
        ("123", 12300),
        ("123.4", 12340),
        ("123.45", 12345),
        ("0.05", 5),
        (" ¥1,234.50 ", 123450),
        ("￥8", 800),
        ("-1.01", -101),
        ("5.", 500),
    ],
)
def test_parse_yuan(text, fen):
    assert parse_yuan(text) == fen


@pytest.mark.parametrize(
    "bad", ["", " ", "+1", "1.234", "abc", "1.2.3", "1e3", "--1", ".5", "1,2a", "1.-5"]
)
def test_parse_yuan_refuses(bad):
    with pytest.raises(ValueError):
        parse_yuan(bad)


@pytest.mark.parametrize(
    ("amount", "bp", "expected"),
    [
        (1, 5000, 1),  # 0.5 → 1 (half up)
        (1, 4999, 0),  # 0.4999 → 0
        (5, 5000, 3),  # 2.5 → 3
        (3, 5000, 2),  # 1.5 → 2
        (10000, 850, 850),
        (999, 1000, 100),  # 99.9 → 100
        (994, 1000, 99),  # 99.4 → 99
        (995, 1000, 100),  # 99.5 → 100
        (0, 10000, 0),
        (12345, 0, 0),
        (12345, 10000, 12345),
    ],
)
def test_percent_of_half_up(amount, bp, expected):
    assert percent_of(amount, bp) == expected


@given(st.integers(0, 10**12), st.integers(0, 20000))
def test_percent_of_is_exact_half_up(amount, bp):
    exact = Fraction(amount * bp, 10000)
    got = percent_of(amount, bp)
    assert got - Fraction(1, 2) <= exact < got + Fraction(1, 2)


@pytest.mark.parametrize(("amount", "bp"), [(-1, 100), (100, -1)])
def test_percent_of_refuses_negatives(amount, bp):
    with pytest.raises(ValueError):
        percent_of(amount, bp)
