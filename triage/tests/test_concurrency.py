"""The rules of the emergency door under truly concurrent attempts: one visit per patient in the queue,
one routing per visit.

The races run threads, each with its own database connection, so they commit: they run under
``transactional_db``, which empties every table afterwards (conftest puts the roles back after that flush).
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext, override

from beds.models import Admission, WardKind
from clinic.models import Clinic
from patients.models import RiskColour
from staff import roles
from staff.models import User
from tests.concurrency import all_at_once
from tests.factories import ClinicFactory, UserFactory, make_patient
from triage import services
from triage.models import Destination, Visit, VisitStatus

RACERS = 10


def _message(text: str) -> str:
    """What a thread (which runs in the site's language, not a test's override) says."""
    with override(settings.LANGUAGE_CODE):
        return gettext(text)


def _nurse(clinic: Clinic) -> User:
    user = UserFactory(role=roles.TRIAGE_NURSE, clinics=[clinic])
    assert isinstance(user, User)
    return user


def _refusals(outcomes: list[object]) -> list[ValidationError]:
    refused = [outcome for outcome in outcomes if isinstance(outcome, ValidationError)]
    assert len(refused) == len(outcomes) - 1, outcomes
    return refused


def test_a_patient_arriving_ten_times_at_once_is_in_the_queue_once(transactional_db: None) -> None:
    clinic = ClinicFactory()
    nurses = [_nurse(clinic) for _ in range(RACERS)]
    patient = make_patient(by=nurses[0])

    outcomes = all_at_once(
        RACERS, lambda i: services.visit_arrive(clinic=clinic, patient=patient, by=nurses[i], note=f"Chegada {i}")
    )

    won = [outcome for outcome in outcomes if isinstance(outcome, Visit)]
    assert len(won) == 1, outcomes
    expected = _message("This patient is already in the emergency queue.")
    assert all(error.messages == [expected] for error in _refusals(outcomes))
    assert list(Visit.objects.values_list("pk", "patient", "in_queue")) == [(won[0].pk, patient.pk, True)]


def test_two_nurses_routing_one_walk_in_at_once_route_it_once(transactional_db: None) -> None:
    clinic = ClinicFactory()
    first, second = _nurse(clinic), _nurse(clinic)
    visit = services.visit_arrive(clinic=clinic, patient=make_patient(by=first), by=first)
    services.assessment_record(visit=visit, by=first, complaint="Dispneia", vitals={"spo2": 88}, signs=[])
    routes = [
        lambda: services.route_discharge(visit=visit, by=first, note="Alta com orientações"),
        lambda: services.route_admission(visit=visit, by=second, ward_kind=WardKind.OBSERVATION),
    ]

    outcomes = all_at_once(2, lambda i: routes[i]())

    won = [outcome for outcome in outcomes if isinstance(outcome, Visit)]
    assert len(won) == 1, outcomes
    assert [error.messages for error in _refusals(outcomes)] == [[_message("This walk-in is already routed.")]]
    visit.refresh_from_db()
    assert (visit.status, visit.in_queue, visit.routed_by) == (VisitStatus.ROUTED, False, won[0].routed_by)
    if visit.destination == Destination.ADMISSION:
        assert list(Admission.objects.values_list("pk", "risk")) == [(visit.admission_id, RiskColour.ORANGE)]
    else:
        assert (visit.destination, visit.routing_note, Admission.objects.count()) == (
            Destination.DISCHARGED,
            "Alta com orientações",
            0,
        )
