"""Realistic Brazilian patients, fast enough for the 1,000,000-patient benchmark.

Names, streets and districts come from Faker's pt_BR word lists, drawn with a seeded random
generator (Faker's own per-call API is too slow at a million rows). Rows go in with COPY.

What makes them read as real: no word twice in a name ("da da Cruz", "Evelyn Evelyn"); the CEP
in the range of the patient's city (of the state elsewhere: ``clinic.brazil.CEP_RANGES_BY_UF``);
mobile and home numbers of the city's area code, as Anatel numbers them; an emergency contact
whose relationship fits their sex and the patient's age, relatives with the patient's family name.
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

from clinic.brazil import CEP_RANGES_BY_UF, cpf_check_digits
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
_SINGLE_FEMALE = [name for name in _FEMALE if " " not in name]
_SINGLE_MALE = [name for name in _MALE if " " not in name]
# Faker's list, less what reads as a word rather than a family name ("Costela", "Pastor") or as a
# woman's second given name ("Aparecida").
_SURNAMES = [
    name for name in PersonProvider.last_names if name not in {"Aparecida", "Casa Grande", "Costela", "Pastor"}
]
# Family names often written with their particle: "dos Santos", "da Silva", "de Souza".
_PARTICLE_OF = {
    "Silva": "da",
    "Costa": "da",
    "Rocha": "da",
    "Cunha": "da",
    "Fonseca": "da",
    "Santos": "dos",
    "Nascimento": "do",
    "Souza": "de",
    "Sousa": "de",
    "Oliveira": "de",
    "Jesus": "de",
    "Almeida": "de",
    "Lima": "de",
    "Moraes": "de",
    "Freitas": "de",
    "Andrade": "de",
    "Carvalho": "de",
    "Castro": "de",
    "Melo": "de",
}
# Spellings of one family name: a name never carries both.
_SAME_NAME = {"souza": "sousa", "novais": "novaes", "cavalcanti": "cavalcante"}
_STREET_PREFIXES = ["Rua", "Avenida", "Travessa", "Alameda", "Rua"]
# Faker's districts are Belo Horizonte's; its numbered sections ("Aparecida 7ª Seção") are left out.
_DISTRICTS = [name for name in AddressProvider.bairros if not any(char.isdigit() for char in name)]

# The demo's cities: area code (DDD) and the city's CEP ranges. Elsewhere the state's CEPs and a
# capital's DDD are used.
_CITIES: dict[str, tuple[str, tuple[tuple[int, int], ...]]] = {
    "São Paulo": ("11", ((1_000_000, 5_999_999), (8_000_000, 8_499_999))),
    "Campinas": ("19", ((13_000_000, 13_139_999),)),
    "Rio de Janeiro": ("21", ((20_000_000, 23_799_999),)),
    "Belo Horizonte": ("31", ((30_000_000, 31_999_999),)),
    "Curitiba": ("41", ((80_000_000, 82_999_999),)),
    "Porto Alegre": ("51", ((90_000_000, 91_999_999),)),
    "Florianópolis": ("48", ((88_000_000, 88_099_999),)),
    "Vitória": ("27", ((29_000_000, 29_099_999),)),
    "Brasília": ("61", ((70_000_000, 72_799_999), (73_000_000, 73_699_999))),
    "Goiânia": ("62", ((74_000_000, 74_899_999),)),
    "Salvador": ("71", ((40_000_000, 42_599_999),)),
    "Recife": ("81", ((50_000_000, 52_999_999),)),
    "Fortaleza": ("85", ((60_000_000, 61_599_999),)),
    "Natal": ("84", ((59_000_000, 59_139_999),)),
    "João Pessoa": ("83", ((58_000_000, 58_099_999),)),
    "Belém": ("91", ((66_000_000, 66_999_999),)),
    "Manaus": ("92", ((69_000_000, 69_099_999),)),
    "Cuiabá": ("65", ((78_000_000, 78_109_999),)),
    "Campo Grande": ("67", ((79_000_000, 79_129_999),)),
    "Porto Velho": ("69", ((76_800_000, 76_834_999),)),
}
_CAPITAL_DDD = {
    "AC": "68", "AL": "82", "AP": "96", "AM": "92", "BA": "71", "CE": "85", "DF": "61", "ES": "27", "GO": "62",
    "MA": "98", "MT": "65", "MS": "67", "MG": "31", "PA": "91", "PB": "83", "PR": "41", "PE": "81", "PI": "86",
    "RJ": "21", "RN": "84", "RS": "51", "RO": "69", "RR": "95", "SC": "48", "SP": "11", "SE": "79", "TO": "63",
}  # fmt: skip

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


def _key(word: str) -> str:
    plain = search_text(word)
    return _SAME_NAME.get(plain, plain)


# Worked out once: at a million patients the names' words are compared tens of millions of times.
_KEYS = {word: _key(word) for name in (*_FEMALE, *_MALE, *_SURNAMES, *_PARTICLE_OF.values()) for word in name.split()}


def _distinct(words: list[str]) -> bool:
    """No word twice (particles included, accents and spellings of one name aside)."""
    keys = {_KEYS.get(word) or _key(word) for word in words}
    return len(keys) == len(words)


def _given(rng: random.Random, sex: str) -> str:
    names = _FEMALE if sex == "F" else _MALE
    first = rng.choice(names)
    if " " not in first and rng.random() < 0.25:
        return f"{first} {rng.choice(_SINGLE_FEMALE if sex == 'F' else _SINGLE_MALE)}"
    return first


def _surname(rng: random.Random) -> str:
    surname = rng.choice(_SURNAMES)
    particle = _PARTICLE_OF.get(surname)
    return f"{particle} {surname}" if particle and rng.random() < 0.4 else surname


def _name(rng: random.Random, sex: str, *, family: str = "") -> str:
    """A given name (sometimes two) and two family names, ``family`` (a relative's) the last if given."""
    while True:
        name = f"{_given(rng, sex)} {_surname(rng)} {family or _surname(rng)}"
        if _distinct(name.split()):
            return name


def family_name(full_name: str) -> str:
    """The last family name, with its particle: "dos Santos" of "Ana Lima dos Santos"."""
    words = full_name.split()
    return " ".join(words[-2:]) if len(words) > 2 and words[-2] in {"da", "de", "do", "das", "dos"} else words[-1]


def _cep(rng: random.Random, city: str, uf: str) -> str:
    ranges = _CITIES[city][1] if city in _CITIES else CEP_RANGES_BY_UF[uf]
    first, last = rng.choice(ranges)
    return f"{rng.randint(first, last):08d}"


def _area_code(city: str, uf: str) -> str:
    return _CITIES[city][0] if city in _CITIES else _CAPITAL_DDD[uf]


def _street(rng: random.Random) -> str:
    """Named after someone, as most streets are: "Rua Helena Cardoso" (given names and family names share no word)."""
    given = rng.choice(_SINGLE_FEMALE if rng.random() < 0.5 else _SINGLE_MALE)
    return f"{rng.choice(_STREET_PREFIXES)} {given} {_surname(rng)}"


def _subscriber(rng: random.Random, first: str, digits: int) -> str:
    """``first`` and random digits, not all one digit (what people type to get past a field)."""
    while True:
        number = f"{first}{rng.randint(10 ** (digits - 2), 10 ** (digits - 1) - 1)}"
        if len(set(number)) > 1:
            return number


def mobile_phone(rng: random.Random, area_code: str) -> str:
    """A mobile number as Anatel numbers them: the area code, then nine digits starting with 9."""
    return f"+55{area_code}{_subscriber(rng, '9', 9)}"


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
        clinic_id, city, uf = clinics[index % len(clinics)]
        ddd = _area_code(city, uf)
        mobile = mobile_phone(rng, ddd)
        home = f"+55{ddd}{_subscriber(rng, '3', 8)}" if rng.random() < 0.2 else ""
        email = f"{search_text(full_name).split()[0]}.{index}@exemplo.com.br" if rng.random() < 0.6 else ""
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
            encrypt(_cep(rng, city, uf)),
            encrypt(_street(rng)),
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
# An emergency contact's relationship to the patient, and the contact's sex (None: either).
RELATIONSHIPS: dict[str, str | None] = {
    "Mãe": "F",
    "Pai": "M",
    "Avó": "F",
    "Avô": "M",
    "Tia": "F",
    "Tio": "M",
    "Irmã": "F",
    "Irmão": "M",
    "Esposa": "F",
    "Esposo": "M",
    "Companheira": "F",
    "Companheiro": "M",
    "Cônjuge": None,
    "Filha": "F",
    "Filho": "M",
    "Neta": "F",
    "Neto": "M",
    "Amiga": "F",
    "Amigo": "M",
}
# Relatives who usually carry the patient's last family name.
_FAMILY = {"Mãe", "Pai", "Avó", "Avô", "Tia", "Tio", "Irmã", "Irmão", "Filha", "Filho", "Neta", "Neto"}
# Who is called in an emergency, by the patient's age: (up to this age, relationships; repeated is likelier).
_CONTACTS_BY_AGE = [
    (17, ["Mãe", "Mãe", "Mãe", "Pai", "Pai", "Avó", "Avô", "Tia", "Tio"]),
    (
        39,
        ["Mãe", "Pai", "Esposa", "Esposo", "Companheira", "Companheiro", "Cônjuge", "Irmã", "Irmão", "Amiga", "Amigo"],
    ),
    (64, ["Esposa", "Esposo", "Cônjuge", "Companheira", "Companheiro", "Filha", "Filho", "Irmã", "Irmão", "Amiga"]),
    (200, ["Filha", "Filha", "Filho", "Filho", "Esposa", "Esposo", "Neta", "Neto", "Irmã", "Irmão"]),
]


def emergency_contact(rng: random.Random, *, full_name: str, age: int, city: str, uf: str) -> tuple[str, str, str]:
    """Name, relationship and mobile of someone to call for a patient of that name, age and city."""
    relationship = rng.choice(next(choices for up_to, choices in _CONTACTS_BY_AGE if age <= up_to))
    sex = RELATIONSHIPS[relationship] or rng.choice("FM")
    family = family_name(full_name) if relationship in _FAMILY else ""
    return _name(rng, sex, family=family), relationship, mobile_phone(rng, _area_code(city, uf))


@transaction.atomic
def load(stdout: Output) -> None:
    existing = Patient.objects.filter(cpf_hash=blind_index(cpf_for(DEMO_CPF_START))).exists()
    if existing:
        stdout.write(f"patients: {Patient.objects.count()} (demo patients already loaded)\n")
        return
    before = Patient.objects.order_by("-id").values_list("id", flat=True).first() or 0
    copy_patients(patient_rows(DEMO_PATIENTS, seed=2026, cpf_start=DEMO_CPF_START, clinics=clinic_places()))
    rng = random.Random(7)
    today = timezone.localdate()
    patients = (
        Patient.objects.filter(id__gt=before).order_by("id").values_list("id", "full_name", "birth_date", "city", "uf")
    )
    contacts, conditions, medications, allergies = [], [], [], []
    for patient_id, full_name, birth_date, city, uf in patients:
        age = today.year - birth_date.year - ((today.month, today.day) < (birth_date.month, birth_date.day))
        name, relationship, phone = emergency_contact(rng, full_name=full_name, age=age, city=city, uf=uf)
        contacts.append(EmergencyContact(patient_id=patient_id, name=name, relationship=relationship, phone=phone))
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
