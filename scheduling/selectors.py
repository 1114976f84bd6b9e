"""Reads of the scheduling app: first available times, agendas, the clinic's day and its reception board.

Lists of appointments load the patient's name and birth date only (``_PATIENT_FIELDS``): the
patient row also holds encrypted contacts, and decrypting them for every line of a board would
cost more than the query itself.
"""

from __future__ import annotations

import zoneinfo
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from clinic.access import in_clinics, in_clinics_or_404, require
from clinic.models import Clinic
from scheduling.availability import Slot, free_slots
from scheduling.models import ACTIVE_STATUSES, Appointment, AppointmentStatus
from staff.models import Practitioner, Specialty, User, WorkingHours

_PATIENT_FIELDS = ("patient__full_name", "patient__social_name", "patient__birth_date", "patient__sex")


def appointments_with_names() -> QuerySet[Appointment]:
    """Appointments with what a list shows of them, and nothing of the patient that is encrypted."""
    return Appointment.objects.select_related("patient", "practitioner__user", "specialty", "room", "clinic").only(
        *[f.name for f in Appointment._meta.concrete_fields if f.name != "patient"],
        "patient",
        *_PATIENT_FIELDS,
        "practitioner__user__first_name",
        "practitioner__user__last_name",
        "practitioner__user__username",
        "practitioner__council",
        "practitioner__council_uf",
        "practitioner__council_number",
        "specialty__name",
        "room__code",
        "room__name",
        "clinic__name",
        "clinic__time_zone",
    )


def appointment_for_user(user: User, pk: int) -> Appointment:
    """An appointment of one of the user's clinics (clinic/access.py), with what its page shows; or 404."""
    require(user, "scheduling.view_appointment")
    return in_clinics_or_404(appointments_with_names(), user, pk)


def day_bounds(day: date, zone: zoneinfo.ZoneInfo) -> tuple[datetime, datetime]:
    """The first and the first-after-last instant of a local day (23 or 25 hours where clocks change)."""
    return datetime.combine(day, time.min, tzinfo=zone), datetime.combine(
        day + timedelta(days=1), time.min, tzinfo=zone
    )


# First available -------------------------------------------------------------------------------


def bookable_practitioners(
    *, specialty: Specialty | int, clinics: Iterable[Clinic] | None = None, practitioner: Practitioner | None = None
) -> QuerySet[Practitioner]:
    """Active practitioners of ``specialty`` (or its pk), who have working hours in one of ``clinics`` if given."""
    practitioners = Practitioner.objects.filter(is_active=True, specialty_links__specialty=specialty)
    if practitioner is not None:
        practitioners = practitioners.filter(pk=practitioner.pk)
    if clinics is not None:
        clinic_ids = [c.pk for c in clinics]
        practitioners = practitioners.filter(
            Q(pk__in=WorkingHours.objects.filter(clinic_id__in=clinic_ids).values("practitioner_id"))
        )
    return practitioners.select_related("user").order_by("user__first_name", "user__last_name", "pk")


def practitioners_for_user(user: User) -> QuerySet[Practitioner]:
    """Active practitioners with hours in a clinic ``user`` works in: those whose slots they may book
    (a slot posted back with anyone else is refused; clinic/access.py)."""
    hours = in_clinics(WorkingHours.objects.all(), user).values("practitioner_id")
    return Practitioner.objects.filter(is_active=True, pk__in=hours).select_related("user")


# Searching a short window first keeps "first available" cheap when a time is free soon, which is
# the usual case; wider windows are searched only when the nearer ones have nothing.
_WINDOWS = (2, 7)


def first_available(
    *,
    specialty: Specialty,
    clinics: Iterable[Clinic] | None = None,
    practitioner: Practitioner | None = None,
    start: date | None = None,
    days: int = 14,
    limit: int = 20,
    now: datetime | None = None,
) -> list[Slot]:
    """The earliest free slots of ``specialty`` (in ``clinics``, of ``practitioner``), soonest first."""
    clinic_list = list(clinics) if clinics is not None else None
    practitioners = list(bookable_practitioners(specialty=specialty, clinics=clinic_list, practitioner=practitioner))
    if not practitioners:
        return []
    clinic_ids = {c.pk for c in clinic_list} if clinic_list is not None else None
    start = start or timezone.localdate()
    searched_until = start - timedelta(days=1)
    for window in (*(w for w in _WINDOWS if w < days), days):
        last = start + timedelta(days=window - 1)
        slots = [
            slot
            for slot in free_slots(
                practitioners=practitioners,
                specialty=specialty,
                first=searched_until + timedelta(days=1),
                last=last,
                now=now,
            )
            if clinic_ids is None or slot.clinic_id in clinic_ids
        ]
        if slots:
            return slots[:limit]
        searched_until = last
    return []


