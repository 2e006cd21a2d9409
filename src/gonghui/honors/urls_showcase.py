"""Member H5 page of the model workers and craftsmen of the member's federation, at /m/honours/."""

from django.urls import path

from . import views

app_name = "honours"
urlpatterns = [
    path("", views.showcase, name="showcase"),
]
