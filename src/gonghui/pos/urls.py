"""The terminal page, mounted at /pos/."""

from django.urls import path

from . import views

app_name = "pos"
urlpatterns = [
    path("", views.pos_page, name="page"),
    path("login/", views.pos_login, name="login"),
    path("logout/", views.pos_logout, name="logout"),
    path("shift/", views.pos_shift, name="shift"),
    path("history/", views.pos_history, name="history"),
]
