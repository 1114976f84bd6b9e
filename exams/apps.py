from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ExamsConfig(AppConfig):
    name = "exams"
    verbose_name = _("Exams")

    def ready(self) -> None:
        from exams.services import RESULT_READY
        from messaging import purposes
        from patients.panels import Panel, register

        purposes.register(RESULT_READY, _("Exam result ready"))

        register(Panel("results", _("Exams and results"), "exams:panel-results", "exams.view_examorder", 16))
