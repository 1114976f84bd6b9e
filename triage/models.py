"""Emergency visits: arrival, risk classification (Manchester colours) with vital signs, routing.

A visit goes arrived -> in triage -> classified -> routed (to a consultation, exams, admission or
home), or the patient leaves before being seen. ``services.py`` holds the steps; ``rules.py`` the
vital-sign ranges and the discriminators that suggest a colour.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from beds.models import Admission
from clinic.crypto import EncryptedTextField
from clinic.models import Clinic
from exams.models import ExamOrder
from patients.models import Patient, RiskColour
from scheduling.models import Appointment
from triage.rules import VITAL_LIMITS

# Manchester target time from arrival to the doctor, per colour (domain.md).
TARGET_MINUTES: dict[str, int] = {
    RiskColour.RED: 0,
    RiskColour.ORANGE: 10,
    RiskColour.YELLOW: 60,
    RiskColour.GREEN: 120,
    RiskColour.BLUE: 240,
}
# Most urgent first: the queue's order, kept on the visit so an index can serve it.
RISK_RANK: dict[str, int] = {colour: rank for rank, colour in enumerate(RiskColour.values)}
# A visit not yet classified sorts after every colour in the doctor's queue.
UNCLASSIFIED_RANK = len(RISK_RANK)


class VisitStatus(models.TextChoices):
    ARRIVED = "arrived", _("Waiting for triage")
    IN_TRIAGE = "in_triage", _("In triage")
    CLASSIFIED = "classified", _("Classified")
    ROUTED = "routed", _("Routed")
    LEFT = "left", _("Left without being seen")


class Destination(models.TextChoices):
    CONSULTATION = "consultation", _("Consultation")
    EXAMS = "exams", _("Exams")
    ADMISSION = "admission", _("Admission")
    DISCHARGED = "discharged", _("Discharged")


class Visit(models.Model):
    """A walk-in's time at the emergency door, from arrival until a doctor takes over or they leave.

    ``in_queue`` is true while the patient waits for someone at the door: for triage, for routing,
    or (routed to a consultation) for the doctor to start. The queue's partial index covers only
    those rows, so the queue costs the same with a year of visits behind it.
    """

    # db_index=False: the composite indexes below start with these columns.
    clinic = models.ForeignKey(
        Clinic, on_delete=models.PROTECT, related_name="+", verbose_name=_("clinic"), db_index=False
    )
    # Its own index stays: dropping it with AlterField would also drop the one-open-visit unique index,
    # which is on the same single column (Django matches indexes to drop by their columns).
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="visits", verbose_name=_("patient"))
    status = models.CharField(_("status"), max_length=10, choices=VisitStatus.choices, default=VisitStatus.ARRIVED)
    in_queue = models.BooleanField(default=True, editable=False)
    arrival_note = EncryptedTextField(
        _("reason for coming"), blank=True, help_text=_("What the patient says at the door, in their words.")
    )
    arrived_at = models.DateTimeField(_("arrived at"), default=timezone.now)
    arrived_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+", verbose_name=_("registered by")
    )
    risk = models.CharField(_("risk colour"), max_length=6, choices=RiskColour.choices, blank=True)
    risk_rank = models.PositiveSmallIntegerField(default=UNCLASSIFIED_RANK, editable=False)
    triage_started_at = models.DateTimeField(_("triage started at"), null=True, blank=True)
    triage_ended_at = models.DateTimeField(_("classified at"), null=True, blank=True)
    destination = models.CharField(_("routed to"), max_length=12, choices=Destination.choices, blank=True)
    routed_at = models.DateTimeField(_("routed at"), null=True, blank=True)
    routed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    routing_note = models.CharField(_("note"), max_length=200, blank=True)
    appointment = models.OneToOneField(
        Appointment, on_delete=models.PROTECT, null=True, blank=True, related_name="visit"
    )
    admission = models.ForeignKey(Admission, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    exam_orders = models.ManyToManyField(ExamOrder, blank=True, related_name="visits")
    doctor_started_at = models.DateTimeField(_("doctor started at"), null=True, blank=True)
    left_at = models.DateTimeField(_("left at"), null=True, blank=True)
    history = HistoricalRecords(excluded_fields=["in_queue"])

    class Meta:
        verbose_name = _("emergency visit")
        verbose_name_plural = _("emergency visits")
        ordering = ["-arrived_at"]
        constraints = [
            models.CheckConstraint(condition=models.Q(status__in=VisitStatus.values), name="visit_status_known"),
            models.CheckConstraint(
                condition=~models.Q(status__in=[VisitStatus.CLASSIFIED, VisitStatus.ROUTED])
                | ~models.Q(risk="") & models.Q(triage_ended_at__isnull=False),
                name="visit_classified_has_colour",
            ),
            models.CheckConstraint(
                condition=~models.Q(status=VisitStatus.ROUTED)
                | ~models.Q(destination="") & models.Q(routed_at__isnull=False),
                name="visit_routed_has_destination",
            ),
            models.CheckConstraint(
                condition=~models.Q(destination=Destination.CONSULTATION) | models.Q(appointment__isnull=False),
                name="visit_consultation_has_appointment",
            ),
            models.CheckConstraint(
                condition=~models.Q(destination=Destination.ADMISSION) | models.Q(admission__isnull=False),
                name="visit_admission_has_request",
            ),
            # A patient is at one emergency door at a time.
            models.UniqueConstraint(
                fields=["patient"],
                condition=models.Q(in_queue=True),
                name="visit_one_open_per_patient",
                violation_error_message=_("This patient is already in the emergency queue."),
            ),
        ]
        indexes = [
            models.Index(
                fields=["clinic", "risk_rank", "arrived_at"],
                condition=models.Q(in_queue=True),
                name="visit_queue_idx",
            ),
            models.Index(fields=["patient", "-arrived_at"], name="visit_patient_idx"),
            models.Index(fields=["clinic", "-arrived_at"], name="visit_clinic_day_idx"),
        ]
        permissions = [
            ("triage_visit", _("Can classify the risk of a walk-in")),
            ("route_visit", _("Can route a classified walk-in")),
        ]

    def __str__(self) -> str:
        return f"{self.arrived_at:%Y-%m-%d %H:%M} · {self.get_status_display()}"

    @property
    def target_minutes(self) -> int | None:
        return TARGET_MINUTES.get(self.risk) if self.risk else None

    @property
    def target_at(self) -> datetime | None:
        """When the doctor should have started, by the colour's target time from arrival."""
        minutes = self.target_minutes
        return None if minutes is None else self.arrived_at + timedelta(minutes=minutes)

    def waited(self, now: datetime | None = None) -> timedelta:
        return (self.doctor_started_at or self.left_at or now or timezone.now()) - self.arrived_at

    def is_overdue(self, now: datetime | None = None) -> bool:
        target = self.target_at
        return target is not None and self.doctor_started_at is None and (now or timezone.now()) > target


