"""The public certificate verification page (no sign-in)."""

from django.urls import path

from . import views

app_name = "academy_verify"
urlpatterns = [
    path("<str:number>/<str:signature>/", views.verify, name="certificate"),
]
