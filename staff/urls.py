from django.urls import path

from staff import views

app_name = "staff"

urlpatterns = [
    path("rota/", views.rota, name="rota"),
    path("rota/<int:unit>/shifts/new/", views.shift_add, name="shift-add"),
    path("rota/<int:unit>/copy/", views.rota_copy, name="rota-copy"),
    path("shifts/<int:pk>/remove/", views.shift_remove, name="shift-remove"),
]
