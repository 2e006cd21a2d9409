"""Mounted under /admin/ before the admin site's own URLs (see gonghui/urls.py)."""

from django.contrib import admin
from django.urls import path

from . import views

app_name = "staffauth"
urlpatterns = [
    path("login/", views.staff_login, name="login"),
    path("security/totp/", admin.site.admin_view(views.totp_setup), name="totp"),
    path(
        "security/totp/reset/",
        admin.site.admin_view(views.totp_reset_list),
        name="totp_reset_list",
    ),
    path(
        "security/totp/reset/<int:user_id>/",
        admin.site.admin_view(views.totp_reset),
        name="totp_reset",
    ),
]
