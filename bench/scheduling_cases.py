"""The scheduling cases: first available across the network, a week's agenda, the reception board,
and booking with twenty concurrent clients.

The selectors are timed as called by the pages, and the pages themselves through Django's test
client as the people who use them. Each is bound by a floor: the single SQL query that returns
the same answer (the same free slots, the same appointments), checked against the selector's
answer before anything is timed. Booking is a load: twenty threads, each with its own database
connection, book free slots through the booking service for a fixed time, some of them racing
for the same slots; its floor is the same load of plain INSERTs, which the database's exclusion
constraints alone keep apart. Every booked row is removed afterwards, so runs stay comparable.
"""

from __future__ import annotations

import random
import threading
import time
import zoneinfo
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import IntegrityError, OperationalError, connection, connections
from django.db.models import Count
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from bench.cases import signed_in_client
from bench.harness import BenchmarkError, Case, Floor, Result, Row, counted_plans, explain
from bench.schedules import BENCH_RECEPTION
from clinic.models import Clinic
from messaging.models import Message
from patients.models import Patient
from scheduling import selectors
from scheduling.availability import Slot, free_slots
from scheduling.forms import BOOKING_DAYS
from scheduling.models import ACTIVE_STATUSES, Appointment
from scheduling.services import SlotTaken, appointment_book
from scheduling.views.booking import ANY_LIMIT
from staff.models import Practitioner, Specialty, User

MAIN_TABLE = Appointment._meta.db_table
PRACTITIONER_INDEX = ("appointment_practitioner_idx",)
CLINIC_DAY_INDEX = ("appointment_clinic_day_idx",)
# The most common specialty (20-minute slots) and one with long appointments (50 minutes).
FIRST_AVAILABLE_SPECIALTIES = ["clinica-medica", "psiquiatria"]
FIRST_AVAILABLE_LIMIT = 20
# first_available searches these windows (days) in turn, then the whole period it is given.
SEARCH_WINDOWS = (2, 7)

BOOKING_CLIENTS = 20
BOOKING_SECONDS = 10.0
# Every fifth client books the very slots of the client before it, in the same order: they race.
RACING_EVERY = 5
SLOTS_PER_CLIENT = 500
# The slots booked lie one to three weeks ahead, where the generated agendas still have room.
BOOKING_FROM_DAYS = 7
BOOKING_DAYS_SPAN = 14

DEADLOCK_DETECTED = "40P01"  # SQLSTATE

_ACTIVE_SQL = ", ".join(f"'{status}'" for status in ACTIVE_STATUSES)


# Pages ------------------------------------------------------------------------------------------


def _get(client: Client, path: str, data: dict[str, str], *, expect: str = "", markup: bytes = b"") -> None:
    """GET a page; it must answer 200 with the text ``expect`` (as escaped on the page) and ``markup``."""
    response = client.get(path, data)
    if response.status_code != 200:
        raise BenchmarkError(f"GET {path}?{urlencode(data)} answered {response.status_code}")
    if expect and str(escape(expect)).encode() not in response.content:
        raise BenchmarkError(f"GET {path}?{urlencode(data)}: {expect!r} is not on the page")
    if markup and markup not in response.content:
        raise BenchmarkError(f"GET {path}?{urlencode(data)}: {markup!r} is not on the page")


# What to look at ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Targets:
    """A busy clinic day (today, or the next day with appointments) and its busiest practitioner's week."""

    now: datetime
    today: date
    day: date
    clinic: Clinic
    practitioner: Practitioner

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        return self.clinic.zone

    @property
    def week(self) -> tuple[date, date]:
        monday = self.day - timedelta(days=self.day.weekday())
        return monday, monday + timedelta(days=6)


