"""The clinics network: clinics, their floors and rooms."""

from __future__ import annotations

import zoneinfo

from django.contrib.postgres.fields import ArrayField
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from clinic.brazil import UF_CHOICES, validate_cep, validate_phone

BRAZIL_TIME_ZONES = [
    ("America/Sao_Paulo", "Brasília (America/Sao_Paulo)"),
    ("America/Bahia", "Bahia (America/Bahia)"),
    ("America/Fortaleza", "Fortaleza (America/Fortaleza)"),
    ("America/Recife", "Recife (America/Recife)"),
    ("America/Belem", "Belém (America/Belem)"),
    ("America/Manaus", "Amazonas (America/Manaus)"),
    ("America/Cuiaba", "Mato Grosso (America/Cuiaba)"),
    ("America/Campo_Grande", "Mato Grosso do Sul (America/Campo_Grande)"),
    ("America/Porto_Velho", "Rondônia (America/Porto_Velho)"),
    ("America/Boa_Vista", "Roraima (America/Boa_Vista)"),
    ("America/Rio_Branco", "Acre (America/Rio_Branco)"),
    ("America/Noronha", "Fernando de Noronha (America/Noronha)"),
]


def validate_time_zone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(_("%(value)s is not a known time zone."), params={"value": value})


def default_reminder_hours() -> list[int]:
    return [48, 2]


# How far ahead a clinic books by default, and at most (five years: a yearly check-up booked years
# ahead is a typing slip, and a far date is where time arithmetic overflows).
DEFAULT_BOOKING_HORIZON_DAYS = 365
MAX_BOOKING_HORIZON_DAYS = 5 * 366


def validate_reminder_hours(value: list[int]) -> None:
    if len(set(value)) != len(value):
        raise ValidationError(_("Each reminder time may appear only once."))


class Clinic(models.Model):
    name = models.CharField(_("name"), max_length=120)
    code = models.CharField(
        _("code"),
        max_length=12,
        unique=True,
        validators=[RegexValidator(r"^[A-Z0-9-]+$", _("Use capital letters, digits and hyphens."))],
        help_text=_("Short code shown on boards and reports, e.g. SP-CENTRO."),
    )
    street = models.CharField(_("street"), max_length=160)
    number = models.CharField(_("number"), max_length=20, blank=True)
    district = models.CharField(_("district"), max_length=80, blank=True)
    city = models.CharField(_("city"), max_length=80)
    uf = models.CharField(_("UF"), max_length=2, choices=UF_CHOICES)
    cep = models.CharField(_("CEP"), max_length=8, validators=[validate_cep])
    # Quoted in messages to patients ("call ..."), so it must be a number that can exist.
    phone = models.CharField(_("phone"), max_length=20, blank=True, validators=[validate_phone])
    time_zone = models.CharField(
        _("time zone"),
        max_length=40,
        choices=BRAZIL_TIME_ZONES,
        default="America/Sao_Paulo",
        validators=[validate_time_zone],
    )
    is_active = models.BooleanField(_("active"), default=True)
    reminder_hours = ArrayField(
        models.PositiveSmallIntegerField(validators=[MinValueValidator(1), MaxValueValidator(720)]),
        verbose_name=_("reminders (hours before)"),
        default=default_reminder_hours,
        blank=True,
        size=6,
        validators=[validate_reminder_hours],
        help_text=_(
            "When patients are reminded of an appointment, in hours before it, e.g. 48,2. Empty: no reminders."
        ),
    )
    booking_horizon_days = models.PositiveSmallIntegerField(
        _("booking horizon (days)"),
        default=DEFAULT_BOOKING_HORIZON_DAYS,
        db_default=DEFAULT_BOOKING_HORIZON_DAYS,
        validators=[MinValueValidator(1), MaxValueValidator(MAX_BOOKING_HORIZON_DAYS)],
        help_text=_("How far ahead appointments may be booked, in days."),
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("clinic")
        verbose_name_plural = _("clinics")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(Lower("name"), name="clinic_name_unique_ci"),
            models.CheckConstraint(
                condition=models.Q(booking_horizon_days__gte=1, booking_horizon_days__lte=MAX_BOOKING_HORIZON_DAYS),
                name="clinic_booking_horizon_range",
            ),
        ]
        permissions = [("view_all_clinics", _("Can see the data of every clinic of the network"))]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        """The clinic's time zone: its wall-clock times and days are in it."""
        return zoneinfo.ZoneInfo(self.time_zone)


class Floor(models.Model):
    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="floors", verbose_name=_("clinic"))
    level = models.SmallIntegerField(_("level"), help_text=_("0 for the ground floor, negative below ground."))
    name = models.CharField(_("name"), max_length=60)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("floor")
        verbose_name_plural = _("floors")
        ordering = ["clinic", "level"]
        constraints = [models.UniqueConstraint(fields=["clinic", "level"], name="floor_level_unique_per_clinic")]

    def __str__(self) -> str:
        return f"{self.clinic.code} · {self.name}"


class Room(models.Model):
    class Kind(models.TextChoices):
        CONSULTING = "consulting", _("Consulting room")
        EXAM = "exam", _("Exam room")
        WARD = "ward", _("Ward room")
        OPERATING = "operating", _("Operating room")

    floor = models.ForeignKey(Floor, on_delete=models.PROTECT, related_name="rooms", verbose_name=_("floor"))
    # Denormalised from the floor so clinic-scoped queries need no join; kept equal by a check in clean().
    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="rooms", verbose_name=_("clinic"))
    code = models.CharField(_("code"), max_length=20)
    name = models.CharField(_("name"), max_length=80, blank=True)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    is_active = models.BooleanField(_("active"), default=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("room")
        verbose_name_plural = _("rooms")
        ordering = ["clinic", "code"]
        constraints = [models.UniqueConstraint(fields=["clinic", "code"], name="room_code_unique_per_clinic")]
        indexes = [models.Index(fields=["clinic", "kind"], name="room_clinic_kind_idx")]

    def __str__(self) -> str:
        return f"{self.code} {self.name}".strip()

    def clean(self) -> None:
        if self.floor_id and self.clinic_id and self.floor.clinic_id != self.clinic_id:
            raise ValidationError({"floor": _("The floor belongs to another clinic.")})
