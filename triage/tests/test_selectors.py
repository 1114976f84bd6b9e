"""The reads of the triage app: the queue's order and clocks, a doctor's queue, who is on duty, a visit,
a patient's vital signs, and the number of queries each costs whatever the number of rows."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.http import Http404
from django.utils import translation

from clinic import access
from clinic.models import Clinic, Room
from exams.models import ExamOrder
from patients.models import Patient, RiskColour
from scheduling.consultation import consultation_start
from scheduling.services import appointment_urgent
from staff import roles
from staff.models import CareUnit, Practitioner, PractitionerSpecialty, Shift, ShiftFunction, User, WorkingHours
from tests.factories import (
    CareUnitFactory,
    ClinicFactory,
    FloorFactory,
    PractitionerFactory,
    RoomFactory,
    SpecialtyFactory,
    UserFactory,
    make_patient,
)
from triage import selectors, services
from triage.models import Assessment, Visit

NOW = datetime(2026, 3, 10, 15, 0, tzinfo=UTC)  # a Tuesday, 12:00 in São Paulo
NORMAL = {"systolic": 120, "diastolic": 80, "heart_rate": 72, "spo2": 98, "glasgow": 15}
# One vital sign that gives each colour alone (rules.VITAL_RULES).
GIVES = {
    RiskColour.RED: {"glasgow": 7},
    RiskColour.ORANGE: {"spo2": 88},
    RiskColour.YELLOW: {"spo2": 92},
    RiskColour.GREEN: {"pain": 2},
    RiskColour.BLUE: {},
}


@pytest.fixture(autouse=True)
def _frozen_in_english() -> Iterator[None]:
    with time_machine.travel(NOW, tick=False), translation.override("en"):
        yield


@pytest.fixture
def nurse(make_user: Callable[..., User]) -> User:
    return make_user(roles.TRIAGE_NURSE)


@pytest.fixture
def room(clinic: Clinic) -> Room:
    return RoomFactory(floor=FloorFactory(clinic=clinic))


def doctor_of(clinic: Clinic, first_name: str = "Ana") -> Practitioner:
    practitioner = PractitionerFactory(user=UserFactory(role=roles.DOCTOR, clinics=[clinic], first_name=first_name))
    PractitionerSpecialty.objects.create(practitioner=practitioner, specialty=emergency())
    return practitioner


def emergency() -> Any:
    return SpecialtyFactory(code="emergencia", name="Emergência")


def ago(minutes: int) -> datetime:
    return NOW - timedelta(minutes=minutes)


def arrive(clinic: Clinic, nurse: User, *, minutes_ago: int, colour: str | None = None) -> Visit:
    """A walk-in who arrived ``minutes_ago`` and, when ``colour`` is given, was classified so at arrival
    (by ``nurse``, or at another clinic's door by a nurse of that clinic)."""
    if not nurse.clinics.filter(pk=clinic.pk).exists():
        nurse = UserFactory(role=roles.TRIAGE_NURSE, clinics=[clinic])
    visit = services.visit_arrive(clinic=clinic, patient=make_patient(by=nurse), by=nurse, at=ago(minutes_ago))
    if colour is not None:
        classify(visit, nurse, colour)
    return visit


def classify(visit: Visit, nurse: User, colour: str) -> Assessment:
    return services.assessment_record(
        visit=visit, by=nurse, complaint="Queixa", vitals={**NORMAL, **GIVES[colour]}, signs=[]
    )


def waiting_doctor(clinic: Clinic, now: datetime | None = None) -> list[Visit]:
    return [line.visit for line in selectors.triage_queue(clinic=clinic, now=now).waiting_doctor]


# The queue -------------------------------------------------------------------------------------------


def test_a_red_arrival_goes_ahead_of_earlier_greens_which_keep_their_arrival_order(clinic: Clinic, nurse: User) -> None:
    greens = [arrive(clinic, nurse, minutes_ago=m, colour=RiskColour.GREEN) for m in (40, 60, 50)]
    red = arrive(clinic, nurse, minutes_ago=2, colour=RiskColour.RED)

    assert waiting_doctor(clinic) == [red, greens[1], greens[2], greens[0]]


def test_the_doctors_queue_goes_by_colour_then_arrival(clinic: Clinic, nurse: User) -> None:
    blue = arrive(clinic, nurse, minutes_ago=90, colour=RiskColour.BLUE)
    yellow_late = arrive(clinic, nurse, minutes_ago=5, colour=RiskColour.YELLOW)
    orange = arrive(clinic, nurse, minutes_ago=3, colour=RiskColour.ORANGE)
    yellow_early = arrive(clinic, nurse, minutes_ago=30, colour=RiskColour.YELLOW)
    green = arrive(clinic, nurse, minutes_ago=80, colour=RiskColour.GREEN)

    queue = selectors.triage_queue(clinic=clinic)

    assert [line.visit for line in queue.waiting_doctor] == [orange, yellow_early, yellow_late, green, blue]
    assert queue.counts == {"red": 0, "orange": 1, "yellow": 2, "green": 1, "blue": 1}
    assert (queue.waiting_triage, queue.total) == ([], 5)


def test_the_unclassified_wait_for_triage_by_arrival_whether_called_in_or_not(clinic: Clinic, nurse: User) -> None:
    later = arrive(clinic, nurse, minutes_ago=5)
    first = arrive(clinic, nurse, minutes_ago=25)
    called_in = arrive(clinic, nurse, minutes_ago=15)
    services.triage_start(visit=called_in, by=nurse)
    classified = arrive(clinic, nurse, minutes_ago=40, colour=RiskColour.BLUE)

    queue = selectors.triage_queue(clinic=clinic)

    assert [line.visit for line in queue.waiting_triage] == [first, called_in, later]
    assert [(line.waited, line.target_at, line.overdue, line.minutes_left) for line in queue.waiting_triage] == [
        (timedelta(minutes=m), None, False, None) for m in (25, 15, 5)
    ]
    assert [line.visit for line in queue.waiting_doctor] == [classified]


def test_a_line_is_overdue_once_its_colours_target_has_passed(clinic: Clinic, nurse: User) -> None:
    yellow = arrive(clinic, nurse, minutes_ago=60, colour=RiskColour.YELLOW)
    orange = arrive(clinic, nurse, minutes_ago=3, colour=RiskColour.ORANGE)

    at_target = {line.visit: line for line in selectors.triage_queue(clinic=clinic, now=NOW).waiting_doctor}
    past_target = {
        line.visit: line
        for line in selectors.triage_queue(clinic=clinic, now=NOW + timedelta(seconds=1)).waiting_doctor
    }
    much_later = {line.visit: line for line in selectors.triage_queue(clinic=clinic, now=ago(-8)).waiting_doctor}

    assert (at_target[yellow].target_at, at_target[yellow].overdue, at_target[yellow].minutes_left) == (NOW, False, 0)
    assert (past_target[yellow].overdue, past_target[yellow].minutes_left) == (True, -1)
    assert past_target[yellow].waited == timedelta(minutes=60, seconds=1)
    assert (at_target[orange].target_at, at_target[orange].overdue, at_target[orange].minutes_left) == (
        ago(-7),
        False,
        7,
    )
    assert (much_later[orange].overdue, much_later[orange].minutes_left) == (True, -1)


def test_a_red_walk_in_is_overdue_as_soon_as_they_wait(clinic: Clinic, nurse: User) -> None:
    red = arrive(clinic, nurse, minutes_ago=0, colour=RiskColour.RED)

    assert selectors.triage_queue(clinic=clinic, now=NOW).waiting_doctor[0].overdue is False
    line = selectors.triage_queue(clinic=clinic, now=NOW + timedelta(seconds=30)).waiting_doctor[0]
    assert (line.visit, line.overdue, line.minutes_left) == (red, True, -1)


def test_a_re_triage_changes_the_order(clinic: Clinic, nurse: User) -> None:
    early = arrive(clinic, nurse, minutes_ago=50, colour=RiskColour.YELLOW)
    late = arrive(clinic, nurse, minutes_ago=10, colour=RiskColour.YELLOW)
    assert waiting_doctor(clinic) == [early, late]

    classify(late, nurse, RiskColour.ORANGE)

    queue = selectors.triage_queue(clinic=clinic)
    assert [line.visit for line in queue.waiting_doctor] == [late, early]
    assert queue.waiting_doctor[0].assessment is not None
    assert queue.waiting_doctor[0].assessment.risk == RiskColour.ORANGE
    assert queue.counts["orange"] == 1


def test_a_walk_in_routed_to_a_doctor_waits_in_the_queue_until_the_doctor_starts(
    clinic: Clinic, nurse: User, room: Room
) -> None:
    doctor = doctor_of(clinic)
    routed = arrive(clinic, nurse, minutes_ago=20, colour=RiskColour.ORANGE)
    other = arrive(clinic, nurse, minutes_ago=30, colour=RiskColour.GREEN)
    services.route_consultation(visit=routed, practitioner=doctor, specialty=emergency(), room=room, by=nurse)

    line = selectors.triage_queue(clinic=clinic).waiting_doctor[0]
    assert (line.visit, line.visit.appointment.practitioner.user) == (routed, doctor.user)

    routed.refresh_from_db()
    with time_machine.travel(NOW + timedelta(minutes=2), tick=False):
        consultation_start(appointment=routed.appointment, by=doctor.user)

    assert waiting_doctor(clinic) == [other]
    routed.refresh_from_db()
    assert (routed.in_queue, routed.doctor_started_at) == (False, NOW + timedelta(minutes=2))


def test_the_queue_leaves_out_other_clinics_and_those_gone(clinic: Clinic, nurse: User) -> None:
    staying = arrive(clinic, nurse, minutes_ago=30, colour=RiskColour.GREEN)
    arrive(ClinicFactory(), nurse, minutes_ago=30, colour=RiskColour.RED)
    services.visit_left(visit=arrive(clinic, nurse, minutes_ago=20), by=nurse)
    services.route_discharge(visit=arrive(clinic, nurse, minutes_ago=10, colour=RiskColour.BLUE), by=nurse, note="Alta")

    queue = selectors.triage_queue(clinic=clinic)

    assert (queue.waiting_triage, [line.visit for line in queue.waiting_doctor]) == ([], [staying])


def _fill_queue(clinic: Clinic, nurse: User, room: Room, doctor: Practitioner, count: int) -> None:
    """``count`` walk-ins: a third unclassified, a third classified, a third routed to ``doctor``."""
    colours = list(GIVES)
    for index in range(count):
        visit = arrive(clinic, nurse, minutes_ago=count - index, colour=None if index % 3 == 0 else colours[index % 5])
        if index % 3 == 2:
            services.route_consultation(visit=visit, practitioner=doctor, specialty=emergency(), room=room, by=nurse)


def _read_queue(clinic: Clinic) -> list[tuple[Any, ...]]:
    queue = selectors.triage_queue(clinic=clinic)
    return [
        (
            line.visit.patient.display_name,
            line.visit.patient.age(),
            line.visit.arrival_note,
            line.visit.appointment and line.visit.appointment.practitioner.user.get_full_name(),
            line.assessment and (line.assessment.complaint, line.assessment.by.username),
        )
        for line in [*queue.waiting_triage, *queue.waiting_doctor]
    ]


@pytest.mark.parametrize("count", [3, 30])
def test_the_queue_costs_two_queries_whatever_its_length(
    clinic: Clinic, nurse: User, room: Room, count: int, django_assert_max_num_queries: Any
) -> None:
    _fill_queue(clinic, nurse, room, doctor_of(clinic), count)

    # The visits with their patients and doctors, then their assessments.
    with django_assert_max_num_queries(2):
        shown = _read_queue(clinic)

    assert len(shown) == count
    assert sum(1 for line in shown if line[3]) == count // 3


# A doctor's queue ------------------------------------------------------------------------------------


def test_a_doctors_queue_has_their_waiting_walk_ins_by_colour_then_arrival(
    clinic: Clinic, nurse: User, room: Room, django_assert_max_num_queries: Any
) -> None:
    ana, bruno = doctor_of(clinic, "Ana"), doctor_of(clinic, "Bruno")
    visits = {
        name: arrive(clinic, nurse, minutes_ago=minutes_ago, colour=colour)
        for name, minutes_ago, colour in [
            ("green", 50, RiskColour.GREEN),
            ("orange", 5, RiskColour.ORANGE),
            ("green_late", 10, RiskColour.GREEN),
            ("bruno's", 60, RiskColour.RED),
            ("started", 70, RiskColour.RED),
            ("not routed", 80, RiskColour.RED),
        ]
    }
    for name, visit in visits.items():
        if name != "not routed":
            doctor = bruno if name == "bruno's" else ana
            services.route_consultation(visit=visit, practitioner=doctor, specialty=emergency(), room=room, by=nurse)
    visits["started"].refresh_from_db()
    consultation_start(appointment=visits["started"].appointment, by=ana.user)

    with django_assert_max_num_queries(2):
        lines = selectors.doctor_queue(practitioner=ana, now=NOW + timedelta(minutes=6))
        complaints = [line.assessment.complaint for line in lines if line.assessment]

    assert [line.visit for line in lines] == [visits["orange"], visits["green"], visits["green_late"]]
    assert [line.overdue for line in lines] == [True, False, False]
    assert complaints == ["Queixa"] * 3


# The triage of a consultation ------------------------------------------------------------------------


def test_a_consultation_from_the_door_has_its_visit_and_latest_assessment_in_two_queries(
    clinic: Clinic, nurse: User, room: Room, django_assert_num_queries: Any
) -> None:
    ana = doctor_of(clinic)
    visit = arrive(clinic, nurse, minutes_ago=30, colour=RiskColour.YELLOW)
    with time_machine.travel(NOW + timedelta(minutes=5), tick=False):
        latest = classify(visit, nurse, RiskColour.ORANGE)  # re-triaged: orange after yellow
    visit = services.route_consultation(
        visit=visit, practitioner=ana, specialty=emergency(), room=room, by=nurse, note="Asmática"
    )
    access.visible_clinic_ids(ana.user)  # loaded once per request, by the page's own fetch

    with django_assert_num_queries(2):
        triage = selectors.consultation_triage(user=ana.user, appointment=visit.appointment)

    assert triage is not None
    assert triage.visit == visit and triage.visit.routing_note == "Asmática"
    assert triage.assessment == latest and triage.assessment.risk == RiskColour.ORANGE
    squeezed_in = appointment_urgent(
        patient=make_patient(by=nurse), practitioner=ana, specialty=emergency(), room=room, by=nurse, reason="Encaixe"
    )
    assert selectors.consultation_triage(user=ana.user, appointment=squeezed_in) is None
    elsewhere = UserFactory(role=roles.DOCTOR, clinics=[ClinicFactory()])
    assert selectors.consultation_triage(user=elsewhere, appointment=visit.appointment) is None


# Who is on duty --------------------------------------------------------------------------------------


def _shift(practitioner: Practitioner, unit: CareUnit, starts: datetime, hours: int, **fields: Any) -> Shift:
    return Shift.objects.create(
        user=practitioner.user,
        unit=unit,
        starts_at=starts,
        ends_at=starts + timedelta(hours=hours),
        function=fields.pop("function", ShiftFunction.PHYSICIAN),
        **fields,
    )


def test_the_doctors_on_duty_have_a_physicians_shift_in_the_clinics_emergency_now(
    clinic: Clinic, django_assert_max_num_queries: Any
) -> None:
    emergency_room = CareUnitFactory(clinic=clinic, kind=CareUnit.Kind.EMERGENCY, name="Pronto-socorro")
    ward = CareUnitFactory(clinic=clinic, kind=CareUnit.Kind.WARD, name="Enfermaria")
    closed = CareUnitFactory(clinic=clinic, kind=CareUnit.Kind.EMERGENCY, name="PS antigo", is_active=False)
    elsewhere = CareUnitFactory(kind=CareUnit.Kind.EMERGENCY, name="Pronto-socorro")
    on_duty = {name: doctor_of(clinic, name) for name in ("Carla", "Beatriz", "Davi")}
    _shift(on_duty["Carla"], emergency_room, NOW - timedelta(hours=5), 12)
    _shift(on_duty["Beatriz"], emergency_room, NOW, 12)  # starting now
    _shift(on_duty["Davi"], emergency_room, NOW - timedelta(hours=20), 24)
    _shift(on_duty["Davi"], emergency_room, NOW - timedelta(hours=30), 6)  # an earlier shift too
    not_on_duty = {name: doctor_of(clinic, name) for name in ("Elisa", "Fábio", "Gil", "Hugo", "Igor", "Jane")}
    _shift(not_on_duty["Elisa"], emergency_room, NOW - timedelta(hours=12), 12)  # ended now
    _shift(not_on_duty["Fábio"], emergency_room, NOW + timedelta(minutes=1), 12)
    _shift(not_on_duty["Gil"], ward, NOW - timedelta(hours=1), 12)
    _shift(not_on_duty["Hugo"], emergency_room, NOW - timedelta(hours=1), 12, function=ShiftFunction.NURSE)
    _shift(not_on_duty["Igor"], closed, NOW - timedelta(hours=1), 12)
    _shift(not_on_duty["Jane"], elsewhere, NOW - timedelta(hours=1), 12)
    retired = doctor_of(clinic, "Alice")
    _shift(retired, emergency_room, NOW - timedelta(hours=1), 12)
    Practitioner.objects.filter(pk=retired.pk).update(is_active=False)

    with django_assert_max_num_queries(2):
        doctors = selectors.doctors_on_duty(clinic=clinic)
        specialties = [[s.code for s in doctor.specialties.all()] for doctor in doctors]

    assert [doctor.user.first_name for doctor in doctors] == ["Beatriz", "Carla", "Davi"]
    assert specialties == [["emergencia"]] * 3
    earlier = selectors.doctors_on_duty(clinic=clinic, at=NOW - timedelta(hours=6))
    assert [doctor.user.first_name for doctor in earlier] == ["Davi", "Elisa"]


def test_the_doctors_of_a_clinic_have_working_hours_there_valid_today(clinic: Clinic, room: Room) -> None:
    today = date(2026, 3, 10)

    def hours(practitioner: Practitioner, **fields: Any) -> None:
        WorkingHours.objects.create(
            practitioner=practitioner,
            clinic=fields.pop("clinic", clinic),
            room=fields.pop("room", room),
            weekday=fields.pop("weekday", 1),
            start_time=time(8),
            end_time=time(12),
            valid_from=fields.pop("valid_from", today - timedelta(days=30)),
            **fields,
        )

    kept = {name: doctor_of(clinic, name) for name in ("Lia", "Caio", "Rui")}
    hours(kept["Lia"])
    hours(kept["Lia"], weekday=3)  # two periods: listed once
    hours(kept["Caio"], valid_until=today, weekday=4)  # another weekday counts: the form offers any doctor
    hours(kept["Rui"], valid_from=today)
    left_out = {name: doctor_of(clinic, name) for name in ("Edu", "Ivo", "Noa", "Ugo")}
    hours(left_out["Edu"], valid_until=today - timedelta(days=1))
    hours(left_out["Ivo"], valid_from=today + timedelta(days=1))
    other = ClinicFactory()
    hours(left_out["Noa"], clinic=other, room=RoomFactory(floor=FloorFactory(clinic=other)))
    hours(left_out["Ugo"])
    Practitioner.objects.filter(pk=left_out["Ugo"].pk).update(is_active=False)

    assert [doctor.user.first_name for doctor in selectors.doctors_of(clinic)] == ["Caio", "Lia", "Rui"]


# A visit and a patient's vitals ----------------------------------------------------------------------


def test_a_visits_page_reads_it_whole_in_a_fixed_number_of_queries(
    clinic: Clinic, nurse: User, room: Room, django_assert_max_num_queries: Any
) -> None:
    visit = arrive(clinic, nurse, minutes_ago=30, colour=RiskColour.YELLOW)
    classify(visit, nurse, RiskColour.ORANGE)
    services.route_consultation(visit=visit, practitioner=doctor_of(clinic), specialty=emergency(), room=room, by=nurse)

    nurse.has_perm("triage.view_visit")  # the permissions and clinics are read once per request
    access.visible_clinic_ids(nurse)
    # The visit with its relations, its assessments, its exam orders.
    with django_assert_max_num_queries(3):
        read = selectors.visit_for_user(nurse, visit.pk)
        shown = (
            read.clinic.name,
            read.patient.display_name,
            read.arrived_by.username,
            read.routed_by.username,
            read.appointment.practitioner.user.get_full_name(),
            read.appointment.specialty.name,
            read.appointment.room.name,
            [(assessment.risk, assessment.by.username) for assessment in read.assessments.all()],
            list(read.exam_orders.all()),
        )

    assert shown[7] == [(RiskColour.YELLOW, nurse.username), (RiskColour.ORANGE, nurse.username)]
    assert shown[8] == []
    assert read.admission is None
    assert ExamOrder.objects.count() == 0


def test_an_unknown_visit_or_another_clinics_is_not_found(clinic: Clinic, nurse: User) -> None:
    elsewhere = arrive(ClinicFactory(), nurse, minutes_ago=5, colour=RiskColour.GREEN)
    with pytest.raises(Http404):
        selectors.visit_for_user(nurse, 0)
    with pytest.raises(Http404):
        selectors.visit_for_user(nurse, elsewhere.pk)


def test_a_patients_vitals_come_newest_first_with_a_series_per_sign_oldest_first(
    clinic: Clinic, nurse: User, django_assert_max_num_queries: Any
) -> None:
    patient: Patient = make_patient(by=nurse)
    first = services.visit_arrive(clinic=clinic, patient=patient, by=nurse, at=ago(300))
    with time_machine.travel(ago(290), tick=False):
        services.assessment_record(
            visit=first, by=nurse, complaint="Febre", vitals={"temperature": Decimal("38.5"), "spo2": 95}, signs=[]
        )
    with time_machine.travel(ago(200), tick=False):
        services.assessment_record(
            visit=first, by=nurse, complaint="Febre", vitals={"temperature": Decimal("37.0")}, signs=[]
        )
        services.route_discharge(visit=first, by=nurse, note="Alta")
    second = services.visit_arrive(clinic=clinic, patient=patient, by=nurse, at=ago(20))
    services.assessment_record(
        visit=second, by=nurse, complaint="Febre", vitals={"temperature": Decimal("39.2"), "spo2": 93}, signs=[]
    )
    arrive(clinic, nurse, minutes_ago=5, colour=RiskColour.RED)  # someone else

    with django_assert_max_num_queries(1):
        panel = selectors.patient_vitals(patient=patient, user=nurse)
        clinics = {assessment.visit.clinic.name for assessment in panel.assessments}

    assert [a.finished_at for a in panel.assessments] == [NOW, ago(200), ago(290)]
    assert clinics == {clinic.name}
    series = {s.field: s for s in panel.series}
    assert set(series) == {"temperature", "spo2"}
    assert series["temperature"].points == [(ago(290), 38.5), (ago(200), 37.0), (NOW, 39.2)]
    assert (series["temperature"].normal, series["temperature"].label) == ((35.5, 37.7), "temperature (°C)")
    assert series["spo2"].points == [(ago(290), 95.0), (NOW, 93.0)]
    assert [s.field for s in panel.series] == ["temperature", "spo2"]

    latest = selectors.patient_vitals(patient=patient, user=nurse, limit=1)
    assert [s.points for s in latest.series] == [[(NOW, 39.2)], [(NOW, 93.0)]]
