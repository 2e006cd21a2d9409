"""Keyword search on /m/jobs/?q=: by post title or employer name; no match says so."""

from __future__ import annotations

import pytest

from tests.factories import make_member, org_child, org_root

from .factories import make_enterprise, make_posting
from .test_h5 import member_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def member():
    union = org_child(org_root())
    port = make_enterprise(union, name="港湾物流", region_code=union.region_code)
    plant = make_enterprise(union, name="海鲸机械", region_code=union.region_code)
    make_posting(port, title="叉车司机")
    make_posting(plant, title="数控车工")
    return make_member(union)


def test_keyword_matches_title_or_employer(member):
    c = member_client(member)
    both = c.get("/m/jobs/").content.decode()
    assert "叉车司机" in both and "数控车工" in both
    by_title = c.get("/m/jobs/?q=叉车").content.decode()
    assert "叉车司机" in by_title and "数控车工" not in by_title
    assert 'value="叉车"' in by_title
    by_employer = c.get("/m/jobs/?q=海鲸").content.decode()
    assert "数控车工" in by_employer and "叉车司机" not in by_employer


def test_keyword_without_a_match_says_so(member):
    body = member_client(member).get("/m/jobs/?q=厨师").content.decode()
    assert 'data-testid="no-jobs-match"' in body and "厨师" in body
    assert "叉车司机" not in body and 'data-testid="no-jobs"' not in body
