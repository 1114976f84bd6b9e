"""The demo appointments: they load on the demo network, twice without harm, and never overlap."""

from __future__ import annotations

import io
from collections import Counter
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db.models import Exists, OuterRef
from django.utils import timezone

from clinic import demo as clinic_demo
from clinic.db import TsTzRange
from patients import demo as patient_demo
from patients.models import Patient, PatientStatus
from scheduling import demo
from scheduling.models import ACTIVE_STATUSES, Appointment, AppointmentEvent, AppointmentStatus
from staff import demo as staff_demo
from staff.models import WorkingHours

pytestmark = pytest.mark.django_db

SAO_PAULO = ZoneInfo("America/Sao_Paulo")
# A Wednesday morning, after the demo practitioners' hours begin (1 January 2026).
NOW = datetime(2026, 3, 4, 10, 0, tzinfo=SAO_PAULO)


def _overlapping(field: str) -> int:
    """Active appointments that share a moment with another active one of the same ``field``."""
    active = Appointment.objects.filter(status__in=ACTIVE_STATUSES).annotate(period=TsTzRange("starts_at", "ends_at"))
    clash = active.filter(**{field: OuterRef(field)}, period__overlap=OuterRef("period")).exclude(pk=OuterRef("pk"))
    return active.filter(Exists(clash)).count()


def _in_working_hours(appointment: Appointment, rules: dict[int, list[WorkingHours]]) -> bool:
    zone = ZoneInfo(appointment.clinic.time_zone)
    start, end = appointment.starts_at.astimezone(zone), appointment.ends_at.astimezone(zone)
    return any(
        rule.weekday == start.weekday() and rule.start_time <= start.time() and end.time() <= rule.end_time
        for rule in rules[appointment.practitioner_id]
    )


@pytest.fixture
def network(monkeypatch: pytest.MonkeyPatch) -> None:
    """The demo network cut down to five clinics (those of the demo logins and two other time
    zones), with their practitioners and 300 patients."""
    clinics = [row for row in clinic_demo.CLINICS if row[0] in {"SP-PAU", "SP-CAM", "RJ-BOT", "BA-SSA", "AM-MAO"}]
    monkeypatch.setattr(clinic_demo, "CLINICS", clinics)
    monkeypatch.setattr(patient_demo, "DEMO_PATIENTS", 300)
    out = io.StringIO()
    clinic_demo.load(out)
    staff_demo.load(out)
    patient_demo.load(out)


def test_the_demo_loads_twice_with_appointments_that_never_overlap(network: None) -> None:
    out = io.StringIO()
    with time_machine.travel(NOW, tick=False):
        demo.load(out)
        first_count = Appointment.objects.count()
        first_events = AppointmentEvent.objects.count()
        demo.load(out)

    assert first_count > 1000
    assert Appointment.objects.count() == first_count
    assert AppointmentEvent.objects.count() == first_events
    assert "0 new" in out.getvalue().splitlines()[-1]
    for field in ("practitioner", "room", "patient"):
        assert _overlapping(field) == 0, field
    rules: dict[int, list[WorkingHours]] = {}
    for rule in WorkingHours.objects.all():
        rules.setdefault(rule.practitioner_id, []).append(rule)
    appointments = list(Appointment.objects.select_related("clinic"))
    assert all(_in_working_hours(a, rules) for a in appointments)
    assert {timezone.localdate(a.starts_at, SAO_PAULO) for a in appointments} >= {
        NOW.date() - timedelta(days=demo.PAST_DAYS),
        NOW.date() + timedelta(days=demo.AHEAD_DAYS - 1),
    }


def test_statuses_fit_the_time(network: None) -> None:
    with time_machine.travel(NOW, tick=False):
        demo.load(io.StringIO())

    now = NOW
    past = Counter(Appointment.objects.filter(ends_at__lte=now).values_list("status", flat=True))
    ahead = Counter(Appointment.objects.filter(starts_at__gt=now + timedelta(hours=1)).values_list("status", flat=True))
    under_way = Counter(
        Appointment.objects.filter(starts_at__lte=now, ends_at__gt=now).values_list("status", flat=True)
    )
    assert set(past) == {AppointmentStatus.FINISHED, AppointmentStatus.CANCELLED, AppointmentStatus.NO_SHOW}
    assert past[AppointmentStatus.FINISHED] > past[AppointmentStatus.CANCELLED] + past[AppointmentStatus.NO_SHOW]
    assert set(ahead) == {AppointmentStatus.SCHEDULED, AppointmentStatus.CONFIRMED, AppointmentStatus.CANCELLED}
    assert under_way[AppointmentStatus.IN_PROGRESS] > 0
    assert Appointment.objects.filter(status=AppointmentStatus.WAITING, checked_in_at__lte=now).exists()
    # Each appointment's events lead from "scheduled" to where it stands.
    finished = Appointment.objects.filter(status=AppointmentStatus.FINISHED).first()
    assert finished is not None
    assert [(e.from_status, e.to_status) for e in finished.events.all()] == [
        (AppointmentStatus.SCHEDULED, AppointmentStatus.WAITING),
        (AppointmentStatus.WAITING, AppointmentStatus.IN_PROGRESS),
        (AppointmentStatus.IN_PROGRESS, AppointmentStatus.FINISHED),
    ]
    in_consultation = Appointment.objects.filter(status=AppointmentStatus.IN_PROGRESS).values("patient_id")
    assert set(Patient.objects.filter(pk__in=in_consultation).values_list("status", flat=True)) == {
        PatientStatus.IN_CONSULTATION
    }


def test_a_later_run_adds_only_the_new_days(network: None) -> None:
    with time_machine.travel(NOW, tick=False):
        demo.load(io.StringIO())
    before = set(Appointment.objects.values_list("pk", "status", "starts_at"))
    last_before = max(starts_at for _pk, _status, starts_at in before)

    with time_machine.travel(NOW + timedelta(days=1), tick=False):
        demo.load(io.StringIO())

    after = set(Appointment.objects.values_list("pk", "status", "starts_at"))
    assert before < after
    assert all(starts_at > last_before for _pk, _status, starts_at in after - before)
    for field in ("practitioner", "room", "patient"):
        assert _overlapping(field) == 0, field
