"""Issue 3's journey in Chromium: book the first available time, the reminder and its link, check-in,
the consultation with an ICD-10 diagnosis, and the chart that shows it."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, time, timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from clinic.models import Room
from messaging.models import Message
from scheduling.models import Appointment, AppointmentStatus, Diagnosis
from scheduling.selectors import first_available
from staff import roles
from staff.models import PractitionerSpecialty, WorkingHours
from tests.browser.test_registry_journeys import sign_in
from tests.factories import ClinicFactory, PractitionerFactory, RoomFactory, SpecialtyFactory, UserFactory, make_patient

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_first_available_to_reminder_to_consultation(new_page: Callable[..., Page]) -> None:
    clinic = ClinicFactory(name="Clínica Paulista", time_zone="America/Sao_Paulo")
    room = RoomFactory(floor__clinic=clinic, kind=Room.Kind.CONSULTING, code="C-12")
    cardiology = SpecialtyFactory(name="Cardiologia", default_duration=30)
    doctor = UserFactory(username="dra.ana", first_name="Ana", last_name="Ribeiro", role=roles.DOCTOR, clinics=[clinic])
    practitioner = PractitionerFactory(user=doctor)
    PractitionerSpecialty.objects.create(practitioner=practitioner, specialty=cardiology)
    # From the day after tomorrow, every day: the first free time is more than two hours ahead, so
    # its 2-hour reminder goes into the outbox.
    starts = timezone.localdate() + timedelta(days=2)
    for weekday in range(7):
        WorkingHours.objects.create(
            practitioner=practitioner,
            clinic=clinic,
            room=room,
            weekday=weekday,
            start_time=time(8),
            end_time=time(12),
            valid_from=starts,
        )
    UserFactory(username="recepcao", role=roles.RECEPTION, clinics=[clinic])
    patient = make_patient(full_name="Joana Prado Lima", mobile_phone="+5511987654321", reminder_channel="sms")
    first = first_available(specialty=cardiology)[0]

    # Reception books "any available" for the specialty: the slots arrive without a page load.
    desk = new_page("en")
    sign_in(desk, "recepcao")
    desk.get_by_test_id("menu-group").filter(has_text="Scheduling").click()
    desk.click("[data-testid=menu] a[href='/scheduling/book/']")
    desk.select_option("#id_specialty", label="Cardiologia")
    slot = desk.get_by_test_id("slot").first
    expect(slot).to_contain_text("08:00")
    expect(slot).to_contain_text("Ana Ribeiro")
    slot.click()
    desk.fill("#patient-q", "joana prado")
    desk.get_by_test_id("patient-choice").filter(has_text="Joana Prado Lima").click()
    expect(desk.get_by_test_id("chosen-patient")).to_have_text("Joana Prado Lima")
    desk.get_by_test_id("confirm-booking").click()
    expect(desk.get_by_test_id("appointment-status")).to_have_text("Scheduled")
    appointment = Appointment.objects.get()
    assert (appointment.patient, appointment.practitioner, appointment.starts_at) == (
        patient,
        practitioner,
        first.starts_at,
    )

    # The reminder is in the development outbox, with its link and nothing clinical.
    desk.get_by_test_id("menu-group").filter(has_text="Management").click()
    desk.click("[data-testid=menu] a[href='/messages/']")
    desk.locator("[data-testid=outbox] a").first.click()
    link = desk.locator("a[href*='/r/']").first
    expect(link).to_be_visible()
    url = link.get_attribute("href")
    assert url
    body = desk.locator("main").inner_text()
    assert "Cardiologia" not in body and "Ana Ribeiro" not in body
    assert Message.objects.filter(purpose="appointment_reminder").exists()

    # The patient opens the link, without an account, and confirms.
    phone = new_page("pt-BR")
    phone.goto(re.sub(r"^https?://[^/]+", "", url))
    phone.get_by_role("button", name=re.compile("Confirmar")).click()
    expect(phone.get_by_test_id("public-card")).to_contain_text("confirmada")
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.CONFIRMED

    # Reception sees it confirmed and checks the patient in.
    desk.goto(f"/scheduling/appointments/{appointment.pk}/")
    expect(desk.get_by_test_id("appointment-status")).to_have_text("Confirmed")
    desk.get_by_test_id("action-check-in").click()
    expect(desk.get_by_test_id("appointment-status")).to_have_text("Checked in")

    # The doctor finds it in her agenda, starts, records an ICD-10 diagnosis and finishes.
    office = new_page("en")
    sign_in(office, "dra.ana")
    day: date = timezone.localtime(appointment.starts_at).date()
    office.goto(f"/scheduling/agenda/?date={day.isoformat()}")
    office.get_by_test_id("appointment-line").filter(has_text="Joana Prado Lima").click()
    office.get_by_test_id("open-consultation").click()
    office.get_by_test_id("consultation-start").click()
    expect(office.get_by_test_id("patient-status")).to_have_text("In consultation")
    office.fill("#id_notes", "Dor torácica atípica; ECG normal.")
    office.fill("#id_icd10_code", "hypertension")
    office.locator("[data-testid=icd10-choice] input[value='I10']").check()
    office.get_by_test_id("diagnosis-add").click()
    expect(office.get_by_test_id("diagnosis")).to_contain_text("I10")
    office.get_by_test_id("consultation-finish").click()
    expect(office.get_by_test_id("appointment-status")).to_have_text("Finished")
    assert list(Diagnosis.objects.values_list("icd10_code", flat=True)) == ["I10"]

    # The patient's history shows the consultation with its diagnosis.
    office.goto(f"/patients/{patient.pk}/")
    panel = office.get_by_test_id("appointments-panel")
    expect(panel.get_by_test_id("appointment-diagnoses")).to_contain_text("I10")
