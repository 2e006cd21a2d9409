from django.contrib import admin
from django.urls import include, path

from .api import api
from .dashboard import views as dashboard_views

urlpatterns = [
    path("admin/", include("gonghui.staffauth.urls")),  # login, two-factor (before admin)
    path("admin/dashboard/", include("gonghui.dashboard.urls")),  # before admin
    # the console's landing page: the dashboard for dashboard.view, else the admin's index
    path("admin/", admin.site.admin_view(dashboard_views.index), name="console_home"),
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("m/code/", include("gonghui.codes.urls")),  # before "m/"
    path("m/activities/", include("gonghui.activities.urls")),  # before "m/"
    path("m/jobs/", include("gonghui.jobs.urls")),  # before "m/"
    path("m/venues/", include("gonghui.venues.urls")),  # before "m/"
    path("m/assistance/", include("gonghui.assistance.urls")),  # before "m/"
    path("m/rights/", include("gonghui.rights.urls")),  # before "m/"
    path("m/offers/", include("gonghui.pos.member_urls")),  # before "m/"
    path("m/aid/", include("gonghui.mutualaid.urls")),  # before "m/"
    path("m/academy/", include("gonghui.academy.urls")),  # before "m/"
    path("m/volunteer/", include("gonghui.honors.urls")),  # before "m/"
    path("m/honours/", include("gonghui.honors.urls_showcase")),  # before "m/"
    path("verify/certificate/", include("gonghui.academy.verify_urls")),
    path("m/", include("gonghui.members.urls_h5")),
    path("pos/", include("gonghui.pos.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
]

handler403 = "gonghui.error_views.forbidden"
handler404 = "gonghui.error_views.not_found"
handler500 = "gonghui.error_views.server_error"
