"""Member H5 pages of activities, mounted at /m/activities/."""

from django.urls import path

from . import views

app_name = "activities"
urlpatterns = [
    path("", views.activity_list, name="list"),
    path("mine/", views.mine, name="mine"),
    path("<int:pk>/", views.activity_detail, name="detail"),
    path("<int:pk>/poster", views.poster, name="poster"),
    path("session/<int:session_pk>/register", views.register, name="register"),
    path("registration/<int:pk>/cancel", views.cancel, name="cancel"),
]
