"""The demo exams (a year written in bulk, the last steps through the services): consistent with the
catalog's ranges, with the rows the services write, and with the worklists a lab person opens."""

from __future__ import annotations

import io
from collections import Counter
from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.db.models import Count, Model

from clinic import demo as clinic_demo
from clinic.models import Clinic
from exams import demo
from exams.catalog import RADIOLOGY, ULTRASOUND
from exams.models import OPEN_ORDER, ExamOrder, Flag, OrderEvent, OrderPriority, OrderStatus, ResultValue
from exams.ranges import flag_for, range_for
from exams.services import RESULT_READY
from messaging.models import Message, Notification
from patients import demo as patient_demo
from scheduling.availability import free_slots
from staff import demo as staff_demo
from staff.models import CareUnit, Practitioner, User

pytestmark = pytest.mark.django_db

SAO_PAULO = ZoneInfo("America/Sao_Paulo")
NOW = datetime(2026, 3, 4, 10, 0, tzinfo=SAO_PAULO)
CLINICS = {"SP-PAU", "SP-CAM", "RJ-BOT"}


@pytest.fixture
def loaded(monkeypatch: pytest.MonkeyPatch) -> str:
    """The demo network cut down to two hospitals and a clinic, 500 patients, and the exams demo on top."""
    monkeypatch.setattr(clinic_demo, "CLINICS", [row for row in clinic_demo.CLINICS if row[0] in CLINICS])
    monkeypatch.setattr(patient_demo, "DEMO_PATIENTS", 500)
    out = io.StringIO()
    with time_machine.travel(NOW - timedelta(days=1), tick=False):
        clinic_demo.load(out)
        staff_demo.load(out)
        patient_demo.load(out)
    with time_machine.travel(NOW, tick=False):
        demo.load(out)
    # Statistics of tables last analysed empty make the planner's joins below take minutes.
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE exams_examorder, exams_resultvalue, exams_orderevent")
    return out.getvalue()


def _filled(row: Model, *, skip: set[str]) -> frozenset[str]:
    """The names of the fields that hold something."""
    return frozenset(
        field.attname
        for field in row._meta.concrete_fields
        if field.attname not in skip and getattr(row, field.attname) not in (None, "")
    )


def test_every_clinic_has_a_lab_and_an_imaging_unit_with_people(loaded: str) -> None:
    for clinic in Clinic.objects.all():
        kinds = set(clinic.care_units.values_list("kind", flat=True))
        assert {CareUnit.Kind.LABORATORY, CareUnit.Kind.IMAGING, CareUnit.Kind.EMERGENCY} <= kinds
    assert User.objects.filter(username__startswith="lab.", groups__name="Lab").count() == 2 * (len(CLINICS) - 1)
    radiologist = Practitioner.objects.get(user__username="radiologia")
    assert list(radiologist.specialties.values_list("code", flat=True)) == [RADIOLOGY]


def test_the_hospitals_imaging_agendas_offer_times_in_the_next_days(loaded: str) -> None:
    tomorrow = NOW.date() + timedelta(days=1)
    for code in ("SP-PAU", "RJ-BOT"):
        for specialty in (RADIOLOGY, ULTRASOUND):
            practitioners = list(
                Practitioner.objects.filter(specialties__code=specialty, working_hours__clinic__code=code).distinct()
            )
            assert len(practitioners) == 1, (code, specialty)
            hours = practitioners[0].working_hours.select_related("room")
            assert {h.room.kind for h in hours} == {"exam"}
            slots = free_slots(
                practitioners=practitioners,
                specialty=practitioners[0].specialties.get(),
                first=tomorrow,
                last=tomorrow + timedelta(days=3),
                now=NOW,
            )
            assert len(slots) > 20
    assert not Practitioner.objects.filter(working_hours__clinic__code="SP-CAM", specialties__code=ULTRASOUND)


def test_a_year_of_released_results_with_trends_for_the_followed(loaded: str) -> None:
    released = ExamOrder.objects.filter(status=OrderStatus.RELEASED)
    first = released.order_by("ordered_at").first()

    assert first is not None and first.ordered_at < NOW - timedelta(days=330)
    assert released.count() > 1500
    assert released.filter(exam__kind="imaging").exclude(report="").exists()
    per_patient = (
        released.filter(exam__code__in=[demo.HEMOGRAMA, demo.GLICOSE, demo.CREATININA])
        .values("patient", "exam")
        .annotate(n=Count("pk"))
    )
    counts = Counter(min(row["n"], 6) for row in per_patient)
    assert counts[1] and counts[3] + counts[4] + counts[5] + counts[6] > 60
    flags = set(ResultValue.objects.values_list("flag", flat=True))
    assert {Flag.NORMAL, Flag.LOW, Flag.HIGH} <= flags
    assert flags & {Flag.CRITICAL_LOW, Flag.CRITICAL_HIGH}


