"""Periods of local (Asia/Shanghai) days, half-open in UTC, and the previous period."""

from __future__ import annotations

import datetime as dt

import pytest

from gonghui.dashboard.periods import MAX_DAYS, Kind, Period, buckets, period_from_params

UTC = dt.UTC


def test_month_bounds_are_local_midnights():
    p = period_from_params("month", "2026-10-17", None)
    assert (p.first, p.last) == (dt.date(2026, 10, 1), dt.date(2026, 10, 31))
    assert p.start == dt.datetime(2026, 9, 30, 16, 0, tzinfo=UTC)
    assert p.end == dt.datetime(2026, 10, 31, 16, 0, tzinfo=UTC)
    prev = p.previous()
    assert (prev.kind, prev.first, prev.last) == (
        Kind.MONTH,
        dt.date(2026, 9, 1),
        dt.date(2026, 9, 30),
    )


@pytest.mark.parametrize(
    ("day", "first", "last", "prev_first", "prev_last"),
    [
        ("2026-01-01", "2026-01-01", "2026-03-31", "2025-10-01", "2025-12-31"),
        ("2026-03-31", "2026-01-01", "2026-03-31", "2025-10-01", "2025-12-31"),
        ("2026-04-01", "2026-04-01", "2026-06-30", "2026-01-01", "2026-03-31"),
        ("2026-12-31", "2026-10-01", "2026-12-31", "2026-07-01", "2026-09-30"),
    ],
)
def test_quarters(day, first, last, prev_first, prev_last):
    p = period_from_params("quarter", day, None)
    d = dt.date.fromisoformat
    assert (p.first, p.last) == (d(first), d(last))
    assert (p.previous().first, p.previous().last) == (d(prev_first), d(prev_last))


def test_quarter_edge_in_utc():
    q1 = period_from_params("quarter", "2026-02-10", None)
    # 2026-03-31 23:59:59 local is 15:59:59 UTC: still Q1; 16:00 UTC is Q2's first instant
    assert q1.end == dt.datetime(2026, 3, 31, 16, 0, tzinfo=UTC)
    assert q1.start == dt.datetime(2025, 12, 31, 16, 0, tzinfo=UTC)


def test_year_and_its_previous():
    p = period_from_params("year", "2026-06-01", "ignored")
    assert (p.first, p.last) == (dt.date(2026, 1, 1), dt.date(2026, 12, 31))
    assert p.start == dt.datetime(2025, 12, 31, 16, 0, tzinfo=UTC)
    assert (p.previous().first, p.previous().last) == (dt.date(2025, 1, 1), dt.date(2025, 12, 31))


def test_custom_range_end_included_and_previous_same_length():
    p = period_from_params("custom", "2026-10-05", "2026-10-14")
    assert p.days == 10
    assert p.end == dt.datetime(2026, 10, 14, 16, 0, tzinfo=UTC)
    prev = p.previous()
    assert (prev.first, prev.last, prev.days) == (dt.date(2026, 9, 25), dt.date(2026, 10, 4), 10)
    # reversed days are put in order; a range too long is cut to MAX_DAYS ending at ``end``
    assert period_from_params("custom", "2026-10-14", "2026-10-05") == p
    long = period_from_params("custom", "2000-01-01", "2026-10-14")
    assert long.days == MAX_DAYS and long.last == dt.date(2026, 10, 14)


def test_malformed_falls_back_to_the_current_month():
    today = dt.date(2026, 12, 3)
    for args in (("nonsense", None, None), ("custom", "x", None), (None, "2026-13-01", None)):
        p = period_from_params(*args, today=today)
        assert (p.kind, p.first, p.last) == (
            Kind.MONTH,
            dt.date(2026, 12, 1),
            dt.date(2026, 12, 31),
        )


def test_buckets_days_for_a_month_months_for_longer():
    month = period_from_params("month", "2026-02-01", None)
    assert len(buckets(month)) == 28
    year = period_from_params("year", "2026-02-01", None)
    assert [b[0].month for b in buckets(year)] == list(range(1, 13))
    custom = Period(Kind.CUSTOM, dt.date(2026, 1, 20), dt.date(2026, 3, 5))
    assert buckets(custom) == [
        (dt.date(2026, 1, 20), dt.date(2026, 1, 31)),
        (dt.date(2026, 2, 1), dt.date(2026, 2, 28)),
        (dt.date(2026, 3, 1), dt.date(2026, 3, 5)),
    ]
