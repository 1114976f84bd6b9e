"""The consultation's rules: who records it, start and finish, diagnoses from the ICD-10 catalog, read-only after."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.utils import translation

from patients.models import Patient, PatientStatus
from scheduling.consultation import (
    MAX_TEXT_LENGTH,
    consultation_finish,
    consultation_save,
    consultation_start,
    diagnosis_add,
    diagnosis_remove,
)
from scheduling.models import Appointment, AppointmentEvent, AppointmentStatus, Consultation, Diagnosis
from scheduling.services import appointment_transition
from scheduling.tests.setup import book, build
from staff import roles
from staff.models import User
from tests.concurrency import all_at_once
from tests.factories import PractitionerFactory, UserFactory, make_patient


def checked_in() -> dict[str, Any]:
    """A patient checked in for their appointment with a doctor (the practitioner, in the Doctor role)."""
    setting = build()
    doctor = setting["practitioner"].user
    doctor.groups.add(Group.objects.get(name=roles.DOCTOR))
    patient = make_patient(by=setting["by"])
    appointment = book(setting, patient)
    appointment_transition(appointment=appointment, to=AppointmentStatus.WAITING, by=setting["by"])
    return {**setting, "doctor": User.objects.get(pk=doctor.pk), "patient": patient, "appointment": appointment}


@pytest.fixture
def visit(db: None) -> dict[str, Any]:
    return checked_in()


@pytest.fixture
def started(visit: dict[str, Any]) -> dict[str, Any]:
    consultation_start(appointment=visit["appointment"], by=visit["doctor"])
    return visit


def stored(appointment: Appointment) -> Appointment:
    return Appointment.objects.select_related("patient").get(pk=appointment.pk)


def patient_status(patient: Patient) -> str:
    return Patient.objects.get(pk=patient.pk).status


def other_doctor(visit: dict[str, Any]) -> User:
    """A doctor of the same clinic, with every consultation permission, who is not this appointment's practitioner."""
    colleague = PractitionerFactory().user
    colleague.groups.add(Group.objects.get(name=roles.DOCTOR))
    colleague.clinics.add(visit["room"].clinic)
    return User.objects.get(pk=colleague.pk)


def messages_of(caught: pytest.ExceptionInfo[ValidationError]) -> list[str]:
    return caught.value.messages


# Start ------------------------------------------------------------------------------------------


def test_start_puts_the_appointment_in_progress_and_the_patient_in_consultation(visit: dict[str, Any]) -> None:
    consultation = consultation_start(appointment=visit["appointment"], by=visit["doctor"])

    appointment = stored(visit["appointment"])
    assert appointment.status == AppointmentStatus.IN_PROGRESS
    assert appointment.started_at is not None
    assert consultation.appointment_id == appointment.pk
    assert consultation.recorded_by == visit["doctor"]
    assert appointment.patient.status == PatientStatus.IN_CONSULTATION
    event = AppointmentEvent.objects.filter(appointment=appointment).latest("id")
    assert (event.to_status, event.by) == (AppointmentStatus.IN_PROGRESS, visit["doctor"])


def test_another_doctor_cannot_start(visit: dict[str, Any]) -> None:
    with pytest.raises(PermissionDenied):
        consultation_start(appointment=visit["appointment"], by=other_doctor(visit))

    assert stored(visit["appointment"]).status == AppointmentStatus.WAITING
    assert not Consultation.objects.exists()
    assert patient_status(visit["patient"]) == PatientStatus.OUTPATIENT


def test_the_practitioner_without_the_doctor_permissions_cannot_start(visit: dict[str, Any]) -> None:
    doctor = visit["doctor"]
    doctor.groups.clear()
    with pytest.raises(PermissionDenied):
        consultation_start(appointment=visit["appointment"], by=User.objects.get(pk=doctor.pk))
    assert stored(visit["appointment"]).status == AppointmentStatus.WAITING


def test_reception_cannot_start(visit: dict[str, Any]) -> None:
    with pytest.raises(PermissionDenied):
        consultation_start(appointment=visit["appointment"], by=visit["by"])
    assert not Consultation.objects.exists()


