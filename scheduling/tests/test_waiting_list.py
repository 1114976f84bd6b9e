"""The waiting list's rules: who waits, in what order, who is offered a free time, and which times are free."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.utils import translation

from clinic.models import Clinic, Room
from patients.models import Patient
from scheduling.models import Appointment, AppointmentStatus, WaitingListEntry
from scheduling.services import appointment_transition
from scheduling.tests.setup import SAO_PAULO, book, build
from scheduling.waiting_list import (
    candidates_for_appointment,
    candidates_for_slot,
    freed_slots,
    waiting_list,
    waiting_list_add,
    waiting_list_mark_booked,
    waiting_list_remove,
)
from staff import roles
from staff.models import PractitionerSpecialty, WorkingHours
from tests.concurrency import all_at_once
from tests.factories import ClinicFactory, PractitionerFactory, RoomFactory, SpecialtyFactory, UserFactory, make_patient

NOW = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)  # a Friday; build() books the Monday after
MONDAY = date(2026, 12, 7)
Priority = WaitingListEntry.Priority


@pytest.fixture(autouse=True)
def _frozen_now_in_english() -> Iterator[None]:
    with time_machine.travel(NOW, tick=False), translation.override("en"):
        yield


@pytest.fixture
def setting(db: None) -> dict[str, Any]:
    s = build()
    s["clinic"] = s["room"].clinic
    return s


def at(hour: int, minute: int = 0) -> datetime:
    return datetime.combine(MONDAY, time(hour, minute), tzinfo=SAO_PAULO)


def add(s: dict[str, Any], patient: Patient | None = None, *, days_ago: int = 0, **fields: Any) -> WaitingListEntry:
    """An entry for the setting's specialty, as if added ``days_ago`` days before now."""
    entry = waiting_list_add(
        patient=patient or make_patient(),
        specialty=fields.pop("specialty", s["specialty"]),
        by=s["by"],
        priority=fields.pop("priority", Priority.ROUTINE),
        **fields,
    )
    WaitingListEntry.objects.filter(pk=entry.pk).update(created_at=NOW - timedelta(days=days_ago))
    entry.refresh_from_db()
    return entry


def second_practitioner(s: dict[str, Any], clinic: Clinic | None = None) -> Any:
    """Another practitioner of the same specialty, with Monday hours in ``clinic`` (the setting's by default)."""
    clinic = clinic or s["clinic"]
    room = RoomFactory(floor__clinic=clinic, kind=Room.Kind.CONSULTING)
    other = PractitionerFactory()
    other.user.clinics.add(clinic)
    PractitionerSpecialty.objects.create(practitioner=other, specialty=s["specialty"])
    WorkingHours.objects.create(
        practitioner=other,
        clinic=clinic,
        room=room,
        weekday=0,
        start_time=time(8),
        end_time=time(12),
        valid_from=date(2026, 1, 1),
    )
    return other


def cancel(appointment: Appointment, by: Any) -> Appointment:
    return appointment_transition(appointment=appointment, to=AppointmentStatus.CANCELLED, by=by, reason="Viajou")


# Adding -------------------------------------------------------------------------------------


def test_the_queue_is_ordered_by_priority_then_by_how_long_they_wait(setting: dict[str, Any]) -> None:
    old_routine = add(setting, days_ago=30)
    new_urgent = add(setting, days_ago=1, priority=Priority.URGENT)
    old_priority = add(setting, days_ago=20, priority=Priority.PRIORITY)
    new_priority = add(setting, days_ago=2, priority=Priority.PRIORITY)
    new_routine = add(setting, days_ago=3)
    queue = list(waiting_list(clinics=Clinic.objects.all()))
    assert queue == [new_urgent, old_priority, new_priority, old_routine, new_routine]


def test_a_patient_waits_once_per_specialty_and_is_told_which_entry_exists(setting: dict[str, Any]) -> None:
    patient = make_patient()
    first = add(setting, patient, days_ago=3, priority=Priority.URGENT)
    with pytest.raises(ValidationError) as refused:
        add(setting, patient)
    message = refused.value.message_dict["specialty"][0]
    assert patient.display_name in message
    assert setting["specialty"].name in message
    assert "12/01/2026" in message and "urgent" in message  # since when, and how urgent
    assert list(WaitingListEntry.objects.filter(patient=patient)) == [first]
    other_specialty = SpecialtyFactory()
    assert add(setting, patient, specialty=other_specialty).specialty == other_specialty


