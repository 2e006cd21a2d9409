"""Member H5 pages of venues, mounted at /m/venues/."""

from django.urls import path

from . import views

app_name = "venues"
urlpatterns = [
    path("", views.venue_list, name="list"),
    path("mine/", views.my_bookings, name="mine"),
    path("<int:venue_id>/", views.venue_detail, name="detail"),
    path("slots/<int:slot_id>/book", views.book, name="book"),
    path("bookings/<int:booking_id>/cancel", views.cancel, name="cancel"),
]