def test_start_before_check_in_is_refused(db: None) -> None:
    setting = build()
    doctor = setting["practitioner"].user
    doctor.groups.add(Group.objects.get(name=roles.DOCTOR))
    appointment = book(setting, make_patient(by=setting["by"]))

    with translation.override("en"), pytest.raises(ValidationError) as caught:
        consultation_start(appointment=appointment, by=User.objects.get(pk=doctor.pk))

    assert messages_of(caught) == ["The patient has not checked in yet."]
    assert stored(appointment).status == AppointmentStatus.SCHEDULED
    assert not Consultation.objects.exists()


def test_start_twice_is_refused(started: dict[str, Any]) -> None:
    with translation.override("en"), pytest.raises(ValidationError) as caught:
        consultation_start(appointment=started["appointment"], by=started["doctor"])
    assert messages_of(caught) == ["This consultation has already started."]
    assert Consultation.objects.count() == 1


def test_a_cancelled_appointment_cannot_start(visit: dict[str, Any]) -> None:
    appointment_transition(
        appointment=visit["appointment"], to=AppointmentStatus.CANCELLED, by=visit["by"], reason="Desistiu"
    )
    with pytest.raises(ValidationError):
        consultation_start(appointment=visit["appointment"], by=visit["doctor"])
    assert stored(visit["appointment"]).status == AppointmentStatus.CANCELLED


# Notes and treatment ---------------------------------------------------------------------------


def test_save_records_notes_and_treatment(started: dict[str, Any]) -> None:
    consultation_save(
        appointment=started["appointment"],
        notes="  Tosse seca há 3 dias, sibilos.  ",
        treatment="Salbutamol 100 mcg se crise.",
        by=started["doctor"],
    )
    consultation = Consultation.objects.get(appointment=started["appointment"])
    assert consultation.notes == "Tosse seca há 3 dias, sibilos."
    assert consultation.treatment == "Salbutamol 100 mcg se crise."
    with connection.cursor() as cursor:  # encrypted at rest
        cursor.execute("SELECT notes FROM scheduling_consultation WHERE id = %s", [consultation.pk])
        assert "Tosse" not in cursor.fetchone()[0]


def test_save_before_start_is_refused(visit: dict[str, Any]) -> None:
    with translation.override("en"), pytest.raises(ValidationError) as caught:
        consultation_save(appointment=visit["appointment"], notes="x", treatment="y", by=visit["doctor"])
    assert messages_of(caught) == ["Start the consultation first."]
    assert not Consultation.objects.exists()


def test_too_long_notes_are_refused_and_nothing_changes(started: dict[str, Any]) -> None:
    consultation_save(appointment=started["appointment"], notes="Primeira nota", treatment="", by=started["doctor"])
    with pytest.raises(ValidationError) as caught:
        consultation_save(
            appointment=started["appointment"],
            notes="x" * (MAX_TEXT_LENGTH + 1),
            treatment="Repouso",
            by=started["doctor"],
        )
    assert list(caught.value.message_dict) == ["notes"]
    consultation = Consultation.objects.get()
    assert (consultation.notes, consultation.treatment) == ("Primeira nota", "")


def test_another_doctor_cannot_save(started: dict[str, Any]) -> None:
    with pytest.raises(PermissionDenied):
        consultation_save(appointment=started["appointment"], notes="x", treatment="y", by=other_doctor(started))
    assert Consultation.objects.get().notes == ""


# Diagnoses ----------------------------------------------------------------------------------------


def test_diagnosis_takes_its_description_from_the_catalog_and_the_first_is_primary(started: dict[str, Any]) -> None:
    diagnosis = diagnosis_add(
        appointment=started["appointment"], icd10_code="j450", primary=False, by=started["doctor"]
    )
    assert (diagnosis.icd10_code, diagnosis.description) == ("J45.0", "Predominantly allergic asthma")
    assert diagnosis.primary
    assert diagnosis.recorded_by == started["doctor"]