def test_once_removed_the_patient_may_wait_again(setting: dict[str, Any]) -> None:
    patient = make_patient()
    waiting_list_remove(entry=add(setting, patient), by=setting["by"], reason="Desistiu")
    again = add(setting, patient)
    assert again.status == WaitingListEntry.Status.WAITING


def test_a_practitioner_who_does_not_attend_the_specialty_is_refused(setting: dict[str, Any]) -> None:
    stranger = PractitionerFactory()
    with pytest.raises(ValidationError) as refused:
        add(setting, practitioner=stranger)
    assert refused.value.message_dict == {
        "practitioner": [f"{stranger.user} does not attend {setting['specialty'].name}."]
    }
    assert not WaitingListEntry.objects.exists()
    entry = add(setting, practitioner=setting["practitioner"])
    assert entry.practitioner == setting["practitioner"]


def test_a_clinic_must_be_one_the_practitioner_works_in(setting: dict[str, Any]) -> None:
    elsewhere = ClinicFactory()
    setting["by"].clinics.add(elsewhere)
    with pytest.raises(ValidationError) as refused:
        add(setting, practitioner=setting["practitioner"], clinic=elsewhere)
    assert refused.value.message_dict == {
        "clinic": [f"{setting['practitioner'].user} does not work in {elsewhere.name}."]
    }
    entry = add(setting, practitioner=setting["practitioner"], clinic=setting["clinic"])
    assert entry.clinic == setting["clinic"]
    assert add(setting, clinic=elsewhere).clinic == elsewhere  # without a practitioner, any clinic of the user's


def test_a_clinic_outside_the_users_clinics_is_refused(setting: dict[str, Any]) -> None:
    with pytest.raises(ValidationError) as refused:
        add(setting, clinic=ClinicFactory())
    assert "clinic" in refused.value.message_dict
    assert not WaitingListEntry.objects.exists()


def test_concurrent_adds_of_one_patient_and_specialty_leave_one_entry(transactional_db: None) -> None:
    s = build()
    patient = make_patient()

    outcomes = all_at_once(
        8,
        lambda i: waiting_list_add(patient=patient, specialty=s["specialty"], by=s["by"], priority=Priority.ROUTINE),
    )

    winners = [o for o in outcomes if isinstance(o, WaitingListEntry)]
    refused = [o for o in outcomes if isinstance(o, ValidationError)]
    assert len(winners) == 1, outcomes
    assert len(refused) == 7, outcomes
    assert all(error.error_dict["specialty"][0].code == "duplicate" for error in refused)
    assert list(WaitingListEntry.objects.values_list("pk", flat=True)) == [winners[0].pk]


# Removing and booking -------------------------------------------------------------------------


@pytest.mark.parametrize("reason", ["", "   "])
def test_removal_needs_a_reason_and_changes_nothing_without_one(setting: dict[str, Any], reason: str) -> None:
    entry = add(setting)
    with pytest.raises(ValidationError, match="Say why"):
        waiting_list_remove(entry=entry, by=setting["by"], reason=reason)
    entry.refresh_from_db()
    assert (entry.status, entry.closed_at, entry.closed_reason) == (WaitingListEntry.Status.WAITING, None, "")


def test_removal_records_why_when_and_who(setting: dict[str, Any]) -> None:
    entry = add(setting)
    removed = waiting_list_remove(entry=entry, by=setting["by"], reason="  Conseguiu vaga no SUS ")
    assert (removed.status, removed.closed_reason, removed.closed_at) == ("removed", "Conseguiu vaga no SUS", NOW)
    assert removed.history.first().history_user == setting["by"]  # type: ignore[attr-defined]
    assert list(waiting_list(clinics=Clinic.objects.all())) == []
    with pytest.raises(ValidationError, match="no longer waiting"):
        waiting_list_remove(entry=entry, by=setting["by"], reason="De novo")


def test_marking_booked_needs_the_entrys_patient_and_specialty(setting: dict[str, Any]) -> None:
    entry = add(setting)
    someone_else = book(setting, make_patient())
    with pytest.raises(ValidationError, match="another patient"):
        waiting_list_mark_booked(entry=entry, appointment=someone_else, by=setting["by"])
    other_specialty = SpecialtyFactory()
    PractitionerSpecialty.objects.create(practitioner=setting["practitioner"], specialty=other_specialty)
    elsewhere = book(setting, entry.patient, specialty=other_specialty, starts_at=at(10))
    with pytest.raises(ValidationError, match="another specialty"):
        waiting_list_mark_booked(entry=entry, appointment=elsewhere, by=setting["by"])
    entry.refresh_from_db()
    assert entry.status == WaitingListEntry.Status.WAITING

    right = book(setting, entry.patient, starts_at=at(11))
    booked = waiting_list_mark_booked(entry=entry, appointment=right, by=setting["by"])
    assert (booked.status, booked.appointment, booked.closed_at) == ("booked", right, NOW)
    assert waiting_list_mark_booked(entry=entry, appointment=right, by=setting["by"]).appointment == right


