from django.urls import path

from triage import views

app_name = "triage"

urlpatterns = [
    path("", views.queue, name="queue"),
    path("arrive/", views.arrive, name="arrive"),
    path("doctor/", views.doctor_queue, name="doctor-queue"),
    path("visits/<int:pk>/", views.visit_page, name="visit"),
    path("visits/<int:pk>/start/", views.start, name="start"),
    path("visits/<int:pk>/assess/", views.assess, name="assess"),
    path("visits/<int:pk>/suggest/", views.suggest, name="suggest"),
    path("visits/<int:pk>/route/", views.route, name="route"),
    path("visits/<int:pk>/left/", views.left, name="left"),
    path("patients/<int:pk>/panels/vitals/", views.panel_vitals, name="panel-vitals"),
    path("consultations/<int:pk>/panel/", views.panel_consultation, name="panel-consultation"),
]
