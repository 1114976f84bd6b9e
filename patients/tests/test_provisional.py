"""A walk-in registered with the little that is known, and completed later by reception."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from patients import services
from patients.models import Patient, ReminderChannel
from tests.factories import UserFactory, make_patient, patient_data, unique_cpf

pytestmark = pytest.mark.django_db


def test_a_walk_in_gets_a_chart_without_a_cpf() -> None:
    patient = services.patient_register_provisional(
        by=UserFactory(), full_name="  Desconhecido   masculino ", sex="M", birth_date=date(1980, 1, 1)
    )
    assert patient.full_name == "Desconhecido masculino"
    assert patient.registration_complete is False
    assert patient.cpf == "" and patient.cpf_hash == ""
    assert patient.reminder_channel == ReminderChannel.NONE
    # Two unknown patients at once: an empty CPF is not a duplicate.
    services.patient_register_provisional(
        by=UserFactory(), full_name="Desconhecida", sex="F", birth_date=date(1990, 1, 1)
    )
    assert Patient.objects.filter(registration_complete=False).count() == 2


def test_a_walk_in_needs_a_name_and_a_possible_birth_date() -> None:
    with pytest.raises(ValidationError) as refused:
        services.patient_register_provisional(by=UserFactory(), full_name=" ", sex="M", birth_date=date(2999, 1, 1))
    assert {"full_name", "birth_date"} <= set(refused.value.message_dict)
    assert not Patient.objects.exists()


def test_saving_the_full_form_completes_the_registration_and_needs_the_cpf() -> None:
    by = UserFactory()
    patient = services.patient_register_provisional(
        by=by, full_name="Desconhecido", sex="M", birth_date=date(1980, 1, 1)
    )
    data = patient_data(cpf="")
    with pytest.raises(ValidationError) as refused:
        services.patient_update(patient=patient, by=by, **data)
    assert "cpf" in refused.value.message_dict
    assert Patient.objects.get(pk=patient.pk).registration_complete is False

    cpf = unique_cpf()
    services.patient_update(patient=patient, by=by, **patient_data(cpf=cpf, full_name="José da Silva"))
    completed = Patient.objects.get(pk=patient.pk)
    assert completed.registration_complete is True
    assert completed.cpf == cpf and completed.full_name == "José da Silva"


def test_a_complete_registration_without_a_cpf_is_refused_by_the_database() -> None:
    patient = make_patient()
    with pytest.raises(IntegrityError), transaction.atomic():
        Patient.objects.filter(pk=patient.pk).update(cpf="", cpf_hash="")


def test_the_cpf_stays_unique_among_complete_registrations() -> None:
    cpf = unique_cpf()
    make_patient(cpf=cpf)
    with pytest.raises(ValidationError) as refused:
        make_patient(cpf=cpf)
    assert "cpf" in refused.value.message_dict
