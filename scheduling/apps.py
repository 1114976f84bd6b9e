from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SchedulingConfig(AppConfig):
    name = "scheduling"
    verbose_name = _("Scheduling")

    def ready(self) -> None:
        from messaging import purposes
        from patients.panels import Panel, register
        from patients.signals import reminder_contact_changed
        from scheduling.reminders import PURPOSE, on_reminder_contact_changed

        purposes.register(PURPOSE, _("Appointment reminder"))

        reminder_contact_changed.connect(on_reminder_contact_changed, dispatch_uid="scheduling-reminders")

        register(
            Panel("appointments", _("Appointments"), "scheduling:panel-appointments", "scheduling.view_appointment", 15)
        )
