"""An exam order's steps before the release: ordering, booking a time, collecting, entering results, files,
cancelling. What each step records, and what each refusal leaves alone.

Every refusal goes through ``assert_refused``, which compares every row the exam flows touch before and
after the call. The release and its notifications are in ``test_release.py``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.storage import storages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation

from clinic.models import Clinic, Room
from exams import services
from exams.models import (
    Analyte,
    Exam,
    ExamKind,
    ExamOrder,
    Flag,
    OrderEvent,
    OrderOrigin,
    OrderPriority,
    OrderStatus,
    ResultAttachment,
    ResultValue,
    Specimen,
    ValueKind,
)
from messaging.models import Message, Notification
from patients.models import Patient, Sex
from scheduling.models import Appointment, AppointmentEvent, AppointmentStatus, Consultation
from scheduling.services import SlotTaken, appointment_book
from staff import roles
from staff.models import CareUnit, Practitioner, PractitionerSpecialty, Specialty, User, WorkingHours
from tests.factories import (
    AnalyteFactory,
    CareUnitFactory,
    ClinicFactory,
    ExamFactory,
    PractitionerFactory,
    ReferenceRangeFactory,
    RoomFactory,
    SpecialtyFactory,
    make_blood_count,
    make_patient,
    make_request,
    pdf_bytes,
)

NOW = datetime(2026, 3, 10, 15, 0, tzinfo=UTC)
SAO_PAULO = ZoneInfo("America/Sao_Paulo")
# The Monday after NOW, at nine in the clinic: inside the exam room's hours below.
MONDAY_NINE = datetime.combine(date(2026, 3, 16), time(9), tzinfo=SAO_PAULO)

# A one-page PDF and a JPEG cut short.
PDF = pdf_bytes()
TRUNCATED_JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 40


@pytest.fixture(autouse=True)
def _frozen_in_english() -> Iterator[None]:
    with time_machine.travel(NOW, tick=False), translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def _attachment_storage(_private_media: None, monkeypatch: pytest.MonkeyPatch) -> None:
    """The attachment field bound its storage when the model loaded; point it at the test's storage."""
    monkeypatch.setattr(ResultAttachment._meta.get_field("file"), "storage", storages["private"])


# The setting ------------------------------------------------------------------------------------


@dataclass
class Lab:
    """A clinic with a laboratory, a doctor who orders, two lab people, a blood count and a man of 45."""

    clinic: Clinic
    unit: CareUnit
    doctor: User
    technician: User
    reviewer: User
    exam: Exam
    patient: Patient

    @property
    def hgb(self) -> Analyte:
        return self.exam.analytes.get(code="HGB")

    @property
    def wbc(self) -> Analyte:
        return self.exam.analytes.get(code="WBC")

    def values(self, hgb: str = "14.2", wbc: str = "7500", *, hgb_unit: str = "g/dL") -> dict[int, tuple[str, str]]:
        return {self.hgb.pk: (hgb, hgb_unit), self.wbc.pk: (wbc, "/mm³")}


def lab_setting(clinic: Clinic, make_user: Callable[..., User]) -> Lab:
    doctor = make_user(roles.DOCTOR)
    return Lab(
        clinic=clinic,
        unit=CareUnitFactory(clinic=clinic, name="Laboratório central", kind=CareUnit.Kind.LABORATORY),
        doctor=doctor,
        technician=make_user(roles.LAB),
        reviewer=make_user(roles.LAB),
        exam=make_blood_count(),
        patient=make_patient(by=doctor, sex=Sex.MALE, birth_date=date(1980, 5, 1)),
    )


@pytest.fixture
def lab(clinic: Clinic, make_user: Callable[..., User]) -> Lab:
    return lab_setting(clinic, make_user)


def ordered(lab: Lab, **overrides: Any) -> ExamOrder:
    fields: dict[str, Any] = {"patient": lab.patient, "exam": lab.exam, "clinic": lab.clinic, "by": lab.doctor}
    return services.order_create(**{**fields, **overrides})


def collected(lab: Lab, **overrides: Any) -> ExamOrder:
    """An order made two hours ago, collected an hour ago."""
    with time_machine.travel(NOW - timedelta(hours=2), tick=False):
        order = ordered(lab, **overrides)
    return services.order_collect(order=order, by=lab.technician, at=NOW - timedelta(hours=1))


def resulted(lab: Lab, **overrides: Any) -> ExamOrder:
    return services.results_enter(order=collected(lab, **overrides), by=lab.technician, values=lab.values())


