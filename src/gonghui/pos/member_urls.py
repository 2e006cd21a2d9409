"""The member's offer pages, mounted at /m/offers/ (before the "m/" include)."""

from django.urls import path

from . import member_views

app_name = "offers"
urlpatterns = [
    path("", member_views.offers, name="list"),
    path("redemptions/", member_views.redemptions, name="redemptions"),
]
