"""The writes of the beds app, step by step: what each transition records, and what each refusal leaves alone.

Every refusal goes through ``assert_refused``, which compares every row the beds flows touch (beds,
stays, events, blocks, admissions, patients' statuses and their history) before and after the call.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.utils import translation

from beds import services
from beds.models import (
    Admission,
    AdmissionSource,
    AdmissionStatus,
    Bed,
    BedBlock,
    BedEvent,
    BedState,
    BedStay,
    DischargeKind,
    Equipment,
    Priority,
    RoomSex,
    StayEnd,
    Ward,
    WardKind,
)
from clinic.models import Clinic
from patients.models import Patient, PatientStatus, PatientStatusChange, RiskColour, Sex
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

NOW = datetime(2026, 3, 10, 15, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _frozen_in_english() -> Iterator[None]:
    with time_machine.travel(NOW, tick=False), translation.override("en"):
        yield


@pytest.fixture
def nurse(make_user: Callable[..., User]) -> User:
    return make_user(roles.WARD_NURSE)


@pytest.fixture
def ward(clinic: Clinic) -> Ward:
    return WardFactory(floor=FloorFactory(clinic=clinic))


def bed_in(ward: Ward, *, sex: str = RoomSex.ANY, **fields: Any) -> Bed:
    return BedFactory(room=WardRoomFactory(ward=ward, sex=sex), **fields)


@pytest.fixture
def bed(ward: Ward) -> Bed:
    return bed_in(ward)


@pytest.fixture
def other_bed(ward: Ward) -> Bed:
    return bed_in(ward)


@pytest.fixture
def admission(clinic: Clinic, nurse: User) -> Admission:
    """A man waiting for a general-ward bed in ``clinic``."""
    return make_request(patient=make_patient(by=nurse, sex=Sex.MALE), clinic=clinic, by=nurse)


@pytest.fixture
def admitted(admission: Admission, bed: Bed, nurse: User) -> Admission:
    """``admission`` in ``bed`` since three hours ago."""
    services.admission_admit(admission=admission, bed=bed, by=nurse, at=NOW - timedelta(hours=3))
    admission.refresh_from_db()
    return admission


def world() -> dict[str, list[tuple[Any, ...]]]:
    """Every row the beds flows write, as plain values: equal before and after a refusal."""
    return {
        "beds": list(
            Bed.objects.order_by("pk").values_list(
                "pk", "state", "reserved_for", "reserved_until", "blocked_reason", "changed_at"
            )
        ),
        "stays": list(
            BedStay.objects.order_by("pk").values_list("pk", "admission", "bed", "started_at", "ended_at", "end_reason")
        ),
        "events": list(BedEvent.objects.order_by("pk").values_list("pk", "bed", "kind", "admission")),
        "blocks": list(BedBlock.objects.order_by("pk").values_list("pk", "bed", "started_at", "ended_at")),
        "admissions": list(
            Admission.objects.order_by("pk").values_list(
                "pk", "status", "clinic", "ward_kind", "admitted_at", "discharged_at", "discharge_kind"
            )
        ),
        "patients": list(Patient.objects.order_by("pk").values_list("pk", "status")),
        "status_changes": list(PatientStatusChange.objects.order_by("pk").values_list("pk")),
    }


def assert_refused(call: Callable[[], object], message: str, *, field: str | None = None) -> ValidationError:
    """``call`` is refused with ``message`` (under ``field`` when given) and changes nothing."""
    before = world()
    with pytest.raises(ValidationError) as refused:
        call()
    if field is None:
        assert message in refused.value.messages, refused.value.messages
    else:
        assert message in refused.value.message_dict.get(field, []), refused.value
    assert world() == before
    return refused.value


def events_of(bed: Bed) -> list[tuple[str, str, str]]:
    return list(BedEvent.objects.filter(bed=bed).order_by("pk").values_list("kind", "from_state", "to_state"))


# Requests --------------------------------------------------------------------------------------------


def test_a_request_records_what_is_needed_and_who_asked(clinic: Clinic, nurse: User) -> None:
    patient = make_patient(by=nurse)
    floor = FloorFactory(clinic=clinic)

    admission = services.admission_request(
        patient=patient,
        clinic=clinic,
        by=nurse,
        source=AdmissionSource.TRIAGE,
        ward_kind=WardKind.ICU,
        needs_isolation=True,
        equipment=[Equipment.VENTILATOR, Equipment.MONITOR, Equipment.VENTILATOR],
        priority=Priority.EMERGENCY,
        risk=RiskColour.RED,
        reason="  Insuficiência respiratória  ",
        origin_floor=floor,
    )

    stored = Admission.objects.get()
    assert stored.pk == admission.pk
    assert (stored.patient, stored.clinic, stored.status, stored.source) == (
        patient,
        clinic,
        AdmissionStatus.REQUESTED,
        AdmissionSource.TRIAGE,
    )
    assert (stored.ward_kind, stored.needs_isolation, stored.equipment) == (
        WardKind.ICU,
        True,
        [Equipment.MONITOR, Equipment.VENTILATOR],
    )
    assert (stored.priority, stored.risk, stored.reason, stored.origin_floor) == (
        Priority.EMERGENCY,
        RiskColour.RED,
        "Insuficiência respiratória",
        floor,
    )
    assert (stored.requested_by, stored.requested_at) == (nurse, NOW)
    assert stored.admitted_at is None


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("ward_kind", "spa"),
        ("priority", "whenever"),
        ("risk", "purple"),
        ("source", "<script>alert(1)</script>"),
        ("equipment", ["ventilator", "jetpack"]),
    ],
)
def test_a_request_with_a_value_outside_the_choices_is_refused(
    clinic: Clinic, nurse: User, field: str, value: object
) -> None:
    patient = make_patient(by=nurse)
    arguments: dict[str, Any] = {"patient": patient, "clinic": clinic, "by": nurse, "ward_kind": WardKind.GENERAL}
    arguments[field] = value

    before = world()
    with pytest.raises(ValidationError) as refused:
        services.admission_request(**arguments)

    assert field in refused.value.message_dict
    assert world() == before


def test_a_request_from_a_floor_of_another_clinic_is_refused(clinic: Clinic, nurse: User) -> None:
    patient = make_patient(by=nurse)
    elsewhere = FloorFactory()

    assert_refused(
        lambda: services.admission_request(
            patient=patient, clinic=clinic, by=nurse, ward_kind=WardKind.GENERAL, origin_floor=elsewhere
        ),
        "The floor belongs to another clinic.",
        field="origin_floor",
    )


def test_a_patient_has_one_open_request(admission: Admission, nurse: User) -> None:
    assert_refused(
        lambda: make_request(patient=admission.patient, clinic=admission.clinic, by=nurse),
        "This patient already has an open admission or admission request.",
    )


def test_an_admitted_patient_cannot_be_requested_again(admitted: Admission, nurse: User) -> None:
    assert_refused(
        lambda: make_request(patient=admitted.patient, clinic=admitted.clinic, by=nurse),
        "This patient already has an open admission or admission request.",
    )


def test_after_a_cancel_or_a_discharge_the_patient_may_be_requested_again(
    admission: Admission, bed: Bed, nurse: User
) -> None:
    services.admission_cancel(admission=admission, by=nurse, reason="Transferido para outro hospital")
    second = make_request(patient=admission.patient, clinic=admission.clinic, by=nurse)
    services.admission_admit(admission=second, bed=bed, by=nurse, at=NOW - timedelta(hours=1))
    services.admission_discharge(admission=second, kind=DischargeKind.HOME, by=nurse)

    third = make_request(patient=admission.patient, clinic=admission.clinic, by=nurse)

    assert list(Admission.objects.order_by("pk").values_list("pk", "status")) == [
        (admission.pk, AdmissionStatus.CANCELLED),
        (second.pk, AdmissionStatus.DISCHARGED),
        (third.pk, AdmissionStatus.REQUESTED),
    ]


# Cancel ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("reason", ["", "   "])
def test_a_cancel_needs_a_reason(admission: Admission, nurse: User, reason: str) -> None:
    assert_refused(
        lambda: services.admission_cancel(admission=admission, by=nurse, reason=reason),
        "Say why the request is cancelled.",
        field="reason",
    )


def test_a_cancel_frees_the_reserved_bed(admission: Admission, bed: Bed, nurse: User) -> None:
    services.bed_reserve(bed=bed, admission=admission, until=NOW + timedelta(hours=2), by=nurse)

    cancelled = services.admission_cancel(admission=admission, by=nurse, reason="  Paciente desistiu  ")

    assert (cancelled.status, cancelled.cancelled_reason) == (AdmissionStatus.CANCELLED, "Paciente desistiu")
    admission.refresh_from_db()
    assert admission.status == AdmissionStatus.CANCELLED
    bed.refresh_from_db()
    assert (bed.state, bed.reserved_for, bed.reserved_until) == (BedState.AVAILABLE, None, None)
    released = BedEvent.objects.filter(bed=bed).order_by("pk").last()
    assert released is not None
    assert (released.kind, released.admission, released.by) == (
        BedEvent.Kind.RESERVATION_RELEASED,
        admission,
        nurse,
    )


def test_a_cancel_leaves_alone_a_bed_whose_reservation_moved_on_meanwhile(
    admission: Admission, bed: Bed, nurse: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The reservation ran out and another patient took the bed between the look-up and the lock."""
    services.bed_reserve(bed=bed, admission=admission, until=NOW + timedelta(hours=2), by=nurse)
    lock_beds = services._lock_beds

    def taken_before_the_lock(pks: Any) -> dict[int, Bed]:
        looked_up = list(pks)
        Bed.objects.filter(pk=bed.pk).update(state=BedState.OCCUPIED, reserved_for=None, reserved_until=None)
        return lock_beds(looked_up)

    monkeypatch.setattr(services, "_lock_beds", taken_before_the_lock)

    services.admission_cancel(admission=admission, by=nurse, reason="Paciente desistiu")

    bed.refresh_from_db()
    assert bed.state == BedState.OCCUPIED
    assert events_of(bed) == [(BedEvent.Kind.RESERVED, BedState.AVAILABLE, BedState.RESERVED)]


