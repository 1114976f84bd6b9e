"""Staff accounts, practitioners with their councils and specialties, working hours, blocks and leave;
care units and the shifts of their rotas."""

from __future__ import annotations

from datetime import timedelta

from django.contrib.auth.models import AbstractUser
from django.contrib.postgres.constraints import ExclusionConstraint
from django.contrib.postgres.fields import RangeBoundary, RangeOperators
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from clinic.brazil import UF_CHOICES
from clinic.db import DateRange, TsTzRange
from clinic.models import Clinic, Room


class User(AbstractUser):
    """A member of staff. Patients have no accounts."""

    email = models.EmailField(_("e-mail address"), blank=True)
    clinics = models.ManyToManyField(
        Clinic,
        blank=True,
        related_name="staff",
        verbose_name=_("clinics"),
        help_text=_(
            "The clinics this person works in; they see only these clinics' data unless a role says otherwise."
        ),
    )
    history = HistoricalRecords(excluded_fields=["password", "last_login"], m2m_fields=[clinics])

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        # Roles holding this permission (Admin, by the roles migration) must enrol and use TOTP.
        permissions = [("require_two_factor", _("Must sign in with a second factor (TOTP)"))]
        constraints = [
            models.UniqueConstraint(
                models.functions.Lower("email"),
                condition=~models.Q(email=""),
                name="user_email_unique_ci",
            )
        ]

    def __str__(self) -> str:
        return self.get_full_name() or self.username