# Agenda ----------------------------------------------------------------------------------------


@dataclass
class AgendaDay:
    day: date
    appointments: list[Appointment] = field(default_factory=list)
    hours: list[WorkingHours] = field(default_factory=list)

    @property
    def active(self) -> list[Appointment]:
        return [a for a in self.appointments if a.status in ACTIVE_STATUSES]


def practitioner_agenda(*, practitioner: Practitioner, first: date, last: date) -> list[AgendaDay]:
    """Each day from ``first`` to ``last``: the practitioner's appointments and weekly hours that day.

    Days are those of each appointment's clinic. Two queries, whatever the number of days.
    """
    days = {first + timedelta(days=n): AgendaDay(first + timedelta(days=n)) for n in range((last - first).days + 1)}
    # A day in any Brazilian zone lies within a UTC day either side.
    span_start = datetime.combine(first - timedelta(days=1), time.min, tzinfo=zoneinfo.ZoneInfo("UTC"))
    span_end = datetime.combine(last + timedelta(days=2), time.min, tzinfo=zoneinfo.ZoneInfo("UTC"))
    appointments = appointments_with_names().filter(
        practitioner=practitioner, starts_at__gte=span_start, starts_at__lt=span_end
    )
    for appointment in appointments.order_by("starts_at"):
        local_day = appointment.starts_at.astimezone(appointment.clinic.zone).date()
        if local_day in days:
            days[local_day].appointments.append(appointment)
    rules = WorkingHours.objects.filter(practitioner=practitioner, valid_from__lte=last).filter(
        Q(valid_until__isnull=True) | Q(valid_until__gte=first)
    )
    for rule in rules.select_related("clinic", "room").order_by("start_time"):
        for agenda_day in days.values():
            day = agenda_day.day
            if rule.weekday == day.weekday() and rule.valid_from <= day and (rule.valid_until or day) >= day:
                agenda_day.hours.append(rule)
    return list(days.values())


# The clinic's day ------------------------------------------------------------------------------


def clinic_day(*, clinic: Clinic, day: date, by_room: bool = False) -> dict[Any, list[Appointment]]:
    """The clinic's appointments of one local day, by practitioner or by room (side by side)."""
    start, end = day_bounds(day, clinic.zone)
    order = (
        ("room__code", "starts_at") if by_room else ("practitioner__user__first_name", "practitioner_id", "starts_at")
    )
    columns: dict[Any, list[Appointment]] = defaultdict(list)
    for appointment in (
        appointments_with_names().filter(clinic=clinic, starts_at__gte=start, starts_at__lt=end).order_by(*order)
    ):
        columns[appointment.room if by_room else appointment.practitioner].append(appointment)
    return dict(columns)


@dataclass
class BoardLine:
    appointment: Appointment
    late_minutes: int  # past the booked time and not yet arrived
    waiting_minutes: int  # since check-in, while waiting


@dataclass
class Board:
    day: date
    expected: list[BoardLine]  # scheduled or confirmed, not yet arrived
    waiting: list[BoardLine]  # checked in, longest wait first
    in_progress: list[BoardLine]
    done: list[BoardLine]  # finished, cancelled, no-show

    @property
    def late(self) -> list[BoardLine]:
        return [line for line in self.expected if line.late_minutes > 0]


# An arrival this many minutes after the booked time counts as late on the board.
LATE_AFTER_MINUTES = 10


def reception_board(*, clinic: Clinic, day: date, now: datetime | None = None) -> Board:
    """Who is expected, who is late, who is waiting and for how long, on one day of one clinic."""
    now = now or timezone.now()
    start, end = day_bounds(day, clinic.zone)
    board = Board(day, [], [], [], [])
    for appointment in (
        appointments_with_names().filter(clinic=clinic, starts_at__gte=start, starts_at__lt=end).order_by("starts_at")
    ):
        late = int((now - appointment.starts_at).total_seconds() // 60)
        waited = int((now - appointment.checked_in_at).total_seconds() // 60) if appointment.checked_in_at else 0
        line = BoardLine(appointment, late if late > LATE_AFTER_MINUTES else 0, waited)
        if appointment.status in (AppointmentStatus.SCHEDULED, AppointmentStatus.CONFIRMED):
            board.expected.append(line)
        elif appointment.status == AppointmentStatus.WAITING:
            board.waiting.append(line)
        elif appointment.status == AppointmentStatus.IN_PROGRESS:
            board.in_progress.append(line)
        else:
            board.done.append(line)
    board.waiting.sort(key=lambda line: -line.waiting_minutes)
    return board