def find_targets() -> Targets:
    now = timezone.now()
    today = timezone.localdate(now)
    for ahead in range(8):
        day = today + timedelta(days=ahead)
        start, end = selectors.day_bounds(day, zoneinfo.ZoneInfo(timezone.get_current_timezone_name()))
        busiest = (
            Appointment.objects.filter(starts_at__gte=start, starts_at__lt=end)
            .values("clinic")
            .annotate(count=Count("id"))
            .order_by("-count", "clinic")
            .first()
        )
        if busiest:
            break
    else:
        raise BenchmarkError("no appointment in the coming week: generate the data again (--regenerate)")
    clinic = Clinic.objects.get(pk=busiest["clinic"])
    monday = day - timedelta(days=day.weekday())
    week_start, _ = selectors.day_bounds(monday, clinic.zone)
    _, week_end = selectors.day_bounds(monday + timedelta(days=6), clinic.zone)
    practitioner_id = (
        Appointment.objects.filter(clinic=clinic, starts_at__gte=week_start, starts_at__lt=week_end)
        .values("practitioner")
        .annotate(count=Count("id"))
        .order_by("-count", "practitioner")
        .values_list("practitioner", flat=True)
        .first()
    )
    if practitioner_id is None:
        raise BenchmarkError(f"no appointment at {clinic.code} in the week of {monday}")
    practitioner = Practitioner.objects.select_related("user").get(pk=practitioner_id)
    return Targets(now=now, today=today, day=day, clinic=clinic, practitioner=practitioner)


# First available ----------------------------------------------------------------------------------

# The free slots of a specialty between two local days, soonest first: the practitioners' weekly
# and extra hours laid out in slots of their length, minus those before now, on leave, in a block
# or overlapping an active appointment. The candidates are sorted before the look-ups, which then
# stop at the LIMIT-th free slot; each look-up of an appointment is one probe of the
# no-overlap constraint's GiST index (the benchmark data has no overbookings, which that index
# leaves out).
_FREE_SLOTS_SQL = f"""
WITH args AS (
    SELECT %s::bigint AS specialty_id, %s::date AS first_day, %s::date AS last_day,
           %s::timestamptz AS now, %s::bigint[] AS clinic_ids
),
lengths AS (
    SELECT link.practitioner_id, make_interval(mins => coalesce(link.duration, specialty.default_duration)) AS length
    FROM args
    JOIN staff_practitionerspecialty link ON link.specialty_id = args.specialty_id
    JOIN staff_specialty specialty ON specialty.id = link.specialty_id
    JOIN staff_practitioner practitioner ON practitioner.id = link.practitioner_id AND practitioner.is_active
),
periods AS (
    SELECT hours.practitioner_id, hours.clinic_id, hours.room_id, lengths.length, clinic.time_zone,
           (days.day + hours.start_time) AT TIME ZONE clinic.time_zone AS starts_at,
           ((days.day + CASE WHEN hours.end_time <= hours.start_time THEN 1 ELSE 0 END) + hours.end_time)
               AT TIME ZONE clinic.time_zone AS ends_at
    FROM args
    CROSS JOIN LATERAL (
        SELECT args.first_day - 1 + offset_days AS day
        FROM generate_series(0, args.last_day - args.first_day + 1) AS offset_days
    ) AS days
    JOIN staff_workinghours hours
      ON hours.weekday = extract(isodow FROM days.day) - 1
     AND hours.valid_from <= days.day AND (hours.valid_until IS NULL OR hours.valid_until >= days.day)
    JOIN lengths ON lengths.practitioner_id = hours.practitioner_id
    JOIN clinic_clinic clinic ON clinic.id = hours.clinic_id
    WHERE args.clinic_ids IS NULL OR hours.clinic_id = ANY(args.clinic_ids)
    UNION ALL
    SELECT extra.practitioner_id, extra.clinic_id, extra.room_id, lengths.length, clinic.time_zone,
           extra.starts_at, extra.ends_at
    FROM args
    JOIN staff_extrahours extra ON extra.starts_at < args.last_day + 2 AND extra.ends_at > args.first_day - 2
    JOIN lengths ON lengths.practitioner_id = extra.practitioner_id
    JOIN clinic_clinic clinic ON clinic.id = extra.clinic_id
    WHERE args.clinic_ids IS NULL OR extra.clinic_id = ANY(args.clinic_ids)
),
candidates AS (
    SELECT slot.starts_at, slot.starts_at + periods.length AS ends_at,
           periods.practitioner_id, periods.clinic_id, periods.room_id
    FROM args, periods
    CROSS JOIN LATERAL generate_series(periods.starts_at, periods.ends_at - periods.length, periods.length)
        AS slot(starts_at)
    WHERE slot.starts_at >= args.now
      AND (slot.starts_at AT TIME ZONE periods.time_zone)::date BETWEEN args.first_day AND args.last_day
      AND NOT EXISTS (
          SELECT 1 FROM staff_leave leave
          WHERE leave.practitioner_id = periods.practitioner_id
            AND (slot.starts_at AT TIME ZONE periods.time_zone)::date BETWEEN leave.start_date AND leave.end_date
      )
    ORDER BY 1, 2, 3, 4, 5
    OFFSET 0
)
SELECT candidates.starts_at, candidates.ends_at, candidates.practitioner_id, candidates.clinic_id,
       candidates.room_id, person.first_name, person.last_name, clinic.name, room.code
FROM candidates
JOIN staff_practitioner practitioner ON practitioner.id = candidates.practitioner_id
JOIN staff_user person ON person.id = practitioner.user_id
JOIN clinic_clinic clinic ON clinic.id = candidates.clinic_id
JOIN clinic_room room ON room.id = candidates.room_id
WHERE NOT EXISTS (
    SELECT 1 FROM staff_scheduleblock block
    WHERE block.practitioner_id = candidates.practitioner_id
      AND block.starts_at < candidates.ends_at AND block.ends_at > candidates.starts_at
)
  AND NOT EXISTS (
    SELECT 1 FROM scheduling_appointment appointment
    WHERE appointment.practitioner_id = candidates.practitioner_id
      AND tstzrange(appointment.starts_at, appointment.ends_at) && tstzrange(candidates.starts_at, candidates.ends_at)
      AND appointment.status IN ({_ACTIVE_SQL}) AND NOT appointment.overbooked
)
ORDER BY 1, 2, 3, 4, 5
LIMIT %s
"""


