"""The yearly work report's routes, mounted by the dashboard's URLs under ``/admin/dashboard/``
(namespace ``dashboard``): ``dashboard:report`` (``report/``) and ``dashboard:report_pdf``
(``report.pdf``). Include ``urlpatterns`` in the dashboard's own patterns (same ``app_name``),
mounted before ``admin.site.urls``, whose catch-all would answer first."""

from __future__ import annotations

from django.contrib import admin
from django.urls import path

from . import report_views

urlpatterns = [
    path("report/", admin.site.admin_view(report_views.report), name="report"),
    path("report.pdf", admin.site.admin_view(report_views.report_pdf), name="report_pdf"),
]
