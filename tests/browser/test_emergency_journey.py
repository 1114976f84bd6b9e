"""The emergency door end to end in Chromium: a walk-in is triaged (in Portuguese, a temperature typed
with a decimal comma), seen by the doctor on duty, who reads the triage in his queue and on the
consultation and orders a blood count; the lab enters the result and a second person releases it; the
doctor is told, the patient's message waits in the outbox, and the chart shows the flagged value."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from clinic.models import Room
from messaging.models import Message
from staff import roles
from staff.models import CareUnit, PractitionerSpecialty, Shift, ShiftFunction
from tests.browser.test_ward_journey import _sign_in
from tests.factories import (
    CareUnitFactory,
    ClinicFactory,
    PractitionerFactory,
    RoomFactory,
    SpecialtyFactory,
    UserFactory,
    make_blood_count,
    make_patient,
)
from triage.models import Assessment


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_walk_in_goes_from_the_door_to_a_released_result(new_page: Callable[..., Any]) -> None:
    from playwright.sync_api import expect

    clinic = ClinicFactory(name="Hospital Paulista", phone="+551130000000")
    emergency = CareUnitFactory(clinic=clinic, name="Pronto-socorro", kind=CareUnit.Kind.EMERGENCY)
    CareUnitFactory(clinic=clinic, name="Laboratório central", kind=CareUnit.Kind.LABORATORY)
    RoomFactory(floor__clinic=clinic, clinic=clinic, code="PS-01", name="Consultório PS", kind=Room.Kind.CONSULTING)
    make_blood_count()
    UserFactory(username="enf.tina", role=roles.TRIAGE_NURSE, clinics=[clinic])
    UserFactory(username="lab.lia", role=roles.LAB, clinics=[clinic])
    UserFactory(username="lab.beto", role=roles.LAB, clinics=[clinic])
    UserFactory(username="rec.rita", role=roles.RECEPTION, clinics=[clinic])
    doctor = UserFactory(
        username="dr.rui",
        first_name="Rui",
        last_name="Barbosa",
        email="rui@clinica.localhost",
        role=roles.DOCTOR,
        clinics=[clinic],
    )
    practitioner = PractitionerFactory(user=doctor)
    PractitionerSpecialty.objects.create(
        practitioner=practitioner, specialty=SpecialtyFactory(name="Clínica médica", code="clinica-medica")
    )
    now = timezone.now()
    Shift.objects.create(
        user=doctor,
        unit=emergency,
        starts_at=now - timedelta(hours=2),
        ends_at=now + timedelta(hours=10),
        function=ShiftFunction.PHYSICIAN,
    )
    patient = make_patient(
        full_name="Maria Oliveira", social_name="", sex="F", birth_date=date(1980, 5, 2), mobile_phone="+5511987650001"
    )

    # The triage nurse receives the walk-in at the door and puts her in the queue; her browser is in Portuguese.
    nurse = new_page()
    _sign_in(nurse, "enf.tina")
    nurse.goto("/triage/")
    nurse.get_by_test_id("walk-in").click()
    nurse.get_by_label("Nome ou CPF").fill("maria oliveira")
    nurse.get_by_role("button", name="Buscar").click()
    result = nurse.get_by_test_id("arrival-result").filter(has_text="Maria Oliveira")
    result.get_by_placeholder("Motivo da procura").fill("Falta de ar desde ontem")
    result.get_by_test_id("arrived").click()
    waiting = nurse.get_by_test_id("waiting-triage").get_by_test_id("triage-line")
    expect(waiting).to_have_count(1)
    expect(waiting).to_contain_text("Maria Oliveira")

    # Triage: SpO2 88 % suggests orange, live, before anything is stored; the temperature is typed
    # the Brazilian way, with a decimal comma, and stays 37,8 (a number input would have made it 378).
    waiting.get_by_test_id("start-triage").click()
    nurse.get_by_label("Queixa principal").fill("Dispneia e tosse há dois dias")
    nurse.get_by_label("SpO2 (%)").fill("88")
    nurse.get_by_label("Frequência cardíaca (bpm)").fill("112")
    nurse.get_by_label("Temperatura (°C)").press_sequentially("37,8")
    nurse.get_by_label("Frequência cardíaca (bpm)").press("Tab")
    expect(nurse.get_by_label("Temperatura (°C)")).to_have_value("37,8")
    expect(nurse.get_by_test_id("suggested-colour")).to_contain_text("Laranja")
    expect(nurse.get_by_test_id("suggestion-reasons")).to_contain_text("SpO2 abaixo de 90%")
    nurse.get_by_test_id("classify").click()
    expect(nurse.locator(".messages")).to_contain_text("Maria Oliveira classificado(a) como Laranja (muito urgente).")
    assessment = Assessment.objects.get(visit__patient=patient)
    assert assessment.temperature == Decimal("37.8") and assessment.heart_rate == 112

    # Where does she go? To the doctor on duty: an urgent appointment in his queue, with a note for him.
    nurse.locator("#id_consultation-doctor").select_option(index=1)
    nurse.locator("#id_consultation-room").select_option(label="PS-01 Consultório PS")
    nurse.get_by_label("Observação para o médico").fill("Asmática, usa salbutamol")
    nurse.get_by_test_id("route-consultation-submit").click()
    line = nurse.get_by_test_id("waiting-doctor").get_by_test_id("doctor-line")
    expect(line).to_contain_text("Maria Oliveira")
    expect(line).to_contain_text("Laranja")
    expect(line.get_by_test_id("routed-doctor")).to_contain_text("Rui Barbosa")
    nurse.evaluate("window.notReloaded = true")

    # The doctor reads the triage in his emergency queue: colour, complaint, vital signs with their
    # flags, the nurse's note; he takes her and finds the same on the consultation, with the visit's page.
    dr = new_page(locale="en")
    _sign_in(dr, "dr.rui")
    dr.goto("/triage/doctor/")
    mine = dr.get_by_test_id("doctor-line")
    expect(mine).to_contain_text("Maria Oliveira")
    expect(mine.get_by_test_id("risk")).to_have_text("Orange (very urgent)")
    expect(mine.get_by_test_id("complaint")).to_contain_text("Dispneia e tosse há dois dias")
    vitals = mine.get_by_test_id("line-vitals")
    expect(vitals.get_by_test_id("vital").filter(has_text="SpO2")).to_have_text("SpO2 88 % Low")
    expect(vitals.get_by_test_id("vital").filter(has_text="Temp.")).to_have_text("Temp. 37.8 °C High")
    expect(mine.get_by_test_id("routing-note")).to_contain_text("Asmática, usa salbutamol")
    mine.get_by_test_id("start-consultation").click()
    card = dr.get_by_test_id("consultation-triage")
    expect(card).to_contain_text("Orange (very urgent)")
    expect(card.get_by_test_id("triage-complaint")).to_have_text("Dispneia e tosse há dois dias")
    expect(card.get_by_test_id("vital").filter(has_text="HR")).to_have_text("HR 112 bpm High")
    expect(card.get_by_test_id("routing-note")).to_contain_text("Asmática, usa salbutamol")
    expect(card.get_by_test_id("triage-visit-link")).to_have_attribute("href", f"/triage/visits/{assessment.visit_id}/")
    dr.get_by_test_id("order-exam").click()
    dr.get_by_label("Exam").select_option(label="Hemograma completo · 40304361 · Blood")
    dr.get_by_label("Priority").select_option(label="Urgent")
    dr.get_by_label("Clinical indication").fill("Suspected pneumonia")
    dr.get_by_test_id("order-submit").click()
    expect(dr.get_by_test_id("panel-order")).to_contain_text("Hemograma completo")
    # The nurse's queue refreshes by itself (every 15 s): the doctor has taken her.
    expect(nurse.get_by_test_id("waiting-doctor").get_by_test_id("doctor-line")).to_have_count(0, timeout=20_000)
    assert nurse.evaluate("window.notReloaded") is True

    # The lab collects and enters the result: haemoglobin 10.8 g/dL is below a woman's range.
    lab = new_page(locale="en")
    _sign_in(lab, "lab.lia")
    lab.goto("/exams/worklist/")
    work = lab.get_by_test_id("worklist-line").filter(has_text="Maria Oliveira")
    expect(work).to_contain_text("Urgent")
    work.get_by_test_id("collect").click()
    lab.get_by_test_id("worklist-line").filter(has_text="Maria Oliveira").get_by_test_id("enter-results").click()
    rows = lab.get_by_test_id("result-row")
    rows.filter(has_text="Hemoglobina").get_by_role("textbox").first.fill("10,8")
    rows.filter(has_text="Leucócitos").get_by_role("textbox").first.fill("12500")
    lab.get_by_test_id("results-save").click()
    expect(lab.get_by_test_id("order-status")).to_contain_text("Result entered")
    # Who entered it cannot release it.
    expect(lab.get_by_test_id("release-blocked")).to_be_visible()

    # A second person releases it.
    second = new_page(locale="en")
    _sign_in(second, "lab.beto")
    second.goto("/exams/worklist/")
    second.get_by_test_id("worklist-line").filter(has_text="Maria Oliveira").get_by_test_id("release").click()
    expect(second.locator(".messages")).to_contain_text(
        "Result of Hemograma completo released: the patient and the ordering doctor are told."
    )
    expect(second.get_by_test_id("worklist-line")).to_have_count(0)

    # The doctor's bell lights up; the note takes him to the result, flagged low.
    dr.goto("/triage/doctor/")
    expect(dr.get_by_test_id("unread-count")).to_have_text("1")
    dr.get_by_test_id("notification-bell").click()
    dr.get_by_test_id("notification").filter(has_text="Hemograma completo").get_by_test_id("notification-open").click()
    values = dr.get_by_test_id("result-value")
    expect(values.filter(has_text="Hemoglobina")).to_contain_text("Low")
    expect(values.filter(has_text="Leucócitos")).to_contain_text("High")

    # The chart shows the flagged value.
    dr.goto(f"/patients/{patient.pk}/")
    panel = dr.get_by_test_id("results-panel")
    expect(panel.get_by_test_id("panel-values")).to_contain_text("10.8")
    expect(panel.get_by_test_id("flag").first).to_be_visible()

    # Reception sees the patient's message in the outbox: it says the result is ready, nothing more.
    desk = new_page(locale="en")
    _sign_in(desk, "rec.rita")
    desk.goto("/messages/")
    expect(desk.get_by_test_id("outbox")).to_contain_text("Exam result ready")
    message = Message.objects.get(purpose="exam-result-ready", dedupe_key__endswith=":patient")
    assert message.to == "+5511987650001"
    assert "Hemograma" not in message.body and "10,8" not in message.body and "10.8" not in message.body
    assert Message.objects.filter(purpose="exam-result-ready").count() == 2  # the patient's and the doctor's e-mail