def test_only_a_waiting_request_can_be_cancelled(admitted: Admission, nurse: User) -> None:
    assert_refused(
        lambda: services.admission_cancel(admission=admitted, by=nurse, reason="Engano"),
        "Only a request that is still waiting for a bed can be cancelled.",
    )


def test_a_cancelled_request_cannot_be_cancelled_again(admission: Admission, nurse: User) -> None:
    services.admission_cancel(admission=admission, by=nurse, reason="Engano")

    assert_refused(
        lambda: services.admission_cancel(admission=admission, by=nurse, reason="De novo"),
        "Only a request that is still waiting for a bed can be cancelled.",
    )


# Reserve and release ---------------------------------------------------------------------------------


def test_a_reservation_holds_the_bed_for_the_patient(admission: Admission, bed: Bed, nurse: User) -> None:
    until = NOW + timedelta(hours=4)

    reserved = services.bed_reserve(bed=bed, admission=admission, until=until, by=nurse)

    assert reserved.pk == bed.pk
    bed.refresh_from_db()
    assert (bed.state, bed.reserved_for, bed.reserved_until, bed.changed_at) == (
        BedState.RESERVED,
        admission,
        until,
        NOW,
    )
    event = BedEvent.objects.get(bed=bed)
    assert (event.kind, event.from_state, event.to_state, event.admission, event.by, event.at) == (
        BedEvent.Kind.RESERVED,
        BedState.AVAILABLE,
        BedState.RESERVED,
        admission,
        nurse,
        NOW,
    )


@pytest.mark.parametrize(
    ("until", "message"),
    [
        (NOW, "The reservation must end in the future."),
        (NOW - timedelta(minutes=1), "The reservation must end in the future."),
        (NOW + timedelta(hours=24, seconds=1), "A bed can be reserved for 24 hours at most."),
    ],
)
def test_a_reservation_ends_in_the_next_24_hours(
    admission: Admission, bed: Bed, nurse: User, until: datetime, message: str
) -> None:
    assert_refused(
        lambda: services.bed_reserve(bed=bed, admission=admission, until=until, by=nurse), message, field="until"
    )


def test_a_reservation_of_exactly_24_hours_is_accepted(admission: Admission, bed: Bed, nurse: User) -> None:
    services.bed_reserve(bed=bed, admission=admission, until=NOW + timedelta(hours=24), by=nurse)

    bed.refresh_from_db()
    assert (bed.state, bed.reserved_until) == (BedState.RESERVED, NOW + timedelta(hours=24))