def world() -> dict[str, list[tuple[Any, ...]]]:
    """Every row the exam flows write, as plain values: equal before and after a refusal."""
    return {
        "orders": list(
            ExamOrder.objects.order_by("pk").values_list(
                "pk",
                "status",
                "unit",
                "appointment",
                "collected_at",
                "collected_by",
                "resulted_at",
                "resulted_by",
                "released_at",
                "released_by",
                "cancelled_at",
                "cancel_reason",
            )
        ),
        "reports": [(order.pk, order.report) for order in ExamOrder.objects.order_by("pk")],
        "values": list(
            ResultValue.objects.order_by("pk").values_list("pk", "order", "analyte", "number", "text", "unit", "flag")
        ),
        "events": list(OrderEvent.objects.order_by("pk").values_list("pk", "order", "from_status", "to_status")),
        "attachments": list(ResultAttachment.objects.order_by("pk").values_list("pk", "order")),
        "appointments": list(Appointment.objects.order_by("pk").values_list("pk", "status")),
        "appointment_events": list(AppointmentEvent.objects.order_by("pk").values_list("pk")),
        "messages": list(Message.objects.order_by("pk").values_list("pk", "dedupe_key")),
        "notifications": list(Notification.objects.order_by("pk").values_list("pk", "dedupe_key")),
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


def events_of(order: ExamOrder) -> list[tuple[str, str, int | None, datetime, str]]:
    return list(
        OrderEvent.objects.filter(order=order)
        .order_by("pk")
        .values_list("from_status", "to_status", "by", "at", "note")
    )


# Ordering ----------------------------------------------------------------------------------------


def test_an_order_lands_on_the_first_active_laboratory_of_the_clinic(lab: Lab) -> None:
    CareUnitFactory(clinic=lab.clinic, name="Laboratório do anexo", kind=CareUnit.Kind.LABORATORY)
    CareUnitFactory(clinic=lab.clinic, name="A laboratório fechado", kind=CareUnit.Kind.LABORATORY, is_active=False)
    CareUnitFactory(clinic=lab.clinic, name="A imagem", kind=CareUnit.Kind.IMAGING)
    CareUnitFactory(name="A laboratório de outra clínica", kind=CareUnit.Kind.LABORATORY)

    order = ordered(lab, indication="  Anemia?  ")

    stored = ExamOrder.objects.get()
    assert stored.pk == order.pk
    assert (stored.patient, stored.exam, stored.clinic, stored.unit) == (lab.patient, lab.exam, lab.clinic, lab.unit)
    assert (stored.status, stored.priority, stored.priority_rank, stored.origin) == (
        OrderStatus.REQUESTED,
        OrderPriority.ROUTINE,
        2,
        OrderOrigin.CHART,
    )
    assert (stored.ordered_by, stored.ordered_at, stored.indication) == (lab.doctor, NOW, "Anemia?")
    assert events_of(order) == [("", OrderStatus.REQUESTED, lab.doctor.pk, NOW, "")]


def test_an_imaging_exam_lands_on_the_imaging_unit(lab: Lab) -> None:
    imaging = CareUnitFactory(clinic=lab.clinic, name="Imagem", kind=CareUnit.Kind.IMAGING)
    x_ray = ExamFactory(name="Raio X de tórax", kind=ExamKind.IMAGING, specimen=Specimen.NONE)

    order = ordered(lab, exam=x_ray, priority=OrderPriority.STAT, origin=OrderOrigin.TRIAGE)

    assert (order.unit, order.priority_rank, order.origin) == (imaging, 0, OrderOrigin.TRIAGE)


def test_the_unit_chosen_by_the_caller_is_kept(lab: Lab) -> None:
    annex = CareUnitFactory(clinic=lab.clinic, name="Laboratório do anexo", kind=CareUnit.Kind.LABORATORY)

    assert ordered(lab, unit=annex).unit == annex


def test_a_clinic_without_a_unit_for_the_exam_cannot_take_the_order(lab: Lab) -> None:
    x_ray = ExamFactory(kind=ExamKind.IMAGING, specimen=Specimen.NONE)
    elsewhere = ClinicFactory()
    lab.doctor.clinics.add(elsewhere)

    assert_refused(lambda: ordered(lab, exam=x_ray), "This clinic has no imaging unit to do this exam.")
    assert_refused(lambda: ordered(lab, clinic=elsewhere), "This clinic has no laboratory to do this exam.")
    lab.unit.is_active = False
    lab.unit.save()
    assert_refused(lambda: ordered(lab), "This clinic has no laboratory to do this exam.")
    assert not ExamOrder.objects.exists()


def test_an_order_for_a_clinic_the_doctor_does_not_work_in_is_refused(lab: Lab) -> None:
    with translation.override("en"), pytest.raises(PermissionDenied, match="You do not work in this clinic"):
        ordered(lab, clinic=ClinicFactory())
    assert not ExamOrder.objects.exists()


@pytest.mark.parametrize(
    ("unit", "message"),
    [
        (lambda lab: CareUnitFactory(kind=CareUnit.Kind.LABORATORY), "Choose an active unit of this clinic."),
        (
            lambda lab: CareUnitFactory(clinic=lab.clinic, kind=CareUnit.Kind.LABORATORY, is_active=False),
            "Choose an active unit of this clinic.",
        ),
        (
            lambda lab: CareUnitFactory(clinic=lab.clinic, kind=CareUnit.Kind.IMAGING),
            "This unit does not do this kind of exam.",
        ),
    ],
    ids=["other-clinic", "inactive", "wrong-kind"],
)
def test_a_unit_that_cannot_do_the_exam_is_refused(lab: Lab, unit: Callable[[Lab], CareUnit], message: str) -> None:
    chosen = unit(lab)

    assert_refused(lambda: ordered(lab, unit=chosen), message, field="unit")


def test_an_exam_taken_out_of_the_catalog_cannot_be_ordered(lab: Lab) -> None:
    lab.exam.is_active = False
    lab.exam.save()

    assert_refused(lambda: ordered(lab), "This exam is no longer offered.", field="exam")


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("priority", "whenever", "Choose a priority from the list."),
        ("origin", "<script>alert(1)</script>", "Choose where the order comes from."),
        ("indication", "x" * 2001, "Keep the indication under 2000 characters."),
    ],
)
def test_an_order_with_a_value_outside_the_choices_is_refused(lab: Lab, field: str, value: str, message: str) -> None:
    assert_refused(lambda: ordered(lab, **{field: value}), message, field=field)


