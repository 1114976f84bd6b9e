"""Encryption at rest, blind indexes and key rotation (clinic/crypto.py, clinic/rotation.py)."""

from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
import time_machine
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP, format_hotp_value, hotp_value, validate_totp_code
from allauth.mfa.utils import decrypt as mfa_decrypt
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.db import connection

from clinic import crypto
from patients.models import Patient
from patients.selectors import patient_search
from staff.models import User
from tests.factories import make_patient

KEY_A = Fernet.generate_key().decode()
KEY_B = Fernet.generate_key().decode()
TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


def raw_columns(table: str, pk: int, *columns: str) -> tuple[Any, ...]:
    """Column values as stored, read past the ORM."""
    quoted = ", ".join(connection.ops.quote_name(c) for c in columns)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {quoted} FROM {connection.ops.quote_name(table)} WHERE id = %s", [pk])  # noqa: S608
        row = cursor.fetchone()
    assert row is not None
    return tuple(row)


def test_personal_data_is_stored_encrypted_and_read_plain(reception: User) -> None:
    patient = make_patient(by=reception, cpf="529.982.247-25", mobile_phone="(11) 98765-4321", street="Rua Augusta")

    raw_cpf, raw_phone, raw_street, cpf_hash = raw_columns(
        "patients_patient", patient.pk, "cpf", "mobile_phone", "street", "cpf_hash"
    )
    for raw, plain in ((raw_cpf, "52998224725"), (raw_phone, "+5511987654321"), (raw_street, "Rua Augusta")):
        assert raw.startswith("fernet:")
        assert plain not in raw
        assert crypto.decrypt(raw) == plain
    assert "52998224725" not in cpf_hash
    assert cpf_hash == crypto.blind_index("52998224725")

    stored = Patient.objects.get(pk=patient.pk)
    assert (stored.cpf, stored.mobile_phone, stored.street) == ("52998224725", "+5511987654321", "Rua Augusta")


def test_equal_values_encrypt_differently() -> None:
    # Fernet tokens carry a random IV: equal CPFs must not be recognisable from the ciphertext.
    first, second = crypto.encrypt("52998224725"), crypto.encrypt("52998224725")
    assert first != second
    assert crypto.decrypt(first) == crypto.decrypt(second) == "52998224725"


def test_empty_values_stay_empty(reception: User) -> None:
    patient = make_patient(by=reception, cns="", home_phone="", complement="")
    assert raw_columns("patients_patient", patient.pk, "cns", "home_phone", "complement", "cns_hash") == ("",) * 4


def test_blind_index_is_equal_for_equal_values_and_keyed(settings: Any) -> None:
    settings.BLIND_INDEX_KEY = "first-key"
    under_first = crypto.blind_index("52998224725")
    assert crypto.blind_index("52998224725") == under_first
    assert crypto.blind_index("11144477735") != under_first
    assert len(under_first) == 64
    assert crypto.blind_index("") == ""

    settings.BLIND_INDEX_KEY = "second-key"
    assert crypto.blind_index("52998224725") != under_first


def test_decrypt_refuses_values_that_are_not_tokens() -> None:
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt("52998224725")
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt("fernet:not-a-token")


@pytest.fixture
def under_key_a(settings: Any) -> Any:
    settings.FIELD_ENCRYPTION_KEYS = [KEY_A]
    return settings


@pytest.fixture
def patients_under_key_a(under_key_a: Any, reception: User) -> list[Patient]:
    patients = [
        make_patient(by=reception, cpf="529.982.247-25", mobile_phone="(11) 98765-4321", home_phone=""),
        make_patient(by=reception, cpf="111.444.777-35", mobile_phone="", home_phone="(21) 3456-7890"),
    ]
    # An edit, so that the history table also holds more than one encrypted version of the row.
    patients[0].email = "nova@exemplo.com.br"
    patients[0].save()
    return patients


def _searchable(patients: list[Patient]) -> None:
    """Every patient reads back and is found by CPF (typed both ways) and by phone."""
    first, second = patients
    assert Patient.objects.get(pk=first.pk).cpf == "52998224725"
    assert Patient.objects.get(pk=second.pk).home_phone == "+552134567890"
    assert list(patient_search(text="529.982.247-25")) == [first]
    assert list(patient_search(text="11144477735")) == [second]
    assert list(patient_search(text="(11) 98765-4321")) == [first]
    assert list(patient_search(text="21 3456-7890")) == [second]


