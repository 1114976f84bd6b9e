"""The writes of the triage app, step by step: what each records, and what each refusal leaves alone.

Every refusal goes through ``assert_refused``, which compares every row the triage flows touch
(visits, assessments, appointments and their events, exam orders, admissions, patients) before
and after the call.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import translation

from beds.models import Admission, AdmissionSource, AdmissionStatus, Priority, WardKind
from clinic.models import Clinic, Room
from exams.models import Exam, ExamOrder, OrderOrigin, OrderPriority, OrderStatus
from patients.models import Patient, PatientStatus, PatientStatusChange, RiskColour, Sex
from scheduling.consultation import consultation_start
from scheduling.models import Appointment, AppointmentEvent, AppointmentStatus
from staff import roles
from staff.models import CareUnit, Practitioner, PractitionerSpecialty, Specialty, User
from tests.factories import (
    CareUnitFactory,
    ClinicFactory,
    ExamFactory,
    FloorFactory,
    PractitionerFactory,
    RoomFactory,
    SpecialtyFactory,
    UserFactory,
    make_patient,
    make_request,
)
from triage import services
from triage.models import RISK_RANK, UNCLASSIFIED_RANK, Assessment, Destination, Visit, VisitStatus

NOW = datetime(2026, 3, 10, 15, 0, tzinfo=UTC)
NORMAL = {"systolic": 120, "diastolic": 80, "heart_rate": 72, "spo2": 98, "glasgow": 15}


@pytest.fixture(autouse=True)
def _frozen_in_english() -> Iterator[None]:
    with time_machine.travel(NOW, tick=False), translation.override("en"):
        yield


@pytest.fixture
def nurse(make_user: Callable[..., User]) -> User:
    return make_user(roles.TRIAGE_NURSE)


@pytest.fixture
def patient(nurse: User) -> Patient:
    return make_patient(by=nurse, sex=Sex.FEMALE)


@pytest.fixture
def visit(clinic: Clinic, patient: Patient, nurse: User) -> Visit:
    """``patient`` arrived ten minutes ago."""
    return services.visit_arrive(clinic=clinic, patient=patient, by=nurse, note="Dor no peito", at=NOW - minutes(10))


@pytest.fixture
def classified(visit: Visit, nurse: User) -> Visit:
    """``visit`` classified orange by its SpO2."""
    assess(visit, nurse, spo2=88)
    visit.refresh_from_db()
    return visit


@pytest.fixture
def doctor(clinic: Clinic) -> Practitioner:
    """A physician of ``clinic`` in the emergency specialty."""
    practitioner = PractitionerFactory(user=UserFactory(role=roles.DOCTOR, clinics=[clinic]))
    PractitionerSpecialty.objects.create(practitioner=practitioner, specialty=emergency_specialty())
    return practitioner


@pytest.fixture
def room(clinic: Clinic) -> Room:
    return RoomFactory(floor=FloorFactory(clinic=clinic))


def emergency_specialty() -> Specialty:
    return SpecialtyFactory(code="emergencia", name="Emergência")


def minutes(count: int) -> timedelta:
    return timedelta(minutes=count)


def assess(visit: Visit, by: User, *, signs: list[str] | None = None, **fields: Any) -> Assessment:
    """Record an assessment with NORMAL vitals changed by the vital signs among ``fields``."""
    vitals: dict[str, Any] = {**NORMAL, **{k: v for k, v in fields.items() if k in services.rules.VITAL_FIELDS}}
    rest = {k: v for k, v in fields.items() if k not in services.rules.VITAL_FIELDS}
    return services.assessment_record(
        visit=visit, by=by, complaint=rest.pop("complaint", "Falta de ar"), vitals=vitals, signs=signs or [], **rest
    )


def world() -> dict[str, list[tuple[Any, ...]]]:
    """Every row the triage flows write, as plain values: equal before and after a refusal."""
    return {
        "visits": list(
            Visit.objects.order_by("pk").values_list(
                *("pk", "status", "in_queue", "risk", "risk_rank", "triage_started_at", "triage_ended_at"),
                *("destination", "routed_at", "routed_by", "routing_note", "appointment", "admission", "left_at"),
                "doctor_started_at",
            )
        ),
        "visit_orders": list(Visit.exam_orders.through.objects.order_by("pk").values_list("pk")),
        "assessments": list(Assessment.objects.order_by("pk").values_list("pk", "risk")),
        "appointments": list(Appointment.objects.order_by("pk").values_list("pk", "status")),
        "appointment_events": list(AppointmentEvent.objects.order_by("pk").values_list("pk")),
        "orders": list(ExamOrder.objects.order_by("pk").values_list("pk", "status")),
        "admissions": list(Admission.objects.order_by("pk").values_list("pk", "status", "risk")),
        "patients": list(Patient.objects.order_by("pk").values_list("pk", "status", "full_name")),
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


# Arrival ---------------------------------------------------------------------------------------------


def test_an_arrival_waits_for_triage_with_who_when_and_why(clinic: Clinic, patient: Patient, nurse: User) -> None:
    visit = services.visit_arrive(clinic=clinic, patient=patient, by=nurse, note="  Febre há 3 dias  ")

    visit.refresh_from_db()
    assert (visit.clinic, visit.patient, visit.status, visit.in_queue) == (clinic, patient, VisitStatus.ARRIVED, True)
    assert (visit.arrived_at, visit.arrived_by, visit.arrival_note) == (NOW, nurse, "Febre há 3 dias")
    assert (visit.risk, visit.risk_rank) == ("", UNCLASSIFIED_RANK)
    patient.refresh_from_db()
    assert patient.status == PatientStatus.OUTPATIENT


def test_a_patient_already_in_a_queue_cannot_arrive_again_at_any_door(visit: Visit, nurse: User) -> None:
    message = "This patient is already in the emergency queue."
    assert_refused(lambda: services.visit_arrive(clinic=visit.clinic, patient=visit.patient, by=nurse), message)
    elsewhere = ClinicFactory()
    theirs = UserFactory(role=roles.TRIAGE_NURSE, clinics=[elsewhere])
    assert_refused(lambda: services.visit_arrive(clinic=elsewhere, patient=visit.patient, by=theirs), message)


def test_a_patient_in_a_consultation_is_refused_at_the_door_not_at_routing(
    classified: Visit, nurse: User, doctor: Practitioner, room: Room
) -> None:
    services.route_consultation(
        visit=classified, practitioner=doctor, specialty=emergency_specialty(), room=room, by=nurse
    )
    classified.refresh_from_db()
    consultation_start(appointment=classified.appointment, by=doctor.user)
    message = f"This patient is in a consultation at {classified.clinic.name}: the doctor there sees to them."
    assert_refused(
        lambda: services.visit_arrive(clinic=classified.clinic, patient=classified.patient, by=nurse), message
    )
    assert Visit.objects.filter(patient=classified.patient).count() == 1


def test_an_arrival_at_a_door_the_nurse_does_not_work_at_is_refused(nurse: User) -> None:
    with translation.override("en"), pytest.raises(PermissionDenied, match="You do not work in this clinic"):
        services.visit_arrive(clinic=ClinicFactory(), patient=make_patient(by=nurse), by=nurse)
    assert not Visit.objects.exists()


def test_a_patient_may_come_back_once_out_of_the_queue(classified: Visit, nurse: User) -> None:
    services.route_discharge(visit=classified, by=nurse, note="Orientada a procurar a UBS")

    again = services.visit_arrive(clinic=classified.clinic, patient=classified.patient, by=nurse)

    assert list(Visit.objects.filter(patient=classified.patient, in_queue=True)) == [again]


def test_an_arrival_in_the_future_or_with_a_pasted_file_for_a_reason_is_refused(
    clinic: Clinic, patient: Patient, nurse: User
) -> None:
    assert_refused(
        lambda: services.visit_arrive(clinic=clinic, patient=patient, by=nurse, at=NOW + minutes(10)),
        "A time in the future cannot be recorded.",
        field="arrived_at",
    )
    assert_refused(
        lambda: services.visit_arrive(clinic=clinic, patient=patient, by=nurse, note="x" * 2001),
        "Keep it under 2000 characters.",
        field="note",
    )


def test_a_walk_in_without_documents_gets_a_provisional_chart_and_a_place_in_the_queue(
    clinic: Clinic, nurse: User
) -> None:
    visit = services.walk_in_register(
        clinic=clinic, by=nurse, full_name="Homem desconhecido", sex=Sex.MALE, age_years=40, note="Trazido pelo SAMU"
    )

    patient = visit.patient
    patient.refresh_from_db()
    assert (patient.full_name, patient.sex, patient.birth_date) == ("Homem desconhecido", Sex.MALE, date(1986, 1, 1))
    assert (patient.registration_complete, patient.cpf, patient.cpf_hash) == (False, "", "")
    assert (patient.home_clinic, patient.created_by) == (clinic, nurse)
    assert (visit.status, visit.in_queue, visit.arrival_note) == (VisitStatus.ARRIVED, True, "Trazido pelo SAMU")


def test_a_walk_ins_birth_date_wins_over_an_age(clinic: Clinic, nurse: User) -> None:
    visit = services.walk_in_register(
        clinic=clinic, by=nurse, full_name="Maria", sex=Sex.FEMALE, birth_date=date(1990, 6, 2), age_years=3
    )

    assert visit.patient.birth_date == date(1990, 6, 2)


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({}, "birth_date", "Give the birth date or the approximate age."),
        ({"age_years": -1}, "age_years", "Give an age between 0 and 130 years."),
        ({"age_years": 131}, "age_years", "Give an age between 0 and 130 years."),
        ({"birth_date": date(2026, 3, 11)}, "birth_date", "The birth date cannot be in the future."),
        (
            {"age_years": 30, "full_name": "   "},
            "full_name",
            "Give a name, even a provisional one (e.g. Unknown man).",
        ),
    ],
)
def test_a_walk_in_without_an_age_or_a_name_is_refused_and_nobody_registered(
    clinic: Clinic, nurse: User, fields: dict[str, Any], field: str, message: str
) -> None:
    arguments = {"full_name": "Desconhecida", "sex": Sex.FEMALE, **fields}
    assert_refused(lambda: services.walk_in_register(clinic=clinic, by=nurse, **arguments), message, field=field)


# Triage ----------------------------------------------------------------------------------------------


def test_starting_triage_records_when_and_refuses_a_second_start(visit: Visit, nurse: User) -> None:
    services.triage_start(visit=visit, by=nurse)

    visit.refresh_from_db()
    assert (visit.status, visit.triage_started_at) == (VisitStatus.IN_TRIAGE, NOW)
    assert_refused(
        lambda: services.triage_start(visit=visit, by=nurse), "The triage of this walk-in has already started."
    )


def test_a_classified_walk_in_is_not_started_again(classified: Visit, nurse: User) -> None:
    assert_refused(
        lambda: services.triage_start(visit=classified, by=nurse),
        "This walk-in is already classified: record a new assessment to re-triage.",
    )


def test_the_first_assessment_classifies_the_walk_in_with_the_suggested_colour(visit: Visit, nurse: User) -> None:
    with time_machine.travel(NOW - minutes(4), tick=False):
        services.triage_start(visit=visit, by=nurse)

    assessment = assess(
        visit, nurse, spo2=88, heart_rate=101, temperature=Decimal("37.7"), signs=["recent_problem"], pain=2
    )

    assessment.refresh_from_db()
    assert (assessment.visit, assessment.patient, assessment.by) == (visit, visit.patient, nurse)
    assert (assessment.started_at, assessment.finished_at) == (NOW - minutes(4), NOW)
    assert (assessment.complaint, assessment.spo2, assessment.temperature) == ("Falta de ar", 88, Decimal("37.7"))
    assert (assessment.respiratory_rate, assessment.glucose) == (None, None)
    assert (assessment.suggested_risk, assessment.risk, assessment.override_reason) == ("orange", "orange", "")
    assert assessment.discriminators == ["recent_problem"]
    assert assessment.flags == ["heart_rate:high", "spo2:low"]
    visit.refresh_from_db()
    assert (visit.status, visit.risk, visit.risk_rank) == (VisitStatus.CLASSIFIED, "orange", RISK_RANK["orange"])
    assert (visit.triage_started_at, visit.triage_ended_at, visit.in_queue) == (NOW - minutes(4), NOW, True)


def test_an_assessment_without_a_started_triage_starts_and_ends_it_now(visit: Visit, nurse: User) -> None:
    assessment = assess(visit, nurse)

    visit.refresh_from_db()
    assert (assessment.started_at, visit.triage_started_at, visit.triage_ended_at) == (NOW, NOW, NOW)
    assert (visit.status, visit.risk) == (VisitStatus.CLASSIFIED, RiskColour.BLUE)


@pytest.mark.parametrize(("temperature", "flagged"), [(Decimal("37.7"), []), (Decimal("37.8"), ["temperature:high"])])
def test_an_abnormal_temperature_is_kept_and_flagged(
    visit: Visit, nurse: User, temperature: Decimal, flagged: list[str]
) -> None:
    assessment = assess(visit, nurse, temperature=temperature)

    assessment.refresh_from_db()
    assert (assessment.temperature, assessment.flags) == (temperature, flagged)


def test_the_nurse_may_give_another_colour_with_a_reason_and_the_suggestion_is_kept(visit: Visit, nurse: User) -> None:
    assessment = assess(visit, nurse, spo2=88, risk=RiskColour.RED, override_reason="  Cianose labial  ")

    assessment.refresh_from_db()
    assert (assessment.suggested_risk, assessment.risk) == (RiskColour.ORANGE, RiskColour.RED)
    assert (assessment.override_reason, assessment.overridden) == ("Cianose labial", True)
    visit.refresh_from_db()
    assert (visit.risk, visit.risk_rank) == (RiskColour.RED, RISK_RANK[RiskColour.RED])


@pytest.mark.parametrize("reason", ["", "   "])
def test_another_colour_without_a_reason_is_refused_and_nothing_stored(visit: Visit, nurse: User, reason: str) -> None:
    assert_refused(
        lambda: assess(visit, nurse, spo2=88, risk=RiskColour.GREEN, override_reason=reason),
        "Say why the colour differs from the suggested one.",
        field="override_reason",
    )
    assert Assessment.objects.count() == 0
    visit.refresh_from_db()
    assert (visit.status, visit.risk, visit.triage_ended_at) == (VisitStatus.ARRIVED, "", None)


def test_a_reason_given_for_the_suggested_colour_itself_is_not_kept(visit: Visit, nurse: User) -> None:
    assessment = assess(visit, nurse, spo2=88, risk=RiskColour.ORANGE, override_reason="Nada a acrescentar")

    assert (assessment.risk, assessment.override_reason, assessment.overridden) == (RiskColour.ORANGE, "", False)


@pytest.mark.parametrize(
    ("vitals", "field"),
    [
        ({"spo2": 101}, "spo2"),
        ({"temperature": Decimal("45.1")}, "temperature"),
        ({"temperature": Decimal("24.9")}, "temperature"),
        ({"glasgow": 2}, "glasgow"),
        ({"glasgow": 16}, "glasgow"),
        ({"heart_rate": 301}, "heart_rate"),
        ({"systolic": 100, "diastolic": 100}, "diastolic"),
        ({"systolic": 100, "diastolic": 120}, "diastolic"),
    ],
)
def test_impossible_vital_signs_are_refused_on_their_field_and_nothing_stored(
    visit: Visit, nurse: User, vitals: dict[str, Any], field: str
) -> None:
    refused = assert_refused(
        lambda: assess(visit, nurse, **vitals), services.rules.check_possible(vitals)[field], field=field
    )

    assert set(refused.message_dict) == {field}


def test_every_wrong_field_is_reported_at_once(visit: Visit, nurse: User) -> None:
    refused = assert_refused(
        lambda: assess(visit, nurse, complaint=" ", spo2=30, signs=["airway", "made-up"], risk="purple"),
        "Write the chief complaint.",
        field="complaint",
    )

    assert refused.message_dict["signs"] == ["Unknown sign: made-up."]
    assert refused.message_dict["risk"] == ["Choose one of the colours."]
    assert set(refused.message_dict) == {"complaint", "spo2", "signs", "risk"}


def test_a_temperature_is_kept_to_a_tenth_of_a_degree(visit: Visit, nurse: User) -> None:
    assert_refused(
        lambda: assess(visit, nurse, temperature=Decimal("37.25")),
        "Give the temperature with one decimal place, e.g. 37.5.",
        field="temperature",
    )

    assessment = assess(visit, nurse, temperature=Decimal("37.50"))

    assessment.refresh_from_db()
    assert assessment.temperature == Decimal("37.5")


def test_a_complaint_or_a_reason_too_long_is_refused(visit: Visit, nurse: User) -> None:
    assert_refused(
        lambda: assess(visit, nurse, complaint="x" * 2001), "Keep it under 2000 characters.", field="complaint"
    )
    assert_refused(
        lambda: assess(visit, nurse, risk=RiskColour.RED, override_reason="x" * 201),
        "Keep it under 200 characters.",
        field="override_reason",
    )


def test_a_re_triage_moves_the_colour_and_keeps_the_triage_times(classified: Visit, nurse: User) -> None:
    with time_machine.travel(NOW + minutes(20), tick=False):
        again = assess(classified, nurse, glasgow=7)

    classified.refresh_from_db()
    assert (again.started_at, again.finished_at, again.risk) == (NOW + minutes(20), NOW + minutes(20), RiskColour.RED)
    assert (classified.status, classified.risk, classified.risk_rank) == (VisitStatus.CLASSIFIED, "red", 0)
    assert (classified.triage_started_at, classified.triage_ended_at) == (NOW, NOW)
    assert list(classified.assessments.values_list("risk", flat=True)) == ["orange", "red"]


def test_a_walk_in_waiting_for_the_doctor_can_be_re_triaged(
    classified: Visit, nurse: User, doctor: Practitioner, room: Room
) -> None:
    services.route_consultation(
        visit=classified, practitioner=doctor, specialty=emergency_specialty(), room=room, by=nurse
    )

    assess(classified, nurse, spo2=80)

    classified.refresh_from_db()
    assert (classified.status, classified.risk, classified.in_queue) == (VisitStatus.ROUTED, RiskColour.RED, True)


def test_a_request_for_a_bed_made_for_the_visit_follows_its_colour(classified: Visit, nurse: User) -> None:
    # A request linked to a visit still at the door (as the ward may have made one for it).
    request = make_request(patient=classified.patient, clinic=classified.clinic, by=nurse, risk=RiskColour.ORANGE)
    Visit.objects.filter(pk=classified.pk).update(admission=request)

    assess(classified, nurse, glasgow=6)

    request.refresh_from_db()
    assert request.risk == RiskColour.RED


def test_no_assessment_once_routed_elsewhere_left_or_with_the_doctor(
    classified: Visit, nurse: User, doctor: Practitioner, room: Room
) -> None:
    other = services.visit_arrive(clinic=classified.clinic, patient=make_patient(by=nurse), by=nurse)
    services.visit_left(visit=other, by=nurse)
    assert_refused(lambda: assess(other, nurse), "This walk-in has left the emergency.")

    services.route_consultation(
        visit=classified, practitioner=doctor, specialty=emergency_specialty(), room=room, by=nurse
    )
    classified.refresh_from_db()
    consultation_start(appointment=classified.appointment, by=doctor.user)
    assert_refused(lambda: assess(classified, nurse), "The doctor has already started with this walk-in.")


# Routing ---------------------------------------------------------------------------------------------


def test_routing_to_a_consultation_books_an_urgent_appointment_and_waits_for_the_doctor(
    classified: Visit, nurse: User, doctor: Practitioner, room: Room
) -> None:
    specialty = emergency_specialty()
    services.route_consultation(
        visit=classified, practitioner=doctor, specialty=specialty, room=room, by=nurse, note=" Sala 2 "
    )

    classified.refresh_from_db()
    appointment = classified.appointment
    assert (appointment.patient, appointment.practitioner, appointment.specialty) == (
        classified.patient,
        doctor,
        specialty,
    )
    assert (appointment.clinic, appointment.room, appointment.status) == (
        classified.clinic,
        room,
        AppointmentStatus.WAITING,
    )
    assert (appointment.overbooked, appointment.overbooking_reason) == (True, "Emergency · Orange (very urgent)")
    assert (appointment.starts_at, appointment.checked_in_at, appointment.booked_by) == (NOW, NOW, nurse)
    assert (classified.status, classified.destination, classified.in_queue) == (
        VisitStatus.ROUTED,
        Destination.CONSULTATION,
        True,
    )
    assert (classified.routed_at, classified.routed_by, classified.routing_note) == (NOW, nurse, "Sala 2")


def test_the_doctors_start_takes_the_walk_in_out_of_the_queue(
    classified: Visit, nurse: User, doctor: Practitioner, room: Room
) -> None:
    services.route_consultation(
        visit=classified, practitioner=doctor, specialty=emergency_specialty(), room=room, by=nurse
    )
    classified.refresh_from_db()

    with time_machine.travel(NOW + minutes(7), tick=False):
        consultation_start(appointment=classified.appointment, by=doctor.user)

    classified.refresh_from_db()
    assert (classified.in_queue, classified.doctor_started_at, classified.status) == (
        False,
        NOW + minutes(7),
        VisitStatus.ROUTED,
    )
    assert classified.patient.status == PatientStatus.IN_CONSULTATION


def test_a_consultation_needs_a_room_of_the_clinic_an_active_doctor_of_the_specialty(
    classified: Visit, nurse: User, doctor: Practitioner, room: Room
) -> None:
    specialty = emergency_specialty()
    elsewhere = RoomFactory(floor=FloorFactory(clinic=ClinicFactory()))
    assert_refused(
        lambda: services.route_consultation(
            visit=classified, practitioner=doctor, specialty=specialty, room=elsewhere, by=nurse
        ),
        "Choose a room of this clinic.",
        field="room",
    )
    other_specialty = SpecialtyFactory(code="ortopedia", name="Ortopedia")
    assert_refused(
        lambda: services.route_consultation(
            visit=classified, practitioner=doctor, specialty=other_specialty, room=room, by=nurse
        ),
        f"{doctor.user.get_full_name()} does not practise this specialty.",
        field="specialty",
    )
    Practitioner.objects.filter(pk=doctor.pk).update(is_active=False)
    doctor.refresh_from_db()
    assert_refused(
        lambda: services.route_consultation(
            visit=classified, practitioner=doctor, specialty=specialty, room=room, by=nurse
        ),
        "This practitioner is no longer active.",
        field="practitioner",
    )


def _blood_tests(clinic: Clinic) -> list[Exam]:
    CareUnitFactory(clinic=clinic, kind=CareUnit.Kind.LABORATORY, name="Laboratório central")
    return [ExamFactory(name="Hemograma"), ExamFactory(name="Troponina")]


def test_routing_to_exams_orders_each_exam_from_triage_and_leaves_the_queue(classified: Visit, nurse: User) -> None:
    exams = _blood_tests(classified.clinic)

    services.route_exams(visit=classified, exams=[*exams, exams[0]], by=nurse, indication="Dor torácica")

    classified.refresh_from_db()
    orders = list(classified.exam_orders.order_by("exam__name"))
    assert [
        (order.exam, order.patient, order.clinic, order.origin, order.priority, order.status, order.ordered_by)
        for order in orders
    ] == [
        (
            exam,
            classified.patient,
            classified.clinic,
            OrderOrigin.TRIAGE,
            OrderPriority.URGENT,
            OrderStatus.REQUESTED,
            nurse,
        )
        for exam in exams
    ]
    assert {order.indication for order in orders} == {"Dor torácica"}
    assert (classified.status, classified.destination, classified.in_queue) == (
        VisitStatus.ROUTED,
        Destination.EXAMS,
        False,
    )
    assert (classified.routed_at, classified.routed_by) == (NOW, nurse)


def test_routing_to_no_exam_or_where_there_is_no_laboratory_is_refused(classified: Visit, nurse: User) -> None:
    assert_refused(
        lambda: services.route_exams(visit=classified, exams=[], by=nurse), "Choose at least one exam.", field="exams"
    )
    exam = ExamFactory()
    assert_refused(
        lambda: services.route_exams(visit=classified, exams=[exam], by=nurse),
        "This clinic has no laboratory to do this exam.",
    )


def test_routing_to_admission_asks_for_a_bed_from_triage_with_the_colour(classified: Visit, nurse: User) -> None:
    services.route_admission(
        visit=classified,
        by=nurse,
        ward_kind=WardKind.OBSERVATION,
        needs_isolation=True,
        equipment=["oxygen", "monitor"],
        reason="Hipoxemia",
    )

    classified.refresh_from_db()
    request = classified.admission
    assert (request.patient, request.clinic, request.status) == (
        classified.patient,
        classified.clinic,
        AdmissionStatus.REQUESTED,
    )
    assert (request.source, request.risk, request.priority) == (
        AdmissionSource.TRIAGE,
        RiskColour.ORANGE,
        Priority.URGENT,
    )
    assert (request.ward_kind, request.needs_isolation, request.equipment) == (
        WardKind.OBSERVATION,
        True,
        ["monitor", "oxygen"],
    )
    assert (request.reason, request.requested_by) == ("Hipoxemia", nurse)
    assert (classified.status, classified.destination, classified.in_queue) == (
        VisitStatus.ROUTED,
        Destination.ADMISSION,
        False,
    )
    assert classified.patient.status == PatientStatus.OUTPATIENT


def test_a_patient_with_an_open_admission_cannot_be_routed_to_another(classified: Visit, nurse: User) -> None:
    make_request(patient=classified.patient, clinic=classified.clinic, by=nurse)

    assert_refused(
        lambda: services.route_admission(visit=classified, by=nurse, ward_kind=WardKind.GENERAL),
        "This patient already has an open admission or admission request.",
    )


def test_a_discharge_from_the_door_needs_a_note(classified: Visit, nurse: User) -> None:
    assert_refused(
        lambda: services.route_discharge(visit=classified, by=nurse, note="  "),
        "Write the advice given to the patient.",
        field="note",
    )

    services.route_discharge(visit=classified, by=nurse, note="Hidratação oral, retorno se piora")

    classified.refresh_from_db()
    assert (classified.status, classified.destination, classified.in_queue) == (
        VisitStatus.ROUTED,
        Destination.DISCHARGED,
        False,
    )
    assert (classified.routing_note, classified.routed_at, classified.routed_by) == (
        "Hidratação oral, retorno se piora",
        NOW,
        nurse,
    )


def _routes(doctor: Practitioner, room: Room) -> dict[str, Callable[[Visit, User], object]]:
    return {
        "consultation": lambda visit, by: services.route_consultation(
            visit=visit, practitioner=doctor, specialty=emergency_specialty(), room=room, by=by
        ),
        "exams": lambda visit, by: services.route_exams(visit=visit, exams=[ExamFactory()], by=by),
        "admission": lambda visit, by: services.route_admission(visit=visit, by=by, ward_kind=WardKind.GENERAL),
        "discharge": lambda visit, by: services.route_discharge(visit=visit, by=by, note="Alta"),
    }


@pytest.mark.parametrize("destination", ["consultation", "exams", "admission", "discharge"])
def test_an_unclassified_walk_in_cannot_be_routed(
    visit: Visit, nurse: User, doctor: Practitioner, room: Room, destination: str
) -> None:
    route = _routes(doctor, room)[destination]
    message = "Classify the walk-in's risk before routing them."

    assert_refused(lambda: route(visit, nurse), message)
    services.triage_start(visit=visit, by=nurse)
    assert_refused(lambda: route(visit, nurse), message)


@pytest.mark.parametrize("destination", ["consultation", "exams", "admission", "discharge"])
def test_a_routed_walk_in_is_not_routed_again(
    classified: Visit, nurse: User, doctor: Practitioner, room: Room, destination: str
) -> None:
    services.route_discharge(visit=classified, by=nurse, note="Alta")
    route = _routes(doctor, room)[destination]

    assert_refused(lambda: route(classified, nurse), "This walk-in is already routed.")


def test_a_walk_in_waiting_for_the_doctor_is_not_routed_again(
    classified: Visit, nurse: User, doctor: Practitioner, room: Room
) -> None:
    route = _routes(doctor, room)
    route["consultation"](classified, nurse)

    assert_refused(lambda: route["discharge"](classified, nurse), "This walk-in is already routed.")


# Leaving ---------------------------------------------------------------------------------------------


def test_a_walk_in_who_leaves_before_triage_is_out_of_the_queue(visit: Visit, nurse: User) -> None:
    services.visit_left(visit=visit, by=nurse, note="Não respondeu a três chamadas")

    visit.refresh_from_db()
    assert (visit.status, visit.in_queue, visit.left_at) == (VisitStatus.LEFT, False, NOW)
    assert visit.routing_note == "Não respondeu a três chamadas"
    assert_refused(lambda: services.visit_left(visit=visit, by=nurse), "This walk-in has left the emergency.")


def test_leaving_while_waiting_for_the_doctor_cancels_the_urgent_appointment(
    classified: Visit, nurse: User, doctor: Practitioner, room: Room
) -> None:
    services.route_consultation(
        visit=classified, practitioner=doctor, specialty=emergency_specialty(), room=room, by=nurse
    )

    services.visit_left(visit=classified, by=nurse)

    classified.refresh_from_db()
    appointment = classified.appointment
    assert (classified.status, classified.in_queue, classified.destination) == (
        VisitStatus.LEFT,
        False,
        Destination.CONSULTATION,
    )
    assert (appointment.status, appointment.cancellation_reason) == (
        AppointmentStatus.CANCELLED,
        "The patient left the emergency before being seen.",
    )
    assert appointment.events.last().by == nurse


def test_a_walk_in_with_the_doctor_or_routed_elsewhere_has_not_left(
    classified: Visit, nurse: User, doctor: Practitioner, room: Room
) -> None:
    services.route_consultation(
        visit=classified, practitioner=doctor, specialty=emergency_specialty(), room=room, by=nurse
    )
    classified.refresh_from_db()
    consultation_start(appointment=classified.appointment, by=doctor.user)
    assert_refused(
        lambda: services.visit_left(visit=classified, by=nurse), "The doctor has already started with this walk-in."
    )

    other = services.visit_arrive(clinic=classified.clinic, patient=make_patient(by=nurse), by=nurse)
    assess(other, nurse)
    services.route_discharge(visit=other, by=nurse, note="Alta")
    assert_refused(lambda: services.visit_left(visit=other, by=nurse), "This walk-in is already routed.")
