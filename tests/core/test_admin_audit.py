"""The audit log in the console: read-only for everyone, scoped, filterable and searchable."""

from __future__ import annotations

import pytest
from django.db import transaction
from django.urls import reverse

from gonghui.core.audit import audit_record
from gonghui.core.models import AuditEntry
from gonghui.core.timeutil import to_local
from gonghui.orgs.models import Org, Role
from tests.factories import make_staff, org_child, org_root

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings):
    """Argon2 is slow by design; these tests log in with force_login, never with a password."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


LIST = "admin:core_auditentry_changelist"


@pytest.fixture
def world():
    city = org_root(name="市总")
    town = org_child(city, Org.Kind.DISTRICT, name="镇总")
    union = org_child(town, name="一厂工会")
    sibling = org_child(city, Org.Kind.DISTRICT, name="邻镇总")
    actor = make_staff(union, Role.UNION_ADMIN, username="wang.admin")
    with transaction.atomic():
        entries = {
            "union": audit_record(
                actor=actor, action="orgs.enterprise.change", obj=union, org=union
            ),
            "town": audit_record(
                actor=actor, action="members.member.reveal_phone", obj=town, org=town
            ),
            "sibling": audit_record(actor=None, action="orgs.org.change", obj=sibling, org=sibling),
            "system": audit_record(actor="gonghui rotate-pii-key", action="members.pii.rotate_key"),
        }
    return {"city": city, "town": town, "union": union, "sibling": sibling, "entries": entries}


def listed(response) -> set[int]:
    return {e.pk for e in response.context["cl"].result_list}


def ids(world, *keys) -> set[int]:
    return {world["entries"][k].pk for k in keys}


def test_auditor_sees_subtree_only_and_no_system_entries(client, world):
    client.force_login(make_staff(world["town"], Role.AUDITOR))
    assert listed(client.get(reverse(LIST))) == ids(world, "union", "town")
    client.force_login(make_staff(world["city"], Role.AUDITOR))
    assert listed(client.get(reverse(LIST))) == ids(world, "union", "town", "sibling")
    system = world["entries"]["system"]
    assert client.get(reverse("admin:core_auditentry_change", args=[system.pk])).status_code == 404


def test_superuser_sees_system_entries(client, world, django_user_model):
    client.force_login(django_user_model.objects.create_superuser("root", password="x-Pass-123"))
    assert listed(client.get(reverse(LIST))) == ids(world, "union", "town", "sibling", "system")
    system = world["entries"]["system"]
    assert client.get(reverse("admin:core_auditentry_change", args=[system.pk])).status_code == 200


@pytest.mark.parametrize("who", ["superuser", "federation_admin", "auditor"])
def test_nobody_adds_changes_or_deletes(client, world, django_user_model, who):
    if who == "superuser":
        user = django_user_model.objects.create_superuser("root", password="x-Pass-123")
    else:
        user = make_staff(world["city"], who)
    client.force_login(user)
    entry = world["entries"]["union"]
    change = reverse("admin:core_auditentry_change", args=[entry.pk])
    r = client.get(change)
    assert r.status_code == 200
    assert 'name="_save"' not in r.content.decode()
    assert client.post(change, {"action": "forged", "_save": "1"}).status_code == 403
    assert client.get(reverse("admin:core_auditentry_add")).status_code == 403
    assert (
        client.post(
            reverse("admin:core_auditentry_delete", args=[entry.pk]), {"post": "yes"}
        ).status_code
        == 403
    )
    r = client.post(
        reverse(LIST), {"action": "delete_selected", "_selected_action": [entry.pk], "post": "yes"}
    )
    assert AuditEntry.objects.filter(pk=entry.pk, action="orgs.enterprise.change").exists()
    assert AuditEntry.objects.count() == 4


def test_roles_without_audit_capability_refused(client, world):
    client.force_login(make_staff(world["city"], Role.REVIEWER))
    assert client.get(reverse(LIST)).status_code == 403
    entry = world["entries"]["union"]
    assert client.get(reverse("admin:core_auditentry_change", args=[entry.pk])).status_code == 404


def test_filters_and_search(client, world):
    client.force_login(make_staff(world["city"], Role.FEDERATION_ADMIN))
    url = reverse(LIST)
    assert listed(client.get(url, {"action": "members.member.reveal_phone"})) == ids(world, "town")
    assert listed(client.get(url, {"org__id__exact": world["sibling"].pk})) == ids(world, "sibling")
    assert listed(client.get(url, {"q": "wang.admin"})) == ids(world, "union", "town")
    assert listed(client.get(url, {"q": "orgs.org"})) == ids(world, "union", "town", "sibling")
    assert listed(client.get(url, {"q": str(world["sibling"].pk)})) == ids(world, "sibling")
    today = to_local(world["entries"]["union"].at)  # the console filters in Asia/Shanghai
    r = client.get(url, {"at__year": today.year})
    assert r.status_code == 200 and listed(r) == ids(world, "union", "town", "sibling")
    r = client.get(url, {"at__year": today.year - 1})
    assert listed(r) == set()
