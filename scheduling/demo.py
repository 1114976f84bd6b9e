"""Demo appointments: the past two weeks done, today under way, the next two weeks booked.

Times come from the practitioners' own free slots (``free_slots``: their weekly hours minus leave,
blocks and what is already booked), so nothing overlaps for a practitioner; rooms and patients
are kept apart as the slots are given out, and the database's exclusion constraints check all
three on insert. Statuses fit the time: finished, cancelled or no-show in the past; today the
morning done, some patients in consultation, some checked in and waiting, a few late; ahead,
scheduled or confirmed. Each change of status has its event, as the flow would have recorded it.

Running it again fills only the days that have no appointment yet, so a later run (a day later,
say) adds the new days and leaves the rest alone.
"""

from __future__ import annotations

import random
import zoneinfo
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from django.db import connection, transaction
from django.db.models import Model
from django.utils import timezone

from clinic.demo import Output
from clinic.models import Clinic
from patients.models import Patient, PatientStatus
from patients.services import patient_set_status
from scheduling.availability import Slot, free_slots
from scheduling.models import ACTIVE_STATUSES, Appointment, AppointmentEvent, AppointmentStatus
from staff.models import Practitioner, PractitionerSpecialty, Specialty, User, WorkingHours

PAST_DAYS = 14
AHEAD_DAYS = 14
SEED = 2026

CANCELLATION_REASONS = [
    "Paciente pediu para remarcar",
    "Paciente com sintomas gripais",
    "Conflito de horário do paciente",
    "Profissional indisponível",
]

Interval = tuple[datetime, datetime]


@dataclass(frozen=True)
class State:
    """Where an appointment stands at a given moment, with the times of the steps it has taken."""

    status: str
    cancellation_reason: str = ""
    checked_in_at: datetime | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None


def appointment_state(rng: random.Random, starts_at: datetime, ends_at: datetime, now: datetime) -> State:
    """A status that fits the appointment's time as seen at ``now`` (the benchmark uses it too)."""
    minute = timedelta(minutes=1)
    draw = rng.random()
    if ends_at <= now:
        if draw < 0.80:
            checked_in = starts_at - rng.randint(0, 25) * minute
            started = starts_at + rng.randint(0, 10) * minute
            finished = max(started + 5 * minute, ends_at + rng.randint(-5, 10) * minute)
            return State(AppointmentStatus.FINISHED, "", checked_in, started, finished)
        if draw < 0.92:
            return State(AppointmentStatus.CANCELLED, rng.choice(CANCELLATION_REASONS))
        return State(AppointmentStatus.NO_SHOW)
    if starts_at <= now:
        checked_in = starts_at - rng.randint(0, 25) * minute
        if draw < 0.75:
            return State(
                AppointmentStatus.IN_PROGRESS, "", checked_in, min(now, starts_at + rng.randint(0, 10) * minute)
            )
        if draw < 0.90:
            return State(AppointmentStatus.WAITING, "", checked_in)
        return State(AppointmentStatus.CONFIRMED)  # late: not arrived yet
    if starts_at - now <= timedelta(hours=1):
        if draw < 0.45:
            return State(AppointmentStatus.WAITING, "", now - rng.randint(0, 40) * minute)
        return State(AppointmentStatus.CONFIRMED if draw < 0.8 else AppointmentStatus.SCHEDULED)
    if draw < 0.05:
        return State(AppointmentStatus.CANCELLED, rng.choice(CANCELLATION_REASONS))
    confirmed = 0.6 if starts_at - now < timedelta(days=2) else 0.15
    return State(AppointmentStatus.CONFIRMED if draw < 0.05 + confirmed else AppointmentStatus.SCHEDULED)


def _fill(day: date, today: date) -> float:
    """How much of a day's free time is booked: most of it in the past, less and less ahead."""
    ahead = (day - today).days
    if ahead <= 0:
        return 0.75
    return max(0.3, 0.75 - 0.45 * ahead / AHEAD_DAYS)


def _overlaps(start: datetime, end: datetime, busy: list[Interval]) -> bool:
    return any(b_start < end and start < b_end for b_start, b_end in busy)


