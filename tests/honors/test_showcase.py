"""Issue #12 item 6: the member's 劳模工匠 page shows the honourees of their federation."""

from __future__ import annotations

import pytest
from django.test import Client

from gonghui.honors import services
from gonghui.members import h5menu
from gonghui.members.session import SESSION_MEMBER_KEY
from gonghui.orgs.models import Role
from tests.factories import make_member, make_staff, org_child, org_root

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast_hasher(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def _client(member, lang: str = "zh-hans") -> Client:
    c = Client(HTTP_ACCEPT_LANGUAGE=lang)
    s = c.session
    s[SESSION_MEMBER_KEY] = member.pk
    s.save()
    return c


def _honoree(admin, org, name, level, title, year):
    return services.honoree_create(
        actor=admin, org=org, name=name, level=level, title=title, year=year, field="机械"
    )


def test_members_see_their_federations_honourees_best_first():
    root, elsewhere = org_root(), org_root(name="别处总工会")
    union, other_union = org_child(root), org_child(root)
    admin = make_staff(root, Role.FEDERATION_ADMIN)
    city = _honoree(admin, other_union, "工匠丙", "city", "craftsman", 2024)
    national = _honoree(admin, union, "劳模甲", "national", "model_worker", 2015)
    foreign = _honoree(
        make_staff(elsewhere, Role.FEDERATION_ADMIN),
        elsewhere,
        "外人",
        "national",
        "model_worker",
        2020,
    )
    member = make_member(union)
    r = _client(member).get("/m/honours/")
    body = r.content.decode()
    assert r.status_code == 200 and "<h1>劳模工匠</h1>" in body
    assert (
        f'data-testid="honoree-{national.pk}"' in body
        and f'data-testid="honoree-{city.pk}"' in body
    )
    assert body.index(f"honoree-{national.pk}") < body.index(f"honoree-{city.pk}")  # national first
    assert f'data-testid="honoree-{foreign.pk}"' not in body  # another federation's
    crafts = _client(member).get("/m/honours/?title=craftsman").content.decode()
    assert f"honoree-{city.pk}" in crafts and f"honoree-{national.pk}" not in crafts
    assert (
        f"honoree-{national.pk}"
        in _client(member).get("/m/honours/?title=nonsense").content.decode()
    )
    assert Client().get("/m/honours/").status_code == 302  # members only


def test_the_home_page_has_a_tile_for_it():
    assert "honours" in [e.key for e in h5menu.entries()]