def test_a_later_primary_diagnosis_takes_the_place_of_the_first(started: dict[str, Any]) -> None:
    first = diagnosis_add(appointment=started["appointment"], icd10_code="J45.0", primary=True, by=started["doctor"])
    second = diagnosis_add(appointment=started["appointment"], icd10_code="I10", primary=False, by=started["doctor"])
    third = diagnosis_add(appointment=started["appointment"], icd10_code="E11.9", primary=True, by=started["doctor"])
    primary = dict(Diagnosis.objects.values_list("pk", "primary"))
    assert primary == {first.pk: False, second.pk: False, third.pk: True}


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("Z99.89", "Z99.89 is not a code of the ICD-10 catalog."),
        ("U99", "U99 is not a code of the ICD-10 catalog."),
        ("asthma", "Choose a code from the ICD-10 list: search by code (J45) or by words (asthma)."),
        ("", "Choose a code from the ICD-10 list: search by code (J45) or by words (asthma)."),
        ("B18.0", "B18.0 is divided further: choose one of its more detailed codes."),
        ("<script>J45</script>", "Choose a code from the ICD-10 list: search by code (J45) or by words (asthma)."),
    ],
)
def test_a_diagnosis_not_in_the_catalog_is_refused(started: dict[str, Any], code: str, message: str) -> None:
    with translation.override("en"), pytest.raises(ValidationError) as caught:
        diagnosis_add(appointment=started["appointment"], icd10_code=code, primary=True, by=started["doctor"])
    assert caught.value.message_dict == {"icd10_code": [message]}
    assert not Diagnosis.objects.exists()


def test_a_code_is_recorded_once_per_consultation(started: dict[str, Any]) -> None:
    diagnosis_add(appointment=started["appointment"], icd10_code="I10", primary=False, by=started["doctor"])
    with translation.override("en"), pytest.raises(ValidationError) as caught:
        diagnosis_add(appointment=started["appointment"], icd10_code="i10", primary=True, by=started["doctor"])
    assert caught.value.message_dict == {"icd10_code": ["I10 is already a diagnosis of this consultation."]}
    assert list(Diagnosis.objects.values_list("icd10_code", "primary")) == [("I10", True)]


def test_removing_the_primary_diagnosis_makes_the_earliest_other_primary(started: dict[str, Any]) -> None:
    first = diagnosis_add(appointment=started["appointment"], icd10_code="J45.0", primary=False, by=started["doctor"])
    second = diagnosis_add(appointment=started["appointment"], icd10_code="I10", primary=False, by=started["doctor"])
    diagnosis_add(appointment=started["appointment"], icd10_code="E11.9", primary=False, by=started["doctor"])

    diagnosis_remove(diagnosis=first, by=started["doctor"])

    assert not Diagnosis.objects.filter(pk=first.pk).exists()
    assert list(Diagnosis.objects.filter(primary=True).values_list("pk", flat=True)) == [second.pk]


def test_another_doctor_cannot_add_or_remove_diagnoses(started: dict[str, Any]) -> None:
    diagnosis = diagnosis_add(appointment=started["appointment"], icd10_code="I10", primary=True, by=started["doctor"])
    colleague = other_doctor(started)
    with pytest.raises(PermissionDenied):
        diagnosis_add(appointment=started["appointment"], icd10_code="J45.0", primary=True, by=colleague)
    with pytest.raises(PermissionDenied):
        diagnosis_remove(diagnosis=diagnosis, by=colleague)
    assert list(Diagnosis.objects.values_list("icd10_code", flat=True)) == ["I10"]


# Finish -----------------------------------------------------------------------------------------------


def test_finish_without_a_diagnosis_is_refused(started: dict[str, Any]) -> None:
    with translation.override("en"), pytest.raises(ValidationError) as caught:
        consultation_finish(appointment=started["appointment"], by=started["doctor"])
    assert messages_of(caught) == ["Record at least one diagnosis before finishing the consultation."]
    assert stored(started["appointment"]).status == AppointmentStatus.IN_PROGRESS
    assert patient_status(started["patient"]) == PatientStatus.IN_CONSULTATION


def test_finish_ends_the_appointment_and_the_patient_is_an_outpatient_again(started: dict[str, Any]) -> None:
    diagnosis_add(appointment=started["appointment"], icd10_code="J45.0", primary=True, by=started["doctor"])

    finished = consultation_finish(appointment=started["appointment"], by=started["doctor"])

    assert finished.status == AppointmentStatus.FINISHED
    assert stored(started["appointment"]).finished_at is not None
    assert patient_status(started["patient"]) == PatientStatus.OUTPATIENT