class Specialty(models.Model):
    """A medical (or other health) specialty; bookings are made by specialty."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    code = models.SlugField(_("code"), max_length=40, unique=True)
    default_duration = models.PositiveSmallIntegerField(
        _("default appointment length (minutes)"),
        default=30,
        validators=[MinValueValidator(5), MaxValueValidator(480)],
    )
    patients_per_slot = models.PositiveSmallIntegerField(
        _("patients per time slot"),
        default=1,
        validators=[MinValueValidator(1), MaxValueValidator(50)],
        help_text=_(
            "More than one makes this specialty's appointments group sessions: that many patients share "
            "the practitioner, the room and the time."
        ),
    )
    is_active = models.BooleanField(_("active"), default=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("specialty")
        verbose_name_plural = _("specialties")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Council(models.TextChoices):
    """Professional councils (conselhos de classe) that register health professionals."""

    CRM = "CRM", _("CRM (physicians)")
    CRO = "CRO", _("CRO (dentists)")
    COREN = "COREN", _("COREN (nursing)")
    CRP = "CRP", _("CRP (psychologists)")
    CREFITO = "CREFITO", _("CREFITO (physiotherapists)")
    CRN = "CRN", _("CRN (nutritionists)")
    CRF = "CRF", _("CRF (pharmacists)")
    CRBM = "CRBM", _("CRBM (biomedical scientists)")
    CRFA = "CRFa", _("CRFa (speech therapists)")


class Practitioner(models.Model):
    """A member of staff who attends patients: registered with a council, in one or more specialties."""

    user = models.OneToOneField(User, on_delete=models.PROTECT, related_name="practitioner", verbose_name=_("user"))
    council = models.CharField(_("council"), max_length=8, choices=Council.choices)
    council_number = models.CharField(
        _("council number"), max_length=12, validators=[RegexValidator(r"^[0-9]{1,10}(-?[A-Z0-9]{0,2})?$")]
    )
    council_uf = models.CharField(_("council UF"), max_length=2, choices=UF_CHOICES)
    specialties: models.ManyToManyField[Specialty, PractitionerSpecialty] = models.ManyToManyField(
        Specialty, through="PractitionerSpecialty", related_name="practitioners", verbose_name=_("specialties")
    )
    is_active = models.BooleanField(_("active"), default=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("practitioner")
        verbose_name_plural = _("practitioners")
        ordering = ["user__first_name", "user__last_name"]
        constraints = [
            models.UniqueConstraint(
                fields=["council", "council_uf", "council_number"], name="practitioner_council_registration_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} ({self.registration})"

    @property
    def registration(self) -> str:
        """As printed on prescriptions: CRM-SP 123456."""
        return f"{self.council}-{self.council_uf} {self.council_number}"


class PractitionerSpecialty(models.Model):
    practitioner = models.ForeignKey(Practitioner, on_delete=models.CASCADE, related_name="specialty_links")
    specialty = models.ForeignKey(Specialty, on_delete=models.PROTECT, related_name="practitioner_links")
    duration = models.PositiveSmallIntegerField(
        _("appointment length (minutes)"),
        null=True,
        blank=True,
        validators=[MinValueValidator(5), MaxValueValidator(480)],
        help_text=_("Leave empty to use the specialty's default."),
    )

    class Meta:
        verbose_name = _("practitioner specialty")
        verbose_name_plural = _("practitioner specialties")
        constraints = [
            models.UniqueConstraint(fields=["practitioner", "specialty"], name="practitioner_specialty_unique")
        ]

    def __str__(self) -> str:
        return f"{self.practitioner_id} · {self.specialty_id}"

    @property
    def slot_minutes(self) -> int:
        return self.duration or self.specialty.default_duration


class Weekday(models.IntegerChoices):
    MONDAY = 0, _("Monday")
    TUESDAY = 1, _("Tuesday")
    WEDNESDAY = 2, _("Wednesday")
    THURSDAY = 3, _("Thursday")
    FRIDAY = 4, _("Friday")
    SATURDAY = 5, _("Saturday")
    SUNDAY = 6, _("Sunday")


class WorkingHours(models.Model):
    """A weekly period of work in a clinic and room, valid between two dates.

    Times are wall-clock times in the clinic's time zone. An end at or before the start means the
    period ends on the next day (a night from 22:00 to 06:00).
    """

    practitioner = models.ForeignKey(Practitioner, on_delete=models.CASCADE, related_name="working_hours")
    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="+", verbose_name=_("clinic"))
    room = models.ForeignKey(Room, on_delete=models.PROTECT, related_name="+", verbose_name=_("room"))
    weekday = models.PositiveSmallIntegerField(_("weekday"), choices=Weekday.choices)
    start_time = models.TimeField(_("from"))
    end_time = models.TimeField(_("until"))
    valid_from = models.DateField(_("valid from"))
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("working hours")
        verbose_name_plural = _("working hours")
        ordering = ["practitioner", "weekday", "start_time"]
        indexes = [models.Index(fields=["practitioner", "weekday"], name="working_hours_weekday_idx")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(valid_until__isnull=True) | models.Q(valid_until__gte=models.F("valid_from")),
                name="working_hours_valid_period",
            ),
            models.CheckConstraint(
                condition=~models.Q(start_time=models.F("end_time")), name="working_hours_not_empty"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.start_time:%H:%M}-{self.end_time:%H:%M}"

    @property
    def crosses_midnight(self) -> bool:
        return self.end_time <= self.start_time


class ExtraHours(models.Model):
    """One-off hours of work outside the weekly ones."""

    practitioner = models.ForeignKey(Practitioner, on_delete=models.CASCADE, related_name="extra_hours")
    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="+", verbose_name=_("clinic"))
    room = models.ForeignKey(Room, on_delete=models.PROTECT, related_name="+", verbose_name=_("room"))
    starts_at = models.DateTimeField(_("from"))
    ends_at = models.DateTimeField(_("until"))
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("extra hours")
        verbose_name_plural = _("extra hours")
        ordering = ["starts_at"]
        constraints = [
            models.CheckConstraint(condition=models.Q(ends_at__gt=models.F("starts_at")), name="extra_hours_period")
        ]

    def __str__(self) -> str:
        return f"{self.starts_at:%Y-%m-%d %H:%M} - {self.ends_at:%H:%M}"


class ScheduleBlock(models.Model):
    """Hours taken out of a practitioner's agenda (a meeting, a procedure elsewhere)."""

    practitioner = models.ForeignKey(Practitioner, on_delete=models.CASCADE, related_name="blocks")
    starts_at = models.DateTimeField(_("from"))
    ends_at = models.DateTimeField(_("until"))
    reason = models.CharField(_("reason"), max_length=200)
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+", null=True, editable=False)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("blocked hours")
        verbose_name_plural = _("blocked hours")
        ordering = ["starts_at"]
        indexes = [models.Index(fields=["practitioner", "starts_at"], name="schedule_block_start_idx")]
        constraints = [
            models.CheckConstraint(condition=models.Q(ends_at__gt=models.F("starts_at")), name="schedule_block_period")
        ]

    def __str__(self) -> str:
        return f"{self.starts_at:%Y-%m-%d %H:%M} - {self.ends_at:%H:%M} {self.reason}"