def _searched_days(slots: list[Slot], start: date, days: int) -> int:
    """How many days from ``start`` first_available looked at to find ``slots`` (its first window
    with any free slot): the floor looks at the same days."""
    zones = {pk: zoneinfo.ZoneInfo(tz) for pk, tz in Clinic.objects.values_list("pk", "time_zone")}
    last = max(slot.starts_at.astimezone(zones[slot.clinic_id]).date() for slot in slots)
    return next(
        window for window in (*(w for w in SEARCH_WINDOWS if w < days), days) if last < start + timedelta(window)
    )


def _free_slots_floor(
    slots: list[Slot],
    *,
    specialty: Specialty,
    clinic_ids: list[int] | None,
    start: date,
    days: int,
    now: datetime,
    limit: int,
) -> Floor:
    if not slots:
        raise BenchmarkError(f"no free slot of {specialty.code} in {days} days: the data is not what the case expects")
    window = _searched_days(slots, start, days)
    expected = [(s.starts_at, s.ends_at, s.practitioner_id, s.clinic_id, s.room_id) for s in slots]

    def check(rows: list[Row]) -> None:
        found = [tuple(row[:5]) for row in rows]
        if found != expected:
            raise BenchmarkError(f"the floor finds {len(found)} slots {found[:2]}..., the selector {expected[:2]}...")

    return Floor(
        sql=_FREE_SLOTS_SQL,
        params=[specialty.pk, start, start + timedelta(days=window - 1), now, clinic_ids, limit],
        check=check,
    )


def first_available_case(specialty: Specialty, targets: Targets) -> Case:
    """The selector as the issue names it: a specialty, any of the twenty clinics, fourteen days."""
    now, start = targets.now, targets.today
    slots = selectors.first_available(
        specialty=specialty, clinics=None, start=start, now=now, limit=FIRST_AVAILABLE_LIMIT
    )

    def run() -> None:
        if not selectors.first_available(
            specialty=specialty, clinics=None, start=start, now=now, limit=FIRST_AVAILABLE_LIMIT
        ):
            raise BenchmarkError(f"first_available({specialty.code}) found nothing")

    practitioners = selectors.bookable_practitioners(specialty=specialty).count()
    return Case(
        name=f"first available {specialty.code} (20 clinics)",
        run=run,
        floor=_free_slots_floor(
            slots, specialty=specialty, clinic_ids=None, start=start, days=14, now=now, limit=FIRST_AVAILABLE_LIMIT
        ),
        expected_indexes=(PRACTITIONER_INDEX,),
        main_table=MAIN_TABLE,
        note=f"selector; {practitioners} practitioners; first slot {slots[0].starts_at:%Y-%m-%d %H:%M}",
    )


