"""orgs.scoping: a role at an org reaches its subtree, nothing else."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser
from django.http import Http404

from gonghui.members.models import Member
from gonghui.orgs.models import Org, Role, RoleAssignment
from gonghui.orgs.scoping import can, get_in_scope_or_404, scope, scope_roots, visible_orgs
from tests.factories import EnterpriseFactory, make_member, make_staff, org_child, org_root

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings):
    """Argon2 is slow by design; these tests log in with force_login, never with a password."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def tree():
    city = org_root(name="市总工会")
    a = org_child(city, Org.Kind.DISTRICT, name="A镇总工会")
    a1 = org_child(a, name="A1")
    a2 = org_child(a, name="A2")
    b = org_child(city, Org.Kind.DISTRICT, name="B镇总工会")
    b1 = org_child(b, name="B1")
    ind = org_child(city, Org.Kind.INDUSTRY, name="快递行业", trade=Org.Trade.EXPRESS)
    other = org_root(name="另一市总工会")
    other1 = org_child(other, name="X1")
    built = {
        "city": city,
        "a": a,
        "a1": a1,
        "a2": a2,
        "b": b,
        "b1": b1,
        "ind": ind,
        "other": other,
        "other1": other1,
    }
    # Re-read: a later sorted insertion (node_order_by = code) may have moved earlier paths.
    return {k: Org.objects.get(pk=o.pk) for k, o in built.items()}


def names(qs):
    return {o.name for o in qs}


def fresh(user):
    return get_user_model().objects.get(pk=user.pk)  # no cached assignments


def test_township_admin_sees_subtree_not_siblings(tree):
    user = make_staff(tree["a"], Role.FEDERATION_ADMIN)
    assert names(visible_orgs(user)) == {"A镇总工会", "A1", "A2"}
    assert can(user, "orgs.view", tree["a1"])
    assert not can(user, "orgs.view", tree["b1"])
    assert not can(user, "orgs.view", tree["city"])
    assert not can(user, "orgs.view", tree["other1"])


def test_grassroots_admin_sees_only_own_union(tree):
    user = make_staff(tree["a1"], Role.UNION_ADMIN)
    assert names(visible_orgs(user)) == {"A1"}


def test_city_admin_sees_own_tree_only(tree):
    user = make_staff(tree["city"], Role.FEDERATION_ADMIN)
    assert names(visible_orgs(user)) == {
        "市总工会",
        "A镇总工会",
        "A1",
        "A2",
        "B镇总工会",
        "B1",
        "快递行业",
    }


def test_superuser_sees_all(tree):
    su = get_user_model().objects.create_superuser("root", password="x-Pass-1234")
    assert visible_orgs(su).count() == Org.objects.count() == 9
    assert can(su, "anything.at.all", tree["other1"])


def test_multiple_assignments_union(tree):
    user = make_staff(tree["a1"], Role.UNION_ADMIN)
    RoleAssignment.objects.create(user=user, org=tree["b"], role=Role.REVIEWER)
    user = fresh(user)
    assert names(visible_orgs(user)) == {"A1", "B镇总工会", "B1"}
    # The capability decides: a reviewer may not reveal, a union admin may.
    assert can(user, "members.reveal", tree["a1"])
    assert not can(user, "members.reveal", tree["b1"])


def test_nested_assignments_collapse_to_one_root(tree):
    user = make_staff(tree["a"], Role.FEDERATION_ADMIN)
    RoleAssignment.objects.create(user=user, org=tree["a1"], role=Role.UNION_ADMIN)
    user = fresh(user)
    assert scope_roots(user, "orgs.view") == [tree["a"].path]
    assert visible_orgs(user).count() == 3


def test_inactive_org_assignment_gives_nothing(tree):
    user = make_staff(tree["a"], Role.FEDERATION_ADMIN)
    Org.objects.filter(pk=tree["a"].pk).update(is_active=False)
    user = fresh(user)
    assert not visible_orgs(user).exists()
    assert not can(user, "orgs.view")
    assert not can(user, "orgs.view", tree["a1"])


def test_inactive_user_anonymous_and_roleless_get_nothing(tree):
    user = make_staff(tree["city"], Role.FEDERATION_ADMIN)
    user.is_active = False
    user.save()
    assert not visible_orgs(fresh(user)).exists()
    assert not visible_orgs(AnonymousUser()).exists()
    assert not visible_orgs(make_staff(None, None)).exists()
    assert not can(AnonymousUser(), "orgs.view")


def test_role_without_the_capability_sees_nothing(tree):
    user = make_staff(tree["city"], Role.MERCHANT_STAFF)
    assert not visible_orgs(user).exists()
    assert not can(user, "members.view")


def test_unknown_capability_gives_nothing(tree):
    user = make_staff(tree["city"], Role.FEDERATION_ADMIN)
    assert not can(user, "no.such.capability")


def test_scope_follows_a_foreign_key_path(tree):
    in_a = make_member(tree["a1"])
    in_b = make_member(tree["b1"])
    user = make_staff(tree["a"], Role.REVIEWER)
    assert list(scope(Member.objects.all(), user, "members.view")) == [in_a]
    assert get_in_scope_or_404(Member.objects.all(), user, "members.view", pk=in_a.pk) == in_a
    with pytest.raises(Http404):
        get_in_scope_or_404(Member.objects.all(), user, "members.view", pk=in_b.pk)
    with pytest.raises(Http404):
        get_in_scope_or_404(Member.objects.all(), user, "members.view", pk=10**9)
    ent_a = EnterpriseFactory(union=tree["a2"])
    EnterpriseFactory(union=tree["b1"])
    from gonghui.orgs.models import Enterprise

    assert list(scope(Enterprise.objects.all(), user, "enterprises.view", "union")) == [ent_a]


def test_sibling_with_a_shared_name_prefix_is_not_in_scope(tree):
    """Paths have a fixed step length, so prefix matching never leaks into a sibling."""
    user = make_staff(tree["a1"], Role.UNION_ADMIN)
    assert all(o.path.startswith(tree["a1"].path) for o in visible_orgs(user))
    assert tree["a2"].path[: len(tree["a1"].path) - 1] == tree["a1"].path[:-1]
    assert not can(user, "orgs.view", tree["a2"])


def test_get_in_scope_or_404_malformed_key(tree):
    user = make_staff(tree["a"], Role.REVIEWER)
    with pytest.raises(Http404):
        get_in_scope_or_404(Member.objects.all(), user, "members.view", pk="12x")


def test_adding_an_org_never_moves_existing_paths():
    """New orgs are appended after their siblings (no sorting), so the materialised paths that
    scopes and cached assignments rely on never move when the tree grows."""
    city = org_root(name="市", code="S")
    b = org_child(city, Org.Kind.DISTRICT, name="B", code="S-B")
    b1 = org_child(b, name="B1", code="S-B-1")
    user = make_staff(b, Role.FEDERATION_ADMIN)
    path_before = Org.objects.get(pk=b1.pk).path
    org_child(city, Org.Kind.DISTRICT, name="A", code="S-A")  # would sort before S-B
    moved = Org.objects.get(pk=b1.pk)
    assert moved.path == path_before
    user = fresh(user)
    assert names(visible_orgs(user)) == {"B", "B1"}
    assert can(user, "orgs.view", moved)