def test_a_cancelled_appointment_cannot_close_an_entry(setting: dict[str, Any]) -> None:
    entry = add(setting)
    cancelled = cancel(book(setting, entry.patient), setting["by"])
    with pytest.raises(ValidationError, match="cancelled"):
        waiting_list_mark_booked(entry=entry, appointment=cancelled, by=setting["by"])


# Candidates ---------------------------------------------------------------------------------


def test_candidates_match_the_specialty_and_any_practitioner_or_clinic_they_asked_for(
    setting: dict[str, Any],
) -> None:
    other_doctor = second_practitioner(setting)
    other_clinic = ClinicFactory()
    setting["by"].clinics.add(other_clinic)
    anyone = add(setting, days_ago=5)
    this_doctor = add(setting, days_ago=4, practitioner=setting["practitioner"])
    that_doctor = add(setting, days_ago=9, practitioner=other_doctor)
    this_clinic = add(setting, days_ago=3, clinic=setting["clinic"])
    that_clinic = add(setting, days_ago=8, clinic=other_clinic)
    other_specialty = add(setting, days_ago=10, specialty=SpecialtyFactory())
    urgent = add(setting, days_ago=0, priority=Priority.URGENT)

    found = candidates_for_slot(
        specialty=setting["specialty"], practitioner=setting["practitioner"], clinic=setting["clinic"]
    )

    assert found == [urgent, anyone, this_doctor, this_clinic]
    assert that_doctor not in found and that_clinic not in found and other_specialty not in found
    for_other_doctor = candidates_for_slot(
        specialty=setting["specialty"], practitioner=other_doctor, clinic=setting["clinic"], limit=2
    )
    assert for_other_doctor == [urgent, that_doctor]


# Freed slots --------------------------------------------------------------------------------


def test_a_cancelled_time_is_offered_until_it_is_booked_again(setting: dict[str, Any]) -> None:
    waiting = add(setting, days_ago=10)
    appointment = book(setting, make_patient())
    clinics = Clinic.objects.filter(pk=setting["clinic"].pk)
    assert freed_slots(clinics=clinics, now=NOW) == []

    cancel(appointment, setting["by"])
    [slot] = freed_slots(clinics=clinics, now=NOW)
    assert (slot.starts_at, slot.practitioner, slot.clinic, slot.cancelled) == (
        setting["at"],
        setting["practitioner"],
        setting["clinic"],
        appointment,
    )
    [candidate] = slot.candidates
    assert candidate.entry == waiting
    link = urlsplit(candidate.offer_url)
    assert link.path == "/scheduling/book/"
    assert parse_qs(link.query) == {
        "patient": [str(waiting.patient_id)],
        "specialty": [str(setting["specialty"].pk)],
        "practitioner": [str(setting["practitioner"].pk)],
        "date": ["2026-12-07"],
        "waiting": [str(waiting.pk)],
    }

    book(setting, make_patient())
    assert freed_slots(clinics=clinics, now=NOW) == []


def test_freed_times_are_those_of_the_users_clinics_ahead_of_now_and_with_someone_to_offer(
    setting: dict[str, Any],
) -> None:
    add(setting)
    cancel(book(setting, make_patient()), setting["by"])
    mine = Clinic.objects.filter(pk=setting["clinic"].pk)
    assert len(freed_slots(clinics=mine, now=NOW)) == 1
    assert freed_slots(clinics=Clinic.objects.filter(pk=ClinicFactory().pk), now=NOW) == []
    assert freed_slots(clinics=mine, now=setting["at"] + timedelta(minutes=1)) == []  # already started
    WaitingListEntry.objects.update(status=WaitingListEntry.Status.REMOVED)
    assert freed_slots(clinics=mine, now=NOW) == []
    [empty] = freed_slots(clinics=mine, now=NOW, with_candidates_only=False)
    assert empty.candidates == []


def test_a_time_cancelled_twice_is_listed_once(setting: dict[str, Any]) -> None:
    add(setting)
    cancel(book(setting, make_patient()), setting["by"])
    cancel(book(setting, make_patient()), setting["by"])
    assert len(freed_slots(clinics=Clinic.objects.all(), now=NOW)) == 1


