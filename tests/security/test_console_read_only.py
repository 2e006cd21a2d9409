"""A role that may view but not change a console model sees its change page read-only (200), not
a server error. Found by the authorisation matrix (tests/security/test_authz_matrix.py): the job
posting form set attributes of fields that a read-only page does not have (KeyError, 500)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from gonghui.orgs.models import Role
from tests.factories import make_staff, org_child, org_root
from tests.jobs.factories import make_enterprise, make_posting

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast_hasher(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def test_auditor_sees_a_job_posting_read_only(client):
    root = org_root()
    union = org_child(root)
    posting = make_posting(make_enterprise(union))
    auditor = make_staff(root, Role.AUDITOR)
    client.force_login(auditor)
    client.raise_request_exception = False
    url = reverse("admin:jobs_posting_change", args=[posting.pk])
    response = client.get(url)
    assert response.status_code == 200
    assert client.post(url, {"title": "x"}).status_code == 403