def test_an_order_keeps_the_consultation_and_admission_it_comes_from(lab: Lab) -> None:
    appointment = appointment_of(lab.patient, lab)
    consultation = Consultation.objects.create(appointment=appointment)
    admission = make_request(patient=lab.patient, clinic=lab.clinic, by=lab.doctor)

    order = ordered(lab, consultation=consultation, admission=admission, origin=OrderOrigin.CONSULTATION)

    assert (order.consultation, order.admission, order.origin) == (consultation, admission, OrderOrigin.CONSULTATION)


def test_an_order_cannot_hang_on_another_patients_consultation_or_admission(lab: Lab) -> None:
    someone_else = make_patient(by=lab.doctor)
    consultation = Consultation.objects.create(appointment=appointment_of(someone_else, lab))
    admission = make_request(patient=someone_else, clinic=lab.clinic, by=lab.doctor)

    assert_refused(
        lambda: ordered(lab, consultation=consultation),
        "This consultation is of another patient.",
        field="consultation",
    )
    assert_refused(
        lambda: ordered(lab, admission=admission), "This admission is of another patient.", field="admission"
    )


# Booking a time ----------------------------------------------------------------------------------


@dataclass
class Imaging:
    exam: Exam
    practitioner: Practitioner
    specialty: Specialty
    room: Room


@pytest.fixture
def imaging(lab: Lab) -> Imaging:
    """An ultrasound done by appointment, a sonographer with Monday-morning hours in an exam room."""
    specialty = SpecialtyFactory(name="Ultrassonografia", code="ultrassom", default_duration=20)
    exam = ExamFactory(
        name="Ultrassom de abdome",
        kind=ExamKind.IMAGING,
        specimen=Specimen.NONE,
        needs_scheduling=True,
        specialty=specialty,
    )
    CareUnitFactory(clinic=lab.clinic, name="Imagem", kind=CareUnit.Kind.IMAGING)
    room = RoomFactory(floor__clinic=lab.clinic, kind=Room.Kind.EXAM)
    practitioner = PractitionerFactory()
    practitioner.user.clinics.add(lab.clinic)
    PractitionerSpecialty.objects.create(practitioner=practitioner, specialty=specialty)
    WorkingHours.objects.create(
        practitioner=practitioner,
        clinic=lab.clinic,
        room=room,
        weekday=0,
        start_time=time(8),
        end_time=time(12),
        valid_from=date(2026, 1, 1),
    )
    return Imaging(exam=exam, practitioner=practitioner, specialty=specialty, room=room)


def appointment_of(patient: Patient, lab: Lab) -> Appointment:
    """Any appointment of ``patient`` (the consultation an order may come from)."""
    specialty = SpecialtyFactory(default_duration=30)
    practitioner = PractitionerFactory(user=lab.doctor)
    PractitionerSpecialty.objects.create(practitioner=practitioner, specialty=specialty)
    room = RoomFactory(floor__clinic=lab.clinic)
    WorkingHours.objects.create(
        practitioner=practitioner,
        clinic=lab.clinic,
        room=room,
        weekday=0,
        start_time=time(8),
        end_time=time(12),
        valid_from=date(2026, 1, 1),
    )
    return appointment_book(
        patient=patient, practitioner=practitioner, specialty=specialty, starts_at=MONDAY_NINE, by=lab.doctor
    )


