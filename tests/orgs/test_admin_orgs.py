"""Console for the union tree, enterprises and role assignments: scoped, capability-checked, audited."""

from __future__ import annotations

import pytest
from django.urls import reverse

from gonghui.core.models import AuditEntry
from gonghui.orgs import admin_base
from gonghui.orgs.models import Enterprise, Org, Role, RoleAssignment
from tests.factories import EnterpriseFactory, make_staff, org_child, org_root, uscc_for

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings):
    """Argon2 is slow by design; these tests log in with force_login, never with a password."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def world():
    city = org_root(name="玉环市总工会", code="YH")
    a = org_child(city, Org.Kind.DISTRICT, name="楚门镇总工会", code="YH-A")
    a1 = org_child(a, name="楚门阀门厂工会", code="YH-A-1")
    ind = org_child(
        city, Org.Kind.INDUSTRY, name="快递物流行业工会联合会", code="YH-I", trade=Org.Trade.EXPRESS
    )
    b = org_child(city, Org.Kind.DISTRICT, name="干江镇总工会", code="YH-B")
    b1 = org_child(b, name="干江渔业工会", code="YH-B-1")
    far = org_root(name="温岭市总工会", code="WL")
    far1 = org_child(far, name="温岭鞋厂工会", code="WL-1")
    return {"city": city, "a": a, "a1": a1, "ind": ind, "b": b, "b1": b1, "far": far, "far1": far1}


def org_post(parent, **kw):
    data = {
        "parent": parent.pk if parent is not None else "",
        "name": "新工会",
        "code": "NEW-1",
        "kind": Org.Kind.GRASSROOTS,
        "trade": "",
        "region_code": "331021",
        "uscc": "",
        "contact_name": "",
        "contact_phone": "",
        "address": "",
        "is_active": "on",
        "_save": "1",
    }
    data.update(kw)
    return data


# --- Org ---------------------------------------------------------------------------------------
def test_org_list_is_the_subtree_in_tree_order_with_indentation(client, world):
    client.force_login(make_staff(world["a"], Role.FEDERATION_ADMIN))
    r = client.get(reverse("admin:orgs_org_changelist"))
    assert r.status_code == 200
    page = r.content.decode()
    # the rows only: the console's header names the deployment (玉环市总工会) on every page
    start = page.index('id="result_list"')
    body = page[start : page.index("</table>", start)]
    assert "楚门镇总工会" in body and "楚门阀门厂工会" in body
    for other in ("干江镇总工会", "干江渔业工会", "玉环市总工会", "温岭市总工会"):
        assert other not in body
    assert body.index("楚门镇总工会") < body.index("楚门阀门厂工会")
    assert 'padding-left: 1.5rem">楚门镇总工会' in body
    assert 'padding-left: 3.0rem">楚门阀门厂工会' in body


def test_org_filters_by_kind_and_trade(client, world):
    client.force_login(make_staff(world["city"], Role.FEDERATION_ADMIN))
    url = reverse("admin:orgs_org_changelist")
    body = client.get(url, {"kind__exact": "grassroots"}).content.decode()
    assert "楚门阀门厂工会" in body and "干江渔业工会" in body and "楚门镇总工会" not in body
    body = client.get(url, {"trade__exact": "express"}).content.decode()
    assert "快递物流行业工会联合会" in body and "楚门阀门厂工会" not in body


def test_org_add_goes_through_the_service_inside_the_subtree(client, world):
    admin_user = make_staff(world["a"], Role.FEDERATION_ADMIN)
    client.force_login(admin_user)
    url = reverse("admin:orgs_org_add")
    r = client.get(url)
    assert r.status_code == 200
    choices = {o.pk for o in r.context["adminform"].form.fields["parent"].queryset}
    assert choices == {world["a"].pk, world["a1"].pk}
    r = client.post(url, org_post(world["a"], name="楚门新工会", code="YH-A-2"))
    assert r.status_code == 302, r.context["adminform"].form.errors if r.context else r
    new = Org.objects.get(code="YH-A-2")
    world["a"].refresh_from_db()  # sorted insertion (node_order_by) may have moved paths
    assert new.get_parent() == world["a"] and new.depth == 3
    assert new.path.startswith(world["a"].path)
    assert world["a"].numchild == 2
    entry = AuditEntry.objects.get(action="orgs.org.create", object_id=str(new.pk))
    assert entry.actor_id == admin_user.pk and entry.org_id == new.pk


def test_org_add_under_another_tree_refused(client, world):
    client.force_login(make_staff(world["a"], Role.FEDERATION_ADMIN))
    r = client.post(reverse("admin:orgs_org_add"), org_post(world["b"], code="YH-B-9"))
    assert r.status_code == 200
    assert "parent" in r.context["adminform"].form.errors
    assert not Org.objects.filter(code="YH-B-9").exists()
    # A parent is required for anyone but a superuser.
    r = client.post(reverse("admin:orgs_org_add"), org_post(None, code="ROOT-9"))
    assert "parent" in r.context["adminform"].form.errors
    assert not Org.objects.filter(code="ROOT-9").exists()
    assert not AuditEntry.objects.filter(action="orgs.org.create").exists()


def test_org_add_under_grassroots_refused(client, world):
    client.force_login(make_staff(world["a"], Role.FEDERATION_ADMIN))
    r = client.post(reverse("admin:orgs_org_add"), org_post(world["a1"], code="YH-A-1-1"))
    assert "parent" in r.context["adminform"].form.errors
    assert not Org.objects.filter(code="YH-A-1-1").exists()


def test_superuser_founds_a_root_federation(client, django_user_model, world):
    # A federation admin's add form first: its limits must not leak into the next request.
    client.force_login(make_staff(world["a"], Role.FEDERATION_ADMIN))
    assert (
        client.get(reverse("admin:orgs_org_add"))
        .context["adminform"]
        .form.fields["parent"]
        .required
    )
    client.force_login(django_user_model.objects.create_superuser("root", password="x-Pass-123"))
    parent = client.get(reverse("admin:orgs_org_add")).context["adminform"].form.fields["parent"]
    assert not parent.required and parent.queryset.count() == Org.objects.count()
    r = client.post(
        reverse("admin:orgs_org_add"),
        org_post(None, name="新市总工会", code="NEWROOT", kind=Org.Kind.FEDERATION),
    )
    assert r.status_code == 302
    assert Org.objects.get(code="NEWROOT").is_root()


def test_org_invalid_uscc_refused_and_letter_first_accepted(client, world):
    client.force_login(make_staff(world["a"], Role.FEDERATION_ADMIN))
    url = reverse("admin:orgs_org_add")
    r = client.post(url, org_post(world["a"], code="YH-A-3", uscc="81331021000000000X"))
    assert "uscc" in r.context["adminform"].form.errors
    r = client.post(url, org_post(world["a"], code="YH-A-3", uscc="81331021000000000y"))
    assert r.status_code == 302
    assert Org.objects.get(code="YH-A-3").uscc == "81331021000000000Y"


def test_union_admin_views_but_cannot_add_or_change_orgs(client, world):
    client.force_login(make_staff(world["a1"], Role.UNION_ADMIN))
    assert client.get(reverse("admin:orgs_org_add")).status_code == 403
    change = reverse("admin:orgs_org_change", args=[world["a1"].pk])
    assert client.get(change).status_code == 200
    data = {k: v for k, v in org_post(None, name="改名", code="YH-A-1").items() if k != "parent"}
    assert client.post(change, data).status_code == 403
    world["a1"].refresh_from_db()
    assert world["a1"].name == "楚门阀门厂工会"


def test_org_change_is_audited(client, world):
    client.force_login(make_staff(world["a"], Role.FEDERATION_ADMIN))
    change = reverse("admin:orgs_org_change", args=[world["a1"].pk])
    data = {
        k: v
        for k, v in org_post(None, name="楚门阀门总厂工会", code="YH-A-1").items()
        if k != "parent"
    }
    r = client.post(change, data)
    assert r.status_code == 302, r.context["adminform"].form.errors
    world["a1"].refresh_from_db()
    assert world["a1"].name == "楚门阀门总厂工会"
    assert (
        AuditEntry.objects.filter(action="orgs.org.change", object_id=str(world["a1"].pk)).count()
        == 1
    )
    # Out of the subtree: 404, for reading and writing.
    other = reverse("admin:orgs_org_change", args=[world["b1"].pk])
    assert client.get(other).status_code == 404
    assert client.post(other, data).status_code == 404


# --- Enterprise --------------------------------------------------------------------------------
def enterprise_post(ent: Enterprise, **kw):
    data = {
        "name": ent.name,
        "uscc": ent.uscc,
        "industry": ent.industry,
        "size": ent.size,
        "union": ent.union_id,
        "region_code": ent.region_code,
        "address": "",
        "contact_name": "",
        "contact_phone": "",
        "_save": "1",
    }
    if ent.is_above_scale:
        data["is_above_scale"] = "on"
    data.update(kw)
    return data


@pytest.fixture
def enterprises(world):
    return {
        "valve": EnterpriseFactory(
            union=world["a1"], name="浙江阀门制造有限公司", size="large", is_above_scale=True
        ),
        "pump": EnterpriseFactory(union=world["a1"], name="玉环水泵有限公司", size="micro"),
        "fish": EnterpriseFactory(union=world["b1"], name="干江水产有限公司", size="small"),
    }


def listed(response) -> set[str]:
    return {str(o) for o in response.context["cl"].result_list}


def test_enterprise_list_search_and_filters(client, world, enterprises):
    client.force_login(make_staff(world["a"], Role.REVIEWER))
    url = reverse("admin:orgs_enterprise_changelist")
    assert listed(client.get(url)) == {"浙江阀门制造有限公司", "玉环水泵有限公司"}
    assert listed(client.get(url, {"q": "阀门"})) == {"浙江阀门制造有限公司"}
    assert listed(client.get(url, {"q": enterprises["pump"].uscc.lower()})) == {"玉环水泵有限公司"}
    assert listed(client.get(url, {"q": enterprises["fish"].uscc})) == set()  # out of scope
    assert listed(client.get(url, {"q": "水产"})) == set()
    assert listed(client.get(url, {"size__exact": "micro"})) == {"玉环水泵有限公司"}
    assert listed(client.get(url, {"is_above_scale__exact": "1"})) == {"浙江阀门制造有限公司"}


def test_enterprise_union_choices_limited_to_scope(client, world, enterprises):
    client.force_login(make_staff(world["a"], Role.UNION_ADMIN))
    r = client.get(reverse("admin:orgs_enterprise_change", args=[enterprises["pump"].pk]))
    choices = {o.pk for o in r.context["adminform"].form.fields["union"].queryset}
    assert choices == {world["a1"].pk}
    r = client.post(
        reverse("admin:orgs_enterprise_change", args=[enterprises["pump"].pk]),
        enterprise_post(enterprises["pump"], union=world["b1"].pk),
    )
    assert "union" in r.context["adminform"].form.errors
    enterprises["pump"].refresh_from_db()
    assert enterprises["pump"].union_id == world["a1"].pk


def test_enterprise_uscc_validated(client, world):
    client.force_login(make_staff(world["a"], Role.UNION_ADMIN))
    url = reverse("admin:orgs_enterprise_add")
    base = {
        "name": "新企业",
        "industry": "",
        "size": "small",
        "union": world["a1"].pk,
        "region_code": "331021",
        "address": "",
        "contact_name": "",
        "contact_phone": "",
        "_save": "1",
    }
    bad = uscc_for(42)[:-1] + ("0" if uscc_for(42)[-1] != "0" else "1")
    r = client.post(url, {**base, "uscc": bad})
    assert "uscc" in r.context["adminform"].form.errors
    r = client.post(url, {**base, "uscc": "91331021000000000I"})
    assert "uscc" in r.context["adminform"].form.errors
    # Letter-first codes are valid; input is normalised to upper case.
    r = client.post(url, {**base, "uscc": "y13310210000000008"})
    assert r.status_code == 302
    ent = Enterprise.objects.get(name="新企业")
    assert ent.uscc == "Y13310210000000008"
    assert (
        AuditEntry.objects.filter(action="orgs.enterprise.create", object_id=str(ent.pk)).count()
        == 1
    )


def test_enterprise_change_is_audited_in_the_same_transaction(client, world, enterprises):
    user = make_staff(world["a"], Role.UNION_ADMIN)
    client.force_login(user)
    ent = enterprises["pump"]
    url = reverse("admin:orgs_enterprise_change", args=[ent.pk])
    assert client.post(url, enterprise_post(ent, name="玉环水泵股份有限公司")).status_code == 302
    ent.refresh_from_db()
    assert ent.name == "玉环水泵股份有限公司"
    entry = AuditEntry.objects.get(action="orgs.enterprise.change", object_id=str(ent.pk))
    assert entry.actor_id == user.pk and entry.org_id == world["a1"].pk
    assert entry.data["via"] == "console"


def test_enterprise_change_rolls_back_when_the_audit_fails(client, world, enterprises, monkeypatch):
    """Proof that the change and its audit entry share one transaction."""

    def broken_audit(**kwargs):
        raise RuntimeError("audit store down")

    monkeypatch.setattr(admin_base, "audit_record", broken_audit)
    client.force_login(make_staff(world["a"], Role.UNION_ADMIN))
    client.raise_request_exception = True
    ent = enterprises["pump"]
    with pytest.raises(RuntimeError, match="audit store down"):
        client.post(
            reverse("admin:orgs_enterprise_change", args=[ent.pk]),
            enterprise_post(ent, name="不应保存"),
        )
    ent.refresh_from_db()
    assert ent.name == "玉环水泵有限公司"


def test_reviewer_cannot_change_enterprises(client, world, enterprises):
    client.force_login(make_staff(world["a"], Role.REVIEWER))
    ent = enterprises["pump"]
    url = reverse("admin:orgs_enterprise_change", args=[ent.pk])
    assert client.get(url).status_code == 200
    assert client.post(url, enterprise_post(ent, name="x")).status_code == 403
    assert client.get(reverse("admin:orgs_enterprise_add")).status_code == 403


# --- RoleAssignment ----------------------------------------------------------------------------
def test_union_admin_assigns_roles_within_subtree_only(client, world):
    boss = make_staff(world["a"], Role.UNION_ADMIN)
    newcomer = make_staff(None, None, username="newcomer")
    elsewhere = make_staff(world["far1"], Role.REVIEWER, username="elsewhere")
    make_staff(world["a1"], Role.ORGANISER, username="nearby")
    client.force_login(boss)
    url = reverse("admin:orgs_roleassignment_add")
    form = client.get(url).context["adminform"].form
    assert {o.pk for o in form.fields["org"].queryset} == {world["a"].pk, world["a1"].pk}
    users = {u.username for u in form.fields["user"].queryset}
    assert "newcomer" in users and "nearby" in users
    assert "elsewhere" not in users

    r = client.post(
        url, {"user": newcomer.pk, "org": world["a1"].pk, "role": Role.REVIEWER, "_save": "1"}
    )
    assert r.status_code == 302
    ra = RoleAssignment.objects.get(user=newcomer)
    assert (ra.org_id, ra.role) == (world["a1"].pk, Role.REVIEWER)
    assert AuditEntry.objects.filter(
        action="orgs.roleassignment.create", object_id=str(ra.pk)
    ).exists()

    r = client.post(
        url, {"user": newcomer.pk, "org": world["b1"].pk, "role": Role.REVIEWER, "_save": "1"}
    )
    assert "org" in r.context["adminform"].form.errors
    r = client.post(
        url, {"user": elsewhere.pk, "org": world["a1"].pk, "role": Role.REVIEWER, "_save": "1"}
    )
    assert "user" in r.context["adminform"].form.errors
    # No raising anyone above the union-admin role.
    r = client.post(
        url,
        {"user": newcomer.pk, "org": world["a1"].pk, "role": Role.FEDERATION_ADMIN, "_save": "1"},
    )
    assert r.context["adminform"].form.errors
    assert RoleAssignment.objects.filter(user=newcomer).count() == 1


def test_federation_admin_may_grant_federation_admin_in_subtree(client, world):
    client.force_login(make_staff(world["a"], Role.FEDERATION_ADMIN))
    newcomer = make_staff(None, None)
    r = client.post(
        reverse("admin:orgs_roleassignment_add"),
        {"user": newcomer.pk, "org": world["a1"].pk, "role": Role.FEDERATION_ADMIN, "_save": "1"},
    )
    assert r.status_code == 302
    assert RoleAssignment.objects.filter(user=newcomer, role=Role.FEDERATION_ADMIN).exists()


def test_role_assignment_list_and_revoke_scoped(client, world):
    mine = RoleAssignment.objects.get(user=make_staff(world["a1"], Role.REVIEWER))
    theirs = RoleAssignment.objects.get(user=make_staff(world["b1"], Role.REVIEWER))
    client.force_login(make_staff(world["a"], Role.UNION_ADMIN))
    r = client.get(reverse("admin:orgs_roleassignment_changelist"))
    assert mine in r.context["cl"].result_list and theirs not in r.context["cl"].result_list
    assert (
        client.get(reverse("admin:orgs_roleassignment_delete", args=[theirs.pk])).status_code == 404
    )
    r = client.post(reverse("admin:orgs_roleassignment_delete", args=[mine.pk]), {"post": "yes"})
    assert r.status_code == 302
    assert not RoleAssignment.objects.filter(pk=mine.pk).exists()
    assert AuditEntry.objects.filter(
        action="orgs.roleassignment.delete", object_id=str(mine.pk)
    ).exists()


def test_reviewer_has_no_staff_console(client, world):
    client.force_login(make_staff(world["a"], Role.REVIEWER))
    assert client.get(reverse("admin:orgs_roleassignment_changelist")).status_code == 403


def test_console_speaks_zh_hans_by_default(client, world):
    client.force_login(make_staff(world["a"], Role.FEDERATION_ADMIN))
    r = client.get(reverse("admin:orgs_org_changelist"))
    body = r.content.decode()
    assert r.status_code == 200
    assert 'lang="zh-hans"' in body
    assert "注销" in body  # Django's own admin strings ("Log out"), from its zh_Hans catalog
