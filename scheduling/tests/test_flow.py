"""The appointment's flow: allowed steps with who and when, illegal ones refused, reschedule."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from patients.models import PatientStatus
from scheduling.models import Appointment, AppointmentStatus
from scheduling.services import SlotTaken, appointment_reschedule, appointment_transition
from scheduling.tests.setup import book, build
from tests.factories import make_patient

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    with translation.override("en"):
        yield


@pytest.fixture
def appointment() -> tuple[Appointment, dict[str, Any]]:
    setting = build()
    return book(setting, make_patient()), setting


def test_the_whole_flow_records_who_and_when_and_moves_the_patient(appointment: tuple[Appointment, Any]) -> None:
    booked, setting = appointment
    by = setting["by"]
    for step in (AppointmentStatus.CONFIRMED, AppointmentStatus.WAITING, AppointmentStatus.IN_PROGRESS):
        booked = appointment_transition(appointment=booked, to=step, by=by)
    assert booked.checked_in_at is not None and booked.started_at is not None
    booked.patient.refresh_from_db()
    assert booked.patient.status == PatientStatus.IN_CONSULTATION
    booked = appointment_transition(appointment=booked, to=AppointmentStatus.FINISHED, by=by)
    booked.patient.refresh_from_db()
    assert booked.patient.status == PatientStatus.OUTPATIENT
    steps = list(booked.events.values_list("from_status", "to_status", "by"))
    assert steps == [
        ("scheduled", "confirmed", by.pk),
        ("confirmed", "waiting", by.pk),
        ("waiting", "in_progress", by.pk),
        ("in_progress", "finished", by.pk),
    ]


@pytest.mark.parametrize(
    ("path", "illegal"),
    [
        ([], AppointmentStatus.IN_PROGRESS),  # not checked in yet
        ([], AppointmentStatus.FINISHED),
        ([AppointmentStatus.NO_SHOW], AppointmentStatus.WAITING),
        ([AppointmentStatus.WAITING, AppointmentStatus.IN_PROGRESS], AppointmentStatus.CANCELLED),
    ],
)
def test_an_illegal_step_is_refused_and_changes_nothing(
    appointment: tuple[Appointment, Any], path: list[str], illegal: str
) -> None:
    booked, setting = appointment
    for step in path:
        booked = appointment_transition(appointment=booked, to=step, by=setting["by"], reason="x")
    before = booked.events.count()
    with pytest.raises(ValidationError, match="cannot become"):
        appointment_transition(appointment=booked, to=illegal, by=setting["by"], reason="x")
    booked.refresh_from_db()
    assert booked.status == (path[-1] if path else AppointmentStatus.SCHEDULED)
    assert booked.events.count() == before


def test_cancelling_needs_a_reason_and_frees_the_slot(appointment: tuple[Appointment, Any]) -> None:
    booked, setting = appointment
    with pytest.raises(ValidationError, match="Say why"):
        appointment_transition(appointment=booked, to=AppointmentStatus.CANCELLED, by=setting["by"])
    appointment_transition(
        appointment=booked, to=AppointmentStatus.CANCELLED, by=setting["by"], reason="Paciente viajou"
    )
    again = book(setting, make_patient())
    assert again.starts_at == booked.starts_at


def test_reschedule_cancels_links_and_frees_the_old_time(appointment: tuple[Appointment, Any]) -> None:
    booked, setting = appointment
    later = booked.starts_at + timedelta(minutes=15 * 2)
    moved = appointment_reschedule(appointment=booked, starts_at=later, by=setting["by"], reason="Pedido do paciente")
    booked.refresh_from_db()
    assert booked.status == AppointmentStatus.CANCELLED
    assert moved.rescheduled_from == booked
    assert (moved.starts_at, moved.patient) == (later, booked.patient)
    assert book(setting, make_patient()).starts_at == booked.starts_at  # free again at once


def test_a_failed_reschedule_leaves_the_old_appointment_as_it_was(appointment: tuple[Appointment, Any]) -> None:
    booked, setting = appointment
    taken = book(setting, make_patient(), starts_at=booked.starts_at + timedelta(hours=1))
    with pytest.raises(SlotTaken):
        appointment_reschedule(appointment=booked, starts_at=taken.starts_at, by=setting["by"])
    booked.refresh_from_db()
    assert booked.status == AppointmentStatus.SCHEDULED
    assert not booked.events.exists()
