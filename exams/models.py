"""The exam catalog (exams, their analytes and reference ranges), orders and their results.

An order goes requested -> scheduled -> collected (or performed) -> resulted -> released, or is
cancelled; ``services.py`` holds the steps. A result is entered by one person and released by
another; only a released result reaches the chart, the patient and the ordering doctor.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords

from beds.models import Admission
from clinic.crypto import EncryptedTextField
from clinic.models import Clinic
from patients.models import Patient, PatientDocument, Sex, private_storage
from scheduling.models import Appointment, Consultation
from staff.models import CareUnit, Specialty


class ExamKind(models.TextChoices):
    LAB = "lab", _("Laboratory")
    IMAGING = "imaging", _("Imaging")


# The care unit whose worklist receives an exam of each kind.
UNIT_KIND = {ExamKind.LAB: CareUnit.Kind.LABORATORY, ExamKind.IMAGING: CareUnit.Kind.IMAGING}


class Specimen(models.TextChoices):
    NONE = "", _("None (performed on the patient)")
    BLOOD = "blood", _("Blood")
    URINE = "urine", _("Urine")
    STOOL = "stool", _("Stool")
    SWAB = "swab", _("Swab")
    CSF = "csf", _("Cerebrospinal fluid")
    OTHER = "other", _("Other")


class Exam(models.Model):
    """One exam of the catalog, such as a full blood count or a chest X-ray."""

    code = models.CharField(
        _("code"),
        max_length=20,
        unique=True,
        validators=[RegexValidator(r"^[A-Z0-9.-]+$", _("Use capital letters, digits, dots and hyphens."))],
        help_text=_("The TUSS code where there is one, e.g. 40304361."),
    )
    name = models.CharField(_("name"), max_length=160)
    kind = models.CharField(_("kind"), max_length=10, choices=ExamKind.choices)
    specimen = models.CharField(_("specimen"), max_length=10, choices=Specimen.choices, blank=True)
    preparation = models.TextField(_("preparation"), blank=True, help_text=_("What the patient must do beforehand."))
    turnaround_hours = models.PositiveSmallIntegerField(
        _("expected turnaround (hours)"), validators=[MinValueValidator(1)], default=24
    )
    needs_scheduling = models.BooleanField(
        _("needs scheduling"),
        default=False,
        help_text=_("Performed in a room or on a device at a booked time, by a practitioner of the specialty below."),
    )
    specialty = models.ForeignKey(
        Specialty,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("performed by (specialty)"),
        help_text=_("Whose agendas offer the times for this exam."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("exam")
        verbose_name_plural = _("exams")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(condition=models.Q(kind__in=ExamKind.values), name="exam_kind_known"),
            models.CheckConstraint(
                condition=models.Q(needs_scheduling=False) | models.Q(specialty__isnull=False),
                name="exam_scheduling_has_specialty",
                violation_error_message=_("An exam that needs scheduling needs the specialty that performs it."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"


class ValueKind(models.TextChoices):
    NUMBER = "number", _("Number")
    TEXT = "text", _("Text")


class Analyte(models.Model):
    """What an exam measures: haemoglobin of a blood count, glucose, the aspect of urine..."""

    exam = models.ForeignKey(Exam, on_delete=models.CASCADE, related_name="analytes", verbose_name=_("exam"))
    code = models.CharField(_("code"), max_length=20)
    name = models.CharField(_("name"), max_length=120)
    value_kind = models.CharField(_("value"), max_length=6, choices=ValueKind.choices, default=ValueKind.NUMBER)
    unit = models.CharField(_("unit"), max_length=20, blank=True)
    decimals = models.PositiveSmallIntegerField(_("decimal places"), default=1)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("analyte")
        verbose_name_plural = _("analytes")
        ordering = ["exam", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["exam", "code"], name="analyte_code_unique_per_exam"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.unit})" if self.unit else self.name


class ReferenceRange(models.Model):
    """The normal interval of an analyte for a sex (or any) and an age band in whole years.

    ``age_from`` is inclusive and ``age_to`` exclusive; ``low`` and ``high`` are inclusive (a value
    equal to either is normal). Critical limits, where given, mark values that need a call.
    """

    analyte = models.ForeignKey(Analyte, on_delete=models.CASCADE, related_name="ranges", verbose_name=_("analyte"))
    sex = models.CharField(
        _("sex"),
        max_length=1,
        choices=[(Sex.FEMALE, Sex.FEMALE.label), (Sex.MALE, Sex.MALE.label)],
        blank=True,
        help_text=_("Empty: any sex."),
    )
    age_from = models.PositiveSmallIntegerField(_("from age (years)"), default=0)
    age_to = models.PositiveSmallIntegerField(_("until age (years, exclusive)"), null=True, blank=True)
    low = models.DecimalField(_("low"), max_digits=12, decimal_places=4, null=True, blank=True)
    high = models.DecimalField(_("high"), max_digits=12, decimal_places=4, null=True, blank=True)
    critical_low = models.DecimalField(_("critical low"), max_digits=12, decimal_places=4, null=True, blank=True)
    critical_high = models.DecimalField(_("critical high"), max_digits=12, decimal_places=4, null=True, blank=True)

    class Meta:
        verbose_name = _("reference range")
        verbose_name_plural = _("reference ranges")
        ordering = ["analyte", "sex", "age_from"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(age_to__isnull=True) | models.Q(age_to__gt=models.F("age_from")),
                name="reference_range_ages",
            ),
            models.CheckConstraint(
                condition=models.Q(low__isnull=True)
                | models.Q(high__isnull=True)
                | models.Q(high__gte=models.F("low")),
                name="reference_range_low_high",
            ),
            models.CheckConstraint(
                condition=models.Q(low__isnull=False) | models.Q(high__isnull=False), name="reference_range_has_limit"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.low if self.low is not None else ''}-{self.high if self.high is not None else ''}"


class OrderStatus(models.TextChoices):
    # A context: in Portuguese an order (o pedido) is masculine, an appointment (a consulta) feminine.
    REQUESTED = "requested", pgettext_lazy("exam order status", "Requested")
    SCHEDULED = "scheduled", pgettext_lazy("exam order status", "Scheduled")
    COLLECTED = "collected", _("Collected / performed")
    RESULTED = "resulted", _("Result entered")
    RELEASED = "released", _("Released")
    CANCELLED = "cancelled", pgettext_lazy("exam order status", "Cancelled")


# The orders a worklist shows: still to be done, or done and waiting for a result or a release.
OPEN_ORDER = [OrderStatus.REQUESTED, OrderStatus.SCHEDULED, OrderStatus.COLLECTED, OrderStatus.RESULTED]

# Which status may follow which; everything else is refused by the services.
ORDER_TRANSITIONS: dict[str, set[str]] = {
    OrderStatus.REQUESTED: {OrderStatus.SCHEDULED, OrderStatus.COLLECTED, OrderStatus.CANCELLED},
    OrderStatus.SCHEDULED: {OrderStatus.REQUESTED, OrderStatus.COLLECTED, OrderStatus.CANCELLED},
    OrderStatus.COLLECTED: {OrderStatus.RESULTED, OrderStatus.CANCELLED},
    OrderStatus.RESULTED: {OrderStatus.RESULTED, OrderStatus.RELEASED, OrderStatus.CANCELLED},
    OrderStatus.RELEASED: set(),
    OrderStatus.CANCELLED: set(),
}


class OrderPriority(models.TextChoices):
    """Most urgent first; ``PRIORITY_RANK`` orders the worklists."""

    STAT = "stat", _("Emergency (STAT)")
    URGENT = "urgent", _("Urgent")
    ROUTINE = "routine", _("Routine")


PRIORITY_RANK = {OrderPriority.STAT: 0, OrderPriority.URGENT: 1, OrderPriority.ROUTINE: 2}


class OrderOrigin(models.TextChoices):
    CONSULTATION = "consultation", _("Consultation")
    TRIAGE = "triage", _("Triage")
    ADMISSION = "admission", _("Admission")
    CHART = "chart", _("Patient chart")


class ExamOrder(models.Model):
    """One exam asked for one patient, and everything that became of it."""

    # db_index=False where a composite index below starts with the column already.
    patient = models.ForeignKey(
        Patient, on_delete=models.PROTECT, related_name="exam_orders", verbose_name=_("patient"), db_index=False
    )
    exam = models.ForeignKey(Exam, on_delete=models.PROTECT, related_name="orders", verbose_name=_("exam"))
    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="+", verbose_name=_("clinic"))
    unit = models.ForeignKey(
        CareUnit,
        on_delete=models.PROTECT,
        related_name="exam_orders",
        verbose_name=_("performed by (unit)"),
        help_text=_("The laboratory or imaging unit whose worklist has the order."),
    )
    status = models.CharField(_("status"), max_length=10, choices=OrderStatus.choices, default=OrderStatus.REQUESTED)
    priority = models.CharField(
        _("priority"), max_length=8, choices=OrderPriority.choices, default=OrderPriority.ROUTINE
    )
    # Denormalised from ``priority`` so the worklist's index orders by it.
    priority_rank = models.PositiveSmallIntegerField(default=2, editable=False)
    origin = models.CharField(_("ordered from"), max_length=12, choices=OrderOrigin.choices)
    consultation = models.ForeignKey(
        Consultation, on_delete=models.PROTECT, null=True, blank=True, related_name="exam_orders"
    )
    admission = models.ForeignKey(
        Admission, on_delete=models.PROTECT, null=True, blank=True, related_name="exam_orders"
    )
    indication = EncryptedTextField(_("clinical indication"), blank=True)
    ordered_at = models.DateTimeField(_("ordered at"), default=timezone.now)
    ordered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("ordered by"),
        db_index=False,
    )
    appointment = models.OneToOneField(
        Appointment, on_delete=models.PROTECT, null=True, blank=True, related_name="exam_order"
    )
    collected_at = models.DateTimeField(_("collected / performed at"), null=True, blank=True)
    collected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    resulted_at = models.DateTimeField(_("result entered at"), null=True, blank=True)
    resulted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("result entered by"),
    )
    released_at = models.DateTimeField(_("released at"), null=True, blank=True)
    released_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("released by"),
    )
    report = EncryptedTextField(_("report"), blank=True, help_text=_("The written report of an imaging exam."))
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    cancel_reason = models.CharField(_("reason for cancelling"), max_length=200, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("exam order")
        verbose_name_plural = _("exam orders")
        ordering = ["-ordered_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(status__in=OrderStatus.values), name="exam_order_status_known"),
            models.CheckConstraint(
                condition=~models.Q(status__in=[OrderStatus.RESULTED, OrderStatus.RELEASED])
                | models.Q(resulted_at__isnull=False, resulted_by__isnull=False, collected_at__isnull=False),
                name="exam_order_resulted_has_who_when",
            ),
            models.CheckConstraint(
                condition=~models.Q(status=OrderStatus.RELEASED)
                | models.Q(released_at__isnull=False, released_by__isnull=False),
                name="exam_order_released_has_who_when",
            ),
            # The four-eyes rule, held by the database as well as the service.
            models.CheckConstraint(
                condition=models.Q(released_by__isnull=True) | ~models.Q(released_by=models.F("resulted_by")),
                name="exam_order_released_by_another",
            ),
            models.CheckConstraint(
                condition=~models.Q(status=OrderStatus.CANCELLED) | ~models.Q(cancel_reason=""),
                name="exam_order_cancel_has_reason",
            ),
        ]
        indexes = [
            # The worklist: a unit's open orders, most urgent first, oldest first.
            models.Index(
                fields=["unit", "priority_rank", "ordered_at"],
                condition=models.Q(status__in=OPEN_ORDER),
                name="exam_order_worklist_idx",
            ),
            models.Index(fields=["patient", "-ordered_at"], name="exam_order_patient_idx"),
            models.Index(fields=["ordered_by", "-ordered_at"], name="exam_order_doctor_idx"),
        ]
        permissions = [
            ("enter_result", _("Can collect specimens and enter exam results")),
            ("release_result", _("Can release exam results entered by someone else")),
        ]

    def __str__(self) -> str:
        return f"{self.exam_id} · {self.get_status_display()}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_ORDER

    def due_at(self) -> datetime:
        """When the result is expected: the exam's turnaround from collection (or from the order)."""
        return (self.collected_at or self.ordered_at) + timedelta(hours=self.exam.turnaround_hours)