def test_reserving_another_bed_moves_the_hold(admission: Admission, bed: Bed, other_bed: Bed, nurse: User) -> None:
    services.bed_reserve(bed=bed, admission=admission, until=NOW + timedelta(hours=2), by=nurse)

    services.bed_reserve(bed=other_bed, admission=admission, until=NOW + timedelta(hours=3), by=nurse)

    bed.refresh_from_db()
    other_bed.refresh_from_db()
    assert (bed.state, bed.reserved_for) == (BedState.AVAILABLE, None)
    assert (other_bed.state, other_bed.reserved_for, other_bed.reserved_until) == (
        BedState.RESERVED,
        admission,
        NOW + timedelta(hours=3),
    )
    assert events_of(bed) == [
        (BedEvent.Kind.RESERVED, BedState.AVAILABLE, BedState.RESERVED),
        (BedEvent.Kind.RESERVATION_RELEASED, BedState.RESERVED, BedState.AVAILABLE),
    ]


def test_moving_a_hold_leaves_alone_a_bed_another_patient_took_meanwhile(
    admission: Admission, bed: Bed, other_bed: Bed, nurse: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The hold on ``bed`` ran out and another patient took it between the look-up and the lock."""
    services.bed_reserve(bed=bed, admission=admission, until=NOW + timedelta(hours=2), by=nurse)
    lock_beds = services._lock_beds

    def taken_before_the_lock(pks: Any) -> dict[int, Bed]:
        looked_up = list(pks)
        Bed.objects.filter(pk=bed.pk).update(state=BedState.OCCUPIED, reserved_for=None, reserved_until=None)
        return lock_beds(looked_up)

    monkeypatch.setattr(services, "_lock_beds", taken_before_the_lock)

    services.bed_reserve(bed=other_bed, admission=admission, until=NOW + timedelta(hours=3), by=nurse)

    bed.refresh_from_db()
    assert bed.state == BedState.OCCUPIED
    assert events_of(bed) == [(BedEvent.Kind.RESERVED, BedState.AVAILABLE, BedState.RESERVED)]


def test_reserving_the_same_bed_again_extends_the_hold(admission: Admission, bed: Bed, nurse: User) -> None:
    services.bed_reserve(bed=bed, admission=admission, until=NOW + timedelta(hours=2), by=nurse)

    services.bed_reserve(bed=bed, admission=admission, until=NOW + timedelta(hours=6), by=nurse)

    bed.refresh_from_db()
    assert (bed.state, bed.reserved_for, bed.reserved_until) == (
        BedState.RESERVED,
        admission,
        NOW + timedelta(hours=6),
    )
    assert Bed.objects.filter(reserved_for=admission).count() == 1


def test_a_bed_reserved_for_another_patient_cannot_be_reserved(
    admission: Admission, bed: Bed, clinic: Clinic, nurse: User
) -> None:
    someone_else = make_request(clinic=clinic, by=nurse)
    services.bed_reserve(bed=bed, admission=someone_else, until=NOW + timedelta(hours=1), by=nurse)

    assert_refused(
        lambda: services.bed_reserve(bed=bed, admission=admission, until=NOW + timedelta(hours=2), by=nurse),
        "This bed is reserved for another patient.",
    )


def test_a_bed_whose_reservation_ran_out_can_be_reserved_by_another(
    admission: Admission, bed: Bed, clinic: Clinic, nurse: User
) -> None:
    someone_else = make_request(clinic=clinic, by=nurse)
    services.bed_reserve(bed=bed, admission=someone_else, until=NOW + timedelta(hours=1), by=nurse)

    with time_machine.travel(NOW + timedelta(hours=1), tick=False):
        services.bed_reserve(bed=bed, admission=admission, until=NOW + timedelta(hours=3), by=nurse)

    bed.refresh_from_db()
    assert (bed.state, bed.reserved_for) == (BedState.RESERVED, admission)


def test_only_a_waiting_request_can_have_a_bed_reserved(admitted: Admission, other_bed: Bed, nurse: User) -> None:
    assert_refused(
        lambda: services.bed_reserve(bed=other_bed, admission=admitted, until=NOW + timedelta(hours=1), by=nurse),
        "Only a patient waiting for a bed can have one reserved.",
    )


def test_a_release_gives_the_bed_back(admission: Admission, bed: Bed, nurse: User) -> None:
    services.bed_reserve(bed=bed, admission=admission, until=NOW + timedelta(hours=2), by=nurse)

    services.bed_release(bed=bed, by=nurse)

    bed.refresh_from_db()
    assert (bed.state, bed.reserved_for, bed.reserved_until) == (BedState.AVAILABLE, None, None)
    event = BedEvent.objects.filter(bed=bed).order_by("pk").last()
    assert event is not None
    assert (event.kind, event.admission, event.by) == (BedEvent.Kind.RESERVATION_RELEASED, admission, nurse)
    admission.refresh_from_db()
    assert admission.status == AdmissionStatus.REQUESTED


def test_only_a_reserved_bed_can_be_released(bed: Bed, nurse: User) -> None:
    assert_refused(lambda: services.bed_release(bed=bed, by=nurse), "This bed is not reserved.")


# Expiry ------------------------------------------------------------------------------------------------


def test_reservations_expire_when_their_time_is_up(admission: Admission, bed: Bed, clinic: Clinic, nurse: User) -> None:
    services.bed_reserve(bed=bed, admission=admission, until=NOW + timedelta(hours=1), by=nurse)
    later = bed_in(bed.room.ward)
    still_waiting = make_request(clinic=clinic, by=nurse)
    services.bed_reserve(bed=later, admission=still_waiting, until=NOW + timedelta(hours=2), by=nurse)

    with time_machine.travel(NOW + timedelta(minutes=59), tick=False):
        assert services.reservations_expire() == 0
    with time_machine.travel(NOW + timedelta(hours=1), tick=False):
        assert services.reservations_expire() == 1
        assert services.reservations_expire() == 0

    bed.refresh_from_db()
    later.refresh_from_db()
    assert (bed.state, bed.reserved_for, bed.reserved_until) == (BedState.AVAILABLE, None, None)
    assert (later.state, later.reserved_for) == (BedState.RESERVED, still_waiting)
    expired = BedEvent.objects.get(bed=bed, kind=BedEvent.Kind.RESERVATION_EXPIRED)
    assert (expired.admission, expired.by, expired.at) == (admission, None, NOW + timedelta(hours=1))
    admission.refresh_from_db()
    assert admission.status == AdmissionStatus.REQUESTED


# Admit -------------------------------------------------------------------------------------------------


def test_admitting_opens_a_stay_and_admits_the_patient(admission: Admission, bed: Bed, nurse: User) -> None:
    at = NOW - timedelta(minutes=20)

    stay = services.admission_admit(admission=admission, bed=bed, by=nurse, at=at)

    assert (stay.admission, stay.bed, stay.started_at, stay.started_by, stay.ended_at) == (
        admission,
        bed,
        at,
        nurse,
        None,
    )
    bed.refresh_from_db()
    assert (bed.state, bed.changed_at) == (BedState.OCCUPIED, NOW)
    event = BedEvent.objects.get(bed=bed)
    assert (event.kind, event.from_state, event.to_state, event.admission, event.by, event.at) == (
        BedEvent.Kind.ADMITTED,
        BedState.AVAILABLE,
        BedState.OCCUPIED,
        admission,
        nurse,
        at,
    )
    admission.refresh_from_db()
    assert (admission.status, admission.admitted_at, admission.admitted_by) == (AdmissionStatus.ADMITTED, at, nurse)
    patient = Patient.objects.get(pk=admission.patient_id)
    assert patient.status == PatientStatus.ADMITTED
    change = PatientStatusChange.objects.get(patient=patient)
    assert (change.from_status, change.to_status, change.changed_by) == (
        PatientStatus.OUTPATIENT,
        PatientStatus.ADMITTED,
        nurse,
    )
    assert bed.code in change.reason


def test_admitting_at_no_given_time_is_now(admission: Admission, bed: Bed, nurse: User) -> None:
    stay = services.admission_admit(admission=admission, bed=bed, by=nurse)

    admission.refresh_from_db()
    assert (stay.started_at, admission.admitted_at) == (NOW, NOW)


def test_the_admission_follows_the_bed_to_its_clinic(admission: Admission, nurse: User) -> None:
    elsewhere = ClinicFactory()
    bed = bed_in(WardFactory(floor=FloorFactory(clinic=elsewhere)))

    services.admission_admit(admission=admission, bed=bed, by=nurse)

    admission.refresh_from_db()
    assert admission.clinic == elsewhere


def test_admitting_to_the_reserved_bed_uses_up_the_reservation(admission: Admission, bed: Bed, nurse: User) -> None:
    services.bed_reserve(bed=bed, admission=admission, until=NOW + timedelta(hours=2), by=nurse)

    services.admission_admit(admission=admission, bed=bed, by=nurse)

    bed.refresh_from_db()
    assert (bed.state, bed.reserved_for, bed.reserved_until) == (BedState.OCCUPIED, None, None)
    assert events_of(bed) == [
        (BedEvent.Kind.RESERVED, BedState.AVAILABLE, BedState.RESERVED),
        (BedEvent.Kind.ADMITTED, BedState.RESERVED, BedState.OCCUPIED),
    ]


def test_admitting_to_another_bed_releases_the_reserved_one(
    admission: Admission, bed: Bed, other_bed: Bed, nurse: User
) -> None:
    services.bed_reserve(bed=other_bed, admission=admission, until=NOW + timedelta(hours=2), by=nurse)

    services.admission_admit(admission=admission, bed=bed, by=nurse)

    other_bed.refresh_from_db()
    assert (other_bed.state, other_bed.reserved_for) == (BedState.AVAILABLE, None)
    assert events_of(other_bed)[-1] == (BedEvent.Kind.RESERVATION_RELEASED, BedState.RESERVED, BedState.AVAILABLE)
    assert BedStay.objects.get().bed == bed


def test_admitting_leaves_alone_a_held_bed_another_patient_took_meanwhile(
    admission: Admission, bed: Bed, other_bed: Bed, nurse: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The hold ran out and another patient took ``other_bed`` between the look-up and the lock."""
    services.bed_reserve(bed=other_bed, admission=admission, until=NOW + timedelta(hours=2), by=nurse)
    lock_beds = services._lock_beds

    def taken_before_the_lock(pks: Any) -> dict[int, Bed]:
        looked_up = list(pks)
        Bed.objects.filter(pk=other_bed.pk).update(state=BedState.OCCUPIED, reserved_for=None, reserved_until=None)
        return lock_beds(looked_up)

    monkeypatch.setattr(services, "_lock_beds", taken_before_the_lock)

    services.admission_admit(admission=admission, bed=bed, by=nurse)

    other_bed.refresh_from_db()
    assert other_bed.state == BedState.OCCUPIED
    assert events_of(other_bed) == [(BedEvent.Kind.RESERVED, BedState.AVAILABLE, BedState.RESERVED)]


def test_a_bed_reserved_for_another_patient_is_refused(
    admission: Admission, bed: Bed, clinic: Clinic, nurse: User
) -> None:
    someone_else = make_request(clinic=clinic, by=nurse)
    services.bed_reserve(bed=bed, admission=someone_else, until=NOW + timedelta(hours=1), by=nurse)

    assert_refused(
        lambda: services.admission_admit(admission=admission, bed=bed, by=nurse),
        "This bed is reserved for another patient.",
    )


def test_a_bed_whose_reservation_ran_out_takes_another_patient(
    admission: Admission, bed: Bed, clinic: Clinic, nurse: User
) -> None:
    someone_else = make_request(clinic=clinic, by=nurse)
    services.bed_reserve(bed=bed, admission=someone_else, until=NOW + timedelta(hours=1), by=nurse)

    with time_machine.travel(NOW + timedelta(hours=2), tick=False):
        services.admission_admit(admission=admission, bed=bed, by=nurse)

    bed.refresh_from_db()
    assert (bed.state, bed.reserved_for) == (BedState.OCCUPIED, None)
    assert BedStay.objects.get().admission == admission


def test_a_late_record_of_an_admission_sees_the_reservation_as_it_is_now(
    admission: Admission, bed: Bed, clinic: Clinic, nurse: User
) -> None:
    """Whether a bed is free is a question about now, whatever time the admission is recorded at."""
    someone_else = make_request(clinic=clinic, by=nurse)
    services.bed_reserve(bed=bed, admission=someone_else, until=NOW + timedelta(hours=1), by=nurse)

    with time_machine.travel(NOW + timedelta(hours=2), tick=False):
        services.admission_admit(admission=admission, bed=bed, by=nurse, at=NOW + timedelta(minutes=30))

    assert BedStay.objects.get().started_at == NOW + timedelta(minutes=30)


def test_an_admission_cannot_be_recorded_in_the_future(admission: Admission, bed: Bed, nurse: User) -> None:
    assert_refused(
        lambda: services.admission_admit(admission=admission, bed=bed, by=nurse, at=NOW + timedelta(hours=1)),
        "A time in the future cannot be recorded.",
        field="at",
    )


def test_an_admitted_patient_cannot_be_admitted_again(admitted: Admission, other_bed: Bed, nurse: User) -> None:
    error = assert_refused(
        lambda: services.admission_admit(admission=admitted, bed=other_bed, by=nurse),
        "This patient has just been admitted to another bed.",
    )
    assert error.code == "already_admitted"


def test_a_cancelled_request_cannot_be_admitted(admission: Admission, bed: Bed, nurse: User) -> None:
    services.admission_cancel(admission=admission, by=nurse, reason="Engano")

    assert_refused(
        lambda: services.admission_admit(admission=admission, bed=bed, by=nurse), "This admission is cancelled."
    )


def test_an_occupied_bed_is_refused(admitted: Admission, bed: Bed, clinic: Clinic, nurse: User) -> None:
    newcomer = make_request(patient=make_patient(by=nurse, sex=Sex.MALE), clinic=clinic, by=nurse)

    error = assert_refused(
        lambda: services.admission_admit(admission=newcomer, bed=bed, by=nurse),
        "This bed was just taken by another patient. Choose another bed.",
    )
    assert error.code == "bed_taken"


@pytest.mark.parametrize(("state", "message"), [(BedState.CLEANING, "cleaning"), (BedState.BLOCKED, "blocked")])
def test_a_bed_being_cleaned_or_blocked_is_refused(
    admission: Admission, ward: Ward, nurse: User, state: str, message: str
) -> None:
    bed = bed_in(ward, state=state)

    assert_refused(
        lambda: services.admission_admit(admission=admission, bed=bed, by=nurse),
        f"This bed is {message} and cannot take a patient.",
    )


def test_a_retired_bed_or_a_closed_ward_is_refused(admission: Admission, ward: Ward, nurse: User) -> None:
    retired = bed_in(ward, retired_at=NOW - timedelta(days=1))
    closed = bed_in(WardFactory(floor=ward.floor, is_active=False))

    for bed in (retired, closed):
        assert_refused(
            lambda bed=bed: services.admission_admit(admission=admission, bed=bed, by=nurse),
            "This bed is out of service.",
        )


HARD_RULES = [
    pytest.param({"sex": RoomSex.FEMALE}, {}, "The room is women only.", id="a man in a women's room"),
    pytest.param(
        {},
        {"needs_isolation": True},
        "The patient needs isolation and this bed cannot isolate.",
        id="isolation",
    ),
    pytest.param(
        {"equipment": [Equipment.MONITOR]},
        {"equipment": [Equipment.VENTILATOR, Equipment.INFUSION_PUMP, Equipment.MONITOR]},
        "The bed lacks: infusion pump, ventilator.",
        id="equipment",
    ),
]


@pytest.mark.parametrize(("bed_fields", "needs", "message"), HARD_RULES)
def test_a_bed_that_breaks_a_hard_rule_cannot_be_reserved_or_taken(
    clinic: Clinic, ward: Ward, nurse: User, bed_fields: dict[str, Any], needs: dict[str, Any], message: str
) -> None:
    admission = make_request(patient=make_patient(by=nurse, sex=Sex.MALE), clinic=clinic, by=nurse, **needs)
    bed = bed_in(ward, **bed_fields)

    assert_refused(
        lambda: services.bed_reserve(bed=bed, admission=admission, until=NOW + timedelta(hours=1), by=nurse), message
    )
    assert_refused(lambda: services.admission_admit(admission=admission, bed=bed, by=nurse), message)


def test_a_bed_of_another_kind_of_ward_cannot_be_reserved_or_taken(
    admission: Admission, clinic: Clinic, nurse: User
) -> None:
    icu_bed = bed_in(WardFactory(floor=FloorFactory(clinic=clinic), kind=WardKind.ICU))
    message = "This bed's ward is Intensive care (ICU); General ward was asked for."

    assert_refused(
        lambda: services.bed_reserve(bed=icu_bed, admission=admission, until=NOW + timedelta(hours=1), by=nurse),
        message,
    )
    assert_refused(lambda: services.admission_admit(admission=admission, bed=icu_bed, by=nurse), message)


def test_every_broken_rule_is_named(clinic: Clinic, ward: Ward, nurse: User) -> None:
    admission = make_request(
        patient=make_patient(by=nurse, sex=Sex.FEMALE),
        clinic=clinic,
        by=nurse,
        needs_isolation=True,
        equipment=[Equipment.CRIB],
    )
    bed = bed_in(ward, sex=RoomSex.MALE)

    error = assert_refused(
        lambda: services.admission_admit(admission=admission, bed=bed, by=nurse),
        "The room is men only.",
    )
    assert error.messages == [
        "The patient needs isolation and this bed cannot isolate.",
        "The bed lacks: crib.",
        "The room is men only.",
    ]


# Transfer ----------------------------------------------------------------------------------------------


def test_a_transfer_closes_one_stay_and_opens_the_next(
    admitted: Admission, bed: Bed, other_bed: Bed, nurse: User, make_user: Callable[..., User]
) -> None:
    night_nurse = make_user(roles.WARD_NURSE)
    at = NOW - timedelta(hours=1)

    stay = services.admission_transfer(admission=admitted, bed=other_bed, by=night_nurse, at=at)

    first, second = BedStay.objects.order_by("started_at")
    assert (first.bed, first.ended_at, first.end_reason, first.ended_by) == (bed, at, StayEnd.TRANSFER, night_nurse)
    assert second.pk == stay.pk
    assert (second.bed, second.started_at, second.started_by, second.ended_at) == (other_bed, at, night_nurse, None)
    bed.refresh_from_db()
    other_bed.refresh_from_db()
    assert (bed.state, other_bed.state) == (BedState.CLEANING, BedState.OCCUPIED)
    out = BedEvent.objects.get(bed=bed, kind=BedEvent.Kind.TRANSFERRED_OUT)
    into = BedEvent.objects.get(bed=other_bed)
    ward_code = bed.room.ward.code
    assert (out.from_state, out.to_state, out.note, out.by, out.at) == (
        BedState.OCCUPIED,
        BedState.CLEANING,
        f"To bed {ward_code} {other_bed.code}",
        night_nurse,
        at,
    )
    assert (into.kind, into.from_state, into.to_state, into.note, into.admission) == (
        BedEvent.Kind.TRANSFERRED_IN,
        BedState.AVAILABLE,
        BedState.OCCUPIED,
        f"From bed {ward_code} {bed.code}",
        admitted,
    )
    admitted.refresh_from_db()
    assert admitted.status == AdmissionStatus.ADMITTED
    assert Patient.objects.get(pk=admitted.patient_id).status == PatientStatus.ADMITTED
    assert PatientStatusChange.objects.filter(patient=admitted.patient).count() == 1


def test_a_transfer_keeps_the_nurses_note(admitted: Admission, other_bed: Bed, nurse: User) -> None:
    services.admission_transfer(admission=admitted, bed=other_bed, by=nurse, note="Piora clínica")

    assert BedEvent.objects.get(bed=other_bed).note == "Piora clínica"


def test_a_transfer_to_another_kind_of_ward_changes_the_admissions_kind(
    admitted: Admission, clinic: Clinic, nurse: User
) -> None:
    icu_bed = bed_in(WardFactory(floor=FloorFactory(clinic=clinic), kind=WardKind.ICU))

    services.admission_transfer(admission=admitted, bed=icu_bed, by=nurse)

    admitted.refresh_from_db()
    assert (admitted.ward_kind, admitted.clinic) == (WardKind.ICU, clinic)
    assert BedStay.objects.get(ended_at__isnull=True).bed == icu_bed


def test_a_transfer_to_another_clinic_moves_the_admission(admitted: Admission, nurse: User) -> None:
    elsewhere = ClinicFactory()
    far_bed = bed_in(WardFactory(floor=FloorFactory(clinic=elsewhere)))

    services.admission_transfer(admission=admitted, bed=far_bed, by=nurse)

    admitted.refresh_from_db()
    assert admitted.clinic == elsewhere
    assert BedStay.objects.get(ended_at__isnull=True).bed == far_bed


@pytest.mark.parametrize(("bed_fields", "needs", "message"), HARD_RULES)
def test_a_transfer_keeps_the_hard_rules(
    clinic: Clinic, ward: Ward, nurse: User, bed_fields: dict[str, Any], needs: dict[str, Any], message: str
) -> None:
    fitting = {
        "isolation_capable": True,
        "equipment": [Equipment.VENTILATOR, Equipment.INFUSION_PUMP, Equipment.MONITOR],
    }
    admission = make_request(patient=make_patient(by=nurse, sex=Sex.MALE), clinic=clinic, by=nurse, **needs)
    services.admission_admit(admission=admission, bed=bed_in(ward, **fitting), by=nurse, at=NOW - timedelta(hours=1))
    target = bed_in(ward, **bed_fields)

    assert_refused(lambda: services.admission_transfer(admission=admission, bed=target, by=nurse), message)


def test_a_transfer_to_the_same_bed_is_refused(admitted: Admission, bed: Bed, nurse: User) -> None:
    assert_refused(
        lambda: services.admission_transfer(admission=admitted, bed=bed, by=nurse),
        "The patient is already in this bed.",
    )


def test_a_transfer_to_an_occupied_bed_is_refused(
    admitted: Admission, other_bed: Bed, clinic: Clinic, nurse: User
) -> None:
    services.admission_admit(admission=make_request(clinic=clinic, by=nurse), bed=other_bed, by=nurse)

    assert_refused(
        lambda: services.admission_transfer(admission=admitted, bed=other_bed, by=nurse),
        "This bed was just taken by another patient. Choose another bed.",
    )


def test_a_transfer_to_a_bed_reserved_for_another_patient_is_refused(
    admitted: Admission, other_bed: Bed, clinic: Clinic, nurse: User
) -> None:
    waiting = make_request(clinic=clinic, by=nurse)
    services.bed_reserve(bed=other_bed, admission=waiting, until=NOW + timedelta(hours=1), by=nurse)

    assert_refused(
        lambda: services.admission_transfer(admission=admitted, bed=other_bed, by=nurse),
        "This bed is reserved for another patient.",
    )


def test_a_transfer_before_the_patient_came_to_the_bed_is_refused(
    admitted: Admission, other_bed: Bed, nurse: User
) -> None:
    assert_refused(
        lambda: services.admission_transfer(admission=admitted, bed=other_bed, by=nurse, at=NOW - timedelta(hours=4)),
        "The time must be after the patient came to the bed.",
    )


def test_a_transfer_cannot_be_recorded_in_the_future(admitted: Admission, other_bed: Bed, nurse: User) -> None:
    assert_refused(
        lambda: services.admission_transfer(admission=admitted, bed=other_bed, by=nurse, at=NOW + timedelta(hours=1)),
        "A time in the future cannot be recorded.",
        field="at",
    )


def test_only_an_admitted_patient_can_be_transferred(admission: Admission, bed: Bed, nurse: User) -> None:
    assert_refused(
        lambda: services.admission_transfer(admission=admission, bed=bed, by=nurse),
        "Only an admitted patient can be transferred.",
    )


# Discharge ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", DischargeKind.values)
def test_a_discharge_ends_the_admission_and_sends_the_bed_to_cleaning(
    admitted: Admission, bed: Bed, nurse: User, kind: str
) -> None:
    at = NOW - timedelta(minutes=10)

    discharged = services.admission_discharge(admission=admitted, kind=kind, by=nurse, notes="  Orientado  ", at=at)

    assert discharged.pk == admitted.pk
    admitted.refresh_from_db()
    assert (
        admitted.status,
        admitted.discharged_at,
        admitted.discharged_by,
        admitted.discharge_kind,
        admitted.discharge_notes,
    ) == (AdmissionStatus.DISCHARGED, at, nurse, kind, "Orientado")
    stay = BedStay.objects.get()
    assert (stay.ended_at, stay.end_reason, stay.ended_by) == (at, StayEnd.DISCHARGE, nurse)
    bed.refresh_from_db()
    assert bed.state == BedState.CLEANING
    event = BedEvent.objects.get(bed=bed, kind=BedEvent.Kind.DISCHARGED)
    assert (event.from_state, event.to_state, event.note, event.admission, event.at) == (
        BedState.OCCUPIED,
        BedState.CLEANING,
        str(DischargeKind(kind).label),
        admitted,
        at,
    )
    assert Patient.objects.get(pk=admitted.patient_id).status == PatientStatus.OUTPATIENT
    assert list(
        PatientStatusChange.objects.filter(patient=admitted.patient)
        .order_by("pk")
        .values_list("from_status", "to_status", "changed_by")
    ) == [
        (PatientStatus.OUTPATIENT, PatientStatus.ADMITTED, nurse.pk),
        (PatientStatus.ADMITTED, PatientStatus.OUTPATIENT, nurse.pk),
    ]


@pytest.mark.parametrize("kind", ["", "escaped", "home "])
def test_a_discharge_needs_a_known_kind(admitted: Admission, nurse: User, kind: str) -> None:
    assert_refused(
        lambda: services.admission_discharge(admission=admitted, kind=kind, by=nurse),
        "Choose how the patient leaves.",
        field="kind",
    )


def test_a_discharge_cannot_be_recorded_in_the_future(admitted: Admission, nurse: User) -> None:
    assert_refused(
        lambda: services.admission_discharge(
            admission=admitted, kind=DischargeKind.HOME, by=nurse, at=NOW + timedelta(hours=1)
        ),
        "A time in the future cannot be recorded.",
        field="at",
    )


def test_a_discharge_before_the_patient_came_to_the_bed_is_refused(admitted: Admission, nurse: User) -> None:
    assert_refused(
        lambda: services.admission_discharge(
            admission=admitted, kind=DischargeKind.HOME, by=nurse, at=NOW - timedelta(hours=5)
        ),
        "The time must be after the patient came to the bed.",
    )


def test_only_an_admitted_patient_can_be_discharged(admission: Admission, nurse: User) -> None:
    assert_refused(
        lambda: services.admission_discharge(admission=admission, kind=DischargeKind.HOME, by=nurse),
        "Only an admitted patient can be discharged.",
    )


def test_a_discharged_patient_cannot_be_discharged_again(admitted: Admission, nurse: User) -> None:
    services.admission_discharge(admission=admitted, kind=DischargeKind.HOME, by=nurse)

    assert_refused(
        lambda: services.admission_discharge(admission=admitted, kind=DischargeKind.DEATH, by=nurse),
        "Only an admitted patient can be discharged.",
    )


# Cleaning and blocks -----------------------------------------------------------------------------------


def test_a_cleaned_bed_is_available_again(admitted: Admission, bed: Bed, nurse: User) -> None:
    services.admission_discharge(admission=admitted, kind=DischargeKind.HOME, by=nurse)

    services.bed_mark_clean(bed=bed, by=nurse)

    bed.refresh_from_db()
    assert bed.state == BedState.AVAILABLE
    event = BedEvent.objects.filter(bed=bed).order_by("pk").last()
    assert event is not None
    assert (event.kind, event.from_state, event.to_state, event.by, event.at) == (
        BedEvent.Kind.CLEANED,
        BedState.CLEANING,
        BedState.AVAILABLE,
        nurse,
        NOW,
    )


def test_only_a_bed_waiting_for_cleaning_can_be_marked_clean(
    admitted: Admission, bed: Bed, other_bed: Bed, nurse: User
) -> None:
    for not_dirty in (bed, other_bed):
        assert_refused(
            lambda not_dirty=not_dirty: services.bed_mark_clean(bed=not_dirty, by=nurse),
            "Only a bed waiting for cleaning can be marked clean.",
        )


@pytest.mark.parametrize("state", [BedState.AVAILABLE, BedState.CLEANING])
def test_a_free_bed_can_be_blocked(ward: Ward, nurse: User, state: str) -> None:
    bed = bed_in(ward, state=state)

    services.bed_block(bed=bed, reason="  Troca do colchão  ", by=nurse)

    bed.refresh_from_db()
    assert (bed.state, bed.blocked_reason) == (BedState.BLOCKED, "Troca do colchão")
    block = BedBlock.objects.get()
    assert (block.bed, block.reason, block.started_at, block.started_by, block.ended_at) == (
        bed,
        "Troca do colchão",
        NOW,
        nurse,
        None,
    )
    event = BedEvent.objects.get(bed=bed)
    assert (event.kind, event.from_state, event.to_state, event.note) == (
        BedEvent.Kind.BLOCKED,
        state,
        BedState.BLOCKED,
        "Troca do colchão",
    )


@pytest.mark.parametrize(
    ("reason", "message"),
    [
        ("", "Say why the bed is blocked."),
        ("  ", "Say why the bed is blocked."),
        ("x" * 201, "Keep the reason under 200 characters."),
    ],
)
def test_a_block_needs_a_short_reason(bed: Bed, nurse: User, reason: str, message: str) -> None:
    assert_refused(lambda: services.bed_block(bed=bed, reason=reason, by=nurse), message, field="reason")


def test_an_occupied_reserved_or_blocked_bed_cannot_be_blocked(
    admitted: Admission, bed: Bed, ward: Ward, clinic: Clinic, nurse: User
) -> None:
    reserved = bed_in(ward)
    services.bed_reserve(
        bed=reserved, admission=make_request(clinic=clinic, by=nurse), until=NOW + timedelta(hours=1), by=nurse
    )
    blocked = bed_in(ward)
    services.bed_block(bed=blocked, reason="Infiltração", by=nurse)

    for taken, state in ((bed, "occupied"), (reserved, "reserved"), (blocked, "blocked")):
        assert_refused(
            lambda taken=taken: services.bed_block(bed=taken, reason="Manutenção", by=nurse),
            f"Only a free bed can be blocked; this one is {state}.",
        )


def test_an_unblocked_bed_is_available_and_its_block_ends(
    bed: Bed, nurse: User, make_user: Callable[..., User]
) -> None:
    services.bed_block(bed=bed, reason="Troca do colchão", by=nurse, at=NOW - timedelta(hours=2))
    day_nurse = make_user(roles.WARD_NURSE)

    services.bed_unblock(bed=bed, by=day_nurse)

    bed.refresh_from_db()
    assert (bed.state, bed.blocked_reason) == (BedState.AVAILABLE, "")
    block = BedBlock.objects.get()
    assert (block.started_at, block.ended_at, block.ended_by) == (NOW - timedelta(hours=2), NOW, day_nurse)
    assert events_of(bed) == [
        (BedEvent.Kind.BLOCKED, BedState.AVAILABLE, BedState.BLOCKED),
        (BedEvent.Kind.UNBLOCKED, BedState.BLOCKED, BedState.AVAILABLE),
    ]


def test_only_a_blocked_bed_can_be_unblocked(bed: Bed, nurse: User) -> None:
    assert_refused(lambda: services.bed_unblock(bed=bed, by=nurse), "This bed is not blocked.")


def test_an_unblock_before_the_block_began_is_refused(bed: Bed, nurse: User) -> None:
    services.bed_block(bed=bed, reason="Troca do colchão", by=nurse)

    assert_refused(
        lambda: services.bed_unblock(bed=bed, by=nurse, at=NOW - timedelta(hours=1)),
        "The bed cannot be unblocked before it was blocked.",
        field="at",
    )


def test_a_block_over_an_earlier_block_is_refused(bed: Bed, nurse: User) -> None:
    services.bed_block(bed=bed, reason="Troca do colchão", by=nurse, at=NOW - timedelta(hours=3))
    services.bed_unblock(bed=bed, by=nurse, at=NOW - timedelta(hours=1))

    assert_refused(
        lambda: services.bed_block(bed=bed, reason="Pintura", by=nurse, at=NOW - timedelta(hours=2)),
        "The bed was already blocked at that time.",
        field="at",
    )


# A whole stay ------------------------------------------------------------------------------------------


def test_a_whole_stay_from_request_to_clean_bed(clinic: Clinic, ward: Ward, nurse: User) -> None:
    first, second = bed_in(ward), bed_in(ward)
    admission = make_request(clinic=clinic, by=nurse)

    services.bed_reserve(bed=first, admission=admission, until=NOW + timedelta(hours=1), by=nurse)
    services.admission_admit(admission=admission, bed=first, by=nurse, at=NOW - timedelta(hours=5))
    services.admission_transfer(admission=admission, bed=second, by=nurse, at=NOW - timedelta(hours=2))
    services.bed_mark_clean(bed=first, by=nurse)
    services.admission_discharge(admission=admission, kind=DischargeKind.HOME, by=nurse)
    services.bed_mark_clean(bed=second, by=nurse)

    assert events_of(first) == [
        (BedEvent.Kind.RESERVED, BedState.AVAILABLE, BedState.RESERVED),
        (BedEvent.Kind.ADMITTED, BedState.RESERVED, BedState.OCCUPIED),
        (BedEvent.Kind.TRANSFERRED_OUT, BedState.OCCUPIED, BedState.CLEANING),
        (BedEvent.Kind.CLEANED, BedState.CLEANING, BedState.AVAILABLE),
    ]
    assert events_of(second) == [
        (BedEvent.Kind.TRANSFERRED_IN, BedState.AVAILABLE, BedState.OCCUPIED),
        (BedEvent.Kind.DISCHARGED, BedState.OCCUPIED, BedState.CLEANING),
        (BedEvent.Kind.CLEANED, BedState.CLEANING, BedState.AVAILABLE),
    ]
    assert list(BedStay.objects.order_by("started_at").values_list("bed", "started_at", "ended_at", "end_reason")) == [
        (first.pk, NOW - timedelta(hours=5), NOW - timedelta(hours=2), StayEnd.TRANSFER),
        (second.pk, NOW - timedelta(hours=2), NOW, StayEnd.DISCHARGE),
    ]
    assert set(Bed.objects.values_list("state", flat=True)) == {BedState.AVAILABLE}


@pytest.mark.parametrize("state", [BedState.CLEANING, BedState.BLOCKED])
def test_a_retired_bed_takes_no_ward_step(state: str, nurse: User) -> None:
    bed = BedFactory(state=state, retired_at=NOW)
    step = services.bed_mark_clean if state == BedState.CLEANING else services.bed_unblock
    with pytest.raises(ValidationError, match="This bed is out of service"):
        step(bed=bed, by=nurse)
    with pytest.raises(ValidationError, match="This bed is out of service"):
        services.bed_block(bed=bed, reason="Manutenção", by=nurse)
    bed.refresh_from_db()
    assert bed.state == state and not BedEvent.objects.filter(bed=bed).exists()


def test_a_bed_blocked_while_waiting_for_cleaning_goes_back_to_cleaning(bed: Bed, nurse: User) -> None:
    Bed.objects.filter(pk=bed.pk).update(state=BedState.CLEANING)
    services.bed_block(bed=bed, reason="Troca do colchão", by=nurse, at=NOW - timedelta(hours=1))
    services.bed_unblock(bed=bed, by=nurse)
    bed.refresh_from_db()
    assert bed.state == BedState.CLEANING
    services.bed_mark_clean(bed=bed, by=nurse)
    bed.refresh_from_db()
    assert bed.state == BedState.AVAILABLE


def test_steps_recorded_after_the_fact_keep_their_time_in_the_patient_status_history(
    admission: Admission, bed: Bed, nurse: User
) -> None:
    admitted_at, discharged_at = NOW - timedelta(days=3), NOW - timedelta(hours=5)
    services.admission_admit(admission=admission, bed=bed, by=nurse, at=admitted_at)
    services.admission_discharge(admission=admission, kind=DischargeKind.HOME, by=nurse, at=discharged_at)
    changes = PatientStatusChange.objects.filter(patient=admission.patient).order_by("changed_at")
    assert [(c.to_status, c.changed_at) for c in changes] == [
        (PatientStatus.ADMITTED, admitted_at),
        (PatientStatus.OUTPATIENT, discharged_at),
    ]


def test_a_cancelled_request_says_who_cancelled_it_and_when(admission: Admission, nurse: User) -> None:
    services.admission_cancel(admission=admission, by=nurse, reason="Família optou por outro hospital")
    admission.refresh_from_db()
    assert (admission.cancelled_by, admission.cancelled_at) == (nurse, NOW)