class Leave(models.Model):
    class Kind(models.TextChoices):
        VACATION = "vacation", _("Vacation")
        SICK = "sick", _("Sick leave")
        TRAINING = "training", _("Training")
        OTHER = "other", _("Other")

    practitioner = models.ForeignKey(Practitioner, on_delete=models.CASCADE, related_name="leaves")
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    start_date = models.DateField(_("first day"))
    end_date = models.DateField(_("last day"))
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("leave")
        verbose_name_plural = _("leaves")
        ordering = ["-start_date"]
        constraints = [
            models.CheckConstraint(condition=models.Q(end_date__gte=models.F("start_date")), name="leave_period"),
            ExclusionConstraint(
                name="leave_no_overlap",
                expressions=[
                    ("practitioner", RangeOperators.EQUAL),
                    (
                        DateRange("start_date", "end_date", RangeBoundary(inclusive_lower=True, inclusive_upper=True)),
                        RangeOperators.OVERLAPS,
                    ),
                ],
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.start_date} - {self.end_date}"


# Care units and rotas ----------------------------------------------------------------------


class CareUnit(models.Model):
    """A part of a clinic that staff are rostered to: the emergency room, a ward, the ICU, reception..."""

    class Kind(models.TextChoices):
        EMERGENCY = "emergency", _("Emergency")
        WARD = "ward", _("Ward")
        ICU = "icu", _("Intensive care unit")
        OUTPATIENT = "outpatient", _("Outpatient clinic")
        LABORATORY = "laboratory", _("Laboratory")
        IMAGING = "imaging", _("Imaging")
        RECEPTION = "reception", _("Reception")
        SURGICAL = "surgical", _("Surgical centre")

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="care_units", verbose_name=_("clinic"))
    name = models.CharField(_("name"), max_length=80)
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    is_active = models.BooleanField(_("active"), default=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("care unit")
        verbose_name_plural = _("care units")
        ordering = ["clinic", "name"]
        constraints = [models.UniqueConstraint("clinic", Lower("name"), name="care_unit_name_unique_per_clinic")]

    def __str__(self) -> str:
        return f"{self.clinic.code} · {self.name}"


class ShiftFunction(models.TextChoices):
    """What a person does during a shift (one person may be a nurse on one shift, a supervisor on another)."""

    NURSE = "nurse", _("Nurse")
    NURSING_TECHNICIAN = "nursing_technician", _("Nursing technician")
    PHYSICIAN = "physician", _("Physician on duty")
    RECEPTIONIST = "receptionist", _("Receptionist")
    PHYSIOTHERAPIST = "physiotherapist", _("Physiotherapist")
    PHARMACIST = "pharmacist", _("Pharmacist")
    LAB_TECHNICIAN = "lab_technician", _("Laboratory technician")
    RADIOLOGY_TECHNICIAN = "radiology_technician", _("Radiology technician")
    OTHER = "other", _("Other")


# A shift never lasts longer than this (a 24-hour "plantão" is the longest in use).
SHIFT_MAX_LENGTH = timedelta(hours=24)


class Shift(models.Model):
    """One person's period of work in a care unit. Night shifts cross midnight (19:00-07:00).

    The database refuses two shifts of one person that share a moment; periods are half-open, so
    a night shift may start at 19:00 when the day shift ends.
    """

    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="shifts", verbose_name=_("person"))
    unit = models.ForeignKey(CareUnit, on_delete=models.PROTECT, related_name="shifts", verbose_name=_("care unit"))
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    function = models.CharField(_("function"), max_length=20, choices=ShiftFunction.choices)
    notes = models.CharField(_("notes"), max_length=200, blank=True)
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+", null=True, editable=False)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("shift")
        verbose_name_plural = _("shifts")
        ordering = ["starts_at", "id"]
        indexes = [models.Index(fields=["unit", "starts_at"], name="shift_unit_start_idx")]
        constraints = [
            models.CheckConstraint(condition=models.Q(ends_at__gt=models.F("starts_at")), name="shift_period"),
            models.CheckConstraint(
                condition=models.Q(ends_at__lte=models.F("starts_at") + SHIFT_MAX_LENGTH), name="shift_max_length"
            ),
            ExclusionConstraint(
                name="shift_user_no_overlap",
                expressions=[
                    ("user", RangeOperators.EQUAL),
                    (TsTzRange("starts_at", "ends_at"), RangeOperators.OVERLAPS),
                ],
            ),
        ]

    def __str__(self) -> str:
        starts, ends = timezone.localtime(self.starts_at), timezone.localtime(self.ends_at)
        return f"{starts:%Y-%m-%d %H:%M}-{ends:%H:%M} {self.get_function_display()}"
