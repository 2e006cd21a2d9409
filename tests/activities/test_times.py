"""The H5 activity page shows local times, a multi-day session's end date and the year of a
registration window that is not this year (issue #12, item 1), with a frozen "today"."""

from __future__ import annotations

import datetime as dt
from unittest import mock

import pytest
from django.test import Client

from gonghui.core.timeutil import SHANGHAI
from gonghui.members.session import SESSION_MEMBER_KEY

from .factories import make_activity, make_session

pytestmark = pytest.mark.django_db
NOW = dt.datetime(2026, 12, 3, 4, 0, tzinfo=dt.UTC)  # 12:00 in Shanghai


def test_detail_shows_both_dates_of_a_multi_day_session_and_the_year(union, member):
    with mock.patch("gonghui.core.timeutil.now", return_value=NOW):
        activity = make_activity(
            union,
            title="疗休养",
            registration_opens=dt.datetime(2026, 12, 1, 9, 0, tzinfo=SHANGHAI),
            registration_closes=dt.datetime(2027, 1, 1, 18, 0, tzinfo=SHANGHAI),
        )
        make_session(
            activity,
            starts_at=dt.datetime(2027, 1, 2, 8, 0, tzinfo=SHANGHAI),
            ends_at=dt.datetime(2027, 1, 5, 8, 0, tzinfo=SHANGHAI),
        )
        evening = dt.datetime(2026, 12, 20, 11, 0, tzinfo=dt.UTC)  # 19:00 in Shanghai
        make_session(activity, starts_at=evening, ends_at=evening + dt.timedelta(hours=2))
        c = Client(headers={"accept-language": "zh-hans"})
        s = c.session
        s[SESSION_MEMBER_KEY] = member.pk
        s.save()
        body = c.get(f"/m/activities/{activity.pk}/").content.decode()
    assert "2027年1月2日 08:00 – 2027年1月5日 08:00" in body
    assert "12月20日 19:00–21:00" in body  # local, not 11:00 UTC
    assert "12月1日 09:00 – 2027年1月1日 18:00" in body  # the window's year where not this year
