"""Bed suggestions: the hard rules never bend, the preferences order what is left, and each says why."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from beds import services
from beds.models import Admission, Bed, BedState, Equipment, RoomSex, Ward, WardKind, WardRoom
from beds.selectors import bed_suggestions
from clinic.models import Clinic, Floor
from patients.models import Sex
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
def clinic(db: None) -> Clinic:
    return ClinicFactory(name="Hospital Paulista")


@pytest.fixture
def floor(clinic: Clinic) -> Floor:
    return FloorFactory(clinic=clinic, level=3, name="3º andar")


@pytest.fixture
def nurse(make_user: Callable[..., User]) -> User:
    return make_user(roles.WARD_NURSE)


@pytest.fixture
def ward(floor: Floor) -> Ward:
    return WardFactory(floor=floor, code="CM-1")


def room_in(ward: Ward, *, code: str | None = None, sex: str = RoomSex.ANY) -> WardRoom:
    return WardRoomFactory(ward=ward, sex=sex, **({"code": code} if code else {}))


def bed_in(ward_or_room: Ward | WardRoom, **fields: Any) -> Bed:
    room = ward_or_room if isinstance(ward_or_room, WardRoom) else room_in(ward_or_room)
    return BedFactory(room=room, **fields)


def request_for(clinic: Clinic, *, sex: str = Sex.MALE, **needs: Any) -> Admission:
    return make_request(patient=make_patient(sex=sex), clinic=clinic, **needs)


def offered(admission: Admission, user: User, **options: Any) -> list[Bed]:
    return [suggestion.bed for suggestion in bed_suggestions(admission, user=user, **options)]


# Hard rules --------------------------------------------------------------------------------------------


def test_a_patient_needing_isolation_is_offered_only_beds_that_isolate(clinic: Clinic, ward: Ward, nurse: User) -> None:
    isolating = bed_in(ward, isolation_capable=True)
    bed_in(ward, isolation_capable=False)

    assert offered(request_for(clinic, needs_isolation=True), nurse) == [isolating]


def test_a_patient_not_needing_isolation_may_have_any_bed(clinic: Clinic, ward: Ward, nurse: User) -> None:
    beds = {bed_in(ward, isolation_capable=True), bed_in(ward, isolation_capable=False)}

    assert set(offered(request_for(clinic), nurse)) == beds


@pytest.mark.parametrize(
    ("patient_sex", "room_sexes"),
    [
        (Sex.FEMALE, {RoomSex.ANY, RoomSex.FEMALE}),
        (Sex.MALE, {RoomSex.ANY, RoomSex.MALE}),
        (Sex.INTERSEX, {RoomSex.ANY}),
        (Sex.UNKNOWN, {RoomSex.ANY}),
    ],
)
def test_a_patient_is_offered_only_rooms_open_to_their_sex(
    clinic: Clinic, ward: Ward, nurse: User, patient_sex: str, room_sexes: set[str]
) -> None:
    for sex in RoomSex.values:
        bed_in(room_in(ward, sex=sex))

    beds = offered(request_for(clinic, sex=patient_sex), nurse)

    assert {bed.room.sex for bed in beds} == room_sexes
    assert len(beds) == len(room_sexes)


def test_the_bed_has_every_piece_of_equipment_asked_for(clinic: Clinic, ward: Ward, nurse: User) -> None:
    more = bed_in(ward, equipment=[Equipment.OXYGEN, Equipment.VENTILATOR, Equipment.MONITOR])
    exact = bed_in(ward, equipment=[Equipment.MONITOR, Equipment.VENTILATOR])
    bed_in(ward, equipment=[Equipment.VENTILATOR])
    bare = bed_in(ward, equipment=[])

    needing = request_for(clinic, equipment=[Equipment.VENTILATOR, Equipment.MONITOR])
    assert set(offered(needing, nurse)) == {more, exact}
    assert bare in offered(request_for(clinic), nurse)
    assert len(offered(request_for(clinic), nurse)) == 4


def test_the_kind_of_ward_is_the_one_asked_for_unless_told_otherwise(clinic: Clinic, floor: Floor, nurse: User) -> None:
    icu = bed_in(WardFactory(floor=floor, kind=WardKind.ICU))
    general = bed_in(WardFactory(floor=floor, kind=WardKind.GENERAL))
    admission = request_for(clinic, ward_kind=WardKind.ICU)

    assert offered(admission, nurse) == [icu]
    assert offered(admission, nurse, ward_kind=WardKind.GENERAL) == [general]
    assert set(offered(admission, nurse, ward_kind="")) == {icu, general}


def test_only_free_beds_in_service_are_offered(clinic: Clinic, ward: Ward, floor: Floor, nurse: User) -> None:
    free = bed_in(ward)
    bed_in(ward, state=BedState.CLEANING)
    blocked = bed_in(ward)
    services.bed_block(bed=blocked, reason="Manutenção", by=nurse)
    occupied = bed_in(ward)
    services.admission_admit(admission=request_for(clinic), bed=occupied, by=nurse)
    held_for_another = bed_in(ward)
    services.bed_reserve(bed=held_for_another, admission=request_for(clinic), until=NOW + timedelta(hours=1), by=nurse)
    bed_in(ward, retired_at=NOW - timedelta(days=1))
    bed_in(WardFactory(floor=floor, is_active=False))

    assert offered(request_for(clinic), nurse) == [free]


def test_a_bed_whose_reservation_ran_out_is_offered(clinic: Clinic, ward: Ward, nurse: User) -> None:
    bed = bed_in(ward)
    services.bed_reserve(bed=bed, admission=request_for(clinic), until=NOW + timedelta(hours=1), by=nurse)
    admission = request_for(clinic)

    assert offered(admission, nurse) == []
    with time_machine.travel(NOW + timedelta(hours=1), tick=False):
        assert offered(admission, nurse) == [bed]


def test_beds_of_clinics_the_user_cannot_see_are_not_offered(
    clinic: Clinic, ward: Ward, nurse: User, make_user: Callable[..., User]
) -> None:
    ours = bed_in(ward)
    elsewhere = ClinicFactory()
    theirs = bed_in(WardFactory(floor=FloorFactory(clinic=elsewhere)))
    admission = request_for(clinic)

    assert offered(admission, nurse) == [ours]
    assert offered(admission, make_user(roles.WARD_NURSE, clinics=[clinic, elsewhere])) == [ours, theirs]
    assert set(offered(admission, make_user(roles.MANAGER, clinics=[]))) == {ours, theirs}
    assert offered(admission, make_user(roles.WARD_NURSE, clinics=[elsewhere])) == [theirs]


# Preferences -------------------------------------------------------------------------------------------


def occupy(room: WardRoom) -> Bed:
    """A bed of ``room`` in use (the suggestion counts occupied beds; who lies there does not matter)."""
    return bed_in(room, state=BedState.OCCUPIED)


def test_the_bed_reserved_for_this_patient_comes_first(clinic: Clinic, ward: Ward, nurse: User) -> None:
    elsewhere = ClinicFactory(name="AAA Hospital")
    busy_room = room_in(WardFactory(floor=FloorFactory(clinic=elsewhere), code="ZZ"), code="999")
    occupy(busy_room)
    reserved = bed_in(busy_room)
    here = bed_in(ward)
    admission = request_for(clinic)
    services.bed_reserve(bed=reserved, admission=admission, until=NOW + timedelta(hours=1), by=nurse)
    nurse.clinics.add(elsewhere)

    assert offered(admission, nurse) == [reserved, here]


def test_a_bed_of_the_same_clinic_comes_before_another_clinics(clinic: Clinic, ward: Ward, nurse: User) -> None:
    """Ours is on another floor, in a half-full room; theirs would win every later tie-break."""
    elsewhere = ClinicFactory(name="AAA Hospital")
    theirs = bed_in(WardFactory(floor=FloorFactory(clinic=elsewhere), code="AA"))
    our_room = room_in(WardFactory(floor=FloorFactory(clinic=clinic, level=1), code="ZZ"))
    occupy(our_room)
    ours = bed_in(our_room)
    nurse.clinics.add(elsewhere)

    assert offered(request_for(clinic), nurse) == [ours, theirs]
    assert offered(request_for(clinic), nurse, near_clinic=elsewhere) == [theirs, ours]


def test_a_bed_on_the_patients_floor_comes_before_other_floors(clinic: Clinic, floor: Floor, nurse: User) -> None:
    """The bed upstairs is in an empty room of a ward that sorts first; the one on the patient's floor is not."""
    upstairs = bed_in(WardFactory(floor=FloorFactory(clinic=clinic, level=4), code="AA"))
    near_room = room_in(WardFactory(floor=floor, code="ZZ"))
    occupy(near_room)
    near = bed_in(near_room)
    admission = request_for(clinic, origin_floor=floor)

    assert offered(admission, nurse) == [near, upstairs]
    assert offered(admission, nurse, near_floor=upstairs.room.ward.floor) == [upstairs, near]
    assert offered(request_for(clinic), nurse) == [upstairs, near]


