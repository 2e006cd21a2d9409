"""Keyword search on /m/activities/?q=: by title or organising union, keeping the other
filters; no match says so."""

from __future__ import annotations

import pytest

from gonghui.activities.models import Kind
from tests.factories import org_child

from .factories import make_activity, make_session
from .test_pages import member_client

pytestmark = pytest.mark.django_db


def test_keyword_matches_title_or_union_and_keeps_the_kind(root, union, member):
    other = org_child(root, name="东港渔业工会")
    make_session(make_activity(union, title="羽毛球比赛", kind=Kind.SPORTS_CULTURE))
    make_session(
        make_activity(other, title="亲子游园", kind=Kind.SPORTS_CULTURE, audience_org=root)
    )
    c = member_client(member)
    by_title = c.get("/m/activities/?q=羽毛球").content.decode()
    assert "羽毛球比赛" in by_title and "亲子游园" not in by_title
    assert 'value="羽毛球"' in by_title
    by_union = c.get("/m/activities/?q=东港").content.decode()
    assert "亲子游园" in by_union and "羽毛球比赛" not in by_union
    other_kind = next(v for v in Kind.values if v != Kind.SPORTS_CULTURE)
    filtered = c.get(f"/m/activities/?q=羽毛球&kind={other_kind}").content.decode()
    assert "羽毛球比赛" not in filtered and 'data-testid="no-activities"' in filtered


def test_keyword_without_a_match_says_so(union, member):
    make_session(make_activity(union, title="羽毛球比赛"))
    body = member_client(member).get("/m/activities/?q=围棋").content.decode()
    assert 'data-testid="no-activities"' in body and "围棋" in body
    assert "羽毛球比赛" not in body
