"""Wards, rooms and beds; admissions and the bed stays they are made of.

The database holds the rules that matter most: a bed has one stay at a time (an exclusion
constraint over the stays' periods), a patient has one open admission, and an admission is in one
bed at a time. The flows that move beds and admissions through their states live in services.py.
"""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.contrib.postgres.constraints import ExclusionConstraint
from django.contrib.postgres.fields import ArrayField, RangeOperators
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords

from clinic.crypto import EncryptedTextField
from clinic.db import TsTzRange
from clinic.models import Clinic, Floor
from patients.models import Patient, RiskColour


class WardKind(models.TextChoices):
    ICU = "icu", _("Intensive care (ICU)")
    GENERAL = "general", _("General ward")
    PRIVATE = "private", _("Private rooms")
    ISOLATION = "isolation", _("Isolation")
    PAEDIATRICS = "paediatrics", _("Paediatrics")
    MATERNITY = "maternity", _("Maternity")
    OBSERVATION = "observation", _("Observation")


class Equipment(models.TextChoices):
    VENTILATOR = "ventilator", _("Ventilator")
    MONITOR = "monitor", _("Multiparameter monitor")
    OXYGEN = "oxygen", _("Wall oxygen")
    INFUSION_PUMP = "infusion_pump", _("Infusion pump")
    BARIATRIC = "bariatric", _("Bariatric bed")
    CRIB = "crib", _("Crib")


def equipment_labels(values: list[str]) -> list[str]:
    return [str(Equipment(value).label) for value in values if value in Equipment.values]


class RoomSex(models.TextChoices):
    ANY = "any", _("Any sex")
    FEMALE = "F", _("Women only")
    MALE = "M", _("Men only")


class BedState(models.TextChoices):
    """Ours, with HL7 v2 table 0116 in ``HL7_BED_STATUS`` for interfaces."""

    AVAILABLE = "available", _("Available")
    RESERVED = "reserved", _("Reserved")
    OCCUPIED = "occupied", _("Occupied")
    CLEANING = "cleaning", _("Cleaning")
    BLOCKED = "blocked", _("Blocked")


HL7_BED_STATUS = {
    BedState.AVAILABLE: "U",
    BedState.RESERVED: "U",
    BedState.OCCUPIED: "O",
    BedState.CLEANING: "H",
    BedState.BLOCKED: "C",
}


