"""Truly concurrent writes to the registry: threads, each with its own database connection.

These tests commit, so they run under ``transactional_db``, which empties every table afterwards
(conftest puts the roles back after that flush).
"""

from __future__ import annotations

from io import StringIO

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.utils.translation import gettext, override

from patients import services
from patients.models import ChartAccess, Patient
from staff.models import User
from tests.concurrency import all_at_once
from tests.factories import UserFactory, make_patient, patient_data, unique_cpf


def staff_member() -> User:
    user = UserFactory()
    assert isinstance(user, User)
    return user


def _message(text: str) -> str:
    with override(settings.LANGUAGE_CODE):
        return gettext(text)


@pytest.mark.parametrize("count", [2, 10])
def test_concurrent_registrations_of_one_cpf_leave_one_patient(transactional_db: None, count: int) -> None:
    reception = staff_member()
    cpf = unique_cpf()
    # Different people typing the same CPF (formatted or not): only the CPF clashes.
    attempts = [patient_data(cpf=cpf if i % 2 else f"{cpf[:3]}.{cpf[3:6]}.{cpf[6:9]}-{cpf[9:]}") for i in range(count)]

    outcomes = all_at_once(count, lambda i: services.patient_register(by=reception, **attempts[i]))

    winners = [o for o in outcomes if isinstance(o, Patient)]
    refused = [o for o in outcomes if isinstance(o, ValidationError)]
    assert len(winners) == 1, outcomes
    assert len(refused) == count - 1, outcomes
    expected = _message("A patient with this CPF is already registered.")
    assert all(error.message_dict == {"cpf": [expected]} for error in refused)
    stored = Patient.objects.get()
    assert (stored.pk, stored.full_name, stored.cpf) == (winners[0].pk, winners[0].full_name, cpf)
    assert Patient.history.count() == 1  # type: ignore[attr-defined]


def test_concurrent_registrations_of_one_cns_leave_one_patient(transactional_db: None) -> None:
    reception = staff_member()
    attempts = [patient_data(cns="898001000000003") for _ in range(10)]

    outcomes = all_at_once(10, lambda i: services.patient_register(by=reception, **attempts[i]))

    assert sum(isinstance(o, Patient) for o in outcomes) == 1, outcomes
    refused = [o for o in outcomes if isinstance(o, ValidationError)]
    assert len(refused) == 9, outcomes
    expected = _message("A patient with this CNS is already registered.")
    assert all(error.message_dict == {"cns": [expected]} for error in refused)
    assert Patient.objects.filter(cns_hash__gt="").count() == 1


def test_concurrent_chart_views_keep_one_unbroken_chain(transactional_db: None) -> None:
    viewers = [staff_member() for _ in range(10)]
    patient = make_patient(by=viewers[0])

    outcomes = all_at_once(
        10,
        lambda i: services.chart_access_record(
            user=viewers[i], patient=patient, action=ChartAccess.Action.VIEW_CHART, ip_address=f"10.0.0.{i + 1}"
        ),
    )

    assert all(isinstance(o, ChartAccess) for o in outcomes), outcomes
    entries = list(ChartAccess.objects.order_by("id"))
    assert len(entries) == 10
    assert [e.previous_hash for e in entries] == ["", *(e.entry_hash for e in entries[:-1])]
    output = StringIO()
    call_command("verify_access_log", stdout=output)
    assert "intact: 10 entries" in output.getvalue()