def booking_page_case(specialty: Specialty, targets: Targets) -> Case:
    """The booking page's search, "any available" in any of the receptionist's twenty clinics."""
    client, user = signed_in_client(BENCH_RECEPTION)
    clinics = list(Clinic.objects.filter(staff=user).order_by("pk"))
    now, start = targets.now, targets.today
    slots = selectors.first_available(
        specialty=specialty, clinics=clinics, start=start, days=BOOKING_DAYS, limit=ANY_LIMIT, now=now
    )
    path = reverse("scheduling:book")
    data = {"specialty": str(specialty.pk), "date": start.isoformat()}
    return Case(
        name=f"booking page, any available {specialty.code}",
        # The slots themselves change as time passes; that some are offered does not.
        run=lambda: _get(client, path, data, markup=b'data-testid="slot"'),
        floor=_free_slots_floor(
            slots,
            specialty=specialty,
            clinic_ids=[c.pk for c in clinics],
            start=start,
            days=BOOKING_DAYS,
            now=now,
            limit=ANY_LIMIT,
        ),
        expected_indexes=(PRACTITIONER_INDEX,),
        main_table=MAIN_TABLE,
        note=f"as {BENCH_RECEPTION} ({len(clinics)} clinics), {ANY_LIMIT} slots",
    )


# Agenda and board -------------------------------------------------------------------------------

# What a line of an agenda or a board shows of an appointment.
_LINE_SQL = f"""
SELECT appointment.id, appointment.starts_at, appointment.ends_at, appointment.status, appointment.checked_in_at,
       patient.full_name, patient.social_name, patient.birth_date, patient.sex,
       person.first_name, person.last_name, specialty.name, room.code, room.name, clinic.name, clinic.time_zone
       {{extra}}
FROM {MAIN_TABLE} appointment
JOIN patients_patient patient ON patient.id = appointment.patient_id
JOIN staff_practitioner practitioner ON practitioner.id = appointment.practitioner_id
JOIN staff_user person ON person.id = practitioner.user_id
JOIN staff_specialty specialty ON specialty.id = appointment.specialty_id
JOIN clinic_room room ON room.id = appointment.room_id
JOIN clinic_clinic clinic ON clinic.id = appointment.clinic_id
WHERE {{where}} AND appointment.starts_at >= %s AND appointment.starts_at < %s
ORDER BY appointment.starts_at, appointment.id
"""

# The agenda also shows the practitioner's weekly hours on each day.
_HOURS_SQL = """, (SELECT json_agg(hours ORDER BY hours.weekday, hours.start_time) FROM staff_workinghours hours
        WHERE hours.practitioner_id = %s AND hours.valid_from <= %s
          AND (hours.valid_until IS NULL OR hours.valid_until >= %s)) AS hours"""


def _same_appointments(expected: list[int]) -> Callable[[list[Row]], None]:
    def check(rows: list[Row]) -> None:
        found = sorted(row[0] for row in rows)
        if found != sorted(expected):
            raise BenchmarkError(f"the floor finds {len(found)} appointments, the selector {len(expected)}")

    return check


def _agenda_floor(targets: Targets, expected: list[int]) -> Floor:
    first, last = targets.week
    start, _ = selectors.day_bounds(first, targets.zone)
    _, end = selectors.day_bounds(last, targets.zone)
    return Floor(
        sql=_LINE_SQL.format(extra=_HOURS_SQL, where="appointment.practitioner_id = %s"),
        params=[targets.practitioner.pk, last, first, targets.practitioner.pk, start, end],
        check=_same_appointments(expected),
    )


