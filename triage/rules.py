"""Vital-sign limits and the discriminators that suggest a Manchester colour.

The official Manchester flowcharts are licensed, so these are our own explicit rules, each a line
below with its threshold (domain.md). They suggest; the nurse decides, and a colour other than the
suggestion needs a reason. Every threshold is for adults; children are left to the nurse's
judgement and the reason field.

Two kinds of limits:
- ``VITAL_LIMITS``: what a living patient at the door can have. Outside them the value is a typing
  error and is refused (the database checks the same limits).
- ``NORMAL_RANGES``: an adult's normal interval. Outside it the value is kept and flagged.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal

from django.utils import formats
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from patients.models import RiskColour

Number = int | Decimal

VITAL_FIELDS = (
    "systolic",
    "diastolic",
    "heart_rate",
    "respiratory_rate",
    "temperature",
    "spo2",
    "glucose",
    "pain",
    "glasgow",
)

# Physiologically possible at the door, inclusive (the database's check constraints use these).
VITAL_LIMITS: dict[str, tuple[Number, Number]] = {
    "systolic": (40, 300),
    "diastolic": (20, 200),
    "heart_rate": (20, 300),
    "respiratory_rate": (4, 80),
    "temperature": (Decimal("25.0"), Decimal("45.0")),
    "spo2": (40, 100),
    "glucose": (10, 1500),
    "pain": (0, 10),
    "glasgow": (3, 15),
}

# An adult's normal interval, inclusive; outside it the value is flagged "low" or "high".
NORMAL_RANGES: dict[str, tuple[Number, Number]] = {
    "systolic": (90, 139),
    "diastolic": (60, 89),
    "heart_rate": (60, 100),
    "respiratory_rate": (12, 20),
    "temperature": (Decimal("35.5"), Decimal("37.7")),
    "spo2": (94, 100),
    "glucose": (70, 180),
    "pain": (0, 3),
    "glasgow": (15, 15),
}


@dataclass(frozen=True)
class Discriminator:
    """A sign the nurse ticks on the form, and the colour it means at least."""

    code: str
    label: str | Promise
    colour: str


# The signs observed that the form offers, most urgent first.
DISCRIMINATORS = [
    Discriminator("airway", _("Airway compromised"), RiskColour.RED),
    Discriminator("breathing", _("Inadequate breathing"), RiskColour.RED),
    Discriminator("shock", _("Signs of shock"), RiskColour.RED),
    Discriminator("seizing", _("Seizing now"), RiskColour.RED),
    Discriminator("major_haemorrhage", _("Uncontrollable major haemorrhage"), RiskColour.RED),
    Discriminator("cardiac_pain", _("Chest pain of cardiac type"), RiskColour.ORANGE),
    Discriminator("neuro_deficit", _("Acute neurological deficit"), RiskColour.ORANGE),
    Discriminator("haemorrhage", _("Haemorrhage not controlled"), RiskColour.ORANGE),
    Discriminator("altered_consciousness", _("Altered consciousness"), RiskColour.ORANGE),
    Discriminator("vomiting_blood", _("Vomiting blood"), RiskColour.YELLOW),
    Discriminator("moderate_pain", _("Moderate pain, new"), RiskColour.YELLOW),
    Discriminator("recent_problem", _("Recent problem (less than 7 days)"), RiskColour.GREEN),
]
DISCRIMINATOR_BY_CODE = {d.code: d for d in DISCRIMINATORS}


@dataclass(frozen=True)
class Reason:
    """Why a colour is suggested: the colour, the rule that gives it in words, and what it looked at."""

    colour: str
    text: str
    sign: str  # the vital sign's field, or the discriminator's code


# Each rule looks at the vital signs given and returns (colour, reason) or None. The thresholds
# are written out where they are used so that each rule reads as the sentence it shows.
VitalRule = Callable[[Mapping[str, Number | None]], Reason | None]


def _below(field: str, limit: Number, colour: str, text: str | Promise) -> VitalRule:
    def rule(vitals: Mapping[str, Number | None]) -> Reason | None:
        value = vitals.get(field)
        return Reason(colour, str(text), field) if value is not None and value < limit else None

    return rule


def _at_most(field: str, limit: Number, colour: str, text: str | Promise) -> VitalRule:
    def rule(vitals: Mapping[str, Number | None]) -> Reason | None:
        value = vitals.get(field)
        return Reason(colour, str(text), field) if value is not None and value <= limit else None

    return rule


def _at_least(field: str, limit: Number, colour: str, text: str | Promise) -> VitalRule:
    def rule(vitals: Mapping[str, Number | None]) -> Reason | None:
        value = vitals.get(field)
        return Reason(colour, str(text), field) if value is not None and value >= limit else None

    return rule


VITAL_RULES: list[VitalRule] = [
    _at_most("glasgow", 8, RiskColour.RED, _("Glasgow 8 or less")),
    _at_most("glasgow", 13, RiskColour.ORANGE, _("Glasgow 9 to 13")),
    _at_most("glasgow", 14, RiskColour.YELLOW, _("Glasgow 14")),
    _below("spo2", 85, RiskColour.RED, _("SpO2 below 85%")),
    _below("spo2", 90, RiskColour.ORANGE, _("SpO2 below 90%")),
    _below("spo2", 94, RiskColour.YELLOW, _("SpO2 below 94%")),
    _below("systolic", 70, RiskColour.RED, _("Systolic pressure below 70 mmHg")),
    _below("systolic", 90, RiskColour.ORANGE, _("Systolic pressure below 90 mmHg")),
    _at_least("systolic", 220, RiskColour.ORANGE, _("Systolic pressure 220 mmHg or more")),
    _at_least("diastolic", 130, RiskColour.ORANGE, _("Diastolic pressure 130 mmHg or more")),
    _at_least("systolic", 180, RiskColour.YELLOW, _("Systolic pressure 180 mmHg or more")),
    _at_least("diastolic", 110, RiskColour.YELLOW, _("Diastolic pressure 110 mmHg or more")),
    _below("heart_rate", 40, RiskColour.ORANGE, _("Heart rate below 40 bpm")),
    _at_least("heart_rate", 150, RiskColour.ORANGE, _("Heart rate 150 bpm or more")),
    _below("heart_rate", 50, RiskColour.YELLOW, _("Heart rate below 50 bpm")),
    _at_least("heart_rate", 120, RiskColour.YELLOW, _("Heart rate 120 bpm or more")),
    _below("respiratory_rate", 8, RiskColour.ORANGE, _("Respiratory rate below 8/min")),
    _at_least("respiratory_rate", 30, RiskColour.ORANGE, _("Respiratory rate 30/min or more")),
    _at_least("respiratory_rate", 25, RiskColour.YELLOW, _("Respiratory rate 25/min or more")),
    _at_least("temperature", Decimal("41.0"), RiskColour.ORANGE, _("Temperature 41.0 °C or more")),
    _below("temperature", Decimal("35.0"), RiskColour.ORANGE, _("Temperature below 35.0 °C")),
    _at_least("temperature", Decimal("39.0"), RiskColour.YELLOW, _("Temperature 39.0 °C or more")),
    _below("glucose", 54, RiskColour.ORANGE, _("Glucose below 54 mg/dL")),
    _at_least("glucose", 400, RiskColour.ORANGE, _("Glucose 400 mg/dL or more")),
    _below("glucose", 70, RiskColour.YELLOW, _("Glucose below 70 mg/dL")),
    _at_least("glucose", 250, RiskColour.YELLOW, _("Glucose 250 mg/dL or more")),
    _at_least("pain", 8, RiskColour.ORANGE, _("Severe pain (8 to 10)")),
    _at_least("pain", 5, RiskColour.YELLOW, _("Moderate pain (5 to 7)")),
    _at_least("pain", 1, RiskColour.GREEN, _("Mild pain (1 to 4)")),
]

RANK = {colour: rank for rank, colour in enumerate(RiskColour.values)}


def suggest(vitals: Mapping[str, Number | None], signs: list[str]) -> tuple[str, list[Reason]]:
    """The suggested colour (the most urgent any rule gives, blue when none does) and every reason.

    Reasons come most urgent first; a rule repeated at a lower colour (SpO2 below 94 when it is
    below 90) is left out, so the list says what decided and nothing twice.
    """
    reasons = [reason for rule in VITAL_RULES if (reason := rule(vitals)) is not None]
    reasons += [
        Reason(DISCRIMINATOR_BY_CODE[code].colour, str(DISCRIMINATOR_BY_CODE[code].label), code)
        for code in signs
        if code in DISCRIMINATOR_BY_CODE
    ]
    reasons = _most_urgent_per_sign(reasons)
    reasons.sort(key=lambda reason: RANK[reason.colour])
    colour = reasons[0].colour if reasons else RiskColour.BLUE
    return colour, reasons


def _most_urgent_per_sign(reasons: list[Reason]) -> list[Reason]:
    # The rules of one vital sign are listed most urgent first, so the first reason per sign wins.
    kept: dict[str, Reason] = {}
    for reason in reasons:
        kept.setdefault(reason.sign, reason)
    return list(kept.values())


def check_possible(vitals: Mapping[str, Number | None]) -> dict[str, str]:
    """Errors (field -> message) for values no living patient at the door can have."""
    errors = {}
    for field, value in vitals.items():
        if value is None or field not in VITAL_LIMITS:
            continue
        low, high = VITAL_LIMITS[field]
        if not low <= value <= high:
            errors[field] = str(
                _("%(value)s is not possible here: check the measurement (%(low)s to %(high)s).")
                % {
                    "value": formats.number_format(value, force_grouping=True),
                    "low": formats.number_format(low, force_grouping=True),
                    "high": formats.number_format(high, force_grouping=True),
                }
            )
    systolic, diastolic = vitals.get("systolic"), vitals.get("diastolic")
    if systolic is not None and diastolic is not None and diastolic >= systolic and "diastolic" not in errors:
        errors["diastolic"] = str(_("The diastolic pressure must be lower than the systolic."))
    return errors


def flags(vitals: Mapping[str, Number | None]) -> list[str]:
    """The abnormal vital signs, as "field:low" or "field:high", against an adult's normal range."""
    found = []
    for field in VITAL_FIELDS:
        value = vitals.get(field)
        if value is None:
            continue
        low, high = NORMAL_RANGES[field]
        if value < low:
            found.append(f"{field}:low")
        elif value > high:
            found.append(f"{field}:high")
    return found
