"""Every console model × every role: the changelist answers as the capabilities say, and anything
outside the user's subtree answers 404.

Models are enumerated from ``admin.site._registry``, so pages that other apps register later
are covered without editing this file.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib import admin
from django.core.exceptions import FieldError
from django.db.models import Model
from django.urls import NoReverseMatch, reverse

from gonghui.orgs.admin_base import ScopedAdmin
from gonghui.orgs.models import Org, Role
from gonghui.orgs.scoping import roles_with
from tests.orgs.admin_world import Tree, build_tree, staff_by_role

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings):
    """Argon2 is slow by design; these tests log in with force_login, never with a password."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


# Django's own user and group pages: plain ModelAdmins, for superusers only (staff hold no
# Django model permissions; capabilities come from roles).
DJANGO_ADMINS = {"auth.user", "auth.group"}
REGISTRY: list[tuple[str, type[Model]]] = sorted(
    (model._meta.label_lower, model) for model in admin.site._registry
)
WHO = [*(role.value for role in Role), "no_role", "superuser"]


def url(model: type[Model], view: str, *args: Any) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def may_see(model_admin: ScopedAdmin, who: str) -> bool:
    if who == "superuser":
        return True
    caps = [model_admin.view_capability, model_admin.change_capability]
    return any(who in roles_with(cap) for cap in caps if cap)


def object_in(tree: Tree, label: str, model: type[Model], model_admin: Any) -> Model | None:
    """An object of ``model`` inside ``tree``: a known one, or any row whose scope path is in it."""
    known = tree.objects.get(label)
    if known is not None:
        return known
    field = getattr(model_admin, "scope_field", None)
    if field is None:
        return None
    root = Org.objects.get(pk=tree.federation.pk).path
    lookup = f"{field}__path__startswith" if field else "path__startswith"
    value: Any = root
    if field.endswith("_id"):  # a bare org id (core's audit log): the ids of the tree's orgs
        lookup, value = f"{field}__in", Org.objects.filter(path__startswith=root).values("pk")
    try:
        return model._default_manager.filter(**{lookup: value}).order_by("pk").first()
    except FieldError:
        return None


def test_every_console_model_admin_is_scoped():
    unscoped = [
        label
        for label, model in REGISTRY
        if label not in DJANGO_ADMINS and not isinstance(admin.site._registry[model], ScopedAdmin)
    ]
    assert unscoped == [], "console ModelAdmins must subclass orgs.admin_base.ScopedAdmin"


def test_registry_covers_the_foundation():
    labels = {label for label, _model in REGISTRY}
    assert {
        "orgs.org",
        "orgs.enterprise",
        "orgs.roleassignment",
        "members.member",
        "members.serviceevent",
        "core.auditentry",
    } <= labels


@pytest.mark.parametrize(("label", "model"), REGISTRY, ids=[label for label, _m in REGISTRY])
def test_role_by_model_matrix(client, label, model):
    mine = build_tree("甲")
    theirs = build_tree("乙")
    users = staff_by_role(mine.federation)
    model_admin = admin.site._registry[model]
    scoped = isinstance(model_admin, ScopedAdmin)
    inside = object_in(mine, label, model, model_admin) if scoped else None
    outside = object_in(theirs, label, model, model_admin) if scoped else None
    missing_pk = 10**9
    problems: list[str] = []

    def expect(who: str, what: str, got: int, wanted: set[int]) -> None:
        if got not in wanted:
            problems.append(f"{who}: {what} answered {got}, expected {sorted(wanted)}")

    for who in WHO:
        client.force_login(users[who])
        changelist = client.get(url(model, "changelist")).status_code
        if not scoped:
            assert label in DJANGO_ADMINS
            expect(who, "changelist", changelist, {200} if who == "superuser" else {403})
            nothing = client.get(url(model, "change", missing_pk)).status_code
            expect(who, "absent object", nothing, {302} if who == "superuser" else {403})
            continue

        sees = may_see(model_admin, who)
        if not model_admin.assignment_scoped:  # else: the app's own role matrix covers this
            expect(who, "changelist", changelist, {200} if sees else {403})
        expect(
            who, "absent object", client.get(url(model, "change", missing_pk)).status_code, {404}
        )
        if inside is not None and not model_admin.assignment_scoped:
            got = client.get(url(model, "change", inside.pk)).status_code
            expect(who, f"own {label} #{inside.pk}", got, {200} if sees else {404})
        if outside is not None:
            for view in ("change", "delete", "history"):
                try:
                    target = url(model, view, outside.pk)
                except NoReverseMatch:
                    continue
                got = client.get(target).status_code
                superuser_ok = {200} if view != "delete" else {200, 403}
                ok = superuser_ok if who == "superuser" else {404}
                expect(who, f"other tree's {label} {view}", got, ok)
            got = client.post(url(model, "change", outside.pk), {}).status_code
            expect(
                who,
                f"POST to other tree's {label}",
                got,
                {200, 302, 403} if who == "superuser" else {404},
            )
    assert problems == []
    if scoped and label in mine.objects:
        assert inside is not None and outside is not None


@pytest.mark.parametrize("who", WHO)
def test_reveal_by_role(client, who):
    mine = build_tree("甲")
    theirs = build_tree("乙")
    user = staff_by_role(mine.federation)[who]
    client.force_login(user)
    allowed = who == "superuser" or who in roles_with("members.reveal")
    for field in ("id_number", "phone"):
        own = client.post(url(mine.member._meta.model, "reveal", mine.member.pk, field)).status_code
        assert own == (200 if allowed else 404), (who, field)
        other = client.post(
            url(theirs.member._meta.model, "reveal", theirs.member.pk, field)
        ).status_code
        assert other == (200 if who == "superuser" else 404), (who, field)
