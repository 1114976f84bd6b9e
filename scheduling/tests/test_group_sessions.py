"""Group sessions: a specialty that says so in its configuration takes several patients per slot."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import translation

from scheduling.availability import free_slots
from scheduling.models import Appointment, AppointmentStatus
from scheduling.services import SlotTaken, appointment_transition
from scheduling.tests.setup import book, build
from staff.models import PractitionerSpecialty
from tests.concurrency import all_at_once
from tests.factories import SpecialtyFactory, make_patient


def group_setting(places: int = 3) -> dict[str, Any]:
    setting = build()
    setting["specialty"] = SpecialtyFactory(patients_per_slot=places, default_duration=60)
    PractitionerSpecialty.objects.create(practitioner=setting["practitioner"], specialty=setting["specialty"])
    return setting


def _offered(setting: dict[str, Any]) -> list[Any]:
    day = setting["at"].date()
    slots = free_slots(practitioners=[setting["practitioner"]], specialty=setting["specialty"], first=day, last=day)
    return [slot.starts_at for slot in slots]


@pytest.mark.django_db
def test_a_group_slot_takes_its_places_then_is_full() -> None:
    setting = group_setting(places=3)
    first, second = book(setting, make_patient()), book(setting, make_patient())
    assert first.group_session and second.group_session
    assert setting["at"] in _offered(setting)  # one place left
    book(setting, make_patient())
    assert setting["at"] not in _offered(setting)
    with pytest.raises(SlotTaken):
        book(setting, make_patient())
    assert Appointment.objects.filter(starts_at=setting["at"]).count() == 3


@pytest.mark.django_db
def test_a_cancelled_place_is_free_again() -> None:
    setting = group_setting(places=2)
    first = book(setting, make_patient())
    book(setting, make_patient())
    appointment_transition(appointment=first, to=AppointmentStatus.CANCELLED, by=setting["by"], reason="viagem")
    assert book(setting, make_patient()).starts_at == setting["at"]


@pytest.mark.django_db
def test_one_patient_takes_one_place() -> None:
    setting = group_setting(places=3)
    patient = make_patient()
    book(setting, patient)
    with translation.override("en"), pytest.raises(ValidationError, match="already has an appointment"):
        book(setting, patient)


@pytest.mark.django_db
def test_a_regular_appointment_cannot_sit_beside_a_group_session() -> None:
    setting = group_setting(places=3)
    book(setting, make_patient())
    regular = build()
    regular.update(practitioner=setting["practitioner"], by=setting["by"])
    regular["specialty"] = SpecialtyFactory(default_duration=30)
    PractitionerSpecialty.objects.create(practitioner=setting["practitioner"], specialty=regular["specialty"])
    with pytest.raises(SlotTaken):
        book(regular, make_patient(), starts_at=setting["at"] + timedelta(minutes=30))


@pytest.mark.django_db
def test_regular_appointments_still_meet_the_constraint() -> None:
    """Only a group session's places are left out of the practitioner's and room's constraints."""
    setting = build()
    taken = book(setting, make_patient())
    copy = Appointment(
        patient=make_patient(),
        practitioner=taken.practitioner,
        specialty=taken.specialty,
        clinic=taken.clinic,
        room=taken.room,
        starts_at=taken.starts_at,
        ends_at=taken.ends_at,
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        copy.save()


@pytest.mark.django_db(transaction=True)
def test_ten_concurrent_bookings_of_a_three_place_session_fill_it_exactly() -> None:
    setting = group_setting(places=3)
    patients = [make_patient() for _ in range(10)]
    outcomes = all_at_once(10, lambda i: book(setting, patients[i]))
    won = [o for o in outcomes if isinstance(o, Appointment)]
    assert len(won) == 3, outcomes
    assert all(isinstance(o, Appointment | SlotTaken) for o in outcomes), outcomes
    assert Appointment.objects.filter(starts_at=setting["at"], status__in=["scheduled"]).count() == 3
