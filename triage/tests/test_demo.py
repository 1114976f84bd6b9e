"""The demo emergency (a year written in bulk, today's queues through the services): physicians on duty,
visits that keep the rules of the triage, and the same rows whichever way they were written."""

from __future__ import annotations

import io
from collections import Counter
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.db.models import Count, Model

from beds import demo as beds_demo
from beds.models import Admission, AdmissionSource
from clinic import demo as clinic_demo
from clinic.models import Clinic
from exams import demo as exams_demo
from exams.models import ExamOrder, OrderOrigin
from patients import demo as patient_demo
from patients.models import RiskColour
from scheduling.models import Appointment, AppointmentStatus
from staff import demo as staff_demo
from staff.models import Shift, User
from triage import demo, rules
from triage.models import Assessment, Destination, Visit, VisitStatus
from triage.selectors import doctors_on_duty, triage_queue

pytestmark = pytest.mark.django_db

SAO_PAULO = ZoneInfo("America/Sao_Paulo")
NOW = datetime(2026, 3, 4, 10, 0, tzinfo=SAO_PAULO)
CLINICS = {"SP-PAU", "SP-CAM", "RJ-BOT"}


@pytest.fixture
def loaded(monkeypatch: pytest.MonkeyPatch) -> str:
    """Two hospitals and a clinic with 500 patients, their wards (the beds demo) and exams, then triage."""
    monkeypatch.setattr(clinic_demo, "CLINICS", [row for row in clinic_demo.CLINICS if row[0] in CLINICS])
    monkeypatch.setattr(patient_demo, "DEMO_PATIENTS", 500)
    monkeypatch.setattr(beds_demo, "HOSPITALS", {"SP-PAU", "RJ-BOT"})
    monkeypatch.setattr(demo, "VISITS_PER_HOSPITAL", 150)
    monkeypatch.setattr(demo, "VISITS_PER_CLINIC", 60)
    monkeypatch.setattr(exams_demo, "HISTORY_SHARE", 0.1)
    out = io.StringIO()
    with time_machine.travel(NOW - timedelta(days=1), tick=False):
        clinic_demo.load(out)
        staff_demo.load(out)
        patient_demo.load(out)
    with time_machine.travel(NOW, tick=False):
        beds_demo.load(out)
        exams_demo.load(out)
        demo.load(out)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE triage_visit, triage_assessment, scheduling_appointment, exams_examorder")
    return out.getvalue()


def _filled(row: Model, *, skip: frozenset[str] | set[str] = frozenset()) -> frozenset[str]:
    return frozenset(
        field.attname
        for field in row._meta.concrete_fields
        if field.attname not in skip and getattr(row, field.attname) not in (None, "", [])
    )


def test_physicians_are_on_duty_round_the_clock_and_medico_now(loaded: str) -> None:
    sp, rj = Clinic.objects.get(code="SP-PAU"), Clinic.objects.get(code="RJ-BOT")
    for hours in range(0, 24 * 6, 5):
        at = NOW + timedelta(hours=hours)
        assert len(doctors_on_duty(clinic=rj, at=at)) == 1, at
    on_duty_now = {p.user.username for p in doctors_on_duty(clinic=sp, at=NOW)}
    assert "medico" in on_duty_now and len(on_duty_now) == 2
    shifts = Shift.objects.filter(function="physician")
    assert all(timedelta(hours=1) <= s.ends_at - s.starts_at <= timedelta(hours=12) for s in shifts)


def test_each_hospital_has_a_queue_in_every_colour(loaded: str) -> None:
    for code in ("SP-PAU", "RJ-BOT"):
        queue = triage_queue(clinic=Clinic.objects.get(code=code), now=NOW)

        assert 9 <= queue.total <= 13, code
        assert set(queue.counts) == set(RiskColour.values) and all(queue.counts.values()), queue.counts
        assert {line.visit.status for line in queue.waiting_triage} == {VisitStatus.ARRIVED, VisitStatus.IN_TRIAGE}
        assert any(not line.visit.patient.registration_complete for line in queue.waiting_triage)
        assert sum(line.overdue for line in queue.waiting_doctor) >= 3
        routed = [line.visit for line in queue.waiting_doctor if line.visit.destination == Destination.CONSULTATION]
        assert {visit.risk for visit in routed} == {RiskColour.RED, RiskColour.ORANGE}
        assert all(visit.appointment.status == AppointmentStatus.WAITING for visit in routed)
    medico = User.objects.get(username="medico")
    assert Visit.objects.filter(in_queue=True, appointment__practitioner__user=medico).count() == 2
    sent = Visit.objects.filter(clinic__code="SP-PAU", arrived_at__date=NOW.date(), in_queue=False)
    assert set(sent.values_list("destination", flat=True)) == {Destination.EXAMS, Destination.ADMISSION}


