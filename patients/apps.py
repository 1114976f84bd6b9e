from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PatientsConfig(AppConfig):
    name = "patients"
    verbose_name = _("Patients")

    def ready(self) -> None:
        from clinic.rotation import BLIND_INDEXES
        from patients.panels import Panel, register

        patient_hashes = {
            "cpf_hash": "cpf",
            "cns_hash": "cns",
            "mobile_phone_hash": "mobile_phone",
            "home_phone_hash": "home_phone",
            "email_hash": "email",
        }
        BLIND_INDEXES["patients.Patient"] = patient_hashes
        BLIND_INDEXES["patients.HistoricalPatient"] = patient_hashes

        register(Panel("history", _("History"), "patients:panel-history", "patients.view_clinical_history", 10))
        register(Panel("documents", _("Documents"), "patients:panel-documents", "patients.view_patientdocument", 20))
        register(Panel("status", _("Status history"), "patients:panel-status", "patients.view_patient", 90))
