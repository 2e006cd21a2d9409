"""Text with a NUL character is refused by the API with 422 (field, reason) before it reaches a query.

PostgreSQL cannot hold NUL in text: such a value in a filter or a lookup raised inside the
database driver and answered 500 (found by schemathesis, tests/security/test_api_fuzz.py).
"""

from __future__ import annotations

import json

import pytest

from gonghui.orgs.models import Role
from tests.factories import make_staff, org_root

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast_hasher(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def test_nul_in_a_query_parameter_is_refused(client):
    federation_admin = make_staff(org_root(), Role.FEDERATION_ADMIN)
    client.force_login(federation_admin)
    response = client.get("/api/v1/benefits/staff/redemptions", {"status": "a\x00b"})
    assert response.status_code == 422
    assert response.json()["code"] == "invalid" and response.json()["field"] == "status"


def test_nul_in_a_json_body_is_refused(client):
    response = client.post(
        "/api/v1/rights/track",
        json.dumps({"number": "R\x00", "access_code": "x"}),
        content_type="application/json",
    )
    assert response.status_code == 422
    assert response.json()["field"] == "number"


def test_nul_deep_in_a_json_body_is_refused(client):
    response = client.post(
        "/api/v1/rights/track",
        json.dumps({"number": "R1", "access_code": "x", "extra": [{"a\x00": 1}]}),
        content_type="application/json",
    )
    assert response.status_code == 422
