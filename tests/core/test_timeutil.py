"""Dates and times as a person reads them: local (Asia/Shanghai), the year only where it is not
the current one, ranges over several days with both dates (issue #12, item 1)."""

from __future__ import annotations

import datetime as dt
from unittest import mock

import pytest
from django.template import Context, Template
from django.utils import translation

from gonghui.core.timeutil import SHANGHAI, format_date, format_datetime, format_range

UTC = dt.UTC
TODAY = dt.date(2026, 12, 3)
# "now" for code that asks the clock: 2026-12-03 12:00 in Shanghai
FROZEN_NOW = dt.datetime(2026, 12, 3, 4, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _zh():
    with translation.override("zh-hans"):
        yield


def test_date_this_year_has_no_year_and_other_years_do():
    assert format_date(dt.date(2026, 1, 2), today=TODAY) == "1月2日"
    assert format_date(dt.date(2027, 1, 2), today=TODAY) == "2027年1月2日"
    assert format_date(dt.date(2025, 12, 31), today=TODAY) == "2025年12月31日"
    assert format_date(None) == ""


def test_datetime_is_local_not_utc():
    # 19:00 in Shanghai is 11:00 UTC: the person reads 19:00
    at = dt.datetime(2026, 3, 5, 11, 0, tzinfo=UTC)
    assert format_datetime(at, today=TODAY) == "3月5日 19:00"
    # 23:30 UTC is already the next day in Shanghai
    late = dt.datetime(2026, 3, 5, 23, 30, tzinfo=UTC)
    assert format_datetime(late, today=TODAY) == "3月6日 07:30"


def test_range_same_day_and_several_days():
    s = dt.datetime(2026, 1, 2, 8, 0, tzinfo=SHANGHAI)
    assert format_range(s, s + dt.timedelta(hours=2), today=TODAY) == "1月2日 08:00–10:00"
    # a session ending three days later keeps its end date
    end = dt.datetime(2027, 1, 5, 8, 0, tzinfo=SHANGHAI)
    start = dt.datetime(2027, 1, 2, 8, 0, tzinfo=SHANGHAI)
    assert format_range(start, end, today=TODAY) == "2027年1月2日 08:00 – 2027年1月5日 08:00"
    # across the new year: only the date that is not this year carries it
    a = dt.datetime(2026, 12, 30, 9, 0, tzinfo=SHANGHAI)
    b = dt.datetime(2027, 1, 2, 17, 0, tzinfo=SHANGHAI)
    assert format_range(a, b, today=TODAY) == "12月30日 09:00 – 2027年1月2日 17:00"


def test_english_dates_are_iso_like():
    with translation.override("en"):
        assert format_date(dt.date(2026, 1, 2), today=TODAY) == "01-02"
        assert format_date(dt.date(2027, 1, 2), today=TODAY) == "2027-01-02"


def test_template_filters_use_the_frozen_today():
    t = Template(
        "{% load gh_time %}{{ d|local_date }}|{{ a|local_dt }}|{{ a|local_range:b }}|"
        "{{ none|local_dt }}"
    )
    a = dt.datetime(2027, 1, 2, 0, 0, tzinfo=UTC)  # 08:00 in Shanghai
    b = dt.datetime(2027, 1, 5, 0, 0, tzinfo=UTC)
    with mock.patch("gonghui.core.timeutil.now", return_value=FROZEN_NOW):
        out = t.render(Context({"d": dt.date(2026, 6, 1), "a": a, "b": b, "none": None}))
    assert out == "6月1日|2027年1月2日 08:00|2027年1月2日 08:00 – 2027年1月5日 08:00|"


@pytest.mark.django_db
def test_model_str_shows_local_time():
    from gonghui.activities.models import Session
    from gonghui.core.models import AuditEntry

    start = dt.datetime(2026, 3, 5, 11, 0, tzinfo=UTC)  # 19:00 Shanghai
    session = Session(starts_at=start, ends_at=start + dt.timedelta(hours=2))
    with (
        mock.patch("gonghui.core.timeutil.now", return_value=FROZEN_NOW),
        mock.patch.object(Session, "activity", new=mock.PropertyMock(return_value="篮球赛")),
    ):
        assert str(session) == "篮球赛 3月5日 19:00–21:00"
        entry = AuditEntry(at=start, actor_label="admin", action="x.y", object_repr="o")
        assert str(entry).startswith("3月5日 19:00 ")