def test_scheduling_books_the_exam_in_the_practitioners_free_time(lab: Lab, imaging: Imaging) -> None:
    order = ordered(lab, exam=imaging.exam)

    scheduled = services.order_schedule(
        order=order, practitioner=imaging.practitioner, starts_at=MONDAY_NINE, by=lab.technician
    )

    appointment = Appointment.objects.get()
    assert scheduled.appointment == appointment
    assert (appointment.patient, appointment.practitioner, appointment.specialty) == (
        lab.patient,
        imaging.practitioner,
        imaging.specialty,
    )
    assert (appointment.room, appointment.starts_at, appointment.ends_at) == (
        imaging.room,
        MONDAY_NINE,
        MONDAY_NINE + timedelta(minutes=20),
    )
    stored = ExamOrder.objects.get()
    assert (stored.status, stored.appointment) == (OrderStatus.SCHEDULED, appointment)
    assert events_of(order)[-1] == (
        OrderStatus.REQUESTED,
        OrderStatus.SCHEDULED,
        lab.technician.pk,
        NOW,
        "Booked for 2026-03-16 09:00",
    )


def test_a_time_taken_in_the_meantime_raises_slot_taken_and_leaves_the_order_requested(
    lab: Lab, imaging: Imaging
) -> None:
    order = ordered(lab, exam=imaging.exam)
    appointment_book(
        patient=make_patient(by=lab.doctor),
        practitioner=imaging.practitioner,
        specialty=imaging.specialty,
        starts_at=MONDAY_NINE,
        by=lab.technician,
    )
    before = world()

    with pytest.raises(SlotTaken) as taken:
        services.order_schedule(
            order=order, practitioner=imaging.practitioner, starts_at=MONDAY_NINE, by=lab.technician
        )

    assert taken.value.messages == ["This time was just taken. Choose another one."]
    assert MONDAY_NINE + timedelta(minutes=20) in [slot.starts_at for slot in taken.value.fresh]
    assert world() == before


def test_rescheduling_cancels_the_earlier_appointment(lab: Lab, imaging: Imaging) -> None:
    order = ordered(lab, exam=imaging.exam)
    first = services.order_schedule(
        order=order, practitioner=imaging.practitioner, starts_at=MONDAY_NINE, by=lab.technician
    ).appointment
    assert first is not None

    later = MONDAY_NINE + timedelta(hours=1)
    moved = services.order_schedule(order=order, practitioner=imaging.practitioner, starts_at=later, by=lab.technician)

    first.refresh_from_db()
    assert (first.status, first.cancellation_reason) == (AppointmentStatus.CANCELLED, "Exam rescheduled")
    assert moved.appointment is not None
    assert (moved.appointment.starts_at, moved.appointment.status) == (later, AppointmentStatus.SCHEDULED)
    assert ExamOrder.objects.get().appointment == moved.appointment
    assert events_of(order)[-1][:2] == (OrderStatus.SCHEDULED, OrderStatus.SCHEDULED)
    assert events_of(order)[-1][4] == "Rescheduled to 2026-03-16 10:00"


def test_rescheduling_to_a_taken_time_keeps_the_earlier_appointment(lab: Lab, imaging: Imaging) -> None:
    order = ordered(lab, exam=imaging.exam)
    services.order_schedule(order=order, practitioner=imaging.practitioner, starts_at=MONDAY_NINE, by=lab.technician)
    later = MONDAY_NINE + timedelta(hours=1)
    appointment_book(
        patient=make_patient(by=lab.doctor),
        practitioner=imaging.practitioner,
        specialty=imaging.specialty,
        starts_at=later,
        by=lab.technician,
    )
    before = world()

    with pytest.raises(SlotTaken):
        services.order_schedule(order=order, practitioner=imaging.practitioner, starts_at=later, by=lab.technician)

    assert world() == before
    assert ExamOrder.objects.get().appointment.status == AppointmentStatus.SCHEDULED  # type: ignore[union-attr]


def test_only_an_exam_that_needs_a_time_is_scheduled_and_only_by_its_specialty(lab: Lab, imaging: Imaging) -> None:
    blood = ordered(lab)
    ultrasound = ordered(lab, exam=imaging.exam)
    outsider = PractitionerFactory()

    assert_refused(
        lambda: services.order_schedule(
            order=blood, practitioner=imaging.practitioner, starts_at=MONDAY_NINE, by=lab.technician
        ),
        "This exam needs no booked time.",
    )
    assert_refused(
        lambda: services.order_schedule(
            order=ultrasound, practitioner=outsider, starts_at=MONDAY_NINE, by=lab.technician
        ),
        f"{outsider.user.get_full_name()} does not perform this exam.",
        field="practitioner",
    )


