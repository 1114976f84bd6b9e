"""The doctor's consultation in Chromium: start, notes, an ICD-10 diagnosis picked by search, finish."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from django.contrib.auth.models import Group
from playwright.sync_api import Page, expect

from patients.models import Allergy, Patient, PatientStatus
from scheduling.models import AppointmentStatus, Consultation, Diagnosis
from scheduling.services import appointment_transition
from scheduling.tests.setup import book, build
from staff import roles
from tests.browser.test_registry_journeys import sign_in
from tests.factories import make_patient

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_doctor_records_a_consultation_and_the_chart_shows_it(new_page: Callable[..., Page]) -> None:
    setting = build()
    doctor = setting["practitioner"].user
    doctor.groups.add(Group.objects.get(name=roles.DOCTOR))
    patient = make_patient(by=setting["by"], full_name="Beatriz Souza Lima")
    Allergy.objects.create(patient=patient, substance="Dipirona", severity="severe")
    appointment = book(setting, patient)
    appointment_transition(appointment=appointment, to=AppointmentStatus.WAITING, by=setting["by"])

    page = new_page("en")
    sign_in(page, doctor.username)
    page.goto(f"/scheduling/appointments/{appointment.pk}/consultation/")
    expect(page.get_by_test_id("allergy-banner")).to_contain_text("Dipirona")

    page.get_by_test_id("consultation-start").click()
    expect(page.get_by_test_id("patient-status")).to_have_text("In consultation")
    page.fill("#id_notes", "Tosse e sibilos há três dias.")

    # Search by words, pick from the list: the diagnosis is added without leaving the page.
    page.fill("#id_icd10_code", "allergic asthma")
    choice = page.locator("[data-testid=icd10-choice]", has_text="J45.0")
    expect(choice).to_be_visible()
    choice.locator("input[type=radio]").check()
    page.get_by_test_id("diagnosis-add").click()
    expect(page.get_by_test_id("diagnosis")).to_contain_text("Predominantly allergic asthma")
    expect(page.locator("#id_notes")).to_have_value("Tosse e sibilos há três dias.")  # what was typed stays

    # A code typed in full works too.
    page.fill("#id_icd10_code", "i10")
    expect(page.locator("[data-testid=icd10-choice]", has_text="Essential (primary) hypertension")).to_be_visible()
    page.locator("[data-testid=icd10-choice] input[value='I10']").check()
    page.get_by_test_id("diagnosis-add").click()
    expect(page.get_by_test_id("diagnosis")).to_have_count(2)

    page.get_by_test_id("consultation-finish").click()
    expect(page.get_by_test_id("appointment-status")).to_have_text("Finished")
    expect(page.get_by_test_id("consultation-notes")).to_have_text("Tosse e sibilos há três dias.")
    expect(page.get_by_test_id("consultation-form")).to_have_count(0)
    assert Patient.objects.get(pk=patient.pk).status == PatientStatus.OUTPATIENT
    assert Consultation.objects.get().notes == "Tosse e sibilos há três dias."
    assert sorted(Diagnosis.objects.values_list("icd10_code", "primary")) == [("I10", False), ("J45.0", True)]

    # The chart's appointments panel lists it with its diagnoses.
    page.goto(f"/patients/{patient.pk}/")
    panel = page.get_by_test_id("appointments-panel")
    expect(panel.get_by_test_id("appointment-diagnoses")).to_contain_text("J45.0")
    expect(panel.get_by_test_id("consultation-link")).to_have_attribute(
        "href", re.compile(rf"/scheduling/appointments/{appointment.pk}/consultation/")
    )
