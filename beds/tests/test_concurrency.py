"""The rules the database holds for beds: truly concurrent attempts, and raw inserts that skip the services.

The races run threads, each with its own database connection, so they commit: they run under
``transactional_db``, which empties every table afterwards (conftest puts the roles back after that flush).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext, override

from beds import services
from beds.models import Admission, AdmissionSource, AdmissionStatus, Bed, BedState, BedStay, Ward, WardKind
from beds.selectors import ward_board
from clinic.models import Clinic
from staff import roles
from staff.models import User
from tests.concurrency import all_at_once
from tests.factories import (
    BedFactory,
    ClinicFactory,
    FloorFactory,
    UserFactory,
    WardFactory,
    WardRoomFactory,
    make_patient,
    make_request,
)

RACERS = 20


def _message(text: str) -> str:
    """What a thread (which runs in the site's language, not a test's override) says."""
    with override(settings.LANGUAGE_CODE):
        return gettext(text)


def _ward_of(clinic: Clinic) -> Ward:
    return WardFactory(floor=FloorFactory(clinic=clinic))


def _bed(ward: Ward) -> Bed:
    return BedFactory(room=WardRoomFactory(ward=ward))


def _nurse(clinic: Clinic) -> User:
    user = UserFactory(role=roles.WARD_NURSE, clinics=[clinic])
    assert isinstance(user, User)
    return user


def _refusals(outcomes: list[object], code: str) -> list[ValidationError]:
    refused = [o for o in outcomes if isinstance(o, ValidationError)]
    assert len(refused) == len(outcomes) - 1, outcomes
    assert all(error.code == code for error in refused), [(error.code, error.messages) for error in refused]
    return refused


def test_twenty_patients_racing_for_one_bed_one_gets_it(transactional_db: None) -> None:
    clinic = ClinicFactory()
    nurse = _nurse(clinic)
    bed = _bed(_ward_of(clinic))
    requests = [make_request(clinic=clinic, by=nurse) for _ in range(RACERS)]

    outcomes = all_at_once(RACERS, lambda i: services.admission_admit(admission=requests[i], bed=bed, by=nurse))

    won = [o for o in outcomes if isinstance(o, BedStay)]
    assert len(won) == 1, outcomes
    expected = _message("This bed was just taken by another patient. Choose another bed.")
    assert all(error.messages == [expected] for error in _refusals(outcomes, "bed_taken"))
    winner = won[0].admission
    assert list(BedStay.objects.values_list("bed", "admission", "ended_at")) == [(bed.pk, winner.pk, None)]
    assert list(Admission.objects.filter(status=AdmissionStatus.ADMITTED).values_list("pk", flat=True)) == [winner.pk]
    assert Admission.objects.filter(status=AdmissionStatus.REQUESTED).count() == RACERS - 1
    board = ward_board(user=nurse, clinic=clinic)
    assert board.counts[BedState.OCCUPIED] == 1
    assert [(tile.bed.pk, tile.patient) for tile in board.tiles] == [(bed.pk, winner.patient)]


def test_one_patient_sent_to_twenty_beds_at_once_lies_in_one(transactional_db: None) -> None:
    clinic = ClinicFactory()
    nurse = _nurse(clinic)
    ward = _ward_of(clinic)
    beds = [_bed(ward) for _ in range(RACERS)]
    admission = make_request(clinic=clinic, by=nurse)

    outcomes = all_at_once(RACERS, lambda i: services.admission_admit(admission=admission, bed=beds[i], by=nurse))

    won = [o for o in outcomes if isinstance(o, BedStay)]
    assert len(won) == 1, outcomes
    expected = _message("This patient has just been admitted to another bed.")
    assert all(error.messages == [expected] for error in _refusals(outcomes, "already_admitted"))
    assert list(BedStay.objects.values_list("bed", "admission")) == [(won[0].bed_id, admission.pk)]
    board = ward_board(user=nurse, clinic=clinic)
    assert (board.counts[BedState.OCCUPIED], board.counts[BedState.AVAILABLE]) == (1, RACERS - 1)
    occupied = [tile for tile in board.tiles if tile.stay is not None]
    assert [(tile.bed.pk, tile.patient) for tile in occupied] == [(won[0].bed_id, admission.patient)]


def test_twenty_requests_for_one_patient_at_once_leave_one_open(transactional_db: None) -> None:
    clinic = ClinicFactory()
    nurse = _nurse(clinic)
    patient = make_patient(by=nurse)

    outcomes = all_at_once(
        RACERS,
        lambda i: services.admission_request(
            patient=patient, clinic=clinic, by=nurse, ward_kind=WardKind.GENERAL, source=AdmissionSource.TRIAGE
        ),
    )

    won = [o for o in outcomes if isinstance(o, Admission)]
    assert len(won) == 1, outcomes
    refused = [o for o in outcomes if isinstance(o, ValidationError)]
    assert len(refused) == RACERS - 1, outcomes
    expected = _message("This patient already has an open admission or admission request.")
    assert all(error.messages == [expected] for error in refused)
    assert list(Admission.objects.values_list("pk", "status")) == [(won[0].pk, AdmissionStatus.REQUESTED)]


def test_twenty_reservations_of_one_bed_at_once_hold_it_for_one(transactional_db: None) -> None:
    clinic = ClinicFactory()
    nurse = _nurse(clinic)
    bed = _bed(_ward_of(clinic))
    requests = [make_request(clinic=clinic, by=nurse) for _ in range(RACERS)]
    until = timezone.now() + timedelta(hours=2)

    outcomes = all_at_once(
        RACERS, lambda i: services.bed_reserve(bed=bed, admission=requests[i], until=until, by=nurse)
    )

    assert sum(isinstance(o, Bed) for o in outcomes) == 1, outcomes
    expected = _message("This bed is reserved for another patient.")
    assert all(error.messages == [expected] for error in _refusals(outcomes, "bed_reserved"))
    bed.refresh_from_db()
    assert bed.state == BedState.RESERVED
    assert bed.reserved_for in requests


def test_twenty_transfers_into_one_bed_at_once_move_one_patient(transactional_db: None) -> None:
    clinic = ClinicFactory()
    nurse = _nurse(clinic)
    ward = _ward_of(clinic)
    target = _bed(ward)
    admitted = [make_request(clinic=clinic, by=nurse) for _ in range(RACERS)]
    for admission in admitted:
        services.admission_admit(admission=admission, bed=_bed(ward), by=nurse, at=timezone.now() - timedelta(hours=1))

    outcomes = all_at_once(RACERS, lambda i: services.admission_transfer(admission=admitted[i], bed=target, by=nurse))

    won = [o for o in outcomes if isinstance(o, BedStay)]
    assert len(won) == 1, outcomes
    _refusals(outcomes, "bed_taken")
    assert list(BedStay.objects.filter(bed=target).values_list("admission", "ended_at")) == [
        (won[0].admission_id, None)
    ]
    assert BedStay.objects.filter(ended_at__isnull=True).count() == RACERS
    assert Bed.objects.filter(state=BedState.CLEANING).count() == 1


# The constraints themselves -----------------------------------------------------------------------------


@pytest.fixture
def admitted(db: None, clinic: Clinic, make_user: Callable[..., User]) -> Admission:
    nurse = make_user(roles.WARD_NURSE)
    admission = make_request(clinic=clinic, by=nurse)
    services.admission_admit(admission=admission, bed=_bed(_ward_of(clinic)), by=nurse)
    admission.refresh_from_db()
    return admission


def test_the_database_refuses_a_second_stay_in_a_bed(admitted: Admission, clinic: Clinic) -> None:
    stay = BedStay.objects.get()
    other = make_request(clinic=clinic)
    # An earlier, closed stay that ends inside the open one overlaps it too.
    periods = [(timezone.now(), None), (stay.started_at - timedelta(hours=1), stay.started_at + timedelta(minutes=1))]

    for started_at, ended_at in periods:
        with pytest.raises(IntegrityError, match="bed_stay_no_overlap"), transaction.atomic():
            BedStay.objects.create(admission=other, bed=stay.bed, started_at=started_at, ended_at=ended_at)

    assert BedStay.objects.count() == 1


def test_the_database_allows_stays_one_after_another_in_a_bed(admitted: Admission, clinic: Clinic) -> None:
    stay = BedStay.objects.get()
    other = make_request(clinic=clinic)

    BedStay.objects.create(
        admission=other, bed=stay.bed, started_at=stay.started_at - timedelta(hours=2), ended_at=stay.started_at
    )

    assert BedStay.objects.filter(bed=stay.bed).count() == 2


def test_the_database_refuses_a_second_open_admission_of_a_patient(admitted: Admission) -> None:
    for status in (AdmissionStatus.REQUESTED, AdmissionStatus.ADMITTED):
        with pytest.raises(IntegrityError, match="admission_one_open_per_patient"), transaction.atomic():
            Admission.objects.create(
                patient=admitted.patient,
                clinic=admitted.clinic,
                status=status,
                admitted_at=timezone.now(),
                source=AdmissionSource.DOCTOR,
                ward_kind=WardKind.GENERAL,
            )

    assert Admission.objects.count() == 1


def test_the_database_refuses_a_second_open_stay_of_one_admission(admitted: Admission, clinic: Clinic) -> None:
    elsewhere = _bed(_ward_of(clinic))

    with pytest.raises(IntegrityError, match="bed_stay_one_open_per_admission"), transaction.atomic():
        BedStay.objects.create(admission=admitted, bed=elsewhere, started_at=timezone.now())

    assert BedStay.objects.count() == 1
