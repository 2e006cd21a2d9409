"""Member H5 pages under /m/."""

from django.urls import path

from . import views_h5 as views
from . import views_join as join
from . import views_profile as profile

app_name = "h5"
urlpatterns = [
    path("", views.home, name="home"),
    path("login", views.login, name="login"),
    path("login/code", views.login_code, name="login_code"),
    path("logout", views.logout, name="logout"),
    path("join", join.join, name="join"),
    path("join/code", join.join_code, name="join_code"),
    path("join/unions", join.join_union_search, name="join_unions"),
    path("join/done", join.join_done, name="join_done"),
    path("join/status", join.join_status, name="join_status"),
    path("privacy", join.privacy, name="privacy"),
    path("union", views.my_union, name="union"),
    path("profile", profile.profile, name="profile"),
    path("profile/code", profile.profile_code, name="profile_code"),
    path("history", views.history, name="history"),
    path("transfer", views.transfer, name="transfer"),
    path("transfer/unions", views.transfer_union_search, name="transfer_unions"),
]
