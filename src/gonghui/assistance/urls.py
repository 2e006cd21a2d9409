"""Member H5 pages of hardship assistance, mounted at /m/assistance/."""

from django.urls import path

from . import views_h5

app_name = "assistance"
urlpatterns = [
    path("", views_h5.home, name="home"),
    path("apply", views_h5.apply, name="apply"),
]
