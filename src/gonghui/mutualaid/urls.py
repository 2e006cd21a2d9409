"""Member H5 pages of mutual aid, mounted at /m/aid/."""

from django.urls import path

from . import views

app_name = "mutualaid"
urlpatterns = [
    path("", views.home, name="home"),
    path("claims/new", views.claim_new, name="claim_new"),
    path("claims/<int:pk>/", views.claim_detail, name="claim"),
    path("documents/<int:pk>", views.document, name="document"),
]