class _Book:
    """The demo's bookings so far, with what is taken: rooms and patients (practitioners' time is
    already left out of the free slots). Taken times are kept by the UTC day they start on."""

    def __init__(self, first: datetime, last: datetime) -> None:
        self.taken: dict[tuple[str, int, date], list[Interval]] = defaultdict(list)
        # Days that already have appointments (local days of their clinics) are left as they are.
        self.days_taken: set[date] = set()
        existing = Appointment.objects.filter(starts_at__lt=last, ends_at__gt=first).values_list(
            "room_id", "patient_id", "starts_at", "ends_at", "status", "clinic__time_zone"
        )
        for room_id, patient_id, starts_at, ends_at, status, zone in existing:
            self.days_taken.add(starts_at.astimezone(zoneinfo.ZoneInfo(zone)).date())
            if status in ACTIVE_STATUSES:
                self._take(room_id, patient_id, starts_at, ends_at)

    def _busy(self, kind: str, pk: int, start: datetime, end: datetime) -> bool:
        # What overlaps [start, end) started less than a day before it (no appointment lasts a day).
        first, last = (start - timedelta(days=1)).astimezone(UTC).date(), end.astimezone(UTC).date()
        days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
        return any(_overlaps(start, end, self.taken[kind, pk, day]) for day in days)

    def _take(self, room_id: int, patient_id: int, start: datetime, end: datetime) -> None:
        day = start.astimezone(UTC).date()
        self.taken["room", room_id, day].append((start, end))
        self.taken["patient", patient_id, day].append((start, end))

    def room_free(self, slot: Slot) -> bool:
        return not self._busy("room", slot.room_id, slot.starts_at, slot.ends_at)

    def free_patient(self, rng: random.Random, candidates: list[int], slot: Slot) -> int | None:
        for _attempt in range(10):
            patient_id = rng.choice(candidates)
            if not self._busy("patient", patient_id, slot.starts_at, slot.ends_at):
                return patient_id
        return None

    def take(self, slot: Slot, patient_id: int) -> None:
        self._take(slot.room_id, patient_id, slot.starts_at, slot.ends_at)


@dataclass(frozen=True)
class _New:
    """An appointment the demo adds: the row, as COPY writes it (``ROW`` order), and its state."""

    pk: int
    slot: Slot
    patient_id: int
    specialty_id: int
    booked_by_id: int | None
    booked_at: datetime
    state: State

    ROW = [
        "id",
        "patient_id",
        "practitioner_id",
        "specialty_id",
        "clinic_id",
        "room_id",
        "starts_at",
        "ends_at",
        "status",
        "overbooked",
        "overbooking_reason",
        "cancellation_reason",
        "booked_by_id",
        "booked_at",
        "checked_in_at",
        "started_at",
        "finished_at",
    ]

    def row(self) -> tuple[Any, ...]:
        slot, state = self.slot, self.state
        return (
            self.pk,
            self.patient_id,
            slot.practitioner_id,
            self.specialty_id,
            slot.clinic_id,
            slot.room_id,
            slot.starts_at,
            slot.ends_at,
            state.status,
            False,
            "",
            state.cancellation_reason,
            self.booked_by_id,
            self.booked_at,
            state.checked_in_at,
            state.started_at,
            state.finished_at,
        )

    EVENT_ROW = ["appointment_id", "from_status", "to_status", "at", "by_id", "reason"]

    def events(self, practitioner_user_id: int, reception_id: int | None) -> list[tuple[Any, ...]]:
        """The steps the flow would have recorded to bring the appointment where it stands."""
        state, slot = self.state, self.slot
        steps: list[tuple[str, datetime, int | None, str]] = []
        if state.status == AppointmentStatus.CONFIRMED:
            steps.append((state.status, self.booked_at + timedelta(hours=1), reception_id, ""))
        elif state.status == AppointmentStatus.CANCELLED:
            when = max(self.booked_at, min(slot.starts_at - timedelta(hours=2), self.booked_at + timedelta(days=1)))
            steps.append((state.status, when, reception_id, state.cancellation_reason))
        elif state.status == AppointmentStatus.NO_SHOW:
            steps.append((state.status, slot.ends_at, reception_id, ""))
        else:
            for step, at, by in (
                (AppointmentStatus.WAITING, state.checked_in_at, reception_id),
                (AppointmentStatus.IN_PROGRESS, state.started_at, practitioner_user_id),
                (AppointmentStatus.FINISHED, state.finished_at, practitioner_user_id),
            ):
                if at is not None:
                    steps.append((step, at, by, ""))
        rows = []
        previous: str = AppointmentStatus.SCHEDULED
        for to_status, at, by, reason in steps:
            rows.append((self.pk, previous, to_status, at, by, reason))
            previous = to_status
        return rows


def _practitioners_by_specialty() -> dict[Specialty, list[Practitioner]]:
    """Active practitioners with weekly hours, under the first specialty they were given."""
    with_hours = WorkingHours.objects.values("practitioner_id")
    links = (
        PractitionerSpecialty.objects.filter(practitioner__is_active=True, practitioner_id__in=with_hours)
        .select_related("specialty", "practitioner__user")
        .order_by("practitioner_id", "id")
    )
    first: dict[int, PractitionerSpecialty] = {}
    for link in links:
        first.setdefault(link.practitioner_id, link)
    grouped: dict[Specialty, list[Practitioner]] = defaultdict(list)
    for link in first.values():
        grouped[link.specialty].append(link.practitioner)
    return grouped


def _copy(model: type[Model], columns: list[str], rows: list[tuple[Any, ...]]) -> None:
    """COPY ``rows`` into ``model``'s table (many times faster than INSERTs for thousands of rows)."""
    statement = f"COPY {model._meta.db_table} ({', '.join(columns)}) FROM STDIN"
    with connection.cursor() as cursor, cursor.copy(statement) as copy:  # type: ignore[attr-defined]
        for row in rows:
            copy.write_row(row)


