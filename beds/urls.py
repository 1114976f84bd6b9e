from django.urls import path

from beds import views
from beds.urls_setup import urlpatterns as setup_urlpatterns

app_name = "beds"

urlpatterns = [
    path("", views.board, name="board"),
    path("bed/<int:pk>/", views.bed_detail, name="bed"),
    path("bed/<int:pk>/clean/", views.bed_clean, name="bed-clean"),
    path("bed/<int:pk>/block/", views.bed_block, name="bed-block"),
    path("bed/<int:pk>/unblock/", views.bed_unblock, name="bed-unblock"),
    path("bed/<int:pk>/release/", views.bed_release, name="bed-release"),
    path("requests/", views.request_list, name="requests"),
    path("requests/new/<int:patient_pk>/", views.request_create, name="request-create"),
    path("admissions/<int:pk>/", views.admission_detail, name="admission"),
    path("admissions/<int:pk>/admit/", views.admit, name="admit"),
    path("admissions/<int:pk>/reserve/", views.reserve, name="reserve"),
    path("admissions/<int:pk>/cancel/", views.cancel, name="cancel"),
    path("admissions/<int:pk>/transfer/", views.transfer, name="transfer"),
    path("admissions/<int:pk>/discharge/", views.discharge, name="discharge"),
    path("patients/<int:pk>/panel/", views.panel_admissions, name="panel-admissions"),
    *setup_urlpatterns,
]
