"""Mounted at /admin/dashboard/ before the admin site's own URLs (see gonghui/urls.py)."""

from django.contrib import admin
from django.urls import path

from . import report_urls, views

app_name = "dashboard"
urlpatterns = [
    path("", admin.site.admin_view(views.home), name="home"),
    path("figure/<str:key>/", admin.site.admin_view(views.figure), name="figure"),
    path("export/", admin.site.admin_view(views.export), name="export"),
    *report_urls.urlpatterns,
]
