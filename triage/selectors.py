"""Reads of the triage app: the door's queue, a doctor's urgent patients, who is on duty, a visit, the
triage of a consultation that came from the door, a patient's vitals.

The queues read only the rows still in a queue, through the partial index ``visit_queue_idx``
(clinic, risk_rank, arrived_at where in_queue), so they cost the same with years of visits behind
them; each is one query for the visits and one for their assessments, whatever their number.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone

from clinic.access import in_chart, in_clinics, in_clinics_or_404, require, works_in
from clinic.models import Clinic
from exams.models import ExamOrder
from patients.models import Patient, RiskColour
from scheduling.models import Appointment, AppointmentStatus
from staff.models import CareUnit, Practitioner, ShiftFunction, User
from triage import rules
from triage.models import Assessment, Visit, VisitStatus

# What a queue line shows of the patient (name, age, sex, whether the registration is provisional):
# the rest, encrypted contacts and documents included, is not read (nor decrypted) for a line.
QUEUE_PATIENT_FIELDS = ("id", "full_name", "social_name", "birth_date", "sex", "registration_complete")
_WAITING_TRIAGE = {VisitStatus.ARRIVED, VisitStatus.IN_TRIAGE}


@dataclass(frozen=True)
class QueueLine:
    """One walk-in in a queue, measured at ``now``.

    ``target_at`` is when the doctor should have started (None before classification);
    ``minutes_left`` is negative exactly when the line is ``overdue``. ``assessment`` is the latest
    one (its complaint and vitals), None before the first.
    """

    visit: Visit
    waited: timedelta
    target_at: datetime | None
    overdue: bool
    minutes_left: int | None
    assessment: Assessment | None = None


@dataclass(frozen=True)
class Queue:
    """A clinic's emergency door at ``now``: who waits for triage (by arrival) and who for the doctor
    (by risk, then arrival), and how many of each colour wait for the doctor."""

    clinic: Clinic
    now: datetime
    waiting_triage: list[QueueLine]
    waiting_doctor: list[QueueLine]
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return len(self.waiting_triage) + len(self.waiting_doctor)


def _line(visit: Visit, now: datetime) -> QueueLine:
    target_at = visit.target_at
    minutes_left = None if target_at is None else int((target_at - now).total_seconds() // 60)
    assessments = visit.queue_assessments  # type: ignore[attr-defined]
    return QueueLine(
        visit=visit,
        waited=visit.waited(now),
        target_at=target_at,
        overdue=visit.is_overdue(now),
        minutes_left=minutes_left,
        assessment=assessments[-1] if assessments else None,
    )


def _in_queue() -> QuerySet[Visit]:
    """Visits in a queue with what a line shows: the patient's name and age, the doctor, the assessments.

    Not their clinic: the door's queue knows it (and hands it to each visit); a doctor's queue joins it.
    """
    return (
        Visit.objects.filter(in_queue=True)
        .select_related("patient", "appointment__practitioner__user", "appointment__room")
        .defer(*(f"patient__{f.name}" for f in Patient._meta.concrete_fields if f.name not in QUEUE_PATIENT_FIELDS))
        .prefetch_related(
            Prefetch(
                "assessments",
                queryset=Assessment.objects.select_related("by").order_by("finished_at", "id"),
                to_attr="queue_assessments",
            )
        )
        .order_by("risk_rank", "arrived_at", "pk")
    )


def triage_queue(*, clinic: Clinic, now: datetime | None = None) -> Queue:
    """The clinic's emergency queue: the unclassified by arrival, then the classified (and those routed
    to a consultation whose doctor has not started) by risk, then arrival."""
    now = now or timezone.now()
    waiting_triage: list[QueueLine] = []
    waiting_doctor: list[QueueLine] = []
    counts = dict.fromkeys(RiskColour.values, 0)
    for visit in _in_queue().filter(clinic=clinic):
        visit.clinic = clinic  # the one asked for: joining it would only make 60 copies of it
        if visit.status in _WAITING_TRIAGE:
            waiting_triage.append(_line(visit, now))
        else:
            waiting_doctor.append(_line(visit, now))
            counts[visit.risk] += 1
    # The unclassified share one rank, so they already come by arrival.
    return Queue(clinic=clinic, now=now, waiting_triage=waiting_triage, waiting_doctor=waiting_doctor, counts=counts)


def doctor_queue(*, practitioner: Practitioner, now: datetime | None = None) -> list[QueueLine]:
    """The walk-ins routed to ``practitioner`` whose consultation has not started, by risk then arrival;
    each line with what the doctor reads of the triage: the latest assessment (complaint, vital signs and
    their flags) and, on the visit, the nurse's note for the doctor."""
    now = now or timezone.now()
    visits = (
        _in_queue()
        .select_related("clinic")
        .filter(appointment__practitioner=practitioner, appointment__status=AppointmentStatus.WAITING)
    )
    return [_line(visit, now) for visit in visits]


