"""The demo patients read as real people (patients/demo.py; the benchmark's generator writes its
million with the same code): names without a word twice, emergency contacts whose relationship fits
their sex and the patient's age, CEPs of the patient's state, phones of the city's area code that
the numbering plan has."""

from __future__ import annotations

import io
import re
from collections import Counter
from datetime import date
from itertools import pairwise

import phonenumbers
import pytest
from django.utils import timezone
from faker.providers.person.pt_BR import Provider as PersonProvider

from clinic import demo as clinic_demo
from clinic.brazil import uf_for_cep
from clinic.models import Clinic
from patients import demo
from patients.models import EmergencyContact, Patient
from patients.normalize import search_text

pytestmark = pytest.mark.django_db

PARTICLES = {"da", "de", "do", "das", "dos", "e"}
FEMALE, MALE = set(PersonProvider.first_names_female), set(PersonProvider.first_names_male)
CONTACT_SEX = {
    **dict.fromkeys(["Mãe", "Avó", "Tia", "Irmã", "Esposa", "Companheira", "Filha", "Neta", "Amiga"], "F"),
    **dict.fromkeys(["Pai", "Avô", "Tio", "Irmão", "Esposo", "Companheiro", "Filho", "Neto", "Amigo"], "M"),
    "Cônjuge": None,
}
# Who a child cannot have yet; who somebody young has no longer, or not yet.
NOT_FOR_CHILDREN = {"Esposa", "Esposo", "Companheira", "Companheiro", "Cônjuge", "Filha", "Filho", "Neta", "Neto"}
NOT_UNDER_40 = {"Filha", "Filho", "Neta", "Neto"}
# The area code of each demo city (Anatel).
AREA_CODES = {
    "São Paulo": "11",
    "Campinas": "19",
    "Rio de Janeiro": "21",
    "Belo Horizonte": "31",
    "Curitiba": "41",
    "Porto Alegre": "51",
    "Florianópolis": "48",
    "Vitória": "27",
    "Brasília": "61",
    "Goiânia": "62",
    "Salvador": "71",
    "Recife": "81",
    "Fortaleza": "85",
    "Natal": "84",
    "João Pessoa": "83",
    "Belém": "91",
    "Manaus": "92",
    "Cuiabá": "65",
    "Campo Grande": "67",
    "Porto Velho": "69",
}


@pytest.fixture
def patients() -> list[Patient]:
    clinic_demo.load(io.StringIO())
    demo.load(io.StringIO())
    return list(Patient.objects.prefetch_related("emergency_contacts").order_by("pk"))


def _flaws(name: str) -> list[str]:
    words = name.split()
    keys = [search_text(word) for word in words]
    flaws = [f"{word} twice" for word, count in Counter(keys).items() if count > 1]
    flaws += [f"{a} {b}" for a, b in pairwise(keys) if a in PARTICLES and b in PARTICLES]
    if len(words) < 3 or keys[0] in PARTICLES or keys[-1] in PARTICLES:
        flaws.append("not a given name and family names")
    return flaws


def _sex(name: str) -> str | None:
    """F or M by the given name (Faker's two lists share none)."""
    female = any(name == given or name.startswith(f"{given} ") for given in FEMALE)
    male = any(name == given or name.startswith(f"{given} ") for given in MALE)
    return "F" if female and not male else "M" if male and not female else None


def _age(born: date, today: date) -> int:
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def test_names_have_no_word_twice(patients: list[Patient]) -> None:
    names = [p.full_name for p in patients] + [c.name for p in patients for c in p.emergency_contacts.all()]
    assert len(names) == 2 * demo.DEMO_PATIENTS
    assert {name: _flaws(name) for name in names if _flaws(name)} == {}
    assert all(_sex(p.full_name) == p.sex for p in patients)


def test_names_have_no_word_twice_in_the_benchmarks_numbers() -> None:
    # The benchmark draws a million with the same code: ten times the demo's cover its rarer draws.
    rows = demo.patient_rows(20_000, seed=1, cpf_start=demo.BENCH_CPF_START, clinics=[(1, "Recife", "PE")])
    assert [name for name, *_rest in rows if _flaws(name)] == []


def test_emergency_contacts_fit_their_sex_and_the_patients_age(patients: list[Patient]) -> None:
    today = timezone.localdate()
    wrong = []
    for patient in patients:
        (contact,) = patient.emergency_contacts.all()
        age = _age(patient.birth_date, today)
        sex = CONTACT_SEX[contact.relationship]
        if sex is not None and _sex(contact.name) != sex:
            wrong.append((contact.name, contact.relationship))
        if (age < 18 and contact.relationship in NOT_FOR_CHILDREN) or (
            age < 40 and contact.relationship in NOT_UNDER_40
        ):
            wrong.append((age, contact.relationship))
    assert wrong == []
    # Parents and children carry the patient's family name.
    family = [
        (p.full_name, c.name)
        for p in patients
        for c in p.emergency_contacts.all()
        if c.relationship in {"Mãe", "Pai", "Filha", "Filho"}
    ]
    assert family and all(contact.endswith(demo.family_name(name)) for name, contact in family)


def test_every_cep_is_of_the_addresses_state(patients: list[Patient]) -> None:
    assert [(c.code, c.cep) for c in Clinic.objects.all() if uf_for_cep(c.cep) != c.uf] == []
    assert [(p.city, p.uf, p.cep) for p in patients if uf_for_cep(p.cep) != p.uf] == []
    assert len({p.city for p in patients}) == len(clinic_demo.CLINICS)


def test_every_phone_is_a_number_of_the_patients_city(patients: list[Patient]) -> None:
    wrong = []
    for patient in patients:
        phones = [(patient.mobile_phone, phonenumbers.PhoneNumberType.MOBILE)]
        phones += [(patient.home_phone, phonenumbers.PhoneNumberType.FIXED_LINE)] if patient.home_phone else []
        phones += [(c.phone, phonenumbers.PhoneNumberType.MOBILE) for c in patient.emergency_contacts.all()]
        for phone, kind in phones:
            number = phonenumbers.parse(phone)
            if (
                not phonenumbers.is_valid_number(number)
                or phonenumbers.number_type(number) != kind
                or not re.fullmatch(rf"\+55{AREA_CODES[patient.city]}\d{{8,9}}", phone)
            ):
                wrong.append((patient.city, phone))
    assert wrong == []


def test_a_second_run_adds_nobody() -> None:
    clinic_demo.load(io.StringIO())
    demo.load(io.StringIO())
    demo.load(io.StringIO())
    assert Patient.objects.count() == EmergencyContact.objects.count() == demo.DEMO_PATIENTS


@pytest.mark.parametrize(
    ("cep", "uf"),
    [
        ("01000-000", "SP"),
        ("19999999", "SP"),
        ("70390-100", "DF"),  # Brasília, Asa Sul
        ("72800-000", "GO"),  # between DF's two blocks
        ("73000-000", "DF"),
        ("73700-000", "GO"),
        ("51020-010", "PE"),
        ("69300-000", "RR"),  # inside AM's range
        ("69400-000", "AM"),
        ("78900-000", None),  # no UF's
        ("00999-999", None),
        ("1234-567", None),
        ("", None),
    ],
)
def test_the_cep_table_gives_the_state(cep: str, uf: str | None) -> None:
    assert uf_for_cep(cep) == uf