def _board_floor(targets: Targets, expected: list[int]) -> Floor:
    start, end = selectors.day_bounds(targets.day, targets.zone)
    return Floor(
        sql=_LINE_SQL.format(extra="", where="appointment.clinic_id = %s"),
        params=[targets.clinic.pk, start, end],
        check=_same_appointments(expected),
    )


def agenda_cases(targets: Targets) -> list[Case]:
    practitioner = targets.practitioner
    first, last = targets.week
    days = selectors.practitioner_agenda(practitioner=practitioner, first=first, last=last)
    appointments = [appointment for agenda_day in days for appointment in agenda_day.appointments]
    if not appointments:
        raise BenchmarkError(f"practitioner {practitioner.pk} has no appointment in the week of {first}")
    floor = _agenda_floor(targets, [appointment.pk for appointment in appointments])

    def run() -> None:
        if not any(
            d.appointments for d in selectors.practitioner_agenda(practitioner=practitioner, first=first, last=last)
        ):
            raise BenchmarkError("the agenda is empty")

    note = f"{practitioner.user.username}, week of {first}, {len(appointments)} appointments"
    client, _user = signed_in_client(practitioner.user.username)
    path = reverse("scheduling:agenda")
    data = {"practitioner": str(practitioner.pk), "view": "week", "date": targets.day.isoformat()}
    shown = appointments[0].patient.display_name
    return [
        Case(
            name="agenda, a week (selector)",
            run=run,
            floor=floor,
            expected_indexes=(PRACTITIONER_INDEX,),
            main_table=MAIN_TABLE,
            note=note,
        ),
        Case(
            name="agenda page, a week",
            run=lambda: _get(client, path, data, expect=shown),
            floor=floor,
            expected_indexes=(PRACTITIONER_INDEX,),
            main_table=MAIN_TABLE,
            note=f"{note}, as the practitioner",
        ),
    ]


def board_cases(targets: Targets) -> list[Case]:
    clinic, day, now = targets.clinic, targets.day, targets.now
    board = selectors.reception_board(clinic=clinic, day=day, now=now)
    lines = [*board.expected, *board.waiting, *board.in_progress, *board.done]
    if not lines:
        raise BenchmarkError(f"clinic {clinic.code} has no appointment on {day}")
    floor = _board_floor(targets, [line.appointment.pk for line in lines])

    def run() -> None:
        board = selectors.reception_board(clinic=clinic, day=day, now=now)
        if not (board.expected or board.waiting or board.in_progress or board.done):
            raise BenchmarkError("the board is empty")

    note = (
        f"{clinic.code} on {day}: {len(lines)} appointments ({len(board.expected)} expected, "
        f"{len(board.waiting)} waiting, {len(board.in_progress)} in progress, {len(board.done)} done)"
    )
    client, _user = signed_in_client(BENCH_RECEPTION)
    path = reverse("scheduling:board")
    data = {"clinic": str(clinic.pk), "date": day.isoformat()}
    shown = lines[0].appointment.patient.display_name
    return [
        Case(
            name="reception board, a busy day (selector)",
            run=run,
            floor=floor,
            expected_indexes=(CLINIC_DAY_INDEX,),
            main_table=MAIN_TABLE,
            note=note,
        ),
        Case(
            name="reception board page, a busy day",
            run=lambda: _get(client, path, data, expect=shown),
            floor=floor,
            expected_indexes=(CLINIC_DAY_INDEX,),
            main_table=MAIN_TABLE,
            note=f"{note}, as reception",
        ),
    ]


# Booking under load -----------------------------------------------------------------------------

_INSERT_COLUMNS = [
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
]
# The floor of a booking: one INSERT of the row, in its own transaction, that the exclusion
# constraints accept or refuse.
_INSERT_SQL = (
    f"INSERT INTO {MAIN_TABLE} ({', '.join(_INSERT_COLUMNS)}) "
    "VALUES (%s, %s, %s, %s, %s, %s, %s, 'scheduled', false, '', '', %s, now()) RETURNING id"
)