def test_an_order_collected_or_cancelled_cannot_be_scheduled(lab: Lab, imaging: Imaging) -> None:
    done = services.order_collect(order=ordered(lab, exam=imaging.exam), by=lab.technician)
    cancelled = services.order_cancel(order=ordered(lab, exam=imaging.exam), by=lab.doctor, reason="Pedido em dobro")

    for order, message in (
        (done, "Only an order still to be done can be scheduled."),
        (cancelled, "This order is cancelled."),
    ):
        assert_refused(
            lambda order=order: services.order_schedule(
                order=order, practitioner=imaging.practitioner, starts_at=MONDAY_NINE, by=lab.technician
            ),
            message,
        )


# Collecting --------------------------------------------------------------------------------------


def test_collecting_records_who_and_when(lab: Lab) -> None:
    with time_machine.travel(NOW - timedelta(hours=1), tick=False):
        order = ordered(lab)
    at = NOW - timedelta(minutes=10)

    services.order_collect(order=order, by=lab.technician, at=at)

    stored = ExamOrder.objects.get()
    assert (stored.status, stored.collected_at, stored.collected_by) == (OrderStatus.COLLECTED, at, lab.technician)
    assert events_of(order)[-1] == (OrderStatus.REQUESTED, OrderStatus.COLLECTED, lab.technician.pk, at, "")


def test_a_scheduled_order_is_collected_and_its_appointment_left_alone(lab: Lab, imaging: Imaging) -> None:
    order = ordered(lab, exam=imaging.exam)
    services.order_schedule(order=order, practitioner=imaging.practitioner, starts_at=MONDAY_NINE, by=lab.technician)

    services.order_collect(order=order, by=lab.technician)

    assert ExamOrder.objects.get().status == OrderStatus.COLLECTED
    assert Appointment.objects.get().status == AppointmentStatus.SCHEDULED


def test_collecting_twice_in_the_future_or_before_the_order_is_refused(lab: Lab) -> None:
    order = ordered(lab)

    assert_refused(
        lambda: services.order_collect(order=order, by=lab.technician, at=NOW + timedelta(hours=1)),
        "A time in the future cannot be recorded.",
        field="at",
    )
    assert_refused(
        lambda: services.order_collect(order=order, by=lab.technician, at=NOW - timedelta(days=1)),
        "The collection cannot be before the order.",
        field="at",
    )
    services.order_collect(order=order, by=lab.technician)
    assert_refused(
        lambda: services.order_collect(order=order, by=lab.technician), "This order was already collected or performed."
    )


# Results -----------------------------------------------------------------------------------------


def stored_values(order: ExamOrder) -> list[tuple[str, Decimal | None, str, str, Decimal | None, Decimal | None]]:
    return list(
        ResultValue.objects.filter(order=order)
        .order_by("analyte__position")
        .values_list("analyte__code", "number", "unit", "flag", "reference_low", "reference_high")
    )


def test_entering_results_stores_each_value_flagged_against_the_patients_range(lab: Lab) -> None:
    order = collected(lab)

    services.results_enter(order=order, by=lab.technician, values=lab.values(hgb="12,9", wbc=" 31000 "))

    # A man of 45: the men's haemoglobin range (13.5-17.5), the leukocytes' range for anyone.
    assert stored_values(order) == [
        ("HGB", Decimal("12.9"), "g/dL", Flag.LOW, Decimal("13.5"), Decimal("17.5")),
        ("WBC", Decimal("31000"), "/mm³", Flag.CRITICAL_HIGH, Decimal("4000"), Decimal("11000")),
    ]
    assert set(ResultValue.objects.values_list("patient", flat=True)) == {lab.patient.pk}
    stored = ExamOrder.objects.get()
    assert (stored.status, stored.resulted_by, stored.resulted_at) == (OrderStatus.RESULTED, lab.technician, NOW)
    assert events_of(order)[-1] == (OrderStatus.COLLECTED, OrderStatus.RESULTED, lab.technician.pk, NOW, "")


@pytest.mark.parametrize(
    ("typed", "stored"),
    [("12,5", "12.5"), ("12.5", "12.5"), ("  12.5 ", "12.5"), ("13", "13.0"), (",5", "0.5"), ("+14.", "14.0")],
)
def test_a_number_is_read_with_a_comma_or_a_dot_and_kept_with_the_analytes_decimals(
    lab: Lab, typed: str, stored: str
) -> None:
    order = collected(lab)

    services.results_enter(order=order, by=lab.technician, values=lab.values(hgb=typed))

    assert ResultValue.objects.get(analyte=lab.hgb).number == Decimal(stored)


