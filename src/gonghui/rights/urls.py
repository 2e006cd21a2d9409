"""Member H5 pages of rights and legal aid, mounted at /m/rights/."""

from django.urls import path

from . import views_h5

app_name = "rights"
urlpatterns = [
    path("", views_h5.home, name="home"),
    path("new", views_h5.intake, name="intake"),
    path("done", views_h5.done, name="done"),
    path("track", views_h5.track, name="track"),
    path("case/<str:number>", views_h5.case_detail, name="case"),
]