def test_the_year_keeps_the_rules_of_the_triage(loaded: str) -> None:
    closed = Visit.objects.filter(in_queue=False)
    assert closed.filter(arrived_at__lt=NOW - timedelta(days=300)).exists()
    assert set(closed.values_list("destination", flat=True)) == {*Destination.values, ""}
    assert closed.filter(status=VisitStatus.LEFT).exists()
    for assessment in Assessment.objects.select_related("visit").order_by("pk")[:2000]:
        vitals = {name: getattr(assessment, name) for name in rules.VITAL_FIELDS}
        suggested, _reasons = rules.suggest(vitals, assessment.discriminators)
        assert not rules.check_possible(vitals)
        assert assessment.suggested_risk == suggested
        assert assessment.flags == rules.flags(vitals)
        assert (assessment.risk == suggested) == (assessment.override_reason == "")
        assert assessment.visit.arrived_at <= assessment.started_at <= assessment.finished_at
    assert Assessment.objects.exclude(override_reason="").exists()
    # Regulars come back: their charts have a series of vital signs.
    series = Counter(Assessment.objects.values("patient").annotate(n=Count("pk")).values_list("n", flat=True))
    assert sum(count for n, count in series.items() if n >= 3) >= 10


def test_the_year_routes_as_the_services_route(loaded: str) -> None:
    routed = Visit.objects.filter(status=VisitStatus.ROUTED, in_queue=False).select_related("appointment")
    for visit in routed.filter(destination=Destination.CONSULTATION)[:300]:
        appointment = visit.appointment
        assert appointment.overbooked and appointment.status == AppointmentStatus.FINISHED
        assert appointment.starts_at == visit.routed_at == appointment.checked_in_at
        assert appointment.started_at == visit.doctor_started_at
        assert appointment.overbooking_reason == demo._urgent_reason(visit.risk)
        steps = list(appointment.events.order_by("at").values_list("from_status", "to_status"))
        assert steps == [("scheduled", "waiting"), ("waiting", "in_progress"), ("in_progress", "finished")]
    exams = routed.filter(destination=Destination.EXAMS)
    assert exams.exists()
    for visit in exams:
        orders = list(visit.exam_orders.all())
        assert orders and {o.origin for o in orders} == {OrderOrigin.TRIAGE}
        assert all(o.ordered_at == visit.routed_at and o.patient_id == visit.patient_id for o in orders)
    # Every admission requested from triage came from a visit routed to it, with the visit's colour.
    from_triage = Admission.objects.filter(source=AdmissionSource.TRIAGE)
    linked = Visit.objects.filter(admission__in=from_triage, destination=Destination.ADMISSION)
    assert linked.count() == from_triage.count()
    assert all(v.risk == v.admission.risk for v in linked.select_related("admission") if v.admission.risk)


def test_bulk_visits_fill_what_the_services_fill(loaded: str) -> None:
    """A visit the year wrote and one the services routed today hold the same fields, per destination."""
    for destination in (Destination.EXAMS, Destination.ADMISSION):
        by_services = Visit.objects.get(routed_at=NOW, destination=destination)
        bulk = Visit.objects.filter(routed_at__lt=NOW, destination=destination)
        assert {_filled(visit) for visit in bulk[:100]} == {_filled(by_services)}, destination
    waiting = Visit.objects.filter(in_queue=True, destination=Destination.CONSULTATION).first()
    seen = Visit.objects.filter(routed_at__lt=NOW, destination=Destination.CONSULTATION).first()
    assert waiting is not None and seen is not None
    # Once the doctor starts, the receiver adds the start and takes the visit out of the queue; nothing else differs.
    assert _filled(seen) - _filled(waiting) == {"doctor_started_at"}
    # Besides what was measured or observed (capillary glucose, signs, flags, an override's reason).
    optional = {"glucose", "discriminators", "flags", "override_reason"}
    assessment_fields = {_filled(a, skip=optional) for a in Assessment.objects.all()[:500]}
    assert len(assessment_fields) == 1
    service_made = Assessment.objects.filter(finished_at=NOW).first()
    assert service_made is not None
    assert _filled(service_made, skip=optional) in assessment_fields
    appointment_fields = {_filled(a) for a in Appointment.objects.filter(overbooked=True, status="finished")[:200]}
    assert len(appointment_fields) == 1


def test_a_second_run_adds_no_visit(loaded: str) -> None:
    tables = (Visit, Assessment, Appointment, ExamOrder, Shift, User)
    before = [model.objects.count() for model in tables]
    out = io.StringIO()

    with time_machine.travel(NOW + timedelta(minutes=30), tick=False):
        demo.load(out)

    assert [model.objects.count() for model in tables] == before
    assert "already loaded" in out.getvalue()