def test_the_flag_follows_the_age_at_collection_not_at_entry(lab: Lab) -> None:
    """He turned 18 today; the specimen was taken yesterday, so the range for children applies."""
    teenager = make_patient(by=lab.doctor, sex=Sex.MALE, birth_date=date(2008, 3, 10))
    yesterday = datetime(2026, 3, 9, 15, 0, tzinfo=UTC)
    with time_machine.travel(yesterday - timedelta(hours=1), tick=False):
        order = ordered(lab, patient=teenager)
    order = services.order_collect(order=order, by=lab.technician, at=yesterday)

    services.results_enter(order=order, by=lab.technician, values=lab.values(hgb="16.0"))

    assert stored_values(order)[0] == ("HGB", Decimal("16.0"), "g/dL", Flag.HIGH, Decimal("11.0"), Decimal("15.5"))


def test_a_value_with_no_range_for_the_patient_has_no_flag(lab: Lab) -> None:
    """Haemoglobin has ranges for adult women and men and for children; an intersex adult has none."""
    patient = make_patient(by=lab.doctor, sex=Sex.INTERSEX, birth_date=date(1990, 1, 1))
    order = collected(lab, patient=patient)

    services.results_enter(order=order, by=lab.technician, values=lab.values(hgb="3.0"))

    assert stored_values(order)[0] == ("HGB", Decimal("3.0"), "g/dL", Flag.NORMAL, None, None)


def test_a_value_in_the_wrong_unit_is_refused_naming_the_analyte(lab: Lab) -> None:
    order = collected(lab)

    assert_refused(
        lambda: services.results_enter(order=order, by=lab.technician, values=lab.values(hgb_unit="mg/dL")),
        "The unit of Hemoglobina is g/dL, not mg/dL.",
        field=f"unit_{lab.hgb.pk}",
    )
    assert_refused(
        lambda: services.results_enter(order=order, by=lab.technician, values=lab.values(hgb_unit=" ")),
        "Give the unit of Hemoglobina: g/dL.",
        field=f"unit_{lab.hgb.pk}",
    )
    assert ExamOrder.objects.get().status == OrderStatus.COLLECTED


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("abc", "'abc' is not a number."),
        ("12,3,4", "'12,3,4' is not a number."),
        ("12.3.4", "'12.3.4' is not a number."),
        ("1.234,5", "'1.234,5' is not a number."),
        ("NaN", "'NaN' is not a number."),
        ("Infinity", "'Infinity' is not a number."),
        ("1e5", "'1e5' is not a number."),
        ("<script>alert(1)</script>", "'<script>alert(1)</script>' is not a number."),
        ("12.35", "Hemoglobina takes at most 1 decimal place."),
        ("123456789", "123456789 is too large for Hemoglobina."),
        ("-100000000", "-100000000 is too large for Hemoglobina."),
    ],
)
def test_a_value_that_is_not_a_number_the_analyte_can_hold_is_refused(lab: Lab, typed: str, message: str) -> None:
    order = collected(lab)

    assert_refused(
        lambda: services.results_enter(order=order, by=lab.technician, values=lab.values(hgb=typed)),
        message,
        field=f"value_{lab.hgb.pk}",
    )


def test_a_thousands_separator_in_a_whole_number_is_refused_not_misread(lab: Lab) -> None:
    order = collected(lab)

    assert_refused(
        lambda: services.results_enter(order=order, by=lab.technician, values=lab.values(wbc="7.500")),
        "Leucócitos is a whole number: write it without a decimal or thousands separator.",
        field=f"value_{lab.wbc.pk}",
    )


def test_every_analyte_of_a_lab_exam_needs_a_value_and_nothing_else_is_taken(lab: Lab) -> None:
    order = collected(lab)
    other = AnalyteFactory()

    error = assert_refused(
        lambda: services.results_enter(order=order, by=lab.technician, values={lab.hgb.pk: ("14.0", "g/dL")}),
        "Give the value of Leucócitos.",
        field=f"value_{lab.wbc.pk}",
    )
    assert list(error.message_dict) == [f"value_{lab.wbc.pk}"]
    assert_refused(
        lambda: services.results_enter(
            order=order, by=lab.technician, values={**lab.values(), other.pk: ("1.0", "mg/dL")}
        ),
        "A value was given for something this exam does not measure.",
    )


def test_every_error_of_a_form_comes_back_at_once(lab: Lab) -> None:
    order = collected(lab)

    error = assert_refused(
        lambda: services.results_enter(
            order=order, by=lab.technician, values=lab.values(hgb="abc", wbc="", hgb_unit="mg/dL")
        ),
        "'abc' is not a number.",
        field=f"value_{lab.hgb.pk}",
    )
    assert set(error.message_dict) == {f"value_{lab.hgb.pk}", f"unit_{lab.hgb.pk}", f"value_{lab.wbc.pk}"}


