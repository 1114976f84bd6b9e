"""Booking: a free slot goes to exactly one patient, whatever happens at the same moment."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import translation

from scheduling.models import Appointment
from scheduling.services import SlotTaken
from scheduling.tests.setup import book, build
from staff import roles
from tests.concurrency import all_at_once
from tests.factories import UserFactory, make_patient


@pytest.fixture
def booking(db: None) -> dict[str, Any]:
    return build()


def test_booking_takes_the_slot_with_its_room(booking: dict[str, Any]) -> None:
    appointment = book(booking, make_patient())
    assert (appointment.room, appointment.ends_at - appointment.starts_at) == (booking["room"], timedelta(minutes=30))
    assert appointment.booked_by == booking["by"]


def test_a_taken_slot_is_refused_with_fresh_slots(booking: dict[str, Any]) -> None:
    book(booking, make_patient())
    with translation.override("en"), pytest.raises(SlotTaken, match="just taken") as refused:
        book(booking, make_patient())
    assert refused.value.fresh
    assert booking["at"] not in [slot.starts_at for slot in refused.value.fresh]
    assert Appointment.objects.count() == 1


def test_a_time_outside_the_hours_is_refused(booking: dict[str, Any]) -> None:
    with pytest.raises(SlotTaken):
        book(booking, make_patient(), starts_at=booking["at"].replace(hour=13))
    assert not Appointment.objects.exists()


def test_one_patient_cannot_be_in_two_places(booking: dict[str, Any]) -> None:
    patient = make_patient()
    book(booking, patient)
    elsewhere = build()
    elsewhere["at"] = booking["at"]
    with translation.override("en"), pytest.raises(ValidationError, match="already has an appointment"):
        book(elsewhere, patient)
    assert Appointment.objects.count() == 1


def test_overbooking_needs_the_permission_and_a_reason(booking: dict[str, Any]) -> None:
    book(booking, make_patient())
    with pytest.raises(PermissionDenied):
        book(booking, make_patient(), overbooking_reason="encaixe")
    doctor = UserFactory(role=roles.DOCTOR, clinics=[booking["room"].clinic])
    extra = book(booking, make_patient(), by=doctor, overbooking_reason="Encaixe: dor aguda")
    assert extra.overbooked
    assert Appointment.objects.count() == 2


def test_overbooking_outside_the_hours_is_refused(booking: dict[str, Any]) -> None:
    doctor = UserFactory(role=roles.DOCTOR, clinics=[booking["room"].clinic])
    with translation.override("en"), pytest.raises(ValidationError, match="working hours"):
        book(booking, make_patient(), by=doctor, overbooking_reason="Encaixe", starts_at=booking["at"].replace(hour=13))


@pytest.mark.django_db(transaction=True)
def test_twenty_concurrent_bookings_of_one_slot_one_wins() -> None:
    setting = build()
    patients = [make_patient() for _ in range(20)]
    assert Group.objects.filter(name=roles.RECEPTION).exists()
    outcomes = all_at_once(20, lambda i: book(setting, patients[i]))
    won = [o for o in outcomes if isinstance(o, Appointment)]
    taken = [o for o in outcomes if isinstance(o, SlotTaken)]
    assert len(won) == 1
    assert len(taken) == 19, [o for o in outcomes if not isinstance(o, Appointment | SlotTaken)]
    assert Appointment.objects.filter(starts_at=setting["at"]).count() == 1
    assert all(setting["at"] not in [s.starts_at for s in refusal.fresh] for refusal in taken)


def test_a_slot_of_a_clinic_the_booker_does_not_work_in_is_refused(booking: dict[str, Any]) -> None:
    """Reception of one clinic cannot book another's agenda, whatever door the request comes by."""
    elsewhere = build()
    with translation.override("en"), pytest.raises(PermissionDenied, match="You do not work in this clinic"):
        book(elsewhere, make_patient(), by=booking["by"])
    assert not Appointment.objects.exists()


def test_a_time_beyond_the_clinics_booking_horizon_is_refused_with_the_horizon(booking: dict[str, Any]) -> None:
    clinic = booking["room"].clinic
    clinic.booking_horizon_days = 30
    clinic.save(update_fields=["booking_horizon_days"])
    far = booking["at"] + timedelta(weeks=52 * 70)  # a Monday at 09:00 in the 2090s
    with translation.override("en"), pytest.raises(ValidationError, match="at most 30 days ahead"):
        book(booking, make_patient(), starts_at=far)
    within = booking["at"] + timedelta(weeks=3)
    beyond = booking["at"] + timedelta(weeks=5)
    assert book(booking, make_patient(), starts_at=within).starts_at == within
    with translation.override("en"), pytest.raises(ValidationError, match="at most 30 days ahead"):
        book(booking, make_patient(), starts_at=beyond)
    assert Appointment.objects.count() == 1