def test_a_bed_in_an_emptier_room_comes_first(clinic: Clinic, ward: Ward, nurse: User) -> None:
    fuller_room, emptier_room = room_in(ward, code="101"), room_in(ward, code="102")
    occupy(fuller_room)
    occupy(fuller_room)
    occupy(emptier_room)
    in_fuller, in_emptier = bed_in(fuller_room), bed_in(emptier_room)
    in_empty = bed_in(room_in(ward, code="103"))

    assert offered(request_for(clinic), nurse) == [in_empty, in_emptier, in_fuller]


def test_the_list_is_cut_at_the_limit(clinic: Clinic, ward: Ward, nurse: User) -> None:
    room = room_in(ward)
    beds = [bed_in(room, code=f"L{n}") for n in range(5)]

    assert offered(request_for(clinic), nurse, limit=3) == beds[:3]


# Reasons -----------------------------------------------------------------------------------------------


def test_each_suggestion_says_why(clinic: Clinic, floor: Floor, nurse: User) -> None:
    fitting = {"isolation_capable": True, "equipment": [Equipment.VENTILATOR]}
    women = room_in(WardFactory(floor=floor, kind=WardKind.ICU, code="UTI-1"), sex=RoomSex.FEMALE)
    occupy(women)
    bed_in(women, retired_at=NOW - timedelta(days=1))
    reserved = bed_in(women, **fitting)
    elsewhere = ClinicFactory(name="Hospital Carioca")
    far = bed_in(WardFactory(floor=FloorFactory(clinic=elsewhere), kind=WardKind.ICU), **fitting)
    nurse.clinics.add(elsewhere)
    admission = request_for(
        clinic,
        sex=Sex.FEMALE,
        ward_kind=WardKind.ICU,
        needs_isolation=True,
        equipment=[Equipment.VENTILATOR],
        origin_floor=floor,
    )
    services.bed_reserve(bed=reserved, admission=admission, until=NOW + timedelta(hours=1), by=nurse)

    suggestions = bed_suggestions(admission, user=nurse)

    assert [(s.bed, s.reasons) for s in suggestions] == [
        (
            reserved,
            [
                "Reserved for this patient",
                "Intensive care (ICU), as asked",
                "Can isolate",
                "Has the equipment asked for",
                "Women only",
                "Same clinic",
                "Same floor (3º andar)",
                "1 of 2 beds in the room occupied",
            ],
        ),
        (
            far,
            [
                "Intensive care (ICU), as asked",
                "Can isolate",
                "Has the equipment asked for",
                "Another clinic: Hospital Carioca",
                "Empty room",
            ],
        ),
    ]


