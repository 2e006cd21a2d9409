"""Issue #10 item 6: the enrolment batch form looks members up in the admin's scope only, so it
never names a member the admin may not see (an out-of-scope number is as unknown as a number
that does not exist)."""

from __future__ import annotations

import pytest
from django.test import Client

from gonghui.mutualaid.models import EnrolmentBatch
from gonghui.orgs.models import Role
from tests.core.test_identifiers_nfkc import fullwidth
from tests.factories import make_member, make_staff

from .factories import build_world

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast_hasher(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def batch_post(c: Client, world, numbers: str):
    return c.post(
        "/admin/mutualaid/enrolmentbatch/add/",
        {
            "plan": world.plan.pk,
            "enterprise": world.enterprise.pk,
            "shares": 1,
            "paid_by": "unit",
            "member_numbers": numbers,
        },
    )


def test_batch_form_never_names_an_out_of_scope_member():
    world = build_world()
    other = build_world("乙")
    stranger = other.member
    admin = make_staff(world.union, Role.UNION_ADMIN)
    c = Client()
    c.force_login(admin)
    before = EnrolmentBatch.objects.count()
    r = batch_post(c, world, stranger.member_no)
    assert r.status_code == 200
    html = r.content.decode()
    assert stranger.name not in html and other.enterprise.name not in html
    assert stranger.member_no in html  # echoed back as an unknown number, nothing more
    assert EnrolmentBatch.objects.count() == before
    # A number that does not exist gets the very same kind of answer.
    r2 = batch_post(c, world, "99999999999")
    assert r2.status_code == 200 and "99999999999" in r2.content.decode()


def test_batch_form_takes_member_numbers_typed_full_width():
    world = build_world()
    newcomer = make_member(world.union, enterprise=world.enterprise)
    c = Client()
    c.force_login(make_staff(world.union, Role.UNION_ADMIN))
    r = batch_post(c, world, fullwidth(newcomer.member_no) + "\u3000")
    assert r.status_code == 302, r.content.decode()[:2000]
    assert EnrolmentBatch.objects.latest("id").enrolled_count == 1
