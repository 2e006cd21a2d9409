"""Properties of the per-capita rule: half-up rounding of total / size, monotonic in the total."""

from __future__ import annotations

from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

from gonghui.assistance.services import per_capita_fen

totals = st.integers(min_value=0, max_value=10**12)
sizes = st.integers(min_value=1, max_value=20)


@settings(max_examples=100)
@given(total=totals, size=sizes)
def test_is_the_exact_quotient_rounded_half_up(total, size):
    exact = Fraction(total, size)
    result = per_capita_fen(total, size)
    assert abs(result - exact) <= Fraction(1, 2)
    if exact - int(exact) == Fraction(1, 2):
        assert result == int(exact) + 1  # a half rounds up


@settings(max_examples=100)
@given(total=totals, extra=st.integers(min_value=0, max_value=10**6), size=sizes)
def test_monotonic_in_the_total_and_never_negative(total, extra, size):
    assert 0 <= per_capita_fen(total, size) <= per_capita_fen(total + extra, size)