def test_a_result_for_a_cancelled_order_is_refused(lab: Lab) -> None:
    order = services.order_cancel(order=collected(lab), by=lab.doctor, reason="Amostra hemolisada")

    assert_refused(
        lambda: services.results_enter(order=order, by=lab.technician, values=lab.values()),
        "This order is cancelled: no result can be entered.",
    )
    assert not ResultValue.objects.exists()


def test_a_result_before_collection_or_after_the_release_is_refused(lab: Lab) -> None:
    waiting = ordered(lab)
    released = services.result_release(order=resulted(lab), by=lab.reviewer)

    assert_refused(
        lambda: services.results_enter(order=waiting, by=lab.technician, values=lab.values()),
        "The specimen must be collected (or the exam performed) before its result is entered.",
    )
    assert_refused(
        lambda: services.results_enter(order=released, by=lab.technician, values=lab.values(hgb="9.0")),
        "This result was already released: it can no longer be changed.",
    )


def test_entering_again_before_the_release_corrects_the_values(lab: Lab) -> None:
    order = resulted(lab)

    services.results_enter(order=order, by=lab.reviewer, values=lab.values(hgb="18.0"))

    assert [row[:4] for row in stored_values(order)] == [
        ("HGB", Decimal("18.0"), "g/dL", Flag.HIGH),
        ("WBC", Decimal("7500"), "/mm³", Flag.NORMAL),
    ]
    assert ExamOrder.objects.get().resulted_by == lab.reviewer
    assert events_of(order)[-1] == (
        OrderStatus.RESULTED,
        OrderStatus.RESULTED,
        lab.reviewer.pk,
        NOW,
        "Result corrected",
    )


def test_a_text_analyte_takes_text(lab: Lab) -> None:
    aspect = AnalyteFactory(exam=lab.exam, code="ASP", name="Aspecto", value_kind=ValueKind.TEXT, unit="", position=9)
    order = collected(lab)

    services.results_enter(order=order, by=lab.technician, values={**lab.values(), aspect.pk: (" Límpido ", "")})

    row = ResultValue.objects.get(analyte=aspect)
    assert (row.text, row.number, row.flag) == ("Límpido", None, Flag.NORMAL)


def test_an_imaging_exam_needs_its_report_and_no_values(lab: Lab) -> None:
    CareUnitFactory(clinic=lab.clinic, name="Imagem", kind=CareUnit.Kind.IMAGING)
    x_ray = ExamFactory(name="Raio X de tórax", kind=ExamKind.IMAGING, specimen=Specimen.NONE)
    order = collected(lab, exam=x_ray)

    assert_refused(
        lambda: services.results_enter(order=order, by=lab.technician, values={}, report="   "),
        "Write the report of this exam.",
        field="report",
    )
    services.results_enter(order=order, by=lab.technician, values={}, report="  Campos pulmonares livres.  ")

    stored = ExamOrder.objects.get()
    assert (stored.status, stored.report) == (OrderStatus.RESULTED, "Campos pulmonares livres.")
    assert not ResultValue.objects.exists()


# Attachments -------------------------------------------------------------------------------------


def test_a_pdf_is_attached_under_a_name_of_ours(lab: Lab) -> None:
    order = collected(lab)

    attachment = services.attachment_add(
        order=order, uploaded=SimpleUploadedFile("../../laudo final.pdf", PDF), by=lab.technician
    )

    stored = ResultAttachment.objects.get()
    assert stored.pk == attachment.pk
    assert (stored.name, stored.content_type, stored.size, stored.uploaded_by) == (
        "laudo final.pdf",
        "application/pdf",
        len(PDF),
        lab.technician,
    )
    assert stored.file.name.startswith("exam-results/2026/03/") and stored.file.name.endswith(".pdf")
    assert ".." not in stored.file.name
    with stored.file.open("rb") as handle:
        assert handle.read() == PDF


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        (
            "laudo.pdf",
            b"<html><script>alert(1)</script></html>",
            "Only PDF, JPEG and PNG files are accepted, and this file is none of them.",
        ),
        ("foto.jpg", TRUNCATED_JPEG, "Only PDF, JPEG and PNG files are accepted, and this file is none of them."),
        ("vazio.pdf", b"", "The file is empty."),
    ],
)
def test_a_file_that_is_not_a_document_is_refused(lab: Lab, name: str, content: bytes, message: str) -> None:
    order = collected(lab)

    assert_refused(
        lambda: services.attachment_add(order=order, uploaded=SimpleUploadedFile(name, content), by=lab.technician),
        message,
        field="file",
    )


