"""Writes to the patient registry (patients/services.py), and how what they store is shown."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import timezone
from django.utils.translation import gettext

from clinic.crypto import blind_index
from patients import services
from patients.models import Condition, EmergencyContact, Patient, PatientStatus, PatientStatusChange
from patients.selectors import message_address
from staff.models import User
from tests.factories import make_patient, patient_data

pytestmark = pytest.mark.django_db

HOSTILE_NAME = "<script>alert(1)</script> Silva"


def stored(patient: Patient) -> Patient:
    return Patient.objects.get(pk=patient.pk)


# Registration -------------------------------------------------------------------------------


def test_register_normalises_what_was_typed(reception: User) -> None:
    patient = services.patient_register(
        by=reception,
        **patient_data(
            full_name="  JOÃO   da Silva  ARAÚJO ",
            social_name="",
            cpf="529.982.247-25",
            cns="898 0010 0000 0003",
            mobile_phone="(11) 98765-4321",
            home_phone="11 3456-7890",
            email="  Joao.Araujo@Exemplo.COM.br ",
            cep="01310-100",
        ),
        contacts=[services.ContactData(name=" Maria Araújo ", relationship="mãe", phone="(11) 91234-5678")],
    )

    row = stored(patient)
    assert row.full_name == "JOÃO da Silva ARAÚJO"
    assert row.search_name == "joao da silva araujo"
    assert row.cpf == "52998224725"
    assert row.cns == "898001000000003"
    assert row.mobile_phone == "+5511987654321"
    assert row.home_phone == "+551134567890"
    assert row.email == "joao.araujo@exemplo.com.br"
    assert row.cep == "01310100"
    assert row.cpf_hash == blind_index("52998224725")
    assert row.mobile_phone_hash == blind_index("+5511987654321")
    assert row.created_by == reception
    assert [(c.name, c.phone) for c in row.emergency_contacts.all()] == [("Maria Araújo", "+5511912345678")]


def test_register_puts_social_name_into_search_and_display(reception: User) -> None:
    patient = make_patient(by=reception, full_name="Carlos Pereira", social_name="Carla Pereira")
    assert stored(patient).search_name == "carlos pereira carla pereira"
    assert str(stored(patient)) == "Carla Pereira"


def test_register_accepts_a_birth_date_of_today(reception: User) -> None:
    patient = make_patient(by=reception, birth_date=timezone.localdate())
    assert stored(patient).birth_date == timezone.localdate()


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("birth_date", "tomorrow"),
        ("birth_date", date(1850, 1, 1)),
        ("cpf", "529.982.247-26"),
        ("cpf", "111.111.111-11"),
        ("cpf", ""),
        ("cns", "898001000000004"),
        ("full_name", ""),
        ("sex", "X"),
        ("uf", "XX"),
    ],
)
def test_register_refuses_invalid_values_and_stores_nothing(reception: User, field: str, value: Any) -> None:
    if value == "tomorrow":
        value = timezone.localdate() + timedelta(days=1)
    with pytest.raises(ValidationError) as caught:
        make_patient(by=reception, **{field: value})
    assert field in caught.value.message_dict
    assert not Patient.objects.exists()
    assert not Patient.history.exists()  # type: ignore[attr-defined]


def test_register_refuses_bad_emergency_contact_phone_and_stores_nothing(reception: User) -> None:
    with pytest.raises(ValidationError) as caught:
        services.patient_register(
            by=reception,
            contacts=[services.ContactData(name="Maria", relationship="mãe", phone="12")],
            **patient_data(),
        )
    assert "Maria" in caught.value.message_dict["emergency_contacts"][0]
    assert not Patient.objects.exists()
    assert not EmergencyContact.objects.exists()


def test_duplicate_cpf_is_refused_on_the_cpf_field(reception: User) -> None:
    first = make_patient(by=reception, cpf="52998224725")

    with pytest.raises(ValidationError) as caught:
        make_patient(by=reception, cpf="529.982.247-25")

    assert caught.value.message_dict == {"cpf": [gettext("A patient with this CPF is already registered.")]}
    assert list(Patient.objects.all()) == [first]


def test_duplicate_cns_is_refused_on_the_cns_field(reception: User) -> None:
    first = make_patient(by=reception, cns="898001000000003")
    with pytest.raises(ValidationError) as caught:
        make_patient(by=reception, cns="898 0010 0000 0003")
    assert caught.value.message_dict == {"cns": [gettext("A patient with this CNS is already registered.")]}
    assert list(Patient.objects.all()) == [first]


def test_register_refuses_unknown_fields(reception: User) -> None:
    with pytest.raises(TypeError):
        services.patient_register(by=reception, status=PatientStatus.ADMITTED, **patient_data())
    assert not Patient.objects.exists()


# Update -------------------------------------------------------------------------------------


def test_update_changes_only_what_is_given(reception: User, doctor: User) -> None:
    patient = make_patient(by=reception, full_name="Ana Beatriz Lima", cpf="529.982.247-25", email="ana@exemplo.com")
    before = stored(patient)

    services.patient_update(patient=patient, by=doctor, mobile_phone="(21) 99876-5432")

    after = stored(patient)
    assert after.mobile_phone == "+5521998765432"
    assert after.mobile_phone_hash == blind_index("+5521998765432")
    for name in ("full_name", "search_name", "birth_date", "cpf", "cpf_hash", "email", "street", "created_by_id"):
        assert getattr(after, name) == getattr(before, name), name
    assert after.history.count() == 2  # type: ignore[attr-defined]


def test_update_keeps_contacts_unless_given(reception: User) -> None:
    patient = services.patient_register(
        by=reception,
        contacts=[services.ContactData(name="Maria", relationship="mãe", phone="11912345678")],
        **patient_data(),
    )
    services.patient_update(patient=patient, by=reception, city="Campinas")
    assert [c.name for c in patient.emergency_contacts.all()] == ["Maria"]

    services.patient_update(patient=patient, by=reception, contacts=[])
    assert not patient.emergency_contacts.exists()


def test_update_refuses_invalid_data_and_keeps_the_stored_record(reception: User) -> None:
    other = make_patient(by=reception)
    patient = make_patient(by=reception, full_name="Ana Beatriz Lima", mobile_phone="+5511987654321")
    before = stored(patient)

    with pytest.raises(ValidationError) as caught:
        services.patient_update(patient=patient, by=reception, cpf=other.cpf, mobile_phone="+5511900000000")
    assert list(caught.value.message_dict) == ["cpf"]
    with pytest.raises(ValidationError) as caught:
        services.patient_update(patient=patient, by=reception, birth_date=timezone.localdate() + timedelta(days=3))
    assert list(caught.value.message_dict) == ["birth_date"]

    after = stored(patient)
    assert (after.cpf, after.mobile_phone, after.birth_date) == (before.cpf, before.mobile_phone, before.birth_date)
    assert after.history.count() == 1  # type: ignore[attr-defined]


# Status -------------------------------------------------------------------------------------


@time_machine.travel(datetime(2025, 5, 6, 14, 30, tzinfo=timezone.get_fixed_timezone(-180)), tick=False)
def test_set_status_records_who_when_and_why(reception: User, doctor: User) -> None:
    patient = make_patient(by=reception)

    services.patient_set_status(patient=patient, status=PatientStatus.OBSERVATION, by=doctor, reason=" dor torácica ")

    assert stored(patient).status == PatientStatus.OBSERVATION
    change = PatientStatusChange.objects.get(patient=patient)
    assert (change.from_status, change.to_status) == (PatientStatus.OUTPATIENT, PatientStatus.OBSERVATION)
    assert change.changed_by == doctor
    assert change.changed_at == datetime(2025, 5, 6, 17, 30, tzinfo=timezone.get_fixed_timezone(0))
    assert change.reason == "dor torácica"


@pytest.mark.parametrize("status", [PatientStatus.OUTPATIENT, "discharged-somewhere"])
def test_set_status_refuses_same_or_unknown_status(reception: User, doctor: User, status: str) -> None:
    patient = make_patient(by=reception)
    assert stored(patient).status == PatientStatus.OUTPATIENT

    with pytest.raises(ValidationError) as caught:
        services.patient_set_status(patient=patient, status=status, by=doctor)

    assert list(caught.value.message_dict) == ["status"]
    assert stored(patient).status == PatientStatus.OUTPATIENT
    assert not PatientStatusChange.objects.exists()


# Clinical history ---------------------------------------------------------------------------


@pytest.mark.parametrize("code", ["J45", "j45.0", " e11.9 ", "Z99.8", "B18.09"])
def test_condition_add_accepts_icd10_codes(reception: User, doctor: User, code: str) -> None:
    patient = make_patient(by=reception)
    condition = services.condition_add(patient=patient, by=doctor, icd10_code=code, description="Asma")
    assert Condition.objects.get(pk=condition.pk).icd10_code == code.strip().upper()
    assert condition.recorded_by == doctor


@pytest.mark.parametrize(
    "code", ["", "J4", "45.0", "JJ45", "J45.", "J45.000", "J45-0", "<b>J45</b>", "Z99.89", "U99", "B18.0"]
)
def test_condition_add_refuses_invalid_icd10_codes(reception: User, doctor: User, code: str) -> None:
    patient = make_patient(by=reception)
    with pytest.raises(ValidationError) as caught:
        services.condition_add(patient=patient, by=doctor, icd10_code=code, description="Asma")
    assert "icd10_code" in caught.value.message_dict
    assert not Condition.objects.exists()


# Hostile text -------------------------------------------------------------------------------


def test_markup_in_names_is_stored_as_typed(reception: User) -> None:
    patient = make_patient(by=reception, full_name=HOSTILE_NAME, social_name="<b>Bia</b>")
    row = stored(patient)
    assert row.full_name == HOSTILE_NAME
    assert row.social_name == "<b>Bia</b>"


@pytest.fixture
def hostile_patient(reception: User) -> Patient:
    return make_patient(by=reception, full_name=HOSTILE_NAME)


@pytest.mark.parametrize("url", ["/patients/?q=silva", "/patients/{pk}/"], ids=["search", "chart"])
def test_markup_in_names_is_escaped_on_pages(
    client_for: Callable[[User], Client], reception: User, hostile_patient: Patient, url: str
) -> None:
    response = client_for(reception).get(url.format(pk=hostile_patient.pk))

    html = response.content.decode()
    assert response.status_code == 200
    assert "&lt;script&gt;alert(1)&lt;/script&gt; Silva" in html
    assert "<script>alert(1)" not in html


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"mobile_phone": "12345"}, "mobile_phone"),
        ({"home_phone": "não tenho"}, "home_phone"),
        # Plausible lengths, but numbers that cannot exist: no reminder may go to them.
        ({"mobile_phone": "(00) 91234-5678"}, "mobile_phone"),
        ({"mobile_phone": "+5599999999999"}, "mobile_phone"),
        ({"home_phone": "(11) 0000-0000"}, "home_phone"),
        ({"cep": "0131-0100"}, "cep"),
        # Letters inside a CPF or a CNS are refused, not dropped into a number nobody typed.
        ({"cpf": "206a108b86517"}, "cpf"),
        ({"cns": "7x0000000000000"}, "cns"),
        ({"email": "maria@"}, "email"),
        ({"mobile_phone": "", "reminder_channel": "whatsapp"}, "mobile_phone"),
        ({"email": "", "reminder_channel": "email"}, "email"),
    ],
)
def test_the_service_refuses_what_the_form_would_refuse(overrides: dict[str, Any], field: str) -> None:
    """A caller that bypasses the form (an import, another app) cannot store a value silently dropped or wrong."""
    author = User.objects.create(username="importer")
    with pytest.raises(ValidationError) as refused:
        services.patient_register(by=author, **patient_data(**overrides))
    assert field in refused.value.message_dict
    assert not Patient.objects.exists()


@pytest.mark.parametrize(
    ("fields", "contact_phone", "error"),
    [
        ({"mobile_phone": "(00) 91234-5678"}, "(11) 91234-5678", "mobile_phone"),
        ({"home_phone": "00000000000"}, "(11) 91234-5678", "home_phone"),
        ({}, "(99) 99999-9999", "emergency_contacts"),
    ],
    ids=["mobile-area-code-00", "home-all-zeros", "contact-all-nines"],
)
def test_an_update_with_an_impossible_phone_keeps_the_stored_record(
    reception: User, fields: dict[str, str], contact_phone: str, error: str
) -> None:
    patient = make_patient(by=reception, mobile_phone="+5511987654321", home_phone="+551134567890")
    EmergencyContact.objects.create(patient=patient, name="Maria", relationship="mãe", phone="+5511912345678")
    columns = [f.attname for f in Patient._meta.concrete_fields]
    before = Patient.objects.values(*columns).get(pk=patient.pk)

    with pytest.raises(ValidationError) as caught:
        services.patient_update(
            patient=patient,
            by=reception,
            social_name="Nome Novo",
            contacts=[services.ContactData(name="Maria", relationship="mãe", phone=contact_phone)],
            **fields,
        )

    assert list(caught.value.message_dict) == [error]
    assert Patient.objects.values(*columns).get(pk=patient.pk) == before
    assert list(EmergencyContact.objects.values_list("name", "phone")) == [("Maria", "+5511912345678")]
    assert stored(patient).history.count() == 1  # type: ignore[attr-defined]


@pytest.mark.parametrize("number", ["+550912345678", "+5511000000000", "+5599999999999"])
def test_a_number_stored_before_the_rule_is_no_reminder_target(reception: User, number: str) -> None:
    patient = make_patient(by=reception, mobile_phone="+5511987654321", reminder_channel="whatsapp")
    assert message_address(stored(patient)) == ("whatsapp", "+5511987654321")
    # Written straight to the table, as rows registered under the old, looser check were.
    Patient.objects.filter(pk=patient.pk).update(mobile_phone=number)

    assert message_address(stored(patient)) is None


def test_an_update_with_an_unreadable_phone_keeps_the_stored_one() -> None:
    patient = make_patient(mobile_phone="+5511987654321")
    with pytest.raises(ValidationError):
        services.patient_update(patient=patient, by=patient.created_by, mobile_phone="abc")
    patient.refresh_from_db()
    assert patient.mobile_phone == "+5511987654321"
