from django.urls import path

from exams import views

app_name = "exams"

urlpatterns = [
    path("worklist/", views.worklist, name="worklist"),
    path("orders/", views.order_list, name="orders"),
    path("orders/<int:pk>/", views.order_detail, name="order"),
    path("orders/new/<int:patient_pk>/", views.order_create, name="order-create"),
    path("orders/<int:pk>/schedule/", views.order_schedule, name="order-schedule"),
    path("orders/<int:pk>/collect/", views.order_collect, name="order-collect"),
    path("orders/<int:pk>/results/", views.order_results, name="order-results"),
    path("orders/<int:pk>/release/", views.order_release, name="order-release"),
    path("orders/<int:pk>/cancel/", views.order_cancel, name="order-cancel"),
    path("attachments/<int:pk>/", views.attachment_download, name="attachment"),
    path("patients/<int:pk>/panel/", views.panel_results, name="panel-results"),
    path("consultations/<int:pk>/panel/", views.panel_consultation, name="panel-consultation"),
    path("admissions/<int:pk>/panel/", views.panel_admission, name="panel-admission"),
]