def test_another_doctor_cannot_finish(started: dict[str, Any]) -> None:
    diagnosis_add(appointment=started["appointment"], icd10_code="J45.0", primary=True, by=started["doctor"])
    with pytest.raises(PermissionDenied):
        consultation_finish(appointment=started["appointment"], by=other_doctor(started))
    assert stored(started["appointment"]).status == AppointmentStatus.IN_PROGRESS


def test_a_finished_consultation_is_read_only(started: dict[str, Any]) -> None:
    appointment, doctor = started["appointment"], started["doctor"]
    consultation_save(appointment=appointment, notes="Asma leve", treatment="Salbutamol", by=doctor)
    diagnosis = diagnosis_add(appointment=appointment, icd10_code="J45.0", primary=True, by=doctor)
    consultation_finish(appointment=appointment, by=doctor)

    finished = "This consultation is finished and can no longer be changed."
    attempts = [
        lambda: consultation_save(appointment=appointment, notes="outra", treatment="", by=doctor),
        lambda: diagnosis_add(appointment=appointment, icd10_code="I10", primary=True, by=doctor),
        lambda: diagnosis_remove(diagnosis=diagnosis, by=doctor),
        lambda: consultation_finish(appointment=appointment, by=doctor),
        lambda: consultation_start(appointment=appointment, by=doctor),
    ]
    for attempt in attempts:
        with translation.override("en"), pytest.raises(ValidationError) as caught:
            attempt()
        assert messages_of(caught) == [finished]

    consultation = Consultation.objects.get()
    assert (consultation.notes, consultation.treatment) == ("Asma leve", "Salbutamol")
    assert list(Diagnosis.objects.values_list("icd10_code", flat=True)) == ["J45.0"]
    assert stored(appointment).status == AppointmentStatus.FINISHED


# Concurrency -----------------------------------------------------------------------------------------


def test_concurrent_additions_of_one_code_record_it_once(transactional_db: None) -> None:
    visit = checked_in()
    consultation_start(appointment=visit["appointment"], by=visit["doctor"])

    outcomes = all_at_once(
        8,
        lambda i: diagnosis_add(
            appointment=visit["appointment"],
            icd10_code="J45.0",
            primary=True,
            by=User.objects.get(pk=visit["doctor"].pk),
        ),
    )

    assert sum(isinstance(outcome, Diagnosis) for outcome in outcomes) == 1
    assert all(isinstance(outcome, (Diagnosis, ValidationError)) for outcome in outcomes), outcomes
    assert list(Diagnosis.objects.values_list("icd10_code", "primary")) == [("J45.0", True)]


def test_concurrent_primary_diagnoses_leave_exactly_one_primary(transactional_db: None) -> None:
    visit = checked_in()
    consultation_start(appointment=visit["appointment"], by=visit["doctor"])
    codes = ["J45.0", "I10", "E11.9", "J06.9", "K21.9", "M54.5"]

    outcomes = all_at_once(
        len(codes),
        lambda i: diagnosis_add(
            appointment=visit["appointment"],
            icd10_code=codes[i],
            primary=True,
            by=User.objects.get(pk=visit["doctor"].pk),
        ),
    )

    assert all(isinstance(outcome, Diagnosis) for outcome in outcomes), outcomes
    assert Diagnosis.objects.count() == len(codes)
    assert Diagnosis.objects.filter(primary=True).count() == 1


def test_concurrent_starts_start_once(transactional_db: None) -> None:
    visit = checked_in()

    outcomes = all_at_once(
        6, lambda i: consultation_start(appointment=visit["appointment"], by=User.objects.get(pk=visit["doctor"].pk))
    )

    assert sum(isinstance(outcome, Consultation) for outcome in outcomes) == 1
    assert all(isinstance(outcome, (Consultation, ValidationError)) for outcome in outcomes), outcomes
    assert Consultation.objects.count() == 1
    assert AppointmentEvent.objects.filter(to_status=AppointmentStatus.IN_PROGRESS).count() == 1


def test_a_user_who_is_not_a_practitioner_cannot_record(started: dict[str, Any]) -> None:
    nurse = UserFactory(role=roles.TRIAGE_NURSE, clinics=[started["room"].clinic])
    with pytest.raises(PermissionDenied):
        consultation_save(appointment=started["appointment"], notes="x", treatment="", by=nurse)
