"""Realistic Brazilian patients, fast enough for the 1,000,000-patient benchmark.

Names, streets and districts come from Faker's pt_BR word lists, drawn with a seeded random
generator (Faker's own per-call API is too slow at a million rows). Rows go in with COPY.
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Sequence
from datetime import timedelta
from typing import Any

from django.db import connection, transaction
from django.utils import timezone
from faker.providers.address.pt_BR import Provider as AddressProvider
from faker.providers.person.pt_BR import Provider as PersonProvider

from clinic.brazil import cpf_check_digits
from clinic.crypto import blind_index, encrypt
from clinic.demo import Output
from clinic.models import Clinic
from patients.models import Allergy, Condition, EmergencyContact, Medication, Patient, PatientStatus
from patients.normalize import search_text

DEMO_PATIENTS = 2000
# CPF ranges: demo patients and benchmark patients never collide.
DEMO_CPF_START = 100_000_000
BENCH_CPF_START = 300_000_000

_FEMALE = list(PersonProvider.first_names_female)
_MALE = list(PersonProvider.first_names_male)
_SURNAMES = list(PersonProvider.last_names)
_CONNECTORS = ["", "", "", "da ", "de ", "dos "]
_STREET_PREFIXES = ["Rua", "Avenida", "Travessa", "Alameda", "Rua"]
_DISTRICTS = list(AddressProvider.bairros)
_MOBILE_DDD = ["11", "21", "31", "41", "51", "61", "71", "81", "85", "91", "92", "48", "27", "62", "65", "67", "69"]

COLUMNS = [
    "full_name",
    "social_name",
    "search_name",
    "birth_date",
    "sex",
    "cpf",
    "cpf_hash",
    "cns",
    "cns_hash",
    "mobile_phone",
    "mobile_phone_hash",
    "home_phone",
    "home_phone_hash",
    "email",
    "email_hash",
    "cep",
    "street",
    "number",
    "complement",
    "district",
    "city",
    "uf",
    "reminder_channel",
    "status",
    "home_clinic_id",
    "created_at",
    "updated_at",
]


def cpf_for(sequence: int) -> str:
    nine = f"{sequence:09d}"
    return nine + cpf_check_digits(nine)


def _name(rng: random.Random, sex: str) -> str:
    first = rng.choice(_FEMALE if sex == "F" else _MALE)
    if rng.random() < 0.3:
        first += " " + rng.choice(_FEMALE if sex == "F" else _MALE)
    middle = rng.choice(_SURNAMES)
    last = rng.choice(_SURNAMES)
    return f"{first} {middle} {rng.choice(_CONNECTORS)}{last}"


def patient_rows(
    count: int, *, seed: int, cpf_start: int, clinics: Sequence[tuple[int, str, str]]
) -> Iterator[tuple[Any, ...]]:
    """Rows in COLUMNS order, values as stored (encrypted, hashed). ``clinics``: (id, city, uf)."""
    rng = random.Random(seed)
    now = timezone.now()
    today = timezone.localdate()
    for index in range(count):
        sex = "F" if rng.random() < 0.52 else "M"
        full_name = _name(rng, sex)
        social_name = ""
        birth = today - timedelta(days=rng.randint(0, 95 * 365))
        cpf = cpf_for(cpf_start + index)
        ddd = rng.choice(_MOBILE_DDD)
        mobile = f"+55{ddd}9{rng.randint(10_000_000, 99_999_999)}"
        home = f"+55{ddd}3{rng.randint(1_000_000, 9_999_999)}" if rng.random() < 0.2 else ""
        email = f"{search_text(full_name).split()[0]}.{index}@exemplo.com.br" if rng.random() < 0.6 else ""
        clinic_id, city, uf = clinics[index % len(clinics)]
        channel = (
            "email" if email and rng.random() < 0.3 else rng.choice(["sms", "sms", "whatsapp", "whatsapp", "none"])
        )
        yield (
            full_name,
            social_name,
            search_text(f"{full_name} {social_name}"),
            birth,
            sex,
            encrypt(cpf),
            blind_index(cpf),
            "",
            "",
            encrypt(mobile),
            blind_index(mobile),
            encrypt(home) if home else "",
            blind_index(home),
            encrypt(email) if email else "",
            blind_index(email),
            encrypt(f"{rng.randint(1_000_000, 99_999_999):08d}"),
            encrypt(f"{rng.choice(_STREET_PREFIXES)} {rng.choice(_SURNAMES)} {rng.choice(_SURNAMES)}"),
            encrypt(str(rng.randint(1, 3000))),
            encrypt(f"Apto {rng.randint(11, 154)}") if rng.random() < 0.3 else "",
            encrypt(rng.choice(_DISTRICTS)),
            city,
            uf,
            channel,
            PatientStatus.OUTPATIENT,
            clinic_id,
            now,
            now,
        )


def copy_patients(rows: Iterator[tuple[Any, ...]]) -> int:
    """COPY rows into the patient table; returns how many went in."""
    written = 0
    table = Patient._meta.db_table
    statement = f"COPY {table} ({', '.join(COLUMNS)}) FROM STDIN"
    with connection.cursor() as cursor, cursor.copy(statement) as copy:  # type: ignore[attr-defined]
        for row in rows:
            copy.write_row(row)
            written += 1
    return written


def clinic_places() -> list[tuple[int, str, str]]:
    return list(Clinic.objects.order_by("id").values_list("id", "city", "uf"))


ALLERGIES = [
    ("Dipirona", "urticária", "moderate"),
    ("Penicilina", "anafilaxia", "life_threatening"),
    ("Látex", "dermatite de contato", "mild"),
    ("Amendoim", "edema de glote", "severe"),
    ("Iodo (contraste)", "broncoespasmo", "severe"),
]
CONDITIONS = [
    ("I10", "Hipertensão essencial (primária)", True),
    ("E11.9", "Diabetes mellitus tipo 2 sem complicações", True),
    ("J45.9", "Asma não especificada", True),
    ("E78.0", "Hipercolesterolemia pura", True),
    ("M54.5", "Dor lombar baixa", False),
    ("J06.9", "Infecção aguda das vias aéreas superiores", False),
    ("F41.1", "Ansiedade generalizada", True),
    ("K21.9", "Doença de refluxo gastroesofágico", True),
]
MEDICATIONS = [
    ("Losartana", "50 mg", "1x ao dia"),
    ("Metformina", "850 mg", "2x ao dia"),
    ("Sinvastatina", "20 mg", "1x à noite"),
    ("Omeprazol", "20 mg", "em jejum"),
    ("Salbutamol spray", "100 mcg", "se necessário"),
    ("Sertralina", "50 mg", "1x ao dia"),
]
RELATIONSHIPS = ["Mãe", "Pai", "Cônjuge", "Filho(a)", "Irmão(ã)", "Amigo(a)"]


@transaction.atomic
def load(stdout: Output) -> None:
    existing = Patient.objects.filter(cpf_hash=blind_index(cpf_for(DEMO_CPF_START))).exists()
    if existing:
        stdout.write(f"patients: {Patient.objects.count()} (demo patients already loaded)\n")
        return
    copy_patients(patient_rows(DEMO_PATIENTS, seed=2026, cpf_start=DEMO_CPF_START, clinics=clinic_places()))
    rng = random.Random(7)
    patients = list(Patient.objects.order_by("id").values_list("id", flat=True)[:DEMO_PATIENTS])
    contacts, conditions, medications, allergies = [], [], [], []
    for patient_id in patients:
        contacts.append(
            EmergencyContact(
                patient_id=patient_id,
                name=_name(rng, rng.choice("FM")),
                relationship=rng.choice(RELATIONSHIPS),
                phone=f"+55119{rng.randint(10_000_000, 99_999_999)}",
            )
        )
        if rng.random() < 0.35:
            code, text, chronic = rng.choice(CONDITIONS)
            conditions.append(Condition(patient_id=patient_id, icd10_code=code, description=text, chronic=chronic))
            if chronic and rng.random() < 0.7:
                name, dose, frequency = rng.choice(MEDICATIONS)
                medications.append(Medication(patient_id=patient_id, name=name, dose=dose, frequency=frequency))
        if rng.random() < 0.12:
            substance, reaction, severity = rng.choice(ALLERGIES)
            allergies.append(Allergy(patient_id=patient_id, substance=substance, reaction=reaction, severity=severity))
    EmergencyContact.objects.bulk_create(contacts)
    Condition.objects.bulk_create(conditions)
    Medication.objects.bulk_create(medications)
    Allergy.objects.bulk_create(allergies)
    stdout.write(
        f"patients: {Patient.objects.count()} ({len(allergies)} with allergies, {len(conditions)} with conditions)\n"
    )
