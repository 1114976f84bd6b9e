"""Booking on the demo network: each clinic books its usual specialties (general practice,
paediatrics, gynaecology and cardiology everywhere, every specialty in the hospitals) with
practitioners who have hours in its consulting rooms, even with the demo's agendas filled; the
emergency physicians on the rota are no outpatient practitioners."""

from __future__ import annotations

import io
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from clinic import demo as clinic_demo
from clinic.models import Clinic, Room
from patients import demo as patient_demo
from scheduling import demo as scheduling_demo
from scheduling.selectors import bookable_practitioners, first_available
from staff import demo as staff_demo
from staff.models import Specialty, User, WorkingHours
from triage import demo as triage_demo

pytestmark = pytest.mark.django_db

SAO_PAULO = ZoneInfo("America/Sao_Paulo")
NOW = datetime(2026, 3, 4, 10, 0, tzinfo=SAO_PAULO)  # a Wednesday morning
CORE = {"clinica-medica", "pediatria", "ginecologia-obstetricia", "cardiologia"}
HOSPITALS = {"SP-PAU", "RJ-BOT", "BA-SSA"}
OUTPATIENT = {
    "clinica-medica",
    "pediatria",
    "cardiologia",
    "ginecologia-obstetricia",
    "ortopedia",
    "dermatologia",
    "oftalmologia",
    "psiquiatria",
    "endocrinologia",
    "odontologia",
    "psicologia",
    "fisioterapia",
}


def _usual(clinic: Clinic) -> set[str]:
    return OUTPATIENT if clinic.code in HOSPITALS else CORE


@pytest.fixture
def network(monkeypatch: pytest.MonkeyPatch) -> None:
    """The whole network with its practitioners, emergency physicians and agendas (fewer patients)."""
    monkeypatch.setattr(patient_demo, "DEMO_PATIENTS", 600)
    out = io.StringIO()
    with time_machine.travel(NOW, tick=False):
        clinic_demo.load(out)
        staff_demo.load(out)
        patient_demo.load(out)
        triage_demo.ensure_er_doctors(list(Clinic.objects.order_by("code")))
        scheduling_demo.load(out)


def test_each_clinic_books_its_usual_specialties_in_its_consulting_rooms(network: None) -> None:
    specialties = {s.code: s for s in Specialty.objects.all()}
    rooms = {room.pk: room for room in Room.objects.all()}
    missing = []
    for clinic in Clinic.objects.order_by("code"):
        for code in sorted(_usual(clinic)):
            slots = first_available(specialty=specialties[code], clinics=[clinic], start=NOW.date(), now=NOW)
            if not slots:
                missing.append((clinic.code, code))
            for slot in slots:
                assert rooms[slot.room_id].clinic_id == clinic.pk
                assert rooms[slot.room_id].kind == Room.Kind.CONSULTING
    assert missing == []


def test_the_emergency_physicians_are_not_outpatient_practitioners(network: None) -> None:
    general_practice = Specialty.objects.get(code="clinica-medica")
    for clinic in Clinic.objects.order_by("code"):
        bookable = {p.user.username for p in bookable_practitioners(specialty=general_practice, clinics=[clinic])}
        assert bookable, clinic.code
        assert not {name for name in bookable if name.startswith("ps.")}, clinic.code
    er = User.objects.filter(username__startswith="ps.")
    assert er.count() == 4 * Clinic.objects.count()
    assert not WorkingHours.objects.filter(practitioner__user__in=er).exists()


def test_reception_finds_times_for_every_usual_specialty_of_her_clinics(network: None) -> None:
    reception = User.objects.get(username="recepcao")
    client = Client()
    client.force_login(reception, backend="django.contrib.auth.backends.ModelBackend")
    specialties = {s.code: s for s in Specialty.objects.all()}
    with time_machine.travel(NOW + timedelta(minutes=1), tick=False):
        for clinic in reception.clinics.order_by("code"):
            for code in sorted(_usual(clinic)):
                response = client.get(
                    reverse("scheduling:book"), {"specialty": specialties[code].pk, "clinic": clinic.pk}
                )
                assert response.status_code == 200
                assert response.context["days"], (clinic.code, code)
                assert 'data-testid="nobody"' not in response.content.decode()
