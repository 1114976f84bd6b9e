"""Free slots: working hours minus leave, blocked hours and active appointments.

Everything is computed for many practitioners at once from a fixed number of queries (hours,
extra hours, leave, blocks, appointments), so "first available in the specialty across the
network" costs the same few queries as one practitioner's day. Wall-clock times are in each
clinic's own time zone; slots are returned as aware datetimes.
"""

from __future__ import annotations

import zoneinfo
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from django.db.models import Q
from django.utils import timezone

from clinic.models import Clinic
from scheduling.models import ACTIVE_STATUSES, Appointment
from staff.models import ExtraHours, Leave, Practitioner, PractitionerSpecialty, ScheduleBlock, Specialty, WorkingHours

Interval = tuple[datetime, datetime]


@dataclass(frozen=True, order=True)
class Slot:
    starts_at: datetime
    ends_at: datetime
    practitioner_id: int
    clinic_id: int
    room_id: int


@dataclass(frozen=True)
class _Window:
    starts_at: datetime
    ends_at: datetime
    clinic_id: int
    room_id: int


def _local(day: date, moment: object, zone: zoneinfo.ZoneInfo) -> datetime:
    return datetime.combine(day, moment, tzinfo=zone)  # type: ignore[arg-type]


def _windows(
    hours: Iterable[WorkingHours],
    extra: Iterable[ExtraHours],
    zones: dict[int, zoneinfo.ZoneInfo],
    first: date,
    last: date,
) -> list[_Window]:
    """Working periods that may touch [first, last] (a night that began the day before included)."""
    windows = []
    day = first - timedelta(days=1)
    hours = list(hours)
    while day <= last:
        for rule in hours:
            if rule.weekday != day.weekday() or day < rule.valid_from:
                continue
            if rule.valid_until is not None and day > rule.valid_until:
                continue
            zone = zones[rule.clinic_id]
            end_day = day + timedelta(days=1) if rule.crosses_midnight else day
            windows.append(
                _Window(
                    _local(day, rule.start_time, zone),
                    _local(end_day, rule.end_time, zone),
                    rule.clinic_id,
                    rule.room_id,
                )
            )
        day += timedelta(days=1)
    windows += [_Window(e.starts_at, e.ends_at, e.clinic_id, e.room_id) for e in extra]
    return windows


def _overlaps(start: datetime, end: datetime, busy: list[Interval]) -> bool:
    return any(b_start < end and start < b_end for b_start, b_end in busy)


def free_slots(
    *,
    practitioners: Iterable[Practitioner],
    specialty: Specialty,
    first: date,
    last: date,
    now: datetime | None = None,
    include_booked: bool = False,
) -> list[Slot]:
    """Free slots of the given practitioners for ``specialty``, between two dates (local, inclusive).

    A slot's length is the practitioner's for the specialty, or the specialty's default; slots
    are laid end to end from the start of each working period. Slots in the past, and beyond the
    clinic's booking horizon, are never offered. A practitioner without the specialty gets none.
    ``include_booked`` keeps the slots that appointments hold (for an overbooking, which must still
    fall in working hours).
    """
    now = now or timezone.now()
    ids = [p.pk for p in practitioners]
    if not ids:
        return []
    lengths = {
        link.practitioner_id: link.duration or specialty.default_duration
        for link in PractitionerSpecialty.objects.filter(practitioner_id__in=ids, specialty=specialty)
    }
    ids = [pk for pk in ids if pk in lengths]
    if not ids:
        return []
    # Wide enough for every time zone of Brazil and for nights that cross midnight.
    span_start = datetime.combine(first - timedelta(days=2), datetime.min.time(), tzinfo=UTC)
    span_end = datetime.combine(last + timedelta(days=2), datetime.min.time(), tzinfo=UTC)

    hours: dict[int, list[WorkingHours]] = defaultdict(list)
    for rule in WorkingHours.objects.filter(practitioner_id__in=ids, valid_from__lte=last).filter(
        Q(valid_until__isnull=True) | Q(valid_until__gte=first - timedelta(days=1))
    ):
        hours[rule.practitioner_id].append(rule)
    extra: dict[int, list[ExtraHours]] = defaultdict(list)
    for period in ExtraHours.objects.filter(practitioner_id__in=ids, starts_at__lt=span_end, ends_at__gt=span_start):
        extra[period.practitioner_id].append(period)
    clinic_ids = {r.clinic_id for rules in hours.values() for r in rules} | {
        e.clinic_id for ps in extra.values() for e in ps
    }
    zones: dict[int, zoneinfo.ZoneInfo] = {}
    horizons: dict[int, datetime] = {}  # no slot is offered at or after a clinic's booking horizon
    for pk, tz, days in Clinic.objects.filter(pk__in=clinic_ids).values_list("pk", "time_zone", "booking_horizon_days"):
        zones[pk] = zoneinfo.ZoneInfo(tz)
        horizons[pk] = now + timedelta(days=days)

    busy: dict[int, list[Interval]] = defaultdict(list)
    # A group specialty's sessions take a place each; the slot stays free until they fill it.
    capacity = specialty.patients_per_slot
    places: dict[tuple[int, datetime], int] = defaultdict(int)
    for block in ScheduleBlock.objects.filter(practitioner_id__in=ids, starts_at__lt=span_end, ends_at__gt=span_start):
        busy[block.practitioner_id].append((block.starts_at, block.ends_at))
    appointments = Appointment.objects.none() if include_booked else Appointment.objects.all()
    # The lower bound on starts_at (no appointment is longer than a day) lets the index on
    # (practitioner, starts_at) bound the scan; ends_at alone would read the practitioner's history.
    for appointment in appointments.filter(
        practitioner_id__in=ids,
        status__in=ACTIVE_STATUSES,
        starts_at__gt=span_start - timedelta(days=1),
        starts_at__lt=span_end,
        ends_at__gt=span_start,
    ).only("practitioner_id", "specialty_id", "starts_at", "ends_at", "group_session"):
        if capacity > 1 and appointment.group_session and appointment.specialty_id == specialty.pk:
            places[(appointment.practitioner_id, appointment.starts_at)] += 1
        else:
            busy[appointment.practitioner_id].append((appointment.starts_at, appointment.ends_at))
    leave: dict[int, list[tuple[date, date]]] = defaultdict(list)
    for absence in Leave.objects.filter(
        practitioner_id__in=ids, start_date__lte=last, end_date__gte=first - timedelta(days=1)
    ):
        leave[absence.practitioner_id].append((absence.start_date, absence.end_date))

    slots = []
    for pk in ids:
        length = timedelta(minutes=lengths[pk])
        for window in _windows(hours[pk], extra[pk], zones, first, last):
            zone = zones[window.clinic_id]
            start = window.starts_at
            while start + length <= window.ends_at:
                end = start + length
                local_day = start.astimezone(zone).date()
                on_leave = any(a <= local_day <= b for a, b in leave[pk])
                taken = places.get((pk, start), 0) >= capacity
                if (
                    first <= local_day <= last
                    and now <= start < horizons[window.clinic_id]
                    and not on_leave
                    and not taken
                    and not _overlaps(start, end, busy[pk])
                ):
                    slots.append(Slot(start, end, pk, window.clinic_id, window.room_id))
                start = end
    slots.sort()
    return slots