Attempt = tuple[Slot, Specialty, Patient]


@dataclass
class _Client:
    """One of the concurrent clients: what it will try, and what came of it."""

    attempts: list[Attempt]
    latencies_ms: list[float] = field(default_factory=list)
    booked: list[int] = field(default_factory=list)
    conflicts: int = 0
    refused: int = 0
    # Two inserts that each wait for the other's exclusion check: PostgreSQL aborts one of them.
    deadlocks: int = 0
    errors: list[str] = field(default_factory=list)
    finished_at: float = 0.0


@dataclass(frozen=True)
class _Phase:
    clients: list[_Client]
    seconds: float

    @property
    def booked(self) -> list[int]:
        return [pk for client in self.clients for pk in client.booked]

    @property
    def latencies_ms(self) -> list[float]:
        return [ms for client in self.clients for ms in client.latencies_ms]

    def count(self, name: str) -> int:
        return sum(getattr(client, name) for client in self.clients)

    @property
    def errors(self) -> list[str]:
        return [error for client in self.clients for error in client.errors]


def _run_clients(plans: list[list[Attempt]], attempt: Callable[[Attempt, _Client], None], seconds: float) -> _Phase:
    """Start one thread per plan, all at once; each tries its attempts in order until time is up."""
    clients = [_Client(attempts=plan) for plan in plans]
    started: list[float] = []
    barrier = threading.Barrier(len(clients), action=lambda: started.append(time.perf_counter()))

    def work(client: _Client) -> None:
        try:
            connection.ensure_connection()  # its own connection, opened before the clock starts
            barrier.wait()
            deadline = started[0] + seconds
            for item in client.attempts:
                if time.perf_counter() >= deadline:
                    break
                begin = time.perf_counter()
                attempt(item, client)
                client.latencies_ms.append((time.perf_counter() - begin) * 1000)
        except Exception as error:  # reported, and the case fails
            client.errors.append(f"{type(error).__name__}: {error}")
            barrier.abort()  # no client waits for one that will never come
        finally:
            client.finished_at = time.perf_counter()
            connections.close_all()

    threads = [threading.Thread(target=work, args=(client,)) for client in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if not started:
        raise BenchmarkError("the clients never started: " + "; ".join(e for c in clients for e in c.errors))
    return _Phase(clients=clients, seconds=max(client.finished_at for client in clients) - started[0])


def _is_deadlock(error: OperationalError) -> bool:
    return getattr(error.__cause__, "sqlstate", "") == DEADLOCK_DETECTED


def _overlaps(booked: list[int]) -> int:
    """Active appointments that overlap one of ``booked`` for the same practitioner, room or patient."""
    total = 0
    with connection.cursor() as cursor:
        for column in ("practitioner_id", "room_id", "patient_id"):
            cursor.execute(
                f"SELECT count(*) FROM {MAIN_TABLE} mine JOIN {MAIN_TABLE} other"
                f" ON other.{column} = mine.{column} AND other.id <> mine.id"
                " AND tstzrange(other.starts_at, other.ends_at) && tstzrange(mine.starts_at, mine.ends_at)"
                f" AND other.status IN ({_ACTIVE_SQL}) AND NOT other.overbooked"
                f" WHERE mine.id = ANY(%s) AND mine.status IN ({_ACTIVE_SQL}) AND NOT mine.overbooked",
                [booked],
            )
            total += cursor.fetchone()[0]  # type: ignore[index]
    return total


def _remove(booked: list[int]) -> None:
    """Remove the appointments a load booked and everything booking made with them: their links
    (cascade), their reminders in the outbox (a generic reference), and the history of both."""
    if not booked:
        return
    reminders = Message.objects.filter(
        content_type=ContentType.objects.get_for_model(Appointment), object_id__in=booked
    )
    message_ids = list(reminders.values_list("pk", flat=True))
    reminders.delete()
    Appointment.objects.filter(pk__in=booked).delete()
    with connection.cursor() as cursor:
        for model, ids in ((Appointment, booked), (Message, message_ids)):
            cursor.execute(
                f"DELETE FROM {model.history.model._meta.db_table} WHERE id = ANY(%s)",  # type: ignore[attr-defined]
                [ids],
            )


def _booking_plans(targets: Targets) -> tuple[list[list[Attempt]], Attempt]:
    """Free slots one to three weeks ahead, shuffled and dealt to the clients (every fifth client gets
    the list of the one before it), each attempt with a patient of its own who is free then; and one
    more slot for the untimed booking that counts queries."""
    first = targets.today + timedelta(days=BOOKING_FROM_DAYS)
    last = first + timedelta(days=BOOKING_DAYS_SPAN - 1)
    candidates: list[tuple[Slot, Specialty]] = []
    for specialty in Specialty.objects.filter(is_active=True).order_by("pk"):
        practitioners = list(selectors.bookable_practitioners(specialty=specialty))
        candidates += [
            (slot, specialty)
            for slot in free_slots(practitioners=practitioners, specialty=specialty, first=first, last=last)
        ]
    random.Random(BOOKING_CLIENTS).shuffle(candidates)
    owners = [number for number in range(BOOKING_CLIENTS) if number % RACING_EVERY != RACING_EVERY - 1]
    per_client = min(SLOTS_PER_CLIENT, (len(candidates) - 1) // len(owners))
    if per_client < 50:
        raise BenchmarkError(f"only {len(candidates)} free slots between {first} and {last}")
    start_of_window = datetime.combine(first - timedelta(days=1), datetime.min.time(), tzinfo=targets.zone)
    with connection.cursor() as cursor:
        # Patients with nothing booked from the day before the window on: none of them can clash.
        cursor.execute(
            f"SELECT patient.id FROM patients_patient patient WHERE NOT EXISTS (SELECT 1 FROM {MAIN_TABLE} a"
            " WHERE a.patient_id = patient.id AND a.ends_at > %s) ORDER BY patient.id DESC LIMIT %s",
            [start_of_window, BOOKING_CLIENTS * per_client + 1],
        )
        patient_ids = [pk for (pk,) in cursor.fetchall()]
    if len(patient_ids) < BOOKING_CLIENTS * per_client + 1:
        raise BenchmarkError(f"only {len(patient_ids)} patients are free in the booking window")
    patients = iter(Patient.objects.only("id").in_bulk(patient_ids).values())
    lists: dict[int, list[tuple[Slot, Specialty]]] = {}
    for index, owner in enumerate(owners):
        lists[owner] = candidates[index * per_client : (index + 1) * per_client]
    plans = [
        [(slot, specialty, next(patients)) for slot, specialty in lists.get(number, lists.get(number - 1, []))]
        for number in range(BOOKING_CLIENTS)
    ]
    spare_slot, spare_specialty = candidates[len(owners) * per_client]
    return plans, (spare_slot, spare_specialty, next(patients))


def booking_case(targets: Targets) -> Case:
    by = User.objects.get(username=BENCH_RECEPTION)
    plans, spare = _booking_plans(targets)
    practitioners = Practitioner.objects.in_bulk(
        {slot.practitioner_id for plan in plans for slot, _s, _p in plan} | {spare[0].practitioner_id}
    )
    counted: list[int] = []

    def book(item: Attempt, client: _Client) -> None:
        slot, specialty, patient = item
        try:
            appointment = appointment_book(
                patient=patient,
                practitioner=practitioners[slot.practitioner_id],
                specialty=specialty,
                starts_at=slot.starts_at,
                by=by,
            )
        except SlotTaken:
            client.conflicts += 1
        except ValidationError:
            client.refused += 1
        except OperationalError as error:
            if not _is_deadlock(error):
                raise
            client.deadlocks += 1
        else:
            client.booked.append(appointment.pk)

    def insert(item: Attempt, client: _Client) -> None:
        slot, specialty, patient = item
        row: list[Any] = [
            patient.pk,
            slot.practitioner_id,
            specialty.pk,
            slot.clinic_id,
            slot.room_id,
            slot.starts_at,
            slot.ends_at,
            by.pk,
        ]
        try:
            with connection.cursor() as cursor:
                cursor.execute(_INSERT_SQL, row)
                client.booked.append(cursor.fetchone()[0])  # type: ignore[index]
        except IntegrityError:
            client.conflicts += 1
        except OperationalError as error:
            if not _is_deadlock(error):
                raise
            client.deadlocks += 1

    def run_once() -> None:
        """One booking, untimed: the harness counts its queries and explains its reads."""
        holder = _Client(attempts=[spare])
        book(spare, holder)
        if not holder.booked:
            raise BenchmarkError("the spare slot could not be booked")
        counted.extend(holder.booked)

    def measure(case: Case, runs: int) -> Result:
        racing = sum(1 for number in range(BOOKING_CLIENTS) if number % RACING_EVERY == RACING_EVERY - 1)
        try:
            count, plans_read = counted_plans(case)
        finally:
            _remove(counted)
        booking = _run_clients(plans, book, BOOKING_SECONDS)
        try:
            overlaps = _overlaps(booking.booked)
            missing = len(booking.booked) - Appointment.objects.filter(pk__in=booking.booked).count()
        finally:
            _remove(booking.booked)
        floor = _run_clients(plans, insert, BOOKING_SECONDS)
        try:
            floor_overlaps = _overlaps(floor.booked)
        finally:
            _remove(floor.booked)
        if booking.errors or floor.errors:
            raise BenchmarkError(f"clients failed: {(booking.errors + floor.errors)[0]}")
        if overlaps or floor_overlaps or missing:
            raise BenchmarkError(f"{overlaps} overlaps after booking, {floor_overlaps} after the floor, {missing} lost")
        exhausted = sum(1 for client in booking.clients if len(client.latencies_ms) == len(client.attempts))
        return Result(
            case=case,
            times_ms=booking.latencies_ms,
            floor_times_ms=floor.latencies_ms,
            query_counts=[count],
            plans=plans_read,
            floor_plan=explain(
                _INSERT_SQL,
                [
                    spare[2].pk,
                    spare[0].practitioner_id,
                    spare[1].pk,
                    spare[0].clinic_id,
                    spare[0].room_id,
                    spare[0].starts_at,
                    spare[0].ends_at,
                    by.pk,
                ],
            ),
            extra={
                "clients": BOOKING_CLIENTS,
                "racing clients": racing,
                "seconds": round(booking.seconds, 1),
                "bookings": len(booking.booked),
                "bookings/s": round(len(booking.booked) / booking.seconds, 1),
                "conflicts": booking.count("conflicts"),
                "refused": booking.count("refused"),
                "deadlocks": booking.count("deadlocks"),
                "overlaps": overlaps,
                "clients out of slots": exhausted,
                "floor inserts": len(floor.booked),
                "floor inserts/s": round(len(floor.booked) / floor.seconds, 1),
                "floor conflicts": floor.count("conflicts"),
                "floor deadlocks": floor.count("deadlocks"),
            },
        )

    return Case(
        name=f"booking, {BOOKING_CLIENTS} concurrent clients",
        run=run_once,
        floor=None,
        expected_indexes=(PRACTITIONER_INDEX,),
        main_table=MAIN_TABLE,
        note=(
            f"appointment_book for {BOOKING_SECONDS:.0f} s per client thread; times are per attempt; "
            "floor: the same load of plain INSERTs"
        ),
        measure=measure,
    )


# All cases --------------------------------------------------------------------------------------


def build_cases() -> list[Case]:
    targets = find_targets()
    specialties = {s.code: s for s in Specialty.objects.filter(code__in=FIRST_AVAILABLE_SPECIALTIES)}
    missing = set(FIRST_AVAILABLE_SPECIALTIES) - set(specialties)
    if missing:
        raise BenchmarkError(f"no specialty {', '.join(sorted(missing))}: generate the data again")
    return [
        *(first_available_case(specialties[code], targets) for code in FIRST_AVAILABLE_SPECIALTIES),
        booking_page_case(specialties[FIRST_AVAILABLE_SPECIALTIES[0]], targets),
        *agenda_cases(targets),
        *board_cases(targets),
        booking_case(targets),
    ]
