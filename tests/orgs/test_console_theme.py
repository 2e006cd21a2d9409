"""The console wears the union's red and its sidebar never repeats a name (issue #12 item 8)."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.test import Client, RequestFactory
from django.utils import translation

from gonghui.orgs.models import Role
from tests.factories import make_staff, org_root

pytestmark = pytest.mark.django_db

# settings.UNFOLD["COLORS"]["primary"]["600"] = #C8102E, as unfold writes it in every page.
UNION_RED_VAR = "--color-primary-600: rgb(200, 16, 46)"


@pytest.fixture(autouse=True)
def _fast_hasher(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def test_login_page_is_union_red():
    response = Client().get("/admin/login/")
    assert response.status_code == 200
    html = response.content.decode()
    assert UNION_RED_VAR in html
    assert "--color-primary-600: oklch" not in html  # not unfold's purple
    assert "orgs/console.css" in html


def test_landing_is_union_red_with_the_deployment_name(settings):
    fed = org_root()
    client = Client()
    client.force_login(make_staff(fed, Role.FEDERATION_ADMIN))
    html = client.get("/admin/").content.decode()
    assert UNION_RED_VAR in html
    assert settings.GONGHUI_DEPLOYMENT_NAME in html
    assert "orgs/console.css" in html


def app_list_problems(user) -> list[str]:
    request = RequestFactory().get("/admin/")
    request.user = user
    problems = []
    with translation.override("zh-hans"):
        for app in admin.site.get_app_list(request):
            names = [str(model["name"]) for model in app["models"]]
            if str(app["name"]) in names:
                problems.append(f"{app['app_label']}: the group {app['name']} lists itself")
            repeated = {n for n in names if names.count(n) > 1}
            if repeated:
                problems.append(f"{app['app_label']}: {sorted(repeated)} twice")
    return problems


@pytest.mark.parametrize("who", ["federation_admin", "superuser"])
def test_no_sidebar_group_repeats_a_name(who):
    if who == "superuser":
        user = get_user_model().objects.create_superuser("root", password="x-Pass-123")
    else:
        user = make_staff(org_root(), Role.FEDERATION_ADMIN)
    assert app_list_problems(user) == []


def test_the_check_catches_a_group_named_like_its_model(monkeypatch):
    from django.apps import apps
    from django.utils.translation import gettext_lazy

    config = apps.get_app_config("activities")
    # The app's name before this fix: the same msgid as its Activity model's plural.
    monkeypatch.setattr(config, "verbose_name", gettext_lazy("Activities"))
    user = get_user_model().objects.create_superuser("root", password="x-Pass-123")
    assert app_list_problems(user)
