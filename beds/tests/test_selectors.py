"""Reads of the beds app: the ward board, histories, the request queue and objects fetched for a user."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.http import Http404
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from beds import selectors, services
from beds.models import (
    Admission,
    AdmissionSource,
    AdmissionStatus,
    Bed,
    BedEvent,
    BedState,
    BedStay,
    DischargeKind,
    Priority,
    Ward,
    WardKind,
    WardRoom,
)
from clinic import access
from clinic.models import Clinic, Floor
from patients.models import Patient, RiskColour, Sex
from staff import roles
from staff.models import User
from tests.factories import (
    BedFactory,
    ClinicFactory,
    FloorFactory,
    WardFactory,
    WardRoomFactory,
    make_patient,
    make_request,
)

# Near midnight in Brazil, so the clinic's day and UTC's differ.
NOW = datetime(2026, 3, 10, 2, 30, tzinfo=UTC)


@pytest.fixture(autouse=True)
def clock() -> Iterator[time_machine.Coordinates]:
    with time_machine.travel(NOW, tick=False) as traveller, translation.override("en"):
        yield traveller


@pytest.fixture
def nurse(make_user: Callable[..., User]) -> User:
    return make_user(roles.WARD_NURSE)


@pytest.fixture
def floor(clinic: Clinic) -> Floor:
    return FloorFactory(clinic=clinic)


@pytest.fixture
def ward(floor: Floor) -> Ward:
    return WardFactory(floor=floor, code="CM-1")


def bed_in(ward_or_room: Ward | WardRoom, **fields: Any) -> Bed:
    room = ward_or_room if isinstance(ward_or_room, WardRoom) else WardRoomFactory(ward=ward_or_room)
    return BedFactory(room=room, **fields)


# The board: what a tile shows ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("time_zone", "today", "age"),
    [
        # 02:30 in UTC is 23:30 of the day before in São Paulo (UTC-3) and 00:30 in Noronha (UTC-2).
        ("America/Sao_Paulo", date(2026, 3, 9), 75),
        ("America/Noronha", date(2026, 3, 10), 76),
    ],
)
def test_a_tile_shows_the_patient_age_days_and_risk(
    clinic: Clinic, ward: Ward, nurse: User, time_zone: str, today: date, age: int
) -> None:
    clinic.time_zone = time_zone
    clinic.save(update_fields=["time_zone"])
    bed = bed_in(ward)
    patient = make_patient(by=nurse, full_name="Joana Silva", social_name="Jô", birth_date=date(1950, 3, 10))
    admission = make_request(patient=patient, clinic=clinic, by=nurse, risk=RiskColour.RED, priority=Priority.URGENT)
    services.admission_admit(admission=admission, bed=bed, by=nurse, at=NOW - timedelta(days=3, hours=1))

    board = selectors.ward_board(user=nurse, clinic=clinic)

    assert board.today == today  # the clinic's day, neither UTC's nor the server's
    (tile,) = board.tiles
    assert tile.bed == bed
    assert tile.patient is not None
    assert tile.admission is not None
    assert (tile.patient.pk, tile.patient.display_name, tile.patient.sex) == (patient.pk, "Jô", patient.sex)
    assert tile.age == age  # born on 10 March: the birthday depends on the clinic's day
    assert tile.days_admitted == 3
    assert (tile.admission.risk, tile.admission.priority) == (RiskColour.RED, Priority.URGENT)


def test_a_transfer_does_not_reset_the_days_admitted(clinic: Clinic, ward: Ward, nurse: User) -> None:
    first, second = bed_in(ward), bed_in(ward)
    admission = make_request(clinic=clinic, by=nurse)
    services.admission_admit(admission=admission, bed=first, by=nurse, at=NOW - timedelta(days=5))
    services.admission_transfer(admission=admission, bed=second, by=nurse, at=NOW - timedelta(hours=2))

    tiles = {tile.bed: tile for tile in selectors.ward_board(user=nurse, clinic=clinic).tiles}

    assert (tiles[first].stay, tiles[first].patient, tiles[first].age, tiles[first].days_admitted) == (
        None,
        None,
        None,
        None,
    )
    assert (tiles[second].patient, tiles[second].days_admitted) == (admission.patient, 5)


def test_the_board_lists_the_scopes_beds_in_order(clinic: Clinic, floor: Floor, nurse: User) -> None:
    later_ward, early_ward = WardFactory(floor=floor, code="B-2"), WardFactory(floor=floor, code="A-1")
    b2 = bed_in(WardRoomFactory(ward=later_ward, code="1"), code="X")
    a1_room2 = bed_in(WardRoomFactory(ward=early_ward, code="2"), code="A")
    room1 = WardRoomFactory(ward=early_ward, code="1")
    a1_room1_b, a1_room1_a = bed_in(room1, code="B"), bed_in(room1, code="A")

    board = selectors.ward_board(user=nurse, clinic=clinic)

    assert [tile.bed for tile in board.tiles] == [a1_room1_a, a1_room1_b, a1_room2, b2]


# The board: counts and filters -----------------------------------------------------------------------


@pytest.fixture
def every_state(clinic: Clinic, floor: Floor, nurse: User) -> dict[str, Bed]:
    """One bed in each state in a general ward, two more available in an ICU, and beds the board leaves out."""
    general = WardFactory(floor=floor, code="CM-1", kind=WardKind.GENERAL)
    beds = {state: bed_in(general) for state in BedState.values}
    services.bed_reserve(
        bed=beds[BedState.RESERVED],
        admission=make_request(clinic=clinic, by=nurse),
        until=NOW + timedelta(hours=1),
        by=nurse,
    )
    services.admission_admit(admission=make_request(clinic=clinic, by=nurse), bed=beds[BedState.OCCUPIED], by=nurse)
    Bed.objects.filter(pk=beds[BedState.CLEANING].pk).update(state=BedState.CLEANING)
    services.bed_block(bed=beds[BedState.BLOCKED], reason="Manutenção", by=nurse)
    icu = WardFactory(floor=floor, code="UTI-1", kind=WardKind.ICU)
    beds["icu"], beds["icu2"] = bed_in(icu), bed_in(icu)
    bed_in(general, retired_at=NOW - timedelta(days=1))
    bed_in(WardFactory(floor=floor, is_active=False))
    bed_in(WardFactory(floor=FloorFactory(clinic=ClinicFactory())))
    return beds


def test_the_board_counts_the_beds_of_each_state(every_state: dict[str, Bed], clinic: Clinic, nurse: User) -> None:
    board = selectors.ward_board(user=nurse, clinic=clinic)

    assert board.counts == {
        BedState.AVAILABLE: 3,
        BedState.RESERVED: 1,
        BedState.OCCUPIED: 1,
        BedState.CLEANING: 1,
        BedState.BLOCKED: 1,
    }
    assert board.total == 7
    assert {tile.bed.pk for tile in board.tiles} == {bed.pk for bed in every_state.values()}


def test_the_state_filter_shows_those_beds_and_keeps_the_counts(
    every_state: dict[str, Bed], clinic: Clinic, nurse: User
) -> None:
    everything = selectors.ward_board(user=nurse, clinic=clinic)

    occupied = selectors.ward_board(user=nurse, clinic=clinic, state=BedState.OCCUPIED)
    available = selectors.ward_board(user=nurse, clinic=clinic, state=BedState.AVAILABLE)

    assert [tile.bed for tile in occupied.tiles] == [every_state[BedState.OCCUPIED]]
    assert {tile.bed for tile in available.tiles} == {every_state[k] for k in (BedState.AVAILABLE, "icu", "icu2")}
    assert (occupied.counts, occupied.total, occupied.version) == (
        everything.counts,
        everything.total,
        everything.version,
    )


def test_the_kind_and_ward_filters_narrow_the_board_and_its_counts(
    every_state: dict[str, Bed], clinic: Clinic, nurse: User
) -> None:
    icu = selectors.ward_board(user=nurse, clinic=clinic, kind=WardKind.ICU)
    general_ward = every_state[BedState.OCCUPIED].room.ward
    general = selectors.ward_board(user=nurse, clinic=clinic, ward=general_ward)

    assert {tile.bed for tile in icu.tiles} == {every_state["icu"], every_state["icu2"]}
    assert (icu.total, icu.counts[BedState.AVAILABLE], icu.counts[BedState.OCCUPIED]) == (2, 2, 0)
    assert general.total == 5
    assert set(general.counts.values()) == {1}


def test_the_board_of_a_clinic_the_user_cannot_see_is_empty(
    every_state: dict[str, Bed], clinic: Clinic, make_user: Callable[..., User]
) -> None:
    stranger = make_user(roles.WARD_NURSE, clinics=[ClinicFactory()])

    board = selectors.ward_board(user=stranger, clinic=clinic)

    assert (board.tiles, board.total, set(board.counts.values())) == ([], 0, {0})


# The board: version ----------------------------------------------------------------------------------


def test_the_version_moves_when_any_bed_of_the_scope_changes(
    clinic: Clinic, ward: Ward, nurse: User, clock: time_machine.Coordinates
) -> None:
    bed, other = bed_in(ward), bed_in(ward)
    admission = make_request(clinic=clinic, by=nurse)

    def version() -> str:
        return selectors.ward_board(user=nurse, clinic=clinic).version

    steps: list[Callable[[], object]] = [
        lambda: services.bed_reserve(bed=bed, admission=admission, until=NOW + timedelta(hours=2), by=nurse),
        lambda: services.admission_admit(admission=admission, bed=bed, by=nurse),
        lambda: services.admission_transfer(admission=admission, bed=other, by=nurse),
        lambda: services.bed_mark_clean(bed=bed, by=nurse),
        lambda: services.bed_block(bed=bed, reason="Manutenção", by=nurse),
        lambda: services.bed_unblock(bed=bed, by=nurse),
        lambda: services.admission_discharge(admission=admission, kind=DischargeKind.HOME, by=nurse),
        lambda: bed_in(ward),
    ]
    seen = [version()]
    for step in steps:
        clock.shift(timedelta(minutes=1))
        assert version() == seen[-1]  # time alone changes nothing
        step()
        seen.append(version())

    assert len(set(seen)) == len(seen), seen


def test_the_version_stays_when_nothing_of_the_scope_changes(
    clinic: Clinic, ward: Ward, nurse: User, clock: time_machine.Coordinates
) -> None:
    bed = bed_in(ward)
    other_ward = WardFactory(floor=ward.floor)
    bed_of_other_ward = bed_in(other_ward)
    bed_elsewhere = bed_in(WardFactory(floor=FloorFactory(clinic=ClinicFactory())))
    before = selectors.ward_board(user=nurse, clinic=clinic, ward=ward).version
    clock.shift(timedelta(minutes=1))

    with pytest.raises(ValidationError, match="not blocked"):
        services.bed_unblock(bed=bed, by=nurse)
    services.bed_block(bed=bed_of_other_ward, reason="Pintura", by=nurse)
    services.bed_block(bed=bed_elsewhere, reason="Pintura", by=nurse)
    make_request(clinic=clinic, by=nurse)

    assert selectors.ward_board(user=nurse, clinic=clinic, ward=ward).version == before
    assert selectors.ward_board(user=nurse, clinic=clinic).version != before


# The board: cost -------------------------------------------------------------------------------------


def _fill(ward: Ward, *, beds: int, start: int) -> None:
    """``beds`` beds in rooms of four, half of them occupied and two reserved, in a handful of bulk inserts."""
    clinic = ward.clinic
    rooms = WardRoom.objects.bulk_create(WardRoom(ward=ward, code=f"Q{start + n:04d}") for n in range(beds // 4))
    new_beds = Bed.objects.bulk_create(
        Bed(room=rooms[n // 4], code=f"L{n % 4}", in_service_since=NOW - timedelta(days=30)) for n in range(beds)
    )
    people = beds // 2 + 2
    patients = Patient.objects.bulk_create(
        Patient(
            full_name=f"Paciente {start + n}",
            search_name=f"paciente {start + n}",
            birth_date=date(1960, 1, 1) + timedelta(days=n),
            sex=Sex.FEMALE if n % 2 else Sex.MALE,
            cpf=f"{start + n:011d}",
            cpf_hash=f"bulk-board-{start + n}",
        )
        for n in range(people)
    )
    admissions = Admission.objects.bulk_create(
        Admission(
            patient=patient,
            clinic=clinic,
            status=AdmissionStatus.ADMITTED if n >= 2 else AdmissionStatus.REQUESTED,
            admitted_at=NOW - timedelta(days=n % 9) if n >= 2 else None,
            source=AdmissionSource.DOCTOR,
            ward_kind=WardKind.GENERAL,
            risk=RiskColour.values[n % len(RiskColour.values)],
        )
        for n, patient in enumerate(patients)
    )
    occupied = new_beds[2 : 2 + beds // 2]
    BedStay.objects.bulk_create(
        BedStay(admission=admission, bed=bed, started_at=admission.admitted_at)
        for admission, bed in zip(admissions[2:], occupied, strict=True)
    )
    Bed.objects.filter(pk__in=[bed.pk for bed in occupied]).update(state=BedState.OCCUPIED)
    for admission, bed in zip(admissions[:2], new_beds[:2], strict=True):
        Bed.objects.filter(pk=bed.pk).update(
            state=BedState.RESERVED, reserved_for=admission, reserved_until=NOW + timedelta(hours=1)
        )


def _read_board(user: User, clinic: Clinic) -> tuple[int, int]:
    """Build the board and read all a tile shows; the number of tiles and of queries it took."""
    with CaptureQueriesContext(connection) as captured:
        board = selectors.ward_board(user=user, clinic=clinic)
        for tile in board.tiles:
            shown = [tile.bed.code, tile.bed.room.code, tile.bed.room.ward.code, tile.bed.get_state_display()]
            if tile.patient is not None and tile.admission is not None:
                shown += [tile.patient.display_name, tile.patient.sex, tile.age, tile.days_admitted]
                shown += [
                    tile.admission.get_risk_display(),
                    tile.admission.priority,
                    tile.stay and tile.stay.started_at,
                ]
            if tile.bed.reserved_for is not None:
                shown += [tile.bed.reserved_for.patient.display_name, tile.bed.reserved_until]
            assert all(value is not None for value in shown)
    return len(board.tiles), len(captured)


def test_the_board_costs_the_same_queries_for_ten_or_five_hundred_beds(
    clinic: Clinic, ward: Ward, nurse: User, django_assert_max_num_queries: Any
) -> None:
    nurse.has_perm("beds.view_bed")  # the view checks a permission first, which loads them all
    access.visible_clinic_ids(nurse)  # and reads the user's clinics once per request
    _fill(ward, beds=12, start=0)
    tiles_few, queries_few = _read_board(nurse, clinic)
    _fill(ward, beds=488, start=1000)

    # The counts, the beds, their open stays.
    with django_assert_max_num_queries(3):
        tiles_many, queries_many = _read_board(nurse, clinic)

    assert (tiles_few, tiles_many) == (12, 500)
    assert queries_few == queries_many


# Histories -------------------------------------------------------------------------------------------


def test_a_beds_history_lists_its_steps_and_stays_newest_first(
    clinic: Clinic, ward: Ward, nurse: User, django_assert_max_num_queries: Any
) -> None:
    bed = bed_in(ward)
    first = make_request(clinic=clinic, by=nurse)
    services.admission_admit(admission=first, bed=bed, by=nurse, at=NOW - timedelta(days=2))
    services.admission_discharge(admission=first, kind=DischargeKind.HOME, by=nurse, at=NOW - timedelta(days=1))
    services.bed_mark_clean(bed=bed, by=nurse, at=NOW - timedelta(hours=20))
    second = make_request(clinic=clinic, by=nurse)
    services.admission_admit(admission=second, bed=bed, by=nurse, at=NOW - timedelta(hours=3))

    with django_assert_max_num_queries(2):
        events, stays = selectors.bed_history(bed)
        shown = [(event.kind, event.by, event.admission and event.admission.patient) for event in events]
        patients = [(stay.admission.patient, stay.started_by, stay.ended_by) for stay in stays]

    assert shown == [
        (BedEvent.Kind.ADMITTED, nurse, second.patient),
        (BedEvent.Kind.CLEANED, nurse, None),
        (BedEvent.Kind.DISCHARGED, nurse, first.patient),
        (BedEvent.Kind.ADMITTED, nurse, first.patient),
    ]
    assert patients == [(second.patient, nurse, None), (first.patient, nurse, nurse)]
    events, stays = selectors.bed_history(bed, limit=1)
    assert ([e.kind for e in events], [s.admission for s in stays]) == ([BedEvent.Kind.ADMITTED], [second])


def test_an_admissions_stays_come_in_order(clinic: Clinic, ward: Ward, nurse: User) -> None:
    first, second = bed_in(ward), bed_in(ward)
    admission = make_request(clinic=clinic, by=nurse)
    services.admission_admit(admission=admission, bed=first, by=nurse, at=NOW - timedelta(days=2))
    services.admission_transfer(admission=admission, bed=second, by=nurse, at=NOW - timedelta(days=1))

    assert [stay.bed for stay in selectors.admission_stays(admission)] == [first, second]


def _admissions_read(patient: Patient, nurse: User) -> tuple[list[Any], int]:
    with CaptureQueriesContext(connection) as captured:
        read = [
            (
                admission.pk,
                admission.clinic.name,
                admission.requested_by,
                admission.admitted_by,
                admission.discharged_by,
                [(stay.bed.code, stay.bed.room.ward.clinic.name) for stay in admission.stay_list],  # type: ignore[attr-defined]
            )
            for admission in selectors.patient_admissions(patient, user=nurse)
        ]
    return read, len(captured)


def test_a_patients_admissions_cost_the_same_queries_however_many(clinic: Clinic, ward: Ward, nurse: User) -> None:
    patient = make_patient(by=nurse)
    first_bed, second_bed = bed_in(ward), bed_in(ward)
    earlier = make_request(patient=patient, clinic=clinic, by=nurse, at=NOW - timedelta(days=30))
    services.admission_admit(admission=earlier, bed=first_bed, by=nurse, at=NOW - timedelta(days=30))
    services.admission_discharge(admission=earlier, kind=DischargeKind.HOME, by=nurse, at=NOW - timedelta(days=29))
    read_one, queries_one = _admissions_read(patient, nurse)

    for days_ago in (20, 10):
        admission = make_request(patient=patient, clinic=clinic, by=nurse, at=NOW - timedelta(days=days_ago))
        services.bed_mark_clean(bed=first_bed, by=nurse, at=NOW - timedelta(days=days_ago))
        services.admission_admit(admission=admission, bed=first_bed, by=nurse, at=NOW - timedelta(days=days_ago))
        services.admission_transfer(
            admission=admission, bed=second_bed, by=nurse, at=NOW - timedelta(days=days_ago - 1)
        )
        services.admission_discharge(
            admission=admission, kind=DischargeKind.HOME, by=nurse, at=NOW - timedelta(days=days_ago - 2)
        )
        services.bed_mark_clean(bed=second_bed, by=nurse, at=NOW - timedelta(days=days_ago - 3))
    make_request(patient=patient, clinic=clinic, by=nurse)
    read_all, queries_all = _admissions_read(patient, nurse)

    assert queries_one == queries_all == 2
    assert [row[0] for row in read_all][-1] == earlier.pk
    assert [len(row[5]) for row in read_all] == [0, 2, 2, 1]
    assert read_all[1][5] == [
        (first_bed.code, clinic.name),
        (second_bed.code, clinic.name),
    ]
    assert read_one == read_all[-1:]


def test_a_patients_open_admission(clinic: Clinic, nurse: User) -> None:
    patient = make_patient(by=nurse)
    assert selectors.patient_open_admission(patient) is None

    admission = make_request(patient=patient, clinic=clinic, by=nurse)
    assert selectors.patient_open_admission(patient) == admission

    services.admission_cancel(admission=admission, by=nurse, reason="Engano")
    assert selectors.patient_open_admission(patient) is None


# The request queue -----------------------------------------------------------------------------------


def test_open_requests_come_most_urgent_first_then_oldest(
    clinic: Clinic, nurse: User, make_user: Callable[..., User]
) -> None:
    def asked(priority: str, hours_ago: int, where: Clinic = clinic) -> Admission:
        return make_request(clinic=where, by=nurse, priority=priority, at=NOW - timedelta(hours=hours_ago))

    routine_old, routine_new = asked(Priority.ROUTINE, 30), asked(Priority.ROUTINE, 1)
    emergency_new, emergency_old = asked(Priority.EMERGENCY, 2), asked(Priority.EMERGENCY, 5)
    urgent = asked(Priority.URGENT, 40)
    services.admission_cancel(admission=asked(Priority.EMERGENCY, 50), by=nurse, reason="Engano")
    services.admission_admit(
        admission=asked(Priority.EMERGENCY, 60), bed=bed_in(WardFactory(floor=FloorFactory(clinic=clinic))), by=nurse
    )
    elsewhere = ClinicFactory()
    theirs = make_request(
        clinic=elsewhere,
        by=make_user(roles.WARD_NURSE, clinics=[elsewhere]),
        priority=Priority.EMERGENCY,
        at=NOW - timedelta(hours=70),
    )

    assert selectors.open_requests(user=nurse) == [emergency_old, emergency_new, urgent, routine_old, routine_new]
    both = make_user(roles.WARD_NURSE, clinics=[clinic, elsewhere])
    assert selectors.open_requests(user=both)[:2] == [theirs, emergency_old]
    assert selectors.open_requests(user=both, clinic=elsewhere) == [theirs]
    assert selectors.open_requests(user=nurse, clinic=elsewhere) == []


# Objects fetched for a user --------------------------------------------------------------------------


@pytest.fixture
def theirs(db: None) -> dict[str, Any]:
    """A ward, a bed and an admission of a clinic other than the nurse's."""
    elsewhere = ClinicFactory()
    bed = bed_in(WardFactory(floor=FloorFactory(clinic=elsewhere)))
    return {"ward": bed.room.ward, "bed": bed, "admission": make_request(clinic=elsewhere)}


