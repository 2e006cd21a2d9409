"""The root URLs with the report's routes mounted where the dashboard mounts them (namespace
``dashboard`` under ``/admin/dashboard/``, before the admin's catch-all)."""

from django.urls import include, path

from gonghui import urls as root
from gonghui.dashboard import report_urls

urlpatterns = [
    path("admin/dashboard/", include((report_urls.urlpatterns, "dashboard"))),
    *root.urlpatterns,
]