def test_a_plain_request_gets_the_plain_reasons(clinic: Clinic, ward: Ward, nurse: User) -> None:
    bed = bed_in(ward)

    (suggestion,) = bed_suggestions(request_for(clinic), user=nurse, ward_kind="")

    assert (suggestion.bed, suggestion.reasons) == (bed, ["Same clinic", "Empty room"])


# Cost --------------------------------------------------------------------------------------------------


def test_the_suggestion_costs_the_same_queries_for_few_or_many_beds(
    clinic: Clinic, floor: Floor, make_user: Callable[..., User], django_assert_max_num_queries: Any
) -> None:
    admission = request_for(clinic, origin_floor=floor)
    elsewhere = ClinicFactory()

    def queries_for_fresh_user() -> int:
        user = make_user(roles.WARD_NURSE, clinics=[clinic, elsewhere])
        fresh = Admission.objects.get(pk=admission.pk)
        with CaptureQueriesContext(connection) as captured:
            for suggestion in bed_suggestions(fresh, user=user, limit=100):
                assert suggestion.reasons
        return len(captured)

    bed_in(WardFactory(floor=floor))
    few = queries_for_fresh_user()
    for clinic_here, level in ((clinic, 5), (elsewhere, 1)):
        ward = WardFactory(floor=FloorFactory(clinic=clinic_here, level=level))
        for _ in range(4):
            room = room_in(ward, sex=RoomSex.MALE)
            occupy(room)
            for _ in range(5):
                bed_in(room)
    many = queries_for_fresh_user()

    assert few == many
    user = make_user(roles.WARD_NURSE, clinics=[clinic, elsewhere])
    user.has_perm("clinic.view_all_clinics")  # the permissions are read once per request, by the view
    loaded = Admission.objects.select_related("patient", "clinic", "origin_floor").get(pk=admission.pk)
    with django_assert_max_num_queries(2):  # the user's clinics, then the beds
        assert len(bed_suggestions(loaded, user=user, limit=100)) == 41
