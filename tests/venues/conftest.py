"""Fixtures of the venue tests: a federation with two grassroots unions, a venue of the
federation, members, and a union admin of one union."""

from __future__ import annotations

import pytest

from gonghui.orgs.models import Role
from tests.factories import make_member, make_staff, org_child, org_root

from .factories import make_venue


@pytest.fixture(autouse=True)
def _fast_hasher(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def federation(db):
    return org_root()


@pytest.fixture
def union(federation):
    return org_child(federation)


@pytest.fixture
def other_union(federation):
    return org_child(federation)


@pytest.fixture
def venue(federation):
    return make_venue(federation)


@pytest.fixture
def member(union):
    return make_member(union)


@pytest.fixture
def union_admin(union):
    return make_staff(union, Role.UNION_ADMIN)


@pytest.fixture
def keeper(federation):
    return make_staff(federation, Role.VENUE_KEEPER)