def test_a_file_over_the_limit_is_refused(lab: Lab, settings: Any) -> None:
    settings.DOCUMENT_MAX_UPLOAD_MB = 1
    big = PDF.replace(b"%%EOF", b"%" + b"0" * (1024 * 1024) + b"\n%%EOF")
    order = collected(lab)

    assert_refused(
        lambda: services.attachment_add(order=order, uploaded=SimpleUploadedFile("big.pdf", big), by=lab.technician),
        "The file is larger than 1 MB.",
        field="file",
    )


def test_nothing_is_attached_to_a_cancelled_or_released_order(lab: Lab) -> None:
    cancelled = services.order_cancel(order=ordered(lab), by=lab.doctor, reason="Pedido em dobro")
    released = services.result_release(order=resulted(lab), by=lab.reviewer)

    assert_refused(
        lambda: services.attachment_add(order=cancelled, uploaded=SimpleUploadedFile("a.pdf", PDF), by=lab.technician),
        "This order is cancelled: nothing can be attached to it.",
    )
    assert_refused(
        lambda: services.attachment_add(order=released, uploaded=SimpleUploadedFile("a.pdf", PDF), by=lab.technician),
        "This result was already released: nothing can be attached to it.",
    )


# Cancelling --------------------------------------------------------------------------------------


def test_cancelling_records_the_reason(lab: Lab) -> None:
    order = ordered(lab)

    services.order_cancel(order=order, by=lab.doctor, reason="  Pedido em dobro  ")

    stored = ExamOrder.objects.get()
    assert (stored.status, stored.cancel_reason, stored.cancelled_by, stored.cancelled_at) == (
        OrderStatus.CANCELLED,
        "Pedido em dobro",
        lab.doctor,
        NOW,
    )
    assert events_of(order)[-1] == (OrderStatus.REQUESTED, OrderStatus.CANCELLED, lab.doctor.pk, NOW, "Pedido em dobro")


def test_cancelling_without_a_reason_is_refused(lab: Lab) -> None:
    order = ordered(lab)

    assert_refused(
        lambda: services.order_cancel(order=order, by=lab.doctor, reason="   "),
        "Say why the order is cancelled.",
        field="reason",
    )
    assert_refused(
        lambda: services.order_cancel(order=order, by=lab.doctor, reason="x" * 201),
        "Keep the reason under 200 characters.",
        field="reason",
    )


def test_cancelling_a_scheduled_order_cancels_its_appointment(lab: Lab, imaging: Imaging) -> None:
    order = ordered(lab, exam=imaging.exam)
    services.order_schedule(order=order, practitioner=imaging.practitioner, starts_at=MONDAY_NINE, by=lab.technician)

    services.order_cancel(order=order, by=lab.doctor, reason="Paciente desistiu")

    appointment = Appointment.objects.get()
    assert (appointment.status, appointment.cancellation_reason) == (AppointmentStatus.CANCELLED, "Paciente desistiu")
    assert ExamOrder.objects.get().status == OrderStatus.CANCELLED


def test_a_released_or_cancelled_order_cannot_be_cancelled(lab: Lab) -> None:
    released = services.result_release(order=resulted(lab), by=lab.reviewer)
    cancelled = services.order_cancel(order=ordered(lab), by=lab.doctor, reason="Pedido em dobro")

    assert_refused(
        lambda: services.order_cancel(order=released, by=lab.doctor, reason="Engano"),
        "A released result cannot be cancelled.",
    )
    assert_refused(
        lambda: services.order_cancel(order=cancelled, by=lab.doctor, reason="Engano"),
        "This order is already cancelled.",
    )


# A number without a unit (the INR, pH) ----------------------------------------------------------


def test_a_ratio_is_a_number_without_a_unit_and_is_flagged_against_its_range(lab: Lab) -> None:
    exam = ExamFactory(name="Tempo de protrombina")
    inr = AnalyteFactory(exam=exam, code="INR", name="INR", unit="", decimals=2)
    ReferenceRangeFactory(analyte=inr, low=Decimal("0.80"), high=Decimal("1.20"), critical_high=Decimal("5.00"))
    order = collected(lab, exam=exam)
    assert_refused(
        lambda: services.results_enter(order=order, by=lab.technician, values={inr.pk: ("2,5", "s")}),
        "INR has no unit.",
        field=f"unit_{inr.pk}",
    )
    services.results_enter(order=order, by=lab.technician, values={inr.pk: ("2,5", "")})
    value = ResultValue.objects.get(order=order)
    assert (value.number, value.unit, value.flag) == (Decimal("2.50"), "", Flag.HIGH)
