"""Appointments. The database itself keeps any practitioner, room or patient from being booked twice."""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.constraints import ExclusionConstraint
from django.contrib.postgres.fields import RangeOperators
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from clinic.db import TsTzRange
from clinic.models import Clinic, Room
from patients.models import Patient
from staff.models import Practitioner, Specialty


class AppointmentStatus(models.TextChoices):
    SCHEDULED = "scheduled", _("Scheduled")
    CONFIRMED = "confirmed", _("Confirmed")
    WAITING = "waiting", _("Checked in")
    IN_PROGRESS = "in_progress", _("In progress")
    FINISHED = "finished", _("Finished")
    CANCELLED = "cancelled", _("Cancelled")
    NO_SHOW = "no_show", _("No-show")


# The appointments that hold their time: the others (cancelled, no-show) free it at once.
ACTIVE_STATUSES = [
    AppointmentStatus.SCHEDULED,
    AppointmentStatus.CONFIRMED,
    AppointmentStatus.WAITING,
    AppointmentStatus.IN_PROGRESS,
    AppointmentStatus.FINISHED,
]


def _no_overlap(field: str) -> ExclusionConstraint:
    """No two active, regular appointments of one ``field`` share a moment (half-open periods)."""
    return ExclusionConstraint(
        name=f"appointment_{field}_no_overlap",
        expressions=[(field, RangeOperators.EQUAL), (TsTzRange("starts_at", "ends_at"), RangeOperators.OVERLAPS)],
        condition=models.Q(status__in=ACTIVE_STATUSES, overbooked=False),
    )


class Appointment(models.Model):
    patient = models.ForeignKey(
        Patient, on_delete=models.PROTECT, related_name="appointments", verbose_name=_("patient")
    )
    practitioner = models.ForeignKey(
        Practitioner, on_delete=models.PROTECT, related_name="appointments", verbose_name=_("practitioner")
    )
    specialty = models.ForeignKey(Specialty, on_delete=models.PROTECT, related_name="+", verbose_name=_("specialty"))
    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="+", verbose_name=_("clinic"))
    room = models.ForeignKey(Room, on_delete=models.PROTECT, related_name="+", verbose_name=_("room"))
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    status = models.CharField(
        _("status"), max_length=12, choices=AppointmentStatus.choices, default=AppointmentStatus.SCHEDULED
    )
    # An overbooking is a deliberate second patient in a taken time: it needs a permission and a
    # reason, and the no-overlap constraints leave it out.
    overbooked = models.BooleanField(_("overbooked"), default=False)
    overbooking_reason = models.CharField(_("reason for overbooking"), max_length=200, blank=True)
    cancellation_reason = models.CharField(_("reason for cancelling"), max_length=200, blank=True)
    rescheduled_from = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="rescheduled_to"
    )
    booked_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True)
    booked_at = models.DateTimeField(default=timezone.now, editable=False)
    # Kept on the row (also in the events) because the reception board sorts and measures by them.
    checked_in_at = models.DateTimeField(_("checked in at"), null=True, blank=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("appointment")
        verbose_name_plural = _("appointments")
        ordering = ["starts_at"]
        constraints = [
            models.CheckConstraint(condition=models.Q(ends_at__gt=models.F("starts_at")), name="appointment_period"),
            models.CheckConstraint(
                condition=models.Q(overbooked=False) | ~models.Q(overbooking_reason=""),
                name="appointment_overbooking_has_reason",
            ),
            _no_overlap("practitioner"),
            _no_overlap("room"),
            _no_overlap("patient"),
        ]
        indexes = [
            models.Index(fields=["practitioner", "starts_at"], name="appointment_practitioner_idx"),
            models.Index(fields=["clinic", "starts_at"], name="appointment_clinic_day_idx"),
            models.Index(fields=["patient", "starts_at"], name="appointment_patient_idx"),
        ]
        permissions = [("overbook_appointment", _("Can book a second patient into a taken time"))]

    def __str__(self) -> str:
        return f"{self.starts_at:%Y-%m-%d %H:%M} {self.practitioner_id} {self.patient_id}"


# Which status may follow which; everything else is refused (appointment_transition).
TRANSITIONS: dict[str, set[str]] = {
    AppointmentStatus.SCHEDULED: {
        AppointmentStatus.CONFIRMED,
        AppointmentStatus.WAITING,
        AppointmentStatus.CANCELLED,
        AppointmentStatus.NO_SHOW,
    },
    AppointmentStatus.CONFIRMED: {AppointmentStatus.WAITING, AppointmentStatus.CANCELLED, AppointmentStatus.NO_SHOW},
    AppointmentStatus.WAITING: {AppointmentStatus.IN_PROGRESS, AppointmentStatus.CANCELLED},
    AppointmentStatus.IN_PROGRESS: {AppointmentStatus.FINISHED},
    AppointmentStatus.FINISHED: set(),
    AppointmentStatus.CANCELLED: set(),
    AppointmentStatus.NO_SHOW: set(),
}


class AppointmentEvent(models.Model):
    """One change of an appointment's status: who, when, and why where a reason is asked."""

    appointment = models.ForeignKey(Appointment, on_delete=models.CASCADE, related_name="events")
    from_status = models.CharField(max_length=12, choices=AppointmentStatus.choices)
    to_status = models.CharField(max_length=12, choices=AppointmentStatus.choices)
    at = models.DateTimeField(default=timezone.now)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True)
    reason = models.CharField(_("reason"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("appointment event")
        verbose_name_plural = _("appointment events")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.from_status} -> {self.to_status}"