def _new_ids(model: type[Model], count: int) -> list[int]:
    """``count`` primary keys from the table's own sequence, so rows can refer to each other before COPY."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
            [model._meta.db_table, count],
        )
        return [pk for (pk,) in cursor.fetchall()]


def _runs(days: list[date], to_fill: set[date], workdays: set[int]) -> list[tuple[date, date]]:
    """The days to fill as runs of consecutive days (days nobody works on do not break a run)."""
    runs: list[tuple[date, date]] = []
    open_run = False
    for day in days:
        if day in to_fill:
            if open_run:
                runs[-1] = (runs[-1][0], day)
            else:
                runs.append((day, day))
            open_run = True
        elif day.weekday() in workdays:
            open_run = False
    return runs


@transaction.atomic
def load(stdout: Output, *, now: datetime | None = None) -> None:
    now = now or timezone.now()
    today = timezone.localdate(now)
    zone = timezone.get_current_timezone()
    days = [today - timedelta(days=PAST_DAYS) + timedelta(days=n) for n in range(PAST_DAYS + AHEAD_DAYS)]
    book = _Book(
        datetime.combine(days[0] - timedelta(days=1), time.min, tzinfo=zone),
        datetime.combine(days[-1] + timedelta(days=2), time.min, tzinfo=zone),
    )
    # Days nobody works on (Sundays, say) stay empty: they are not days still to fill.
    workdays = set(WorkingHours.objects.values_list("weekday", flat=True))
    to_fill = {day for day in days if day not in book.days_taken and day.weekday() in workdays}
    grouped = _practitioners_by_specialty()
    patients_by_clinic: dict[int, list[int]] = defaultdict(list)
    for pk, clinic_id in Patient.objects.values_list("pk", "home_clinic_id"):
        patients_by_clinic[clinic_id].append(pk)
    every_patient = [pk for pks in patients_by_clinic.values() for pk in pks]
    if not to_fill or not grouped or not every_patient:
        stdout.write(f"appointments: {Appointment.objects.count()} (0 new)\n")
        return
    zones = {pk: zoneinfo.ZoneInfo(tz) for pk, tz in Clinic.objects.values_list("pk", "time_zone")}
    reception = User.objects.filter(username="recepcao").first()
    reception_id = reception.pk if reception else None
    user_of = {p.pk: p.user_id for practitioners in grouped.values() for p in practitioners}
    rng = random.Random(SEED + today.toordinal())
    chosen: list[tuple[Slot, int, int]] = []
    for specialty, practitioners in sorted(grouped.items(), key=lambda item: item[0].pk):
        for first, last in _runs(days, to_fill, workdays):
            # ``now`` before the run: its past slots count as free slots too.
            since = datetime.combine(first - timedelta(days=1), time.min, tzinfo=zone)
            for slot in free_slots(practitioners=practitioners, specialty=specialty, first=first, last=last, now=since):
                day = slot.starts_at.astimezone(zones[slot.clinic_id]).date()
                if day not in to_fill or rng.random() >= _fill(day, today):
                    continue
                if not book.room_free(slot):
                    continue
                patient_id = book.free_patient(rng, patients_by_clinic.get(slot.clinic_id) or every_patient, slot)
                if patient_id is not None:
                    book.take(slot, patient_id)
                    chosen.append((slot, specialty.pk, patient_id))
    new = [
        _New(
            pk=pk,
            slot=slot,
            patient_id=patient_id,
            specialty_id=specialty_id,
            booked_by_id=reception_id,
            booked_at=min(now, slot.starts_at - timedelta(days=rng.randint(1, 20), minutes=rng.randint(0, 600))),
            state=appointment_state(rng, slot.starts_at, slot.ends_at, now),
        )
        for (slot, specialty_id, patient_id), pk in zip(chosen, _new_ids(Appointment, len(chosen)), strict=True)
    ]
    _copy(Appointment, _New.ROW, [item.row() for item in new])
    events = [event for item in new for event in item.events(user_of[item.slot.practitioner_id], reception_id)]
    _copy(AppointmentEvent, _New.EVENT_ROW, events)
    # Those in consultation now are so on their charts too, as the flow would have set them.
    for item in new:
        if item.state.status == AppointmentStatus.IN_PROGRESS:
            patient = Patient.objects.get(pk=item.patient_id)
            if patient.status != PatientStatus.IN_CONSULTATION:
                appointment = Appointment(
                    starts_at=item.slot.starts_at,
                    practitioner_id=item.slot.practitioner_id,
                    patient_id=item.patient_id,
                )
                patient_set_status(
                    patient=patient, status=PatientStatus.IN_CONSULTATION, by=reception, reason=str(appointment)
                )
    stdout.write(
        f"appointments: {Appointment.objects.count()} ({len(new)} new, {min(to_fill):%d/%m} to {max(to_fill):%d/%m})\n"
    )
