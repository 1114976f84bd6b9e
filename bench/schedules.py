"""Benchmark practitioners with their weekly hours, leave and blocks, and a year of appointments.

Each clinic of the network has twelve consulting rooms. The demo's practitioners of a clinic keep
the first four rooms (``staff.demo.OUTPATIENT_ROOMS``: four full-time in a clinic, twelve sharing
them in a hospital); the benchmark adds sixteen who share the other eight rooms in half-day shifts
(07-13 and 13-19, Monday to Saturday), each room taken by one person per shift, each person in one
room at a time: 424 practitioners in 12 specialties.

Appointments are laid on the practitioners' own slots (their hours, end to end, the length of
their specialty; none on leave or in a block), from a year back to four weeks ahead. Every slot
holds at most one appointment, so no practitioner or room is ever booked twice. Patients come
from their home clinic: the patients of a clinic are split into as many pools as the clinic has
practitioners, and in any week each practitioner draws from a pool of their own (the pools turn
round week by week), so no patient can have two appointments at once. Rows go in with COPY.

The same number of appointments is spread over the slots with a fill that is even over the past
and falls off over the weeks ahead (as a real agenda fills up), scaled so that the total is
exactly the size's. Statuses fit the time as the demo's do (``scheduling.demo.appointment_state``):
finished, cancelled or no-show in the past, under way today, scheduled or confirmed ahead. What is
generated depends on the day it is generated: "today" is today.
"""

from __future__ import annotations

import itertools
import random
import time as clock
import zoneinfo
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any, TextIO

from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.db import connection, transaction
from django.utils import timezone
from faker.providers.person.pt_BR import Provider as PersonProvider

from bench.sizes import Size
from clinic import demo as clinic_demo
from clinic.models import Clinic, Room
from patients.models import Patient
from scheduling.demo import appointment_state
from scheduling.models import Appointment
from staff import demo as staff_demo
from staff import roles
from staff.models import Leave, Practitioner, PractitionerSpecialty, ScheduleBlock, Specialty, User, WorkingHours

BENCH_USERNAME_PREFIX = "bench."
# A receptionist of the whole network: the pages that search "any clinic" search all twenty.
BENCH_RECEPTION = "bench.recepcao"
BENCH_PER_CLINIC = 16
# The demo's practitioners keep the first rooms of each clinic; the benchmark's take the rest.
FIRST_BENCH_ROOM = staff_demo.OUTPATIENT_ROOMS
SHIFTS = ((time(7), time(13)), (time(13), time(19)))
WORKING_DAYS = range(6)  # Monday to Saturday
HISTORY_DAYS = 365
AHEAD_DAYS = 28
SEED = 3_000_000
PROGRESS_EVERY = 100_000

