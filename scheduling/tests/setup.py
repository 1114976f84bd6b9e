"""A practitioner with Monday-morning hours, ready to be booked, for the scheduling tests."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from clinic.models import Room
from patients.models import Patient
from scheduling.models import Appointment
from scheduling.services import appointment_book
from staff import roles
from staff.models import PractitionerSpecialty, WorkingHours
from tests.factories import ClinicFactory, PractitionerFactory, RoomFactory, SpecialtyFactory, UserFactory

SAO_PAULO = ZoneInfo("America/Sao_Paulo")


def next_monday() -> date:
    today = datetime.now(tz=UTC).astimezone(SAO_PAULO).date()
    return today + timedelta(days=7 - today.weekday())


def build() -> dict[str, Any]:
    clinic = ClinicFactory()
    room = RoomFactory(floor__clinic=clinic, kind=Room.Kind.CONSULTING)
    practitioner = PractitionerFactory()
    practitioner.user.clinics.add(clinic)
    specialty = SpecialtyFactory(default_duration=30)
    PractitionerSpecialty.objects.create(practitioner=practitioner, specialty=specialty)
    WorkingHours.objects.create(
        practitioner=practitioner,
        clinic=clinic,
        room=room,
        weekday=0,
        start_time=time(8),
        end_time=time(12),
        valid_from=date(2026, 1, 1),
    )
    receptionist = UserFactory(role=roles.RECEPTION, clinics=[clinic])
    at = datetime.combine(next_monday(), time(9), tzinfo=SAO_PAULO)
    return {"practitioner": practitioner, "specialty": specialty, "by": receptionist, "at": at, "room": room}


def book(setting: dict[str, Any], patient: Patient, **overrides: Any) -> Appointment:
    fields = {
        "patient": patient,
        "practitioner": setting["practitioner"],
        "specialty": setting["specialty"],
        "starts_at": setting["at"],
        "by": setting["by"],
        **overrides,
    }
    return appointment_book(**fields)
