from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TriageConfig(AppConfig):
    name = "triage"
    verbose_name = _("Triage")

    def ready(self) -> None:
        from patients.panels import Panel, register
        from triage import receivers  # noqa: F401  (connects to scheduling's signal)

        register(Panel("vitals", _("Triage and vital signs"), "triage:panel-vitals", "triage.view_assessment", 14))