class Assessment(models.Model):
    """One classification (the first triage or a re-triage): complaint, vital signs, colour and why.

    The nurse may give a colour other than the suggested one only with a reason; the database
    holds that too. Impossible vital signs are refused by the service (``rules.VITAL_LIMITS``) and
    by check constraints here; ``flags`` keeps the abnormal ones as they were judged.
    """

    visit = models.ForeignKey(Visit, on_delete=models.CASCADE, related_name="assessments")
    # Kept on the row: the chart's series of vital signs reads a patient's assessments directly.
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="+", db_index=False)
    started_at = models.DateTimeField(_("started at"))
    finished_at = models.DateTimeField(_("finished at"), default=timezone.now)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("by"))
    complaint = EncryptedTextField(_("chief complaint"))
    systolic = models.PositiveSmallIntegerField(_("systolic pressure (mmHg)"), null=True, blank=True)
    diastolic = models.PositiveSmallIntegerField(_("diastolic pressure (mmHg)"), null=True, blank=True)
    heart_rate = models.PositiveSmallIntegerField(_("heart rate (bpm)"), null=True, blank=True)
    respiratory_rate = models.PositiveSmallIntegerField(_("respiratory rate (/min)"), null=True, blank=True)
    temperature = models.DecimalField(_("temperature (°C)"), max_digits=3, decimal_places=1, null=True, blank=True)
    spo2 = models.PositiveSmallIntegerField(_("SpO2 (%)"), null=True, blank=True)
    glucose = models.PositiveSmallIntegerField(_("capillary glucose (mg/dL)"), null=True, blank=True)
    pain = models.PositiveSmallIntegerField(_("pain (0-10)"), null=True, blank=True)
    glasgow = models.PositiveSmallIntegerField(_("Glasgow coma scale (3-15)"), null=True, blank=True)
    discriminators = ArrayField(
        models.CharField(max_length=30), verbose_name=_("signs observed"), default=list, blank=True
    )
    flags = ArrayField(models.CharField(max_length=30), default=list, blank=True, editable=False)
    suggested_risk = models.CharField(_("suggested colour"), max_length=6, choices=RiskColour.choices)
    risk = models.CharField(_("risk colour"), max_length=6, choices=RiskColour.choices)
    override_reason = models.CharField(_("reason for another colour"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("triage assessment")
        verbose_name_plural = _("triage assessments")
        ordering = ["finished_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(risk=models.F("suggested_risk")) | ~models.Q(override_reason=""),
                name="assessment_override_has_reason",
            ),
            models.CheckConstraint(
                condition=models.Q(finished_at__gte=models.F("started_at")), name="assessment_period"
            ),
            *(
                models.CheckConstraint(
                    condition=models.Q(**{f"{field}__isnull": True})
                    | models.Q(**{f"{field}__gte": low, f"{field}__lte": high}),
                    name=f"assessment_{field}_possible",
                )
                for field, (low, high) in VITAL_LIMITS.items()
            ),
        ]
        indexes = [models.Index(fields=["patient", "finished_at"], name="assessment_patient_idx")]

    def __str__(self) -> str:
        return f"{self.finished_at:%Y-%m-%d %H:%M} · {self.get_risk_display()}"

    @property
    def overridden(self) -> bool:
        return self.risk != self.suggested_risk
