from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BedsConfig(AppConfig):
    name = "beds"
    verbose_name = _("Beds and admissions")

    def ready(self) -> None:
        from patients.panels import Panel, register

        register(Panel("admissions", _("Admissions"), "beds:panel-admissions", "beds.view_admission", 18))
