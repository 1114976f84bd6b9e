"""Reads about staff: care units and their rotas, scoped to what a user may see."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db.models import QuerySet
from django.utils import timezone

from clinic.access import in_clinics, in_clinics_or_404, one_or_404
from clinic.models import Clinic
from staff.models import CareUnit, Leave, Shift, ShiftFunction, User

# Bootstrap colour of each function's badge on the rota.
FUNCTION_BADGES: dict[str, str] = {
    ShiftFunction.NURSE: "primary",
    ShiftFunction.NURSING_TECHNICIAN: "info",
    ShiftFunction.PHYSICIAN: "danger",
    ShiftFunction.RECEPTIONIST: "secondary",
    ShiftFunction.PHYSIOTHERAPIST: "success",
    ShiftFunction.PHARMACIST: "success",
    ShiftFunction.LAB_TECHNICIAN: "dark",
    ShiftFunction.RADIOLOGY_TECHNICIAN: "dark",
    ShiftFunction.OTHER: "light",
}


# Weeks ------------------------------------------------------------------------------------------


def week_monday(day: date) -> date:
    """The Monday of ``day``'s ISO week."""
    return day - timedelta(days=day.weekday())


def current_week(clinic: Clinic) -> date:
    """The Monday of this week in the clinic's own time zone."""
    return week_monday(timezone.localdate(timezone.now(), clinic.zone))


def week_bounds(week_start: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """The week from Monday 00:00 to the next Monday 00:00, wall-clock time in ``zone``."""
    first = timezone.make_aware(datetime.combine(week_start, time.min), zone)
    after = timezone.make_aware(datetime.combine(week_start + timedelta(days=7), time.min), zone)
    return first, after


def iso_week(week_start: date) -> str:
    """``2026-W10``: how a week is written in the page's address and in a week input."""
    year, week, _weekday = week_start.isocalendar()
    return f"{year}-W{week:02d}"


# Units and shifts on behalf of a user -------------------------------------------------------------


def care_units_for_user(user: User) -> QuerySet[CareUnit]:
    """The open care units of the clinics ``user`` works in (clinic/access.py), clinic by clinic."""
    return (
        in_clinics(CareUnit.objects.filter(is_active=True), user)
        .select_related("clinic")
        .order_by("clinic__name", "name")
    )


def care_unit_for_user(user: User, pk: int) -> CareUnit:
    return one_or_404(care_units_for_user(user), pk)


def shift_for_user(user: User, pk: int) -> Shift:
    """A shift of a unit in one of ``user``'s clinics (closed units included), or 404."""
    return in_clinics_or_404(Shift.objects.select_related("unit__clinic", "user"), user, pk, field="unit__clinic")


def staff_of_clinic(clinic: Clinic) -> QuerySet[User]:
    """The people who may be put on the rota of a unit of ``clinic``."""
    return User.objects.filter(clinics=clinic, is_active=True).order_by("first_name", "last_name", "username")


# The rota of one unit and week --------------------------------------------------------------------


@dataclass(frozen=True)
class RotaShift:
    shift: Shift
    starts: datetime  # in the clinic's time zone
    ends: datetime
    next_day: bool  # ends on a later day than it starts (a night shift)

    @property
    def badge(self) -> str:
        return FUNCTION_BADGES.get(self.shift.function, "secondary")


@dataclass
class RotaCell:
    day: date
    shifts: list[RotaShift] = field(default_factory=list)
    on_leave: bool = False


@dataclass
class RotaRow:
    person: User
    cells: list[RotaCell]


@dataclass
class RotaDay:
    day: date
    is_today: bool
    count: int = 0
    by_function: list[tuple[str, int]] = field(default_factory=list)


@dataclass
class Rota:
    unit: CareUnit
    week_start: date
    days: list[RotaDay]
    rows: list[RotaRow]

    @property
    def total(self) -> int:
        return sum(day.count for day in self.days)

    @property
    def week_end(self) -> date:
        return self.week_start + timedelta(days=6)


def rota_week(unit: CareUnit, week_start: date) -> Rota:
    """The shifts of ``unit`` starting in the week of ``week_start``: one row per person, one column per day.

    A shift sits in the column of the day it starts (a night shift from Monday 19:00 to Tuesday
    07:00 is Monday's). Days on which a person is on leave are marked. Three queries, whatever the
    number of shifts.
    """
    zone = unit.clinic.zone
    first, after = week_bounds(week_start, zone)
    days = [week_start + timedelta(days=offset) for offset in range(7)]
    shifts = list(
        Shift.objects.filter(unit=unit, starts_at__gte=first, starts_at__lt=after)
        .select_related("user")
        .order_by("starts_at", "pk")
    )
    people = sorted(
        {shift.user_id: shift.user for shift in shifts}.values(),
        key=lambda person: (str(person).casefold(), person.pk),
    )
    rows = {person.pk: RotaRow(person, [RotaCell(day) for day in days]) for person in people}
    counts: list[Counter[str]] = [Counter() for _day in days]
    for shift in shifts:
        starts, ends = timezone.localtime(shift.starts_at, zone), timezone.localtime(shift.ends_at, zone)
        index = (starts.date() - week_start).days
        rows[shift.user_id].cells[index].shifts.append(
            RotaShift(shift, starts, ends, (ends - timedelta(microseconds=1)).date() > starts.date())
        )
        counts[index][shift.function] += 1
    if rows:
        leaves = Leave.objects.filter(
            practitioner__user_id__in=list(rows), start_date__lte=days[-1], end_date__gte=days[0]
        ).values_list("practitioner__user_id", "start_date", "end_date")
        for user_id, start_date, end_date in leaves:
            for cell in rows[user_id].cells:
                cell.on_leave = cell.on_leave or start_date <= cell.day <= end_date
    today = timezone.localdate(timezone.now(), zone)
    labels = dict(ShiftFunction.choices)
    rota_days = [
        RotaDay(
            day=day,
            is_today=day == today,
            count=sum(count.values()),
            by_function=[(str(labels[kind]), count[kind]) for kind in ShiftFunction.values if count[kind]],
        )
        for day, count in zip(days, counts, strict=True)
    ]
    return Rota(unit=unit, week_start=week_start, days=rota_days, rows=list(rows.values()))