class Ward(models.Model):
    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="wards", verbose_name=_("clinic"))
    floor = models.ForeignKey(Floor, on_delete=models.PROTECT, related_name="wards", verbose_name=_("floor"))
    code = models.CharField(_("code"), max_length=20, help_text=_("Short code shown on the board, e.g. UTI-1."))
    name = models.CharField(_("name"), max_length=80)
    kind = models.CharField(_("kind"), max_length=12, choices=WardKind.choices)
    is_active = models.BooleanField(_("active"), default=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("ward")
        verbose_name_plural = _("wards")
        ordering = ["clinic", "code"]
        constraints = [
            models.UniqueConstraint(
                "clinic",
                Lower("code"),
                name="ward_code_unique_per_clinic",
                violation_error_message=_("This clinic already has a ward with this code."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.code} · {self.name}"

    def clean(self) -> None:
        if self.floor_id and self.clinic_id and self.floor.clinic_id != self.clinic_id:
            raise ValidationError({"floor": _("The floor belongs to another clinic.")})


class WardRoom(models.Model):
    """A room of a ward: the unit that holds beds, and whose patients may be of one sex only."""

    ward = models.ForeignKey(Ward, on_delete=models.PROTECT, related_name="rooms", verbose_name=_("ward"))
    code = models.CharField(_("code"), max_length=20)
    sex = models.CharField(_("patients"), max_length=3, choices=RoomSex.choices, default=RoomSex.ANY)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("ward room")
        verbose_name_plural = _("ward rooms")
        ordering = ["ward", "code"]
        constraints = [
            models.UniqueConstraint(
                "ward",
                Lower("code"),
                name="ward_room_code_unique_per_ward",
                violation_error_message=_("This ward already has a room with this code."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.ward.code} {self.code}"


class Bed(models.Model):
    room = models.ForeignKey(WardRoom, on_delete=models.PROTECT, related_name="beds", verbose_name=_("room"))
    code = models.CharField(_("code"), max_length=20, help_text=_("As written on the bed, e.g. 204-B."))
    isolation_capable = models.BooleanField(_("isolation capable"), default=False)
    equipment = ArrayField(
        models.CharField(max_length=20, choices=Equipment.choices),
        verbose_name=_("equipment"),
        default=list,
        blank=True,
    )
    state = models.CharField(_("state"), max_length=10, choices=BedState.choices, default=BedState.AVAILABLE)
    # Every change of the bed (state, reservation, block) moves this, so the board knows it is stale.
    changed_at = models.DateTimeField(_("changed at"), default=timezone.now)
    reserved_for = models.ForeignKey(
        "Admission",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="reserved_beds",
        verbose_name=_("reserved for"),
    )
    reserved_until = models.DateTimeField(_("reserved until"), null=True, blank=True)
    blocked_reason = models.CharField(_("reason for the block"), max_length=200, blank=True)
    in_service_since = models.DateTimeField(
        _("in service since"),
        default=timezone.now,
        help_text=_("From when the bed counts among the available beds in occupancy reports."),
    )
    retired_at = models.DateTimeField(_("retired at"), null=True, blank=True)
    history = HistoricalRecords(excluded_fields=["changed_at"])

    class Meta:
        verbose_name = _("bed")
        verbose_name_plural = _("beds")
        ordering = ["room", "code"]
        constraints = [
            models.UniqueConstraint(
                "room",
                Lower("code"),
                name="bed_code_unique_per_room",
                violation_error_message=_("This room already has a bed with this code."),
            ),
            # An admission holds at most one reserved bed.
            models.UniqueConstraint(
                fields=["reserved_for"],
                condition=models.Q(reserved_for__isnull=False),
                name="bed_one_reservation_per_admission",
            ),
            models.CheckConstraint(
                condition=models.Q(state=BedState.RESERVED, reserved_for__isnull=False, reserved_until__isnull=False)
                | (~models.Q(state=BedState.RESERVED) & models.Q(reserved_for__isnull=True)),
                name="bed_reserved_has_admission",
            ),
            models.CheckConstraint(
                condition=models.Q(retired_at__isnull=True) | models.Q(retired_at__gt=models.F("in_service_since")),
                name="bed_retired_after_service",
            ),
        ]
        indexes = [models.Index(fields=["state"], name="bed_state_idx")]
        permissions = [("operate_bed", _("Can reserve, clean, block and unblock beds"))]

    def __str__(self) -> str:
        return self.code

    @property
    def equipment_labels(self) -> list[str]:
        return equipment_labels(self.equipment)

    @property
    def hl7_status(self) -> str:
        return HL7_BED_STATUS[BedState(self.state)]


class AdmissionStatus(models.TextChoices):
    REQUESTED = "requested", _("Requested")
    ADMITTED = "admitted", pgettext_lazy("admission status", "Admitted")
    DISCHARGED = "discharged", _("Discharged")
    CANCELLED = "cancelled", _("Cancelled")


OPEN_ADMISSION = [AdmissionStatus.REQUESTED, AdmissionStatus.ADMITTED]


class AdmissionSource(models.TextChoices):
    DOCTOR = "doctor", _("Doctor")
    TRIAGE = "triage", _("Triage")
    TRANSFER_IN = "transfer_in", _("Transfer from another hospital")


class Priority(models.TextChoices):
    ROUTINE = "routine", _("Routine")
    URGENT = "urgent", _("Urgent")
    EMERGENCY = "emergency", pgettext_lazy("admission priority", "Emergency")


PRIORITY_RANK = {Priority.EMERGENCY: 0, Priority.URGENT: 1, Priority.ROUTINE: 2}


class DischargeKind(models.TextChoices):
    HOME = "home", _("Home")
    TRANSFER_OUT = "transfer_out", _("Transfer to another hospital")
    DEATH = "death", _("Death")
    AGAINST_ADVICE = "against_advice", _("Against medical advice")


class Admission(models.Model):
    """A patient's time in hospital: requested, then admitted (one bed stay after another), then discharged."""

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="admissions", verbose_name=_("patient"))
    clinic = models.ForeignKey(
        Clinic,
        on_delete=models.PROTECT,
        related_name="admissions",
        verbose_name=_("clinic"),
        help_text=_("Where the bed is wanted."),
    )
    status = models.CharField(
        _("status"), max_length=10, choices=AdmissionStatus.choices, default=AdmissionStatus.REQUESTED
    )
    # What is needed: the hard rules of the bed suggestion.
    source = models.CharField(_("requested from"), max_length=12, choices=AdmissionSource.choices)
    ward_kind = models.CharField(_("kind of ward"), max_length=12, choices=WardKind.choices)
    needs_isolation = models.BooleanField(_("needs isolation"), default=False)
    equipment = ArrayField(
        models.CharField(max_length=20, choices=Equipment.choices),
        verbose_name=_("equipment needed"),
        default=list,
        blank=True,
    )
    priority = models.CharField(_("priority"), max_length=10, choices=Priority.choices, default=Priority.ROUTINE)
    risk = models.CharField(_("risk colour"), max_length=6, choices=RiskColour.choices, blank=True)
    origin_floor = models.ForeignKey(
        Floor,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("where the patient is now"),
        help_text=_("A bed on this floor is preferred."),
    )
    reason = EncryptedTextField(_("reason for admission"), blank=True)
    requested_at = models.DateTimeField(_("requested at"), default=timezone.now)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+", verbose_name=_("requested by")
    )
    admitted_at = models.DateTimeField(_("admitted at"), null=True, blank=True)
    admitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+", verbose_name=_("admitted by")
    )
    discharged_at = models.DateTimeField(_("discharged at"), null=True, blank=True)
    discharged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        related_name="+",
        verbose_name=_("discharged by"),
    )
    discharge_kind = models.CharField(_("discharge"), max_length=16, choices=DischargeKind.choices, blank=True)
    discharge_notes = EncryptedTextField(_("discharge notes"), blank=True)
    cancelled_reason = models.CharField(_("reason for cancelling"), max_length=200, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("cancelled by"),
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("admission")
        verbose_name_plural = _("admissions")
        ordering = ["-requested_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["patient"],
                condition=models.Q(status__in=OPEN_ADMISSION),
                name="admission_one_open_per_patient",
                violation_error_message=_("This patient already has an open admission or admission request."),
            ),
            models.CheckConstraint(
                condition=~models.Q(status=AdmissionStatus.ADMITTED) | models.Q(admitted_at__isnull=False),
                name="admission_admitted_has_time",
            ),
            models.CheckConstraint(
                condition=~models.Q(status=AdmissionStatus.DISCHARGED)
                | models.Q(discharged_at__isnull=False, admitted_at__isnull=False) & ~models.Q(discharge_kind=""),
                name="admission_discharged_has_time_and_kind",
            ),
        ]
        indexes = [
            models.Index(
                fields=["clinic", "requested_at"],
                condition=models.Q(status=AdmissionStatus.REQUESTED),
                name="admission_open_request_idx",
            ),
            models.Index(fields=["patient", "-requested_at"], name="admission_patient_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_status_display()} · {self.requested_at:%Y-%m-%d}"

    @property
    def equipment_labels(self) -> list[str]:
        return equipment_labels(self.equipment)

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_ADMISSION

    def days_in_hospital(self, now: datetime | None = None) -> int | None:
        """Whole days from admission to discharge (or to ``now`` while admitted)."""
        if self.admitted_at is None:
            return None
        return ((self.discharged_at or now or timezone.now()) - self.admitted_at).days


class StayEnd(models.TextChoices):
    TRANSFER = "transfer", _("Transferred")
    DISCHARGE = "discharge", _("Discharged")


class BedStay(models.Model):
    """A period an admission spent in one bed: the unit of the occupancy history and the census."""

    admission = models.ForeignKey(
        Admission, on_delete=models.PROTECT, related_name="stays", verbose_name=_("admission")
    )
    bed = models.ForeignKey(Bed, on_delete=models.PROTECT, related_name="stays", verbose_name=_("bed"))
    started_at = models.DateTimeField(_("from"))
    ended_at = models.DateTimeField(_("to"), null=True, blank=True)
    end_reason = models.CharField(_("ended by"), max_length=10, choices=StayEnd.choices, blank=True)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+", verbose_name=_("started by")
    )
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+", verbose_name=_("ended by")
    )

    class Meta:
        verbose_name = _("bed stay")
        verbose_name_plural = _("bed stays")
        ordering = ["started_at"]
        constraints = [
            # One patient per bed at any moment (and so one open stay per bed).
            ExclusionConstraint(
                name="bed_stay_no_overlap",
                expressions=[
                    ("bed", RangeOperators.EQUAL),
                    (TsTzRange("started_at", "ended_at"), RangeOperators.OVERLAPS),
                ],
            ),
            # An admission is in one bed at a time.
            models.UniqueConstraint(
                fields=["admission"], condition=models.Q(ended_at__isnull=True), name="bed_stay_one_open_per_admission"
            ),
            models.CheckConstraint(
                condition=models.Q(ended_at__isnull=True) | models.Q(ended_at__gt=models.F("started_at")),
                name="bed_stay_ends_after_start",
            ),
        ]
        indexes = [
            models.Index(fields=["admission", "started_at"], name="bed_stay_admission_idx"),
            models.Index(fields=["started_at"], name="bed_stay_started_idx"),
            models.Index(fields=["ended_at"], name="bed_stay_ended_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.bed} {self.started_at:%Y-%m-%d %H:%M}"


class BedBlock(models.Model):
    """A period a bed was out of service (maintenance): blocked beds are not available beds."""

    bed = models.ForeignKey(Bed, on_delete=models.PROTECT, related_name="blocks", verbose_name=_("bed"))
    reason = models.CharField(_("reason"), max_length=200)
    started_at = models.DateTimeField(_("from"))
    ended_at = models.DateTimeField(_("to"), null=True, blank=True)
    started_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")
    ended_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")

    class Meta:
        verbose_name = _("bed block")
        verbose_name_plural = _("bed blocks")
        ordering = ["started_at"]
        constraints = [
            ExclusionConstraint(
                name="bed_block_no_overlap",
                expressions=[
                    ("bed", RangeOperators.EQUAL),
                    (TsTzRange("started_at", "ended_at"), RangeOperators.OVERLAPS),
                ],
            ),
            models.CheckConstraint(
                condition=models.Q(ended_at__isnull=True) | models.Q(ended_at__gt=models.F("started_at")),
                name="bed_block_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.bed} {self.reason}"


class BedEvent(models.Model):
    """The bed's history as the ward sees it: every step, who and when."""

    class Kind(models.TextChoices):
        ADMITTED = "admitted", _("Patient admitted")
        TRANSFERRED_IN = "transferred_in", _("Patient transferred in")
        TRANSFERRED_OUT = "transferred_out", _("Patient transferred out")
        DISCHARGED = "discharged", _("Patient discharged")
        CLEANED = "cleaned", _("Cleaned")
        RESERVED = "reserved", _("Reserved")
        RESERVATION_RELEASED = "released", _("Reservation released")
        RESERVATION_EXPIRED = "expired", _("Reservation expired")
        BLOCKED = "blocked", _("Blocked")
        UNBLOCKED = "unblocked", _("Unblocked")

    bed = models.ForeignKey(Bed, on_delete=models.CASCADE, related_name="events", verbose_name=_("bed"))
    kind = models.CharField(_("what"), max_length=16, choices=Kind.choices)
    from_state = models.CharField(max_length=10, choices=BedState.choices)
    to_state = models.CharField(max_length=10, choices=BedState.choices)
    admission = models.ForeignKey(Admission, on_delete=models.PROTECT, null=True, blank=True, related_name="bed_events")
    note = models.CharField(_("note"), max_length=200, blank=True)
    at = models.DateTimeField(_("when"), default=timezone.now)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+", verbose_name=_("by")
    )

    class Meta:
        verbose_name = _("bed event")
        verbose_name_plural = _("bed events")
        ordering = ["-at", "-pk"]
        indexes = [models.Index(fields=["bed", "-at"], name="bed_event_bed_idx")]

    def __str__(self) -> str:
        return f"{self.bed} {self.kind}"