class Flag(models.TextChoices):
    NORMAL = "", _("Normal")
    LOW = "low", _("Low")
    HIGH = "high", _("High")
    CRITICAL_LOW = "critical_low", _("Critically low")
    CRITICAL_HIGH = "critical_high", _("Critically high")
    ABNORMAL = "abnormal", _("Abnormal")


class ResultValue(models.Model):
    """The value of one analyte in one order, with the range it was judged against when entered."""

    order = models.ForeignKey(ExamOrder, on_delete=models.CASCADE, related_name="values", db_index=False)
    analyte = models.ForeignKey(Analyte, on_delete=models.PROTECT, related_name="+")
    number = models.DecimalField(_("value"), max_digits=12, decimal_places=4, null=True, blank=True)
    text = models.CharField(_("value"), max_length=200, blank=True)
    unit = models.CharField(_("unit"), max_length=20, blank=True)
    flag = models.CharField(_("flag"), max_length=14, choices=Flag.choices, blank=True)
    reference_low = models.DecimalField(max_digits=12, decimal_places=4, null=True, blank=True)
    reference_high = models.DecimalField(max_digits=12, decimal_places=4, null=True, blank=True)
    # Kept on the row: the patient's results panel and the trend read them without the order.
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="+", db_index=False)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("result value")
        verbose_name_plural = _("result values")
        ordering = ["order", "analyte__position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["order", "analyte"], name="result_value_once_per_analyte"),
            models.CheckConstraint(
                condition=models.Q(number__isnull=False) | ~models.Q(text=""), name="result_value_given"
            ),
        ]
        indexes = [models.Index(fields=["patient", "analyte"], name="result_value_patient_idx")]

    def __str__(self) -> str:
        return f"{self.display} {self.unit}".strip()

    @property
    def display(self) -> str:
        return self.text if self.number is None else f"{self.number.normalize():f}"


class ResultAttachment(models.Model):
    """A file that goes with a result: the images' report PDF, an ECG trace, a scanned lab sheet."""

    order = models.ForeignKey(ExamOrder, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(_("file"), storage=private_storage, upload_to="exam-results/%Y/%m/", max_length=255)
    name = models.CharField(_("name"), max_length=200)
    content_type = models.CharField(max_length=40, choices=PatientDocument.ContentType.choices)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("result attachment")
        verbose_name_plural = _("result attachments")
        ordering = ["uploaded_at", "id"]

    def __str__(self) -> str:
        return self.name


class OrderEvent(models.Model):
    """One step of an order: who, when, from which status to which, and a note where one is asked."""

    order = models.ForeignKey(ExamOrder, on_delete=models.CASCADE, related_name="events")
    from_status = models.CharField(max_length=10, choices=OrderStatus.choices, blank=True)
    to_status = models.CharField(max_length=10, choices=OrderStatus.choices)
    at = models.DateTimeField(default=timezone.now)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True)
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("exam order event")
        verbose_name_plural = _("exam order events")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.from_status} -> {self.to_status}"
