"""The registry through the pages, as the people who use them."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from html import unescape
from typing import Any

import pytest
from django.test import Client
from django.utils.html import escape

from clinic.brazil import format_cpf
from clinic.models import Clinic
from patients.models import Allergy, Condition, EmergencyContact, Medication, Patient, PatientStatus
from staff import roles
from staff.models import User
from tests.factories import make_patient, unique_cpf

pytestmark = pytest.mark.django_db


def registration_form(clinic: Clinic, **overrides: Any) -> dict[str, Any]:
    form = {
        "full_name": "Maria José dos Santos",
        "social_name": "",
        "birth_date": "1984-03-12",
        "sex": "F",
        "cpf": format_cpf(unique_cpf()),
        "cns": "",
        "mobile_phone": "(11) 98765-4321",
        "home_phone": "",
        "email": "maria.santos@example.com",
        "reminder_channel": "whatsapp",
        "cep": "01310-100",
        "street": "Avenida Paulista",
        "number": "1000",
        "complement": "apto 12",
        "district": "Bela Vista",
        "city": "São Paulo",
        "uf": "SP",
        "home_clinic": str(clinic.pk),
        "contacts-TOTAL_FORMS": "1",
        "contacts-INITIAL_FORMS": "0",
        "contacts-MIN_NUM_FORMS": "0",
        "contacts-MAX_NUM_FORMS": "5",
        "contacts-0-name": "José dos Santos",
        "contacts-0-relationship": "Pai",
        "contacts-0-phone": "11 3333-4444",
    }
    form.update(overrides)
    return form


@pytest.fixture
def reception_client(reception: User, client_for: Callable[[User], Client]) -> Client:
    return client_for(reception)


def test_reception_registers_a_patient_with_an_emergency_contact(reception_client: Client, clinic: Clinic) -> None:
    form = registration_form(clinic)
    response = reception_client.post("/patients/new/", form)
    patient = Patient.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/patients/{patient.pk}/"
    assert patient.mobile_phone == "+5511987654321"
    assert patient.cep == "01310100"
    assert patient.home_clinic == clinic
    contact = EmergencyContact.objects.get(patient=patient)
    assert (contact.name, contact.relationship, contact.phone) == ("José dos Santos", "Pai", "+551133334444")
    page = reception_client.get(response["Location"]).content.decode()
    assert "Maria José dos Santos" in page
    assert "José dos Santos" in page


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("cpf", "123.456.789-00", "This CPF is not valid"),
        ("cpf", "111.111.111-11", "This CPF is not valid"),
        ("birth_date", "2999-01-01", "cannot be in the future"),
        ("birth_date", "31/02/2000", "Enter a valid date"),
        ("cns", "123456789012345", "This CNS is not valid"),
        ("cep", "0131-0100", "A CEP has eight digits"),
        ("mobile_phone", "12345", "not a valid phone number"),
        ("email", "maria@", "Enter a valid email address"),
        ("full_name", "Maria", "first name and surname"),
        ("contacts-0-phone", "abc", "not a valid phone number"),
    ],
)
def test_bad_input_is_refused_next_to_the_field_and_kept(
    reception_client: Client, clinic: Clinic, field: str, value: str, message: str
) -> None:
    response = reception_client.post(
        "/patients/new/", registration_form(clinic, **{field: value}), HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 200
    assert message in response.content.decode()
    assert f'value="{value}"' in response.content.decode()  # what the person typed is still there
    assert not Patient.objects.exists()


def test_sms_reminders_need_a_mobile_phone(reception_client: Client, clinic: Clinic) -> None:
    form = registration_form(clinic, mobile_phone="", reminder_channel="sms")
    response = reception_client.post("/patients/new/", form, HTTP_ACCEPT_LANGUAGE="en")
    assert "Reminders by SMS or WhatsApp need a mobile phone." in response.content.decode()
    assert not Patient.objects.exists()


def test_an_already_registered_cpf_gets_a_clear_message(
    reception: User, reception_client: Client, clinic: Clinic
) -> None:
    existing = make_patient(by=reception)
    form = registration_form(clinic, cpf=format_cpf(existing.cpf), full_name="Outra Pessoa Qualquer")
    response = reception_client.post("/patients/new/", form, HTTP_ACCEPT_LANGUAGE="en")
    assert "A patient with this CPF is already registered." in response.content.decode()
    assert Patient.objects.count() == 1


def test_possible_duplicates_are_shown_before_saving(reception: User, reception_client: Client, clinic: Clinic) -> None:
    twin = make_patient(by=reception, full_name="Maria José dos Santos", birth_date=date(1984, 3, 12))
    twin.refresh_from_db()
    form = registration_form(clinic)
    response = reception_client.post("/patients/new/", form, HTTP_ACCEPT_LANGUAGE="en")
    page = response.content.decode()
    assert response.status_code == 200
    assert 'data-testid="duplicates"' in page
    assert f"/patients/{twin.pk}/" in page
    assert Patient.objects.count() == 1
    response = reception_client.post("/patients/new/", {**form, "confirm_not_duplicate": "on"})
    assert response.status_code == 302
    assert Patient.objects.count() == 2


def test_same_phone_is_a_possible_duplicate(reception: User, reception_client: Client, clinic: Clinic) -> None:
    make_patient(by=reception, full_name="Pedro Alves Lima", mobile_phone="+5511987654321")
    response = reception_client.post("/patients/new/", registration_form(clinic))
    assert "Pedro Alves Lima" in response.content.decode()
    assert Patient.objects.count() == 1


def test_edit_keeps_the_record_and_replaces_contacts(reception: User, reception_client: Client, clinic: Clinic) -> None:
    patient = make_patient(by=reception, full_name="Carla Dias Rocha")
    EmergencyContact.objects.create(patient=patient, name="Antigo", relationship="Tio", phone="+5511911112222")
    form = registration_form(
        clinic,
        cpf=format_cpf(patient.cpf),
        full_name="Carla Dias Rocha",
        social_name="Carla Rocha",
        **{"contacts-0-name": "Novo Contato"},
    )
    response = reception_client.post(f"/patients/{patient.pk}/edit/", form)
    assert response.status_code == 302
    patient.refresh_from_db()
    assert patient.social_name == "Carla Rocha"
    assert patient.display_name == "Carla Rocha"
    assert list(patient.emergency_contacts.values_list("name", flat=True)) == ["Novo Contato"]
    assert patient.history.count() == 2


def test_edit_with_bad_input_changes_nothing(reception: User, reception_client: Client, clinic: Clinic) -> None:
    patient = make_patient(by=reception, full_name="Carla Dias Rocha")
    form = registration_form(clinic, cpf=format_cpf(patient.cpf), full_name="Carla Dias Rocha", birth_date="2999-01-01")
    response = reception_client.post(f"/patients/{patient.pk}/edit/", form)
    assert response.status_code == 200
    patient.refresh_from_db()
    assert patient.birth_date.year < 2999
    assert patient.history.count() == 1


PHONE_MESSAGE = "This is not a valid phone number; include the area code (DDD)."
CPF_CHARACTERS = "A CPF has only digits, with dots and a dash if you like, as in 529.982.247-25."
CNS_CHARACTERS = "A CNS has only its 15 digits, with spaces between the groups if you like."

# Each passed the old checks: a plausible length for phones, the digits left after dropping letters
# for the CPF (206.108.865-17) and the CNS (898 0010 0000 0003).
REFUSED_INPUT = [
    ("mobile_phone", "(00) 91234-5678", PHONE_MESSAGE),
    ("mobile_phone", "(99) 99999-9999", PHONE_MESSAGE),
    ("home_phone", "(11) 0000-0000", PHONE_MESSAGE),
    ("contacts-0-phone", "(00) 3333-4444", PHONE_MESSAGE),
    ("cpf", "206a108b86517", CPF_CHARACTERS),
    ("cns", "898a001000000003", CNS_CHARACTERS),
]
REFUSED_IDS = ["area-code-00", "all-nines", "all-zeros", "contact-area-code-00", "cpf-letters", "cns-letter"]


def errors_next_to(html: str, field: str) -> list[str]:
    """The messages shown under the input of ``field`` (the paragraphs its aria-describedby names)."""
    pattern = rf'<p id="error_\d+_id_{re.escape(field)}"><strong>(.*?)</strong></p>'
    return [unescape(message) for message in re.findall(pattern, html)]


@pytest.mark.parametrize(("field", "value", "message"), REFUSED_INPUT, ids=REFUSED_IDS)
def test_registration_refuses_impossible_phones_and_stray_characters_next_to_the_field(
    reception_client: Client, clinic: Clinic, field: str, value: str, message: str
) -> None:
    response = reception_client.post(
        "/patients/new/", registration_form(clinic, **{field: value}), HTTP_ACCEPT_LANGUAGE="en"
    )

    assert response.status_code == 200
    html = response.content.decode()
    assert errors_next_to(html, field) == [message]
    assert f'value="{escape(value)}"' in html  # what the person typed is still there to correct
    assert not Patient.objects.exists()
    assert not EmergencyContact.objects.exists()


@pytest.mark.parametrize(("field", "value", "message"), REFUSED_INPUT, ids=REFUSED_IDS)
def test_edit_with_an_impossible_phone_or_stray_characters_changes_nothing(
    reception: User, reception_client: Client, clinic: Clinic, field: str, value: str, message: str
) -> None:
    patient = make_patient(
        by=reception, full_name="Carla Dias Rocha", mobile_phone="+5511987654321", home_phone="+551134567890"
    )
    EmergencyContact.objects.create(patient=patient, name="Antigo", relationship="Tio", phone="+5511911112222")
    columns = [f.attname for f in Patient._meta.concrete_fields]
    before = Patient.objects.values(*columns).get(pk=patient.pk)
    contacts_before = list(EmergencyContact.objects.values("name", "relationship", "phone"))
    # A change that would be saved along with the bad value, had the bad value been taken.
    typed = {"cpf": format_cpf(patient.cpf), "full_name": "Carla Dias Rocha", "social_name": "Carla Rocha"}
    form = registration_form(clinic, **{**typed, field: value})

    response = reception_client.post(f"/patients/{patient.pk}/edit/", form, HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 200
    assert errors_next_to(response.content.decode(), field) == [message]
    assert Patient.objects.values(*columns).get(pk=patient.pk) == before
    assert list(EmergencyContact.objects.values("name", "relationship", "phone")) == contacts_before
    assert patient.history.count() == 1  # type: ignore[attr-defined]


def test_an_impossible_number_in_the_search_box_finds_nobody(reception: User, reception_client: Client) -> None:
    # Search reads phones by the same rule as storing: no stored number can fail it.
    make_patient(by=reception, full_name="Pedro Alves Lima", mobile_phone="+5511987654321")

    response = reception_client.get("/patients/", {"q": "(00) 98765-4321"})

    assert response.status_code == 200
    assert list(response.context["patients"]) == []
    assert "Pedro Alves Lima" not in response.content.decode()


def test_social_name_is_shown_in_place_of_the_civil_name(reception: User, reception_client: Client) -> None:
    patient = make_patient(by=reception, full_name="João Carlos Pereira", social_name="Joana Pereira")
    page = reception_client.get(f"/patients/{patient.pk}/").content.decode()
    assert "<title>Joana Pereira" in page
    assert "civil name" in page or "nome civil" in page


def test_chart_header_shows_age_masked_cpf_and_status(reception: User, reception_client: Client) -> None:
    patient = make_patient(by=reception, cpf="52998224725")
    page = reception_client.get(f"/patients/{patient.pk}/").content.decode()
    assert "***.982.247-**" in page
    assert "529.982.247-25" not in page
    assert "52998224725" not in page
    assert patient.get_status_display() in page


def test_allergy_banner_is_on_every_page_of_the_patient(
    make_user: Callable[..., User], client_for: Callable[[User], Client]
) -> None:
    nurse = make_user(roles.TRIAGE_NURSE)
    client = client_for(nurse)
    patient = make_patient(by=nurse)
    Allergy.objects.create(patient=patient, substance="Penicilina", reaction="anafilaxia", severity="life_threatening")
    pages = [
        f"/patients/{patient.pk}/",
        f"/patients/{patient.pk}/edit/",
        f"/patients/{patient.pk}/conditions/new/",
        f"/patients/{patient.pk}/medications/new/",
        f"/patients/{patient.pk}/allergies/new/",
        f"/patients/{patient.pk}/documents/new/",
    ]
    for path in pages:
        page = client.get(path).content.decode()
        assert 'data-testid="allergy-banner"' in page, path
        assert "Penicilina" in page, path


def test_nurse_records_history_and_it_shows_in_the_panel(
    make_user: Callable[..., User], client_for: Callable[[User], Client]
) -> None:
    nurse = make_user(roles.TRIAGE_NURSE)
    client = client_for(nurse)
    patient = make_patient(by=nurse)
    base = f"/patients/{patient.pk}"
    assert (
        client.post(
            f"{base}/conditions/new/", {"icd10_code": "e11.9", "description": "Diabetes tipo 2", "chronic": "on"}
        ).status_code
        == 302
    )
    assert (
        client.post(
            f"{base}/medications/new/", {"name": "Metformina", "dose": "850 mg", "frequency": "2x/dia"}
        ).status_code
        == 302
    )
    assert (
        client.post(
            f"{base}/allergies/new/", {"substance": "Dipirona", "reaction": "urticária", "severity": "moderate"}
        ).status_code
        == 302
    )
    condition = Condition.objects.get(patient=patient)
    assert condition.icd10_code == "E11.9"
    assert condition.recorded_by == nurse
    panel = client.get(f"{base}/panels/history/").content.decode()
    for text in ("E11.9", "Diabetes tipo 2", "Metformina", "850 mg", "Dipirona"):
        assert text in panel
    client.post(f"{base}/conditions/{condition.pk}/resolve/")
    client.post(f"{base}/medications/{Medication.objects.get().pk}/stop/")
    client.post(f"{base}/allergies/{Allergy.objects.get().pk}/deactivate/")
    condition.refresh_from_db()
    assert condition.status == Condition.Status.RESOLVED
    assert not Medication.objects.get().active
    assert not Allergy.objects.get().active


def test_invalid_icd10_code_is_refused(make_user: Callable[..., User], client_for: Callable[[User], Client]) -> None:
    nurse = make_user(roles.TRIAGE_NURSE)
    patient = make_patient(by=nurse)
    response = client_for(nurse).post(
        f"/patients/{patient.pk}/conditions/new/", {"icd10_code": "XYZ", "description": "?"}, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert "Choose a code from the ICD-10 list" in response.content.decode()
    assert not Condition.objects.exists()


def test_history_item_of_another_patient_is_not_found(
    make_user: Callable[..., User], client_for: Callable[[User], Client]
) -> None:
    nurse = make_user(roles.TRIAGE_NURSE)
    mine, other = make_patient(by=nurse), make_patient(by=nurse)
    condition = Condition.objects.create(patient=other, icd10_code="I10", description="Hipertensão")
    response = client_for(nurse).post(f"/patients/{mine.pk}/conditions/{condition.pk}/resolve/")
    assert response.status_code == 404
    condition.refresh_from_db()
    assert condition.status == Condition.Status.ACTIVE


def test_status_change_is_recorded_with_who_and_shown(
    make_user: Callable[..., User], client_for: Callable[[User], Client]
) -> None:
    doctor = make_user(roles.DOCTOR)
    client = client_for(doctor)
    patient = make_patient(by=doctor)
    response = client.post(
        f"/patients/{patient.pk}/status/", {"status": PatientStatus.OBSERVATION, "reason": "Dor torácica"}
    )
    assert response.status_code == 302
    patient.refresh_from_db()
    assert patient.status == PatientStatus.OBSERVATION
    change = patient.status_changes.get()
    assert (change.changed_by, change.from_status, change.reason) == (doctor, PatientStatus.OUTPATIENT, "Dor torácica")
    panel = client.get(f"/patients/{patient.pk}/panels/status/").content.decode()
    assert "Dor torácica" in panel


def test_unknown_status_changes_nothing(make_user: Callable[..., User], client_for: Callable[[User], Client]) -> None:
    doctor = make_user(roles.DOCTOR)
    patient = make_patient(by=doctor)
    client_for(doctor).post(f"/patients/{patient.pk}/status/", {"status": "flying"})
    patient.refresh_from_db()
    assert patient.status == PatientStatus.OUTPATIENT
    assert not patient.status_changes.exists()


def test_unknown_patient_is_a_404_in_the_site_look(reception_client: Client) -> None:
    response = reception_client.get("/patients/999999/")
    assert response.status_code == 404
    assert "navbar" in response.content.decode()


def test_chart_page_query_count_does_not_grow_with_the_history(
    make_user: Callable[..., User], client_for: Callable[[User], Client], django_assert_max_num_queries: Callable
) -> None:
    nurse = make_user(roles.TRIAGE_NURSE)
    client = client_for(nurse)
    patient = make_patient(by=nurse)
    paths = [
        f"/patients/{patient.pk}/",
        f"/patients/{patient.pk}/panels/history/",
        f"/patients/{patient.pk}/panels/documents/",
    ]

    def add(n: int) -> None:
        for i in range(n):
            Allergy.objects.create(patient=patient, substance=f"Substância {i}", severity="mild", recorded_by=nurse)
            Condition.objects.create(patient=patient, icd10_code="I10", description="Hipertensão", recorded_by=nurse)
            Medication.objects.create(
                patient=patient, name=f"Remédio {i}", dose="1 mg", frequency="1x", recorded_by=nurse
            )
            EmergencyContact.objects.create(
                patient=patient, name=f"Contato {i}", relationship="Filho", phone="+5511911112222"
            )

    add(1)
    counts = []
    for path in paths:
        with django_assert_max_num_queries(20) as captured:
            client.get(path)
        counts.append(len(captured.captured_queries))
    add(15)
    for path, count in zip(paths, counts, strict=True):
        with django_assert_max_num_queries(count):
            client.get(path)


def test_search_lists_the_best_matches_and_says_when_there_are_more(
    reception: User, reception_client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    from patients import selectors

    monkeypatch.setattr(selectors, "NAME_SEARCH_CANDIDATES", 3)
    for first in ("Ana", "Bruna", "Carla", "Daniela"):
        make_patient(by=reception, full_name=f"{first} Teixeira Lopes")
    exact = make_patient(by=reception, full_name="Teixeira Gomes Filho")
    page = reception_client.get("/patients/", {"q": "teixeira"})
    shown = page.context["patients"]
    assert len(shown) == 3
    assert 'data-testid="capped"' in page.content.decode()
    page = reception_client.get("/patients/", {"q": "teixeira gomes"})
    assert [p.pk for p in page.context["patients"]] == [exact.pk]
    assert 'data-testid="capped"' not in page.content.decode()