def test_patients_stay_readable_and_searchable_after_key_rotation(
    under_key_a: Any, patients_under_key_a: list[Patient]
) -> None:
    before = raw_columns("patients_patient", patients_under_key_a[0].pk, "cpf")[0]

    under_key_a.FIELD_ENCRYPTION_KEYS = [KEY_B, KEY_A]
    call_command("rotate_encryption_keys", stdout=StringIO())

    under_key_a.FIELD_ENCRYPTION_KEYS = [KEY_B]
    after = raw_columns("patients_patient", patients_under_key_a[0].pk, "cpf")[0]
    assert after != before
    _searchable(patients_under_key_a)
    for version in Patient.history.filter(id=patients_under_key_a[0].pk):  # type: ignore[attr-defined]
        assert version.cpf == "52998224725"


def test_without_rotation_the_new_key_alone_cannot_read(under_key_a: Any, patients_under_key_a: list[Patient]) -> None:
    under_key_a.FIELD_ENCRYPTION_KEYS = [KEY_B]
    with pytest.raises(crypto.DecryptionError):
        Patient.objects.get(pk=patients_under_key_a[0].pk)


def test_after_rotation_the_old_key_alone_cannot_read(under_key_a: Any, patients_under_key_a: list[Patient]) -> None:
    under_key_a.FIELD_ENCRYPTION_KEYS = [KEY_B, KEY_A]
    call_command("rotate_encryption_keys", stdout=StringIO())

    under_key_a.FIELD_ENCRYPTION_KEYS = [KEY_A]
    with pytest.raises(crypto.DecryptionError):
        Patient.objects.get(pk=patients_under_key_a[0].pk)
    with pytest.raises(crypto.DecryptionError):
        Patient.history.filter(id=patients_under_key_a[0].pk).first()  # type: ignore[attr-defined]


def test_rotation_recomputes_blind_indexes_for_a_new_index_key(
    under_key_a: Any, patients_under_key_a: list[Patient]
) -> None:
    under_key_a.BLIND_INDEX_KEY = "a-new-blind-index-key"
    # Old hashes no longer match what searches compute...
    assert list(patient_search(text="529.982.247-25")) == []

    call_command("rotate_encryption_keys", "--batch-size", "1", stdout=StringIO())

    # ...until the command has recomputed them, in batches smaller than the table.
    _searchable(patients_under_key_a)


def test_rotation_command_reports_what_it_did(under_key_a: Any, patients_under_key_a: list[Patient]) -> None:
    output = StringIO()
    under_key_a.FIELD_ENCRYPTION_KEYS = [KEY_B, KEY_A]
    call_command("rotate_encryption_keys", stdout=output)
    assert "patients.Patient: 2 rows re-encrypted" in output.getvalue()
    assert "patients.HistoricalPatient: 3 rows re-encrypted" in output.getvalue()


@pytest.fixture
def totp_under_key_a(under_key_a: Any, reception: User) -> Authenticator:
    return TOTP.activate(reception, TOTP_SECRET).instance


@time_machine.travel("2025-03-10 12:00:00+00:00", tick=False)
def test_totp_secret_rotates_with_the_keys(under_key_a: Any, totp_under_key_a: Authenticator) -> None:
    stored_before = totp_under_key_a.data["secret"]
    assert TOTP_SECRET not in stored_before

    under_key_a.FIELD_ENCRYPTION_KEYS = [KEY_B, KEY_A]
    call_command("rotate_encryption_keys", stdout=StringIO())
    under_key_a.FIELD_ENCRYPTION_KEYS = [KEY_B]

    totp_under_key_a.refresh_from_db()
    assert totp_under_key_a.data["secret"] != stored_before
    secret = mfa_decrypt(totp_under_key_a.data["secret"])
    assert secret == TOTP_SECRET
    code = format_hotp_value(hotp_value(TOTP_SECRET, 1741608000 // 30))
    assert validate_totp_code(secret, code)

    under_key_a.FIELD_ENCRYPTION_KEYS = [KEY_A]
    with pytest.raises(crypto.DecryptionError):
        mfa_decrypt(totp_under_key_a.data["secret"])
