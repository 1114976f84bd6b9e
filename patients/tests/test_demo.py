"""The demo patients (patients/demo.py, which the benchmark's generator uses too) are data the
registry itself would accept."""

from __future__ import annotations

import io

import pytest

from clinic import demo as clinic_demo
from patients import demo
from patients.models import EmergencyContact, Patient
from patients.normalize import phone_e164

pytestmark = pytest.mark.django_db


def test_every_demo_phone_passes_the_rule_the_registry_stores_by(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(clinic_demo, "CLINICS", clinic_demo.CLINICS[:1])
    clinic_demo.load(io.StringIO())
    demo.load(io.StringIO())

    patients = list(Patient.objects.all())
    phones = [p.mobile_phone for p in patients] + [p.home_phone for p in patients if p.home_phone]
    phones += list(EmergencyContact.objects.values_list("phone", flat=True))

    assert len(patients) == demo.DEMO_PATIENTS and len(phones) > 2 * demo.DEMO_PATIENTS
    assert [phone for phone in phones if phone_e164(phone) != phone] == []