def doctors_on_duty(*, clinic: Clinic, at: datetime | None = None) -> list[Practitioner]:
    """Active practitioners with a physician's shift in an active emergency unit of ``clinic`` covering ``at``.

    The shift's conditions sit in one ``filter`` so that they hold for one and the same shift.
    """
    at = at or timezone.now()
    return list(
        Practitioner.objects.filter(
            is_active=True,
            user__is_active=True,
            user__shifts__function=ShiftFunction.PHYSICIAN,
            user__shifts__unit__clinic=clinic,
            user__shifts__unit__kind=CareUnit.Kind.EMERGENCY,
            user__shifts__unit__is_active=True,
            user__shifts__starts_at__lte=at,
            user__shifts__ends_at__gt=at,
        )
        .select_related("user")
        .prefetch_related("specialties")
        .distinct()
        .order_by("user__first_name", "user__last_name", "pk")
    )


def doctors_of(clinic: Clinic) -> list[Practitioner]:
    """Active practitioners with working hours in ``clinic`` valid today (the fallback when nobody is on duty)."""
    today = timezone.localdate(timezone=clinic.zone)
    return list(
        Practitioner.objects.filter(
            Q(working_hours__valid_until__isnull=True) | Q(working_hours__valid_until__gte=today),
            is_active=True,
            user__is_active=True,
            working_hours__clinic=clinic,
            working_hours__valid_from__lte=today,
        )
        .select_related("user")
        .prefetch_related("specialties")
        .distinct()
        .order_by("user__first_name", "user__last_name", "pk")
    )


def visit_for_user(user: User, pk: int) -> Visit:
    """A visit of one of the user's clinics (clinic/access.py) with everything its page shows loaded:
    assessments (oldest first), appointment, admission, orders; else 404."""
    require(user, "triage.view_visit")
    visits = Visit.objects.select_related(
        "clinic",
        "patient",
        "arrived_by",
        "routed_by",
        "appointment__practitioner__user",
        "appointment__specialty",
        "appointment__room",
        "admission",
    ).prefetch_related(
        Prefetch("assessments", queryset=Assessment.objects.select_related("by").order_by("finished_at", "id")),
        Prefetch("exam_orders", queryset=ExamOrder.objects.select_related("exam", "unit").order_by("pk")),
    )
    return in_clinics_or_404(visits, user, pk)


@dataclass(frozen=True)
class DoorTriage:
    """What the emergency door found of a walk-in it sent to a doctor: the visit (with the nurse's note
    for the doctor) and its latest assessment (None if it never had one)."""

    visit: Visit
    assessment: Assessment | None


def consultation_triage(*, user: User, appointment: Appointment) -> DoorTriage | None:
    """The emergency visit that sent ``appointment`` to the doctor, with its latest assessment; None for
    an appointment that did not come from the door.

    ``appointment`` was fetched for ``user`` (``appointment_for_consultation``); the visit is scoped to
    the user's clinics again, as every read of the door is. Two queries: the visit, its latest assessment.
    """
    visit = in_clinics(Visit.objects.filter(appointment=appointment), user).select_related("routed_by").first()
    if visit is None:
        return None
    latest = Assessment.objects.filter(visit=visit).select_related("by").order_by("-finished_at", "-id").first()
    return DoorTriage(visit=visit, assessment=latest)


@dataclass(frozen=True)
class VitalSeries:
    """One vital sign over time, oldest first, with an adult's normal range (the chart's band)."""

    field: str
    label: str
    points: list[tuple[datetime, float]]
    normal: tuple[float, float]


@dataclass(frozen=True)
class VitalsPanel:
    """A patient's assessments, newest first, and each vital sign measured among them as a series."""

    assessments: list[Assessment]
    series: list[VitalSeries]


def patient_vitals(*, patient: Patient, user: User, limit: int = 50) -> VitalsPanel:
    """The latest ``limit`` assessments of ``patient`` that the chart shows ``user`` (every clinic's
    to clinical roles: clinic/access.py; one query) and the series drawn from them."""
    assessments = list(
        in_chart(Assessment.objects.filter(patient=patient), user, field="visit__clinic")
        .select_related("by", "visit__clinic")
        .order_by("-finished_at", "-id")[:limit]
    )
    for assessment in assessments:
        # Another clinic's visit is part of the chart, but its page is that clinic's.
        assessment.opens = works_in(user, assessment.visit.clinic_id)  # type: ignore[attr-defined]
    series = []
    for name in rules.VITAL_FIELDS:
        points = [
            (assessment.finished_at, float(value))
            for assessment in reversed(assessments)
            if (value := getattr(assessment, name)) is not None
        ]
        if points:
            low, high = rules.NORMAL_RANGES[name]
            label = str(getattr(Assessment._meta.get_field(name), "verbose_name", name))
            series.append(VitalSeries(field=name, label=label, points=points, normal=(float(low), float(high))))
    return VitalsPanel(assessments=assessments, series=series)
