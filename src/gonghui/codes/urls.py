"""Member H5 pages of the code, mounted at /m/code/."""

from django.urls import path

from . import views

app_name = "codes"
urlpatterns = [
    path("", views.code_page, name="page"),
    path("sw.js", views.service_worker, name="sw"),
    path("scan/", views.poster_scan, name="poster_scan"),
]
