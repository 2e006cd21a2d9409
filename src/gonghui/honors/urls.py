"""Member H5 page of the honours app, mounted at /m/volunteer/."""

from django.urls import path

from . import views

app_name = "honors"
urlpatterns = [
    path("", views.mine, name="mine"),
]
