"""Member H5 pages under /m/jobs/."""

from django.urls import path

from . import views

app_name = "jobs"
urlpatterns = [
    path("", views.job_list, name="list"),
    path("<int:pk>/", views.posting_detail, name="detail"),
    path("<int:pk>/apply", views.apply, name="apply"),
    path("applications/", views.my_applications, name="applications"),
    path("applications/<int:pk>/withdraw", views.withdraw, name="withdraw"),
    path("fairs/", views.fairs, name="fairs"),
]
