"""The pages managers set wards, rooms and beds up with (beds/views_setup.py)."""

from django.urls import URLPattern, path

from beds import views_setup

urlpatterns: list[URLPattern] = [
    path("setup/", views_setup.setup_list, name="setup"),
    path("setup/wards/new/", views_setup.ward_create, name="ward-create"),
    path("setup/wards/<int:pk>/", views_setup.ward_setup, name="ward-setup"),
    path("setup/wards/<int:pk>/edit/", views_setup.ward_edit, name="ward-edit"),
    path("setup/wards/<int:pk>/rooms/new/", views_setup.room_create, name="room-create"),
    path("setup/rooms/<int:pk>/edit/", views_setup.room_edit, name="room-edit"),
    path("setup/rooms/<int:pk>/beds/new/", views_setup.beds_add, name="beds-add"),
    path("setup/beds/<int:pk>/edit/", views_setup.bed_edit, name="bed-edit"),
    path("setup/beds/<int:pk>/retire/", views_setup.bed_retire, name="bed-retire"),
]