APPOINTMENT_COLUMNS = [
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

Row = tuple[Any, ...]


def bench_practitioner_count() -> int:
    return len(clinic_demo.CLINICS) * BENCH_PER_CLINIC


# Practitioners --------------------------------------------------------------------------------


def practitioners_done(size: Size) -> bool:
    bench = Practitioner.objects.filter(user__username__startswith=BENCH_USERNAME_PREFIX).count()
    demo = Practitioner.objects.filter(user__username__startswith="prof.").count()
    return (
        bench == bench_practitioner_count()
        and demo == sum(len(staff_demo.outpatient_plan(code)) for code, *_rest in clinic_demo.CLINICS)
        and User.objects.filter(username=BENCH_RECEPTION).exists()
    )


def _remove_bench_practitioners() -> None:
    """An interrupted run left part of them: remove them, and the appointments that may refer to them."""
    truncate_appointments()
    bench = Practitioner.objects.filter(user__username__startswith=BENCH_USERNAME_PREFIX)
    ScheduleBlock.objects.filter(practitioner__in=bench).delete()
    Leave.objects.filter(practitioner__in=bench).delete()
    WorkingHours.objects.filter(practitioner__in=bench).delete()
    PractitionerSpecialty.objects.filter(practitioner__in=bench).delete()
    bench.delete()
    User.objects.filter(username__startswith=BENCH_USERNAME_PREFIX).delete()


@dataclass
class _NewPractitioner:
    clinic: Clinic
    rooms: list[Room]
    number: int  # 0..BENCH_PER_CLINIC-1 within the clinic
    specialty_index: int
    user: User
    practitioner: Practitioner | None = None
    shifts: list[tuple[int, time, time, Room]] = field(default_factory=list)


def _shifts(number: int, rooms: list[Room]) -> list[tuple[int, time, time, Room]]:
    """Half of the sixteen take the morning on even weekdays and the afternoon on odd ones, the other
    half the opposite; each keeps one room. Each room then has exactly one person each half-day."""
    half = number // (BENCH_PER_CLINIC // 2)
    room = rooms[FIRST_BENCH_ROOM + number % (BENCH_PER_CLINIC // 2)]
    return [
        (weekday, start, end, room)
        for weekday in WORKING_DAYS
        for shift, (start, end) in enumerate(SHIFTS)
        if (weekday + shift) % 2 == half
    ]


@transaction.atomic
def load_practitioners(size: Size, stdout: TextIO) -> None:
    """The demo's practitioners (if an older benchmark database predates them) and the benchmark's."""
    staff_demo.load_practitioners(stdout)
    if User.objects.filter(username__startswith=BENCH_USERNAME_PREFIX).exists():
        _remove_bench_practitioners()
    rng = random.Random(SEED)
    specialties = {specialty.code: specialty for specialty in Specialty.objects.all()}
    ordered = [specialties[code] for _name, code, _minutes, _council in staff_demo.SPECIALTIES]
    councils = {code: council for _name, code, _minutes, council in staff_demo.SPECIALTIES}
    password = make_password(staff_demo.DEMO_PASSWORD)
    today = timezone.localdate()
    since = today - timedelta(days=HISTORY_DAYS + 35)

    new: list[_NewPractitioner] = []
    for clinic_index, clinic in enumerate(Clinic.objects.order_by("code")):
        rooms = list(Room.objects.filter(clinic=clinic, kind=Room.Kind.CONSULTING).order_by("code"))
        if len(rooms) < FIRST_BENCH_ROOM + BENCH_PER_CLINIC // 2:
            raise RuntimeError(f"clinic {clinic.code} has {len(rooms)} consulting rooms; the benchmark needs 12")
        for number in range(BENCH_PER_CLINIC):
            username = f"{BENCH_USERNAME_PREFIX}{clinic.code.lower()}.{number + 1}"
            sex_names = PersonProvider.first_names_female if rng.random() < 0.55 else PersonProvider.first_names_male
            user = User(
                username=username,
                first_name=rng.choice(sex_names),
                last_name=f"{rng.choice(PersonProvider.last_names)} {rng.choice(PersonProvider.last_names)}",
                email=f"{username}@clinica.localhost",
                password=password,
            )
            new.append(
                _NewPractitioner(
                    clinic=clinic,
                    rooms=rooms,
                    number=number,
                    specialty_index=(clinic_index + FIRST_BENCH_ROOM + number) % len(ordered),
                    user=user,
                    shifts=_shifts(number, rooms),
                )
            )
    User.objects.bulk_create([item.user for item in new])
    reception = User.objects.create(
        username=BENCH_RECEPTION, first_name="Rede", last_name="Recepção", password=password
    )
    reception.groups.add(Group.objects.get(name=roles.RECEPTION))
    reception.clinics.set(Clinic.objects.all())
    doctor_group = Group.objects.get(name=roles.DOCTOR)
    User.groups.through.objects.bulk_create(
        [User.groups.through(user_id=item.user.pk, group_id=doctor_group.pk) for item in new]
    )
    User.clinics.through.objects.bulk_create(
        [User.clinics.through(user_id=item.user.pk, clinic_id=item.clinic.pk) for item in new]
    )
    for index, item in enumerate(new):
        specialty = ordered[item.specialty_index]
        item.practitioner = Practitioner(
            user=item.user,
            council=councils[specialty.code],
            council_number=f"{500000 + index}",
            council_uf=item.clinic.uf,
        )
    Practitioner.objects.bulk_create([item.practitioner for item in new if item.practitioner])
    PractitionerSpecialty.objects.bulk_create(
        PractitionerSpecialty(practitioner=item.practitioner, specialty=ordered[item.specialty_index]) for item in new
    )
    WorkingHours.objects.bulk_create(
        WorkingHours(
            practitioner=item.practitioner,
            clinic=item.clinic,
            room=room,
            weekday=weekday,
            start_time=start,
            end_time=end,
            valid_from=since,
        )
        for item in new
        for weekday, start, end, room in item.shifts
    )
    leaves, blocks = [], []
    for item in new:
        # Two weeks of vacation some time in the past year; one in eight also has a week of
        # training in the weeks ahead, which "first available" has to step around.
        vacation = today - timedelta(days=rng.randint(30, HISTORY_DAYS - 20))
        leaves.append(
            Leave(
                practitioner=item.practitioner,
                kind=Leave.Kind.VACATION,
                start_date=vacation,
                end_date=vacation + timedelta(days=13),
            )
        )
        if item.number % 8 == 0:
            training = today + timedelta(days=rng.randint(3, AHEAD_DAYS - 8))
            leaves.append(
                Leave(
                    practitioner=item.practitioner,
                    kind=Leave.Kind.TRAINING,
                    start_date=training,
                    end_date=training + timedelta(days=6),
                )
            )
        # A two-hour clinical meeting at the start of the first shift of every fourth week.
        zone = zoneinfo.ZoneInfo(item.clinic.time_zone)
        weekday, start, _end, _room = item.shifts[0]
        monday = today - timedelta(days=today.weekday() + HISTORY_DAYS // 7 * 7)
        while monday <= today + timedelta(days=AHEAD_DAYS):
            day = monday + timedelta(days=weekday + 7 * (item.number % 4))
            begins = datetime.combine(day, start, tzinfo=zone)
            blocks.append(
                ScheduleBlock(
                    practitioner=item.practitioner,
                    starts_at=begins,
                    ends_at=begins + timedelta(hours=2),
                    reason="Reunião clínica",
                )
            )
            monday += timedelta(days=28)
    Leave.objects.bulk_create(leaves)
    ScheduleBlock.objects.bulk_create(blocks)
    stdout.write(
        f"    {len(new)} benchmark practitioners ({Practitioner.objects.count()} in all), "
        f"{len(leaves)} leaves, {len(blocks)} blocks\n"
    )


# Slots ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Rule:
    weekday: int
    start: time
    end: time
    valid_from: date
    valid_until: date | None
    clinic_id: int
    room_id: int
    zone: zoneinfo.ZoneInfo


@dataclass
class _Agenda:
    """What the generator needs of one practitioner: where and when they work, and when they do not."""

    practitioner_id: int
    specialty_id: int
    minutes: int
    home_clinic_id: int  # where their patients come from
    pool_number: int = 0  # their place among the practitioners of that clinic
    rules: list[_Rule] = field(default_factory=list)
    leave: list[tuple[date, date]] = field(default_factory=list)
    # Blocks by the days they may touch (a day either side of their UTC date covers every zone).
    blocks: dict[date, list[tuple[datetime, datetime]]] = field(default_factory=lambda: defaultdict(list))


def _agendas() -> list[_Agenda]:
    """Every practitioner with weekly hours, in a fixed order; their first specialty sets the length."""
    zones = {pk: zoneinfo.ZoneInfo(tz) for pk, tz in Clinic.objects.values_list("pk", "time_zone")}
    rules: dict[int, list[_Rule]] = defaultdict(list)
    for hours in WorkingHours.objects.order_by("practitioner_id", "weekday", "start_time", "id"):
        if hours.crosses_midnight:
            # The patients' weekly pools assume that no appointment runs from one week into the next.
            raise RuntimeError(f"working hours {hours.pk} run past midnight; the generator does not expect that")
        rules[hours.practitioner_id].append(
            _Rule(
                hours.weekday,
                hours.start_time,
                hours.end_time,
                hours.valid_from,
                hours.valid_until,
                hours.clinic_id,
                hours.room_id,
                zones[hours.clinic_id],
            )
        )
    _check_rooms(rules)
    links: dict[int, PractitionerSpecialty] = {}
    for link in PractitionerSpecialty.objects.select_related("specialty").order_by("practitioner_id", "id"):
        links.setdefault(link.practitioner_id, link)
    agendas = []
    for practitioner_id in sorted(rules):
        if practitioner_id not in links:
            continue
        link = links[practitioner_id]
        agendas.append(
            _Agenda(
                practitioner_id=practitioner_id,
                specialty_id=link.specialty_id,
                minutes=link.slot_minutes,
                home_clinic_id=rules[practitioner_id][0].clinic_id,
                rules=rules[practitioner_id],
            )
        )
    by_id = {agenda.practitioner_id: agenda for agenda in agendas}
    for practitioner_id, start, end in Leave.objects.values_list("practitioner_id", "start_date", "end_date"):
        if practitioner_id in by_id:
            by_id[practitioner_id].leave.append((start, end))
    for practitioner_id, starts_at, ends_at in ScheduleBlock.objects.values_list(
        "practitioner_id", "starts_at", "ends_at"
    ):
        if practitioner_id in by_id:
            utc_day = starts_at.date()
            for day in (utc_day - timedelta(days=1), utc_day, utc_day + timedelta(days=1)):
                by_id[practitioner_id].blocks[day].append((starts_at, ends_at))
    counters: dict[int, int] = defaultdict(int)
    for agenda in agendas:
        agenda.pool_number = counters[agenda.home_clinic_id]
        counters[agenda.home_clinic_id] += 1
    return agendas


def _check_rooms(rules: dict[int, list[_Rule]]) -> None:
    """No two people's weekly hours share a room at the same time: appointments are laid on hours."""
    by_room: dict[tuple[int, int], list[tuple[time, time, int]]] = defaultdict(list)
    for practitioner_id, practitioner_rules in rules.items():
        for rule in practitioner_rules:
            by_room[rule.room_id, rule.weekday].append((rule.start, rule.end, practitioner_id))
    for (room_id, weekday), periods in by_room.items():
        for (start, end, first), (other_start, other_end, second) in itertools.combinations(periods, 2):
            if first != second and start < other_end and other_start < end:
                raise RuntimeError(f"practitioners {first} and {second} share room {room_id} on weekday {weekday}")


# A slot: start, end, the agenda (index) and the rule (clinic, room) it comes from.
Slot = tuple[datetime, datetime, int, _Rule]


def _day_slots(agendas: list[_Agenda], day: date) -> list[Slot]:
    """The slots of one local day of every practitioner, laid end to end from the start of each period."""
    slots = []
    weekday = day.weekday()
    for index, agenda in enumerate(agendas):
        if any(first <= day <= last for first, last in agenda.leave):
            continue
        length = timedelta(minutes=agenda.minutes)
        blocks = agenda.blocks.get(day, [])
        for rule in agenda.rules:
            if rule.weekday != weekday or day < rule.valid_from or (rule.valid_until and day > rule.valid_until):
                continue
            start = datetime.combine(day, rule.start, tzinfo=rule.zone)
            end_of_period = datetime.combine(day, rule.end, tzinfo=rule.zone)
            while start + length <= end_of_period:
                end = start + length
                if not any(b_start < end and start < b_end for b_start, b_end in blocks):
                    slots.append((start, end, index, rule))
                start = end
    return slots


def _fill_weight(day: date, today: date) -> float:
    """How full a day is, relative to the past: the next days nearly as full, four weeks ahead a third."""
    ahead = (day - today).days
    if ahead <= 2:
        return 1.0
    return max(0.3, 1.0 - 0.7 * (ahead - 2) / (AHEAD_DAYS - 3))


def _quotas(counts: dict[date, int], weights: dict[date, float], total: int) -> dict[date, int]:
    """Appointments per day, proportional to slots x weight, adding up to exactly ``total``."""
    weighted = {day: counts[day] * weights[day] for day in counts}
    scale = total / sum(weighted.values())
    if scale * max(weights.values()) > 0.97:
        raise RuntimeError(f"{total:,} appointments do not fit in {sum(counts.values()):,} slots")
    exact = {day: weighted[day] * scale for day in counts}
    quotas = {day: int(value) for day, value in exact.items()}
    missing = total - sum(quotas.values())
    for day in sorted(counts, key=lambda d: exact[d] - quotas[d], reverse=True)[:missing]:
        quotas[day] += 1
    return quotas


# Appointments ---------------------------------------------------------------------------------


def appointments_done(size: Size) -> bool:
    return Appointment.objects.count() == size.appointments


def truncate_appointments() -> None:
    """Remove every appointment (and what refers to them); their history too."""
    tables = [Appointment._meta.db_table, Appointment.history.model._meta.db_table]  # type: ignore[attr-defined]
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE")


class _Patients:
    """Patients by home clinic, split into one pool per practitioner of that clinic.

    In week ``w`` the practitioner numbered ``n`` (of ``k`` in the clinic) draws from pool
    ``(n + w) mod k``; within a week no two practitioners share a pool, and one practitioner's
    appointments never overlap, so neither do any patient's.
    """

    def __init__(self, agendas: list[_Agenda]) -> None:
        self.sizes: dict[int, int] = defaultdict(int)
        for agenda in agendas:
            self.sizes[agenda.home_clinic_id] += 1
        by_clinic: dict[int, list[int]] = defaultdict(list)
        for pk, clinic_id in (
            Patient.objects.order_by("pk").values_list("pk", "home_clinic_id").iterator(chunk_size=50_000)
        ):
            by_clinic[clinic_id].append(pk)
        self.pools: dict[int, list[list[int]]] = {}
        for clinic_id, count in self.sizes.items():
            patients = by_clinic.get(clinic_id, [])
            if len(patients) < count:
                raise RuntimeError(f"clinic {clinic_id} has {len(patients)} patients for {count} practitioners")
            self.pools[clinic_id] = [patients[number::count] for number in range(count)]

    def draw(self, rng: random.Random, agenda: _Agenda, week: int) -> int:
        pools = self.pools[agenda.home_clinic_id]
        return rng.choice(pools[(agenda.pool_number + week) % len(pools)])


def _week(day: date) -> int:
    return (day.toordinal() - 1) // 7  # ordinal 1 is a Monday: weeks run Monday to Sunday


@dataclass(frozen=True)
class _Plan:
    """Everything the rows are made from, read from the database before the COPY starts (the COPY
    holds the connection)."""

    now: datetime
    days: list[date]
    agendas: list[_Agenda]
    quotas: dict[date, int]
    patients: _Patients
    booked_by: int | None


def _plan(size: Size, stdout: TextIO, now: datetime) -> _Plan:
    today = timezone.localdate(now)
    agendas = _agendas()
    if not agendas:
        raise RuntimeError("no practitioner has working hours")
    days = [today - timedelta(days=HISTORY_DAYS) + timedelta(days=n) for n in range(HISTORY_DAYS + AHEAD_DAYS)]
    started = clock.perf_counter()
    counts = {day: len(_day_slots(agendas, day)) for day in days}
    stdout.write(
        f"    {sum(counts.values()):,} slots of {len(agendas)} practitioners over {len(days)} days "
        f"({clock.perf_counter() - started:.1f}s)\n"
    )
    return _Plan(
        now=now,
        days=days,
        agendas=agendas,
        quotas=_quotas(counts, {day: _fill_weight(day, today) for day in days}, size.appointments),
        patients=_Patients(agendas),
        booked_by=User.objects.filter(username="recepcao").values_list("pk", flat=True).first(),
    )


def _rows(plan: _Plan) -> Iterator[Row]:
    """The planned rows in APPOINTMENT_COLUMNS order, day by day; reads nothing from the database."""
    for day in plan.days:
        rng = random.Random(SEED + day.toordinal())
        week = _week(day)
        chosen = rng.sample(_day_slots(plan.agendas, day), plan.quotas[day])
        for start, end, index, rule in sorted(chosen, key=lambda slot: slot[0]):
            agenda = plan.agendas[index]
            state = appointment_state(rng, start, end, plan.now)
            booked_at = min(plan.now, start - timedelta(days=rng.randint(1, 30), minutes=rng.randint(0, 600)))
            yield (
                plan.patients.draw(rng, agenda, week),
                agenda.practitioner_id,
                agenda.specialty_id,
                rule.clinic_id,
                rule.room_id,
                start,
                end,
                state.status,
                False,
                "",
                state.cancellation_reason,
                plan.booked_by,
                booked_at,
                state.checked_in_at,
                state.started_at,
                state.finished_at,
            )


def copy_appointments(rows: Iterator[Row], total: int, stdout: TextIO) -> int:
    written = 0
    started = clock.perf_counter()
    statement = f"COPY {Appointment._meta.db_table} ({', '.join(APPOINTMENT_COLUMNS)}) FROM STDIN"
    with connection.cursor() as cursor, cursor.copy(statement) as copy:  # type: ignore[attr-defined]
        for row in rows:
            copy.write_row(row)
            written += 1
            if written % PROGRESS_EVERY == 0 or written == total:
                elapsed = clock.perf_counter() - started
                stdout.write(
                    f"    {written:>9,} / {total:,} appointments  {elapsed:6.1f}s  ({written / elapsed:,.0f}/s)\n"
                )
                stdout.flush()
    return written


def load_appointments(size: Size, stdout: TextIO) -> None:
    truncate_appointments()
    plan = _plan(size, stdout, timezone.now())
    with transaction.atomic():
        written = copy_appointments(_rows(plan), size.appointments, stdout)
    if written != size.appointments:
        raise RuntimeError(f"wrote {written} appointments, expected {size.appointments}")