@pytest.fixture
def ours(clinic: Clinic, ward: Ward) -> dict[str, Any]:
    return {"ward": ward, "bed": bed_in(ward), "admission": make_request(clinic=clinic)}


FETCHERS = {"ward": selectors.ward_for_user, "bed": selectors.bed_for_user, "admission": selectors.admission_for_user}


@pytest.mark.parametrize("what", FETCHERS)
def test_a_user_gets_their_clinics_objects(ours: dict[str, Any], nurse: User, what: str) -> None:
    assert FETCHERS[what](nurse, ours[what].pk) == ours[what]


@pytest.mark.parametrize("what", FETCHERS)
def test_another_clinics_object_is_not_found(
    ours: dict[str, Any], theirs: dict[str, Any], nurse: User, make_user: Callable[..., User], what: str
) -> None:
    with pytest.raises(Http404):
        FETCHERS[what](nurse, theirs[what].pk)
    with pytest.raises(Http404):
        FETCHERS[what](nurse, 0)
    assert FETCHERS[what](make_user(roles.MANAGER, clinics=[]), theirs[what].pk) == theirs[what]


@pytest.mark.parametrize("what", FETCHERS)
def test_a_user_without_the_permission_is_refused(
    ours: dict[str, Any], make_user: Callable[..., User], what: str
) -> None:
    with pytest.raises(PermissionDenied):
        FETCHERS[what](make_user(roles.RECEPTION), ours[what].pk)
