"""Appointments. The database itself keeps any practitioner, room or patient from being booked twice."""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.constraints import ExclusionConstraint
from django.contrib.postgres.fields import RangeOperators
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from clinic.crypto import EncryptedTextField
from clinic.db import TsTzRange
from clinic.models import Clinic, Room
from patients.models import ICD10_CODE, Patient
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


def _no_overlap(field: str, *, shared_time: bool) -> ExclusionConstraint:
    """No two active, regular appointments of one ``field`` share a moment (half-open periods).

    Overbookings are left out (a permission and a reason let them in); so are the places of a
    group session for the practitioner and the room (``shared_time``), whose number the booking
    service holds to the specialty's ``patients_per_slot``. A patient is never in two places.
    """
    condition = models.Q(status__in=ACTIVE_STATUSES, overbooked=False)
    if shared_time:
        condition &= models.Q(group_session=False)
    return ExclusionConstraint(
        name=f"appointment_{field}_no_overlap",
        expressions=[(field, RangeOperators.EQUAL), (TsTzRange("starts_at", "ends_at"), RangeOperators.OVERLAPS)],
        condition=condition,
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
    # One place of a group session (a specialty with more than one patient per slot).
    group_session = models.BooleanField(_("group session"), default=False, db_default=False)
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
            _no_overlap("practitioner", shared_time=True),
            _no_overlap("room", shared_time=True),
            _no_overlap("patient", shared_time=False),
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


class Consultation(models.Model):
    """What the doctor records during an appointment: notes, diagnoses and treatment."""

    appointment = models.OneToOneField(
        Appointment, on_delete=models.PROTECT, related_name="consultation", verbose_name=_("appointment")
    )
    notes = EncryptedTextField(_("notes"), blank=True)
    treatment = EncryptedTextField(_("treatment"), blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("consultation")
        verbose_name_plural = _("consultations")

    def __str__(self) -> str:
        return f"{self.appointment_id}"


class Diagnosis(models.Model):
    """An ICD-10 diagnosis of a consultation, with the description as it read when recorded."""

    consultation = models.ForeignKey(Consultation, on_delete=models.CASCADE, related_name="diagnoses")
    icd10_code = models.CharField(_("ICD-10 code"), max_length=7, validators=[ICD10_CODE])
    description = models.CharField(_("description"), max_length=255)
    primary = models.BooleanField(_("primary diagnosis"), default=False)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True)
    recorded_at = models.DateTimeField(default=timezone.now, editable=False)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("diagnosis")
        verbose_name_plural = _("diagnoses")
        ordering = ["-primary", "recorded_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["consultation", "icd10_code"], name="diagnosis_code_once"),
            models.UniqueConstraint(
                fields=["consultation"], condition=models.Q(primary=True), name="diagnosis_one_primary"
            ),
        ]
        indexes = [models.Index(fields=["icd10_code"], name="diagnosis_icd10_idx")]

    def __str__(self) -> str:
        return f"{self.icd10_code} {self.description}"


class WaitingListEntry(models.Model):
    """A patient waiting for a time with a specialty (and, if they asked, a practitioner or clinic)."""

    class Status(models.TextChoices):
        WAITING = "waiting", _("Waiting")
        BOOKED = "booked", _("Booked")
        REMOVED = "removed", _("Removed")

    class Priority(models.IntegerChoices):
        ROUTINE = 0, _("Routine")
        PRIORITY = 1, _("Priority")
        URGENT = 2, _("Urgent")

    patient = models.ForeignKey(
        Patient, on_delete=models.PROTECT, related_name="waiting_list", verbose_name=_("patient")
    )
    specialty = models.ForeignKey(Specialty, on_delete=models.PROTECT, related_name="+", verbose_name=_("specialty"))
    practitioner = models.ForeignKey(
        Practitioner, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("practitioner")
    )
    clinic = models.ForeignKey(
        Clinic, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("clinic")
    )
    priority = models.PositiveSmallIntegerField(_("priority"), choices=Priority.choices, default=Priority.ROUTINE)
    notes = EncryptedTextField(_("notes"), blank=True)
    status = models.CharField(_("status"), max_length=8, choices=Status.choices, default=Status.WAITING)
    appointment = models.ForeignKey(
        Appointment, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("appointment")
    )
    closed_reason = models.CharField(_("reason for removing"), max_length=200, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    closed_at = models.DateTimeField(null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("waiting list entry")
        verbose_name_plural = _("waiting list")
        ordering = ["-priority", "created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["patient", "specialty"],
                condition=models.Q(status="waiting"),
                name="waiting_list_once_per_specialty",
            ),
        ]
        indexes = [
            models.Index(
                fields=["specialty", "-priority", "created_at"],
                condition=models.Q(status="waiting"),
                name="waiting_list_queue_idx",
            )
        ]

    def __str__(self) -> str:
        return f"{self.patient_id} · {self.specialty_id}"


class AppointmentLink(models.Model):
    """A link sent to the patient to confirm or cancel without an account (``scheduling/links.py``).

    The token in the link is this row's nonce, signed; it works until the appointment starts and
    only once: ``used_at`` and ``action`` record the use.
    """

    class Action(models.TextChoices):
        CONFIRM = "confirm", _("Confirmed")
        CANCEL = "cancel", _("Cancelled")

    appointment = models.ForeignKey(Appointment, on_delete=models.CASCADE, related_name="links")
    nonce = models.CharField(max_length=32, unique=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    used_at = models.DateTimeField(null=True, blank=True)
    action = models.CharField(max_length=8, choices=Action.choices, blank=True)

    class Meta:
        verbose_name = _("appointment link")
        verbose_name_plural = _("appointment links")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(used_at__isnull=True, action="")
                | models.Q(used_at__isnull=False, action__in=["confirm", "cancel"]),
                name="appointment_link_use_whole",
            )
        ]

    def __str__(self) -> str:
        return f"{self.appointment_id} · {self.created_at:%Y-%m-%d %H:%M}"
