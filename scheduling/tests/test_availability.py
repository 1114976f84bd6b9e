"""Free slots: working hours minus leave, blocks and appointments, in each clinic's time zone."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine

from clinic.models import Room
from scheduling.availability import free_slots
from scheduling.models import Appointment, AppointmentStatus
from staff.models import Leave, PractitionerSpecialty, ScheduleBlock, WorkingHours
from tests.factories import ClinicFactory, PractitionerFactory, RoomFactory, SpecialtyFactory, make_patient

pytestmark = pytest.mark.django_db

SAO_PAULO = ZoneInfo("America/Sao_Paulo")
MANAUS = ZoneInfo("America/Manaus")
MONDAY = date(2026, 12, 7)  # a Monday; "now" is frozen the Friday before
NOW = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _frozen_now() -> Any:
    with time_machine.travel(NOW, tick=False):
        yield


def setup(time_zone: str = "America/Sao_Paulo", *, minutes: int = 30, **hours: Any) -> dict[str, Any]:
    clinic = ClinicFactory(time_zone=time_zone)
    room = RoomFactory(floor__clinic=clinic, kind=Room.Kind.CONSULTING)
    practitioner = PractitionerFactory()
    practitioner.user.clinics.add(clinic)
    specialty = SpecialtyFactory(default_duration=minutes)
    PractitionerSpecialty.objects.create(practitioner=practitioner, specialty=specialty)
    rule = {"weekday": 0, "start_time": time(8), "end_time": time(10), "valid_from": date(2026, 1, 1), **hours}
    WorkingHours.objects.create(practitioner=practitioner, clinic=clinic, room=room, **rule)
    return {"clinic": clinic, "room": room, "practitioner": practitioner, "specialty": specialty}


def starts(slots: list[Any], zone: ZoneInfo = SAO_PAULO) -> list[str]:
    return [slot.starts_at.astimezone(zone).strftime("%a %H:%M") for slot in slots]


def slots_of(s: dict[str, Any], first: date = MONDAY, last: date = MONDAY) -> list[Any]:
    return free_slots(practitioners=[s["practitioner"]], specialty=s["specialty"], first=first, last=last)


def test_working_hours_are_cut_into_slots_of_the_specialty_length() -> None:
    s = setup()
    assert starts(slots_of(s)) == ["Mon 08:00", "Mon 08:30", "Mon 09:00", "Mon 09:30"]
    assert all(slot.room_id == s["room"].pk and slot.clinic_id == s["clinic"].pk for slot in slots_of(s))


def test_the_practitioners_own_length_wins_and_a_last_short_piece_is_not_offered() -> None:
    s = setup()
    PractitionerSpecialty.objects.filter(practitioner=s["practitioner"]).update(duration=45)
    assert starts(slots_of(s)) == ["Mon 08:00", "Mon 08:45"]


def test_leave_removes_the_whole_day() -> None:
    s = setup()
    Leave.objects.create(practitioner=s["practitioner"], kind="sick", start_date=MONDAY, end_date=MONDAY)
    assert slots_of(s) == []
    assert starts(slots_of(s, MONDAY, MONDAY + timedelta(days=7))) == [
        "Mon 08:00",
        "Mon 08:30",
        "Mon 09:00",
        "Mon 09:30",
    ]


def test_blocks_and_appointments_remove_the_slots_they_touch_even_in_part() -> None:
    s = setup()
    ScheduleBlock.objects.create(
        practitioner=s["practitioner"],
        starts_at=datetime.combine(MONDAY, time(8, 15), tzinfo=SAO_PAULO),
        ends_at=datetime.combine(MONDAY, time(8, 20), tzinfo=SAO_PAULO),
        reason="reunião",
    )
    Appointment.objects.create(
        patient=make_patient(),
        practitioner=s["practitioner"],
        specialty=s["specialty"],
        clinic=s["clinic"],
        room=s["room"],
        starts_at=datetime.combine(MONDAY, time(9), tzinfo=SAO_PAULO),
        ends_at=datetime.combine(MONDAY, time(9, 30), tzinfo=SAO_PAULO),
    )
    assert starts(slots_of(s)) == ["Mon 08:30", "Mon 09:30"]


def test_a_cancelled_appointment_frees_its_slot() -> None:
    s = setup()
    Appointment.objects.create(
        patient=make_patient(),
        practitioner=s["practitioner"],
        specialty=s["specialty"],
        clinic=s["clinic"],
        room=s["room"],
        starts_at=datetime.combine(MONDAY, time(8), tzinfo=SAO_PAULO),
        ends_at=datetime.combine(MONDAY, time(8, 30), tzinfo=SAO_PAULO),
        status=AppointmentStatus.CANCELLED,
    )
    assert starts(slots_of(s))[0] == "Mon 08:00"


def test_a_night_crossing_midnight_gives_slots_on_both_days() -> None:
    s = setup(minutes=60, weekday=6, start_time=time(22), end_time=time(1))  # Sunday 22:00 to Monday 01:00
    sunday = MONDAY - timedelta(days=1)
    assert starts(slots_of(s, sunday, MONDAY)) == ["Sun 22:00", "Sun 23:00", "Mon 00:00"]
    assert starts(slots_of(s, MONDAY, MONDAY)) == ["Mon 00:00"]


def test_slots_are_in_the_clinics_time_zone() -> None:
    s = setup("America/Manaus")
    first = slots_of(s)[0]
    assert first.starts_at.astimezone(MANAUS).time() == time(8)
    assert first.starts_at.astimezone(SAO_PAULO).time() == time(9)  # Manaus is one hour behind


def test_past_times_are_never_offered() -> None:
    s = setup()
    with time_machine.travel(datetime.combine(MONDAY, time(9, 10), tzinfo=SAO_PAULO), tick=False):
        assert starts(slots_of(s)) == ["Mon 09:30"]


def test_hours_outside_their_validity_give_nothing() -> None:
    s = setup(valid_until=date(2026, 11, 30))
    assert slots_of(s) == []


def test_a_practitioner_without_the_specialty_has_no_slots() -> None:
    s = setup()
    assert free_slots(practitioners=[s["practitioner"]], specialty=SpecialtyFactory(), first=MONDAY, last=MONDAY) == []


def test_many_practitioners_cost_the_same_queries_as_one(django_assert_max_num_queries: Any) -> None:
    first = setup()
    with django_assert_max_num_queries(8) as one:
        slots_of(first)
    practitioners = [first["practitioner"]]
    for _ in range(6):
        other = setup()
        PractitionerSpecialty.objects.create(practitioner=other["practitioner"], specialty=first["specialty"])
        practitioners.append(other["practitioner"])
    with django_assert_max_num_queries(len(one.captured_queries)):
        found = free_slots(practitioners=practitioners, specialty=first["specialty"], first=MONDAY, last=MONDAY)
    assert len({slot.practitioner_id for slot in found}) == 7
