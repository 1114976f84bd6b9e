from django.urls import path

from patients import views

app_name = "patients"

urlpatterns = [
    path("", views.patient_search, name="search"),
    path("new/", views.patient_create, name="create"),
    path("<int:pk>/", views.patient_detail, name="detail"),
    path("<int:pk>/edit/", views.patient_edit, name="edit"),
    path("<int:pk>/status/", views.patient_status, name="status"),
    path("<int:pk>/panels/history/", views.panel_history, name="panel-history"),
    path("<int:pk>/panels/documents/", views.panel_documents, name="panel-documents"),
    path("<int:pk>/panels/status/", views.panel_status, name="panel-status"),
    path("<int:pk>/conditions/new/", views.condition_create, name="condition-create"),
    path("<int:pk>/conditions/<int:item>/resolve/", views.condition_resolve, name="condition-resolve"),
    path("<int:pk>/medications/new/", views.medication_create, name="medication-create"),
    path("<int:pk>/medications/<int:item>/stop/", views.medication_stop, name="medication-stop"),
    path("<int:pk>/allergies/new/", views.allergy_create, name="allergy-create"),
    path("<int:pk>/allergies/<int:item>/deactivate/", views.allergy_deactivate, name="allergy-deactivate"),
    path("<int:pk>/documents/new/", views.document_create, name="document-create"),
    path("documents/<int:pk>/download/", views.document_download, name="document-download"),
    path("icd10/", views.icd10_search, name="icd10-search"),
]
