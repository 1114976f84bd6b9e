"""Urgent appointments from the emergency door, and the signal that tells triage what became of them."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from clinic.models import Room
from scheduling.models import Appointment, AppointmentEvent, AppointmentStatus
from scheduling.services import appointment_transition, appointment_urgent
from scheduling.signals import appointment_transitioned
from scheduling.tests.setup import book, build
from tests.factories import RoomFactory, SpecialtyFactory, make_patient

pytestmark = pytest.mark.django_db


def test_an_urgent_appointment_is_now_checked_in_and_beside_the_booked_ones() -> None:
    setting = build()
    booked = book(setting, make_patient())
    patient = make_patient()
    before = timezone.now()
    urgent = appointment_urgent(
        patient=patient,
        practitioner=setting["practitioner"],
        specialty=setting["specialty"],
        room=setting["room"],
        by=setting["by"],
        reason="Emergency · Orange",
    )
    assert urgent.status == AppointmentStatus.WAITING
    assert urgent.overbooked and urgent.overbooking_reason == "Emergency · Orange"
    assert before <= urgent.starts_at <= timezone.now()
    assert urgent.ends_at - urgent.starts_at == timedelta(minutes=30)
    assert urgent.checked_in_at == urgent.starts_at
    assert list(AppointmentEvent.objects.filter(appointment=urgent).values_list("to_status", flat=True)) == [
        AppointmentStatus.WAITING
    ]
    # A second urgent patient for the same doctor and room at the same moment is let in too.
    appointment_urgent(
        patient=make_patient(),
        practitioner=setting["practitioner"],
        specialty=setting["specialty"],
        room=setting["room"],
        by=setting["by"],
        reason="Emergency · Red",
    )
    assert Appointment.objects.get(pk=booked.pk).status == AppointmentStatus.SCHEDULED


def test_an_urgent_appointment_needs_a_reason_and_the_doctors_specialty() -> None:
    setting = build()
    patient = make_patient()
    common: dict[str, Any] = {"patient": patient, "practitioner": setting["practitioner"], "by": setting["by"]}
    with pytest.raises(ValidationError, match="urgent"):
        appointment_urgent(**common, specialty=setting["specialty"], room=setting["room"], reason="  ")
    with pytest.raises(ValidationError) as refused:
        appointment_urgent(**common, specialty=SpecialtyFactory(), room=setting["room"], reason="Emergency")
    assert "specialty" in refused.value.message_dict
    closed = RoomFactory(floor__clinic=setting["room"].clinic, kind=Room.Kind.CONSULTING, is_active=False)
    with pytest.raises(ValidationError) as refused:
        appointment_urgent(**common, specialty=setting["specialty"], room=closed, reason="Emergency")
    assert "room" in refused.value.message_dict
    assert not Appointment.objects.filter(patient=patient).exists()


def test_a_patient_is_not_urgently_booked_twice_at_once() -> None:
    setting = build()
    patient = make_patient()
    fields: dict[str, Any] = {
        "patient": patient,
        "practitioner": setting["practitioner"],
        "specialty": setting["specialty"],
        "room": setting["room"],
        "by": setting["by"],
        "reason": "Emergency",
    }
    appointment_urgent(**fields)
    with pytest.raises(ValidationError, match="already waiting for or in a consultation"):
        appointment_urgent(**fields)
    assert Appointment.objects.filter(patient=patient).count() == 1


def test_each_step_is_announced_with_where_it_came_from() -> None:
    setting = build()
    heard: list[tuple[int, str, str]] = []

    def listen(sender: Any, appointment: Appointment, from_status: str, to_status: str, **kwargs: Any) -> None:
        heard.append((appointment.pk, from_status, to_status))

    appointment_transitioned.connect(listen, sender=Appointment, dispatch_uid="test-listen")
    try:
        appointment = book(setting, make_patient())
        appointment_transition(appointment=appointment, to=AppointmentStatus.WAITING, by=setting["by"])
        appointment_transition(appointment=appointment, to=AppointmentStatus.CANCELLED, by=setting["by"], reason="x")
    finally:
        appointment_transitioned.disconnect(sender=Appointment, dispatch_uid="test-listen")
    assert heard == [
        (appointment.pk, AppointmentStatus.SCHEDULED, AppointmentStatus.WAITING),
        (appointment.pk, AppointmentStatus.WAITING, AppointmentStatus.CANCELLED),
    ]
