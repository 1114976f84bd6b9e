from django.urls import path

from reports import views

app_name = "reports"

urlpatterns = [
    path("occupancy/", views.occupancy, name="occupancy"),
    path("occupancy/download/<str:fmt>/", views.occupancy_download, name="occupancy-download"),
]