def test_freed_slots_cost_the_same_queries_for_one_or_many_cancellations_and_entries(
    setting: dict[str, Any], django_assert_max_num_queries: Any
) -> None:
    second_specialty = SpecialtyFactory()
    PractitionerSpecialty.objects.create(practitioner=setting["practitioner"], specialty=second_specialty)
    other_doctor = second_practitioner(setting)
    clinics = Clinic.objects.filter(pk=setting["clinic"].pk)
    add(setting)
    add(setting, specialty=second_specialty)
    cancel(book(setting, make_patient(), starts_at=at(8)), setting["by"])
    cancel(book(setting, make_patient(), starts_at=at(8, 30), specialty=second_specialty), setting["by"])
    with django_assert_max_num_queries(50) as few:
        assert len(freed_slots(clinics=clinics, now=NOW)) == 2

    for hour, minute in [(9, 0), (9, 30), (10, 0), (10, 30), (11, 0), (11, 30)]:
        cancel(book(setting, make_patient(), starts_at=at(hour, minute)), setting["by"])
        cancel(book(setting, make_patient(), practitioner=other_doctor, starts_at=at(hour, minute)), setting["by"])
    for days_ago in range(30):
        add(setting, days_ago=days_ago, practitioner=other_doctor if days_ago % 2 else None)
        add(setting, days_ago=days_ago, specialty=second_specialty)
    with django_assert_max_num_queries(len(few.captured_queries)):
        many = freed_slots(clinics=clinics, now=NOW)
    assert len(many) == 14
    assert all(len(slot.candidates) == 5 for slot in many)


def test_candidates_for_a_cancelled_appointment(setting: dict[str, Any]) -> None:
    waiting = add(setting)
    appointment = book(setting, make_patient())
    assert candidates_for_appointment(appointment) == []  # not cancelled
    cancel(appointment, setting["by"])
    appointment.refresh_from_db()
    [candidate] = candidates_for_appointment(appointment)
    assert candidate.entry == waiting
    assert f"waiting={waiting.pk}" in candidate.offer_url
    assert candidates_for_appointment(appointment, now=setting["at"]) == []  # its time has come
    book(setting, make_patient())
    assert candidates_for_appointment(appointment) == []  # taken again


def test_clinic_bound_entries_are_seen_only_by_that_clinics_staff(setting: dict[str, Any]) -> None:
    clinic_b = ClinicFactory()
    reception_b = UserFactory(role=roles.RECEPTION, clinics=[clinic_b])
    network = add(setting)
    bound_to_a = add(setting, clinic=setting["clinic"])
    assert set(waiting_list(clinics=Clinic.objects.filter(staff=setting["by"]))) == {network, bound_to_a}
    assert list(waiting_list(clinics=Clinic.objects.filter(staff=reception_b))) == [network]
    assert list(waiting_list(clinics=Clinic.objects.all(), clinic=clinic_b)) == [network]


def test_freed_slots_cost_the_same_queries_for_one_or_several_specialties(
    setting: dict[str, Any], django_assert_max_num_queries: Any
) -> None:
    clinics = Clinic.objects.filter(pk=setting["clinic"].pk)
    add(setting)
    cancel(book(setting, make_patient(), starts_at=at(8)), setting["by"])
    with django_assert_max_num_queries(50) as one:
        assert len(freed_slots(clinics=clinics, now=NOW)) == 1
    for n in range(4):
        specialty = SpecialtyFactory()
        PractitionerSpecialty.objects.create(practitioner=setting["practitioner"], specialty=specialty)
        add(setting, specialty=specialty)
        cancel(
            book(setting, make_patient(), starts_at=at(9 + n // 2, 30 * (n % 2)), specialty=specialty), setting["by"]
        )
    with django_assert_max_num_queries(len(one.captured_queries)):
        assert len(freed_slots(clinics=clinics, now=NOW)) == 5


def test_a_freed_time_blocked_or_on_leave_afterwards_is_not_offered(setting: dict[str, Any]) -> None:
    from staff.models import Leave, ScheduleBlock

    clinics = Clinic.objects.filter(pk=setting["clinic"].pk)
    add(setting)
    cancel(book(setting, make_patient()), setting["by"])
    block = ScheduleBlock.objects.create(
        practitioner=setting["practitioner"], starts_at=at(9), ends_at=at(9, 15), reason="Reunião"
    )
    assert freed_slots(clinics=clinics, now=NOW) == []
    block.delete()
    Leave.objects.create(practitioner=setting["practitioner"], kind="sick", start_date=MONDAY, end_date=MONDAY)
    assert freed_slots(clinics=clinics, now=NOW) == []
