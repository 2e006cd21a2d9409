import pytest

from tests.factories import make_member, make_staff, org_child, org_root


@pytest.fixture(autouse=True)
def _fast_hasher(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def root(db):
    return org_root()


@pytest.fixture
def union(root):
    return org_child(root)


@pytest.fixture
def member(union):
    return make_member(union)


@pytest.fixture
def organiser(union):
    from gonghui.orgs.models import Role

    return make_staff(union, Role.ORGANISER)