def test_each_value_is_flagged_against_the_patients_range_on_the_day(loaded: str) -> None:
    values = (
        ResultValue.objects.filter(number__isnull=False)
        .select_related("order__clinic", "patient")
        .prefetch_related("analyte__ranges")
        .order_by("pk")[:3000]
    )
    for value in values:
        day = value.order.collected_at.astimezone(value.order.clinic.zone).date()
        reference = range_for(value.analyte.ranges.all(), sex=value.patient.sex, age_years=value.patient.age(on=day))
        assert value.flag == flag_for(value.number, reference), value.pk
        assert (value.reference_low, value.reference_high) == (
            (reference.low, reference.high) if reference else (None, None)
        )
        assert value.patient_id == value.order.patient_id
        assert value.number == value.number.quantize(Decimal(1).scaleb(-value.analyte.decimals))


def test_the_bulk_history_reads_like_the_steps_through_the_services(loaded: str) -> None:
    """Released orders written in bulk and by the services fill the same fields and tell the same steps."""
    by_services = ExamOrder.objects.filter(status=OrderStatus.RELEASED, released_at=NOW)
    bulk = ExamOrder.objects.filter(status=OrderStatus.RELEASED, released_at__lt=NOW, exam__code=demo.HEMOGRAMA)
    assert by_services.count() == 3
    skip = {"indication", "consultation_id", "admission_id", "appointment_id"}
    filled = {_filled(order, skip=skip) for order in by_services} | {_filled(order, skip=skip) for order in bulk[:200]}
    assert len(filled) == 1
    value_fields = {
        _filled(value, skip=set())
        for value in ResultValue.objects.filter(order__in=[*by_services, *bulk[:50]], number__isnull=False)
    }
    assert len(value_fields) <= 2  # with and without a reference range of its own
    steps = [
        (OrderStatus.REQUESTED, ""),
        (OrderStatus.COLLECTED, OrderStatus.REQUESTED),
        (OrderStatus.RESULTED, OrderStatus.COLLECTED),
        (OrderStatus.RELEASED, OrderStatus.RESULTED),
    ]
    for order in [*by_services, *bulk[:200]]:
        events = list(order.events.order_by("at", "pk"))
        assert [(e.to_status, e.from_status) for e in events] == [(to, from_) for to, from_ in steps]
        assert [e.at for e in events] == [order.ordered_at, order.collected_at, order.resulted_at, order.released_at]
        assert [e.by_id for e in events] == [
            order.ordered_by_id,
            order.collected_by_id,
            order.resulted_by_id,
            order.released_by_id,
        ]
        assert order.resulted_by_id != order.released_by_id
        assert order.ordered_at <= order.collected_at <= order.resulted_at <= order.released_at <= NOW


def test_sp_pau_worklists_hold_every_open_status(loaded: str) -> None:
    lab = CareUnit.objects.get(clinic__code="SP-PAU", kind=CareUnit.Kind.LABORATORY)
    imaging = CareUnit.objects.get(clinic__code="SP-PAU", kind=CareUnit.Kind.IMAGING)
    open_lab = ExamOrder.objects.filter(unit=lab, status__in=OPEN_ORDER).select_related("exam", "resulted_by")
    open_imaging = ExamOrder.objects.filter(unit=imaging, status__in=OPEN_ORDER).select_related("exam", "appointment")

    assert {o.status for o in open_lab} == {OrderStatus.REQUESTED, OrderStatus.COLLECTED, OrderStatus.RESULTED}
    assert {o.status for o in open_imaging} == set(OPEN_ORDER)
    assert {o.priority for o in open_lab} == set(OrderPriority.values)
    assert sum(o.due_at() < NOW for o in open_lab) >= 3
    assert {o.resulted_by.username for o in open_lab if o.status == OrderStatus.RESULTED} == {"laboratorio"}
    scheduled = [o for o in open_imaging if o.status == OrderStatus.SCHEDULED]
    assert len(scheduled) == 3
    assert all(o.appointment.starts_at > NOW and o.appointment.specialty == o.exam.specialty for o in scheduled)
    assert not ExamOrder.objects.filter(status__in=OPEN_ORDER).exclude(unit__in=[lab, imaging]).exists()


def test_medico_is_told_of_three_results_released_by_a_second_person(loaded: str) -> None:
    medico = User.objects.get(username="medico")
    notes = Notification.objects.filter(recipient=medico, read_at__isnull=True, purpose=RESULT_READY)

    assert notes.count() == 3
    orders = ExamOrder.objects.filter(pk__in=notes.values("object_id")).select_related("resulted_by", "released_by")
    assert {(o.resulted_by.username, o.released_by.username, o.ordered_by_id) for o in orders} == {
        ("laboratorio", "biomedico", medico.pk)
    }
    assert ResultValue.objects.filter(order__in=orders, analyte__code="HGB", flag=Flag.LOW).count() == 1
    to_patients = Message.objects.filter(purpose=RESULT_READY, dedupe_key__endswith=":patient")
    assert to_patients.exists()
    for message in to_patients:
        assert all(order.exam.name not in message.body for order in orders)


def test_a_second_run_adds_no_order(loaded: str) -> None:
    tables = (ExamOrder, ResultValue, OrderEvent, Notification, CareUnit, Practitioner, User)
    before = [model.objects.count() for model in tables]
    out = io.StringIO()

    with time_machine.travel(NOW + timedelta(hours=1), tick=False):
        demo.load(out)

    assert [model.objects.count() for model in tables] == before
    assert "already loaded" in out.getvalue()
