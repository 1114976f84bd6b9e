"""Benchmark exams: the catalog, a laboratory and an imaging unit in every clinic, a year of
released orders with their values, and today's worklists.

The catalog is the demo's (``exams.catalog.catalog_load``), and so are the laboratory and imaging
unit of every clinic (``exams.demo.ensure_units``). Two lab people per clinic (``lab.<clinic>.1``
and ``.2``) collect and enter, and release what the other entered; the clinic's practitioners order.

The year holds ``size.exam_orders`` orders, a few of them cancelled and the rest released, most
asked for by the patient's home clinic. They are concentrated as a clinic's are: one patient in a
hundred is followed closely (diabetes, kidney disease...) and has 20 to 50 orders, a few exams
asked for together on each visit, so the same analytes come back again and again; the other orders
fall on patients drawn at random (most have none, some one to four). The panel cases' patient
(``panel_patient``) has exactly ``PANEL_ORDERS``: a blood count, glucose, creatinine and potassium
on each of ten days of the year. Lab results carry a value for every analyte of the exam, drawn
around the reference range for the patient's sex and age at collection (a patient followed closely
sits off the middle by an amount of their own, so flags repeat) and flagged against it by
``exams.ranges`` as the service does; imaging results carry a report. Exams with a text analyte
(the urine test's colour and aspect) are left out: their values would need words of their own.

Today: each laboratory has ``OPEN_LAB_ORDERS`` open orders and each imaging unit
``OPEN_IMAGING_ORDERS``, in every open status but scheduled (that needs an appointment) and every
priority, from the last hours. Order events are kept for the open orders and the last weeks only,
as the bed events are. Rows go in with COPY, ids given, ordered by the time of the order as a real
table would be, in one transaction (``bulk_load``); the history tables are left empty.
"""

from __future__ import annotations

import bisect
import gc
import itertools
import random
import time as clock
from collections import defaultdict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any, TextIO

from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.db import connection, transaction
from django.db.models import Model
from django.utils import timezone

from bench.sizes import Size
from clinic.crypto import encrypt
from clinic.models import Clinic
from exams.catalog import catalog_load
from exams.demo import ensure_units
from exams.models import (
    OPEN_ORDER,
    PRIORITY_RANK,
    Analyte,
    Exam,
    ExamKind,
    ExamOrder,
    OrderEvent,
    OrderOrigin,
    OrderPriority,
    OrderStatus,
    ReferenceRange,
    ResultAttachment,
    ResultValue,
    ValueKind,
)
from exams.ranges import flag_for, range_for
from patients.models import Patient, Sex
from staff import demo as staff_demo
from staff import roles
from staff.models import CareUnit, User, WorkingHours

SEED = 5_000_000
HISTORY_DAYS = 365
EVENT_DAYS = 30
PROGRESS_EVERY = 200_000
# The worklist case's laboratory, and the clinic of the panel cases' patient.
WORKLIST_CLINIC = "SP-PAU"
OPEN_LAB_ORDERS = 300
OPEN_IMAGING_ORDERS = 40
PANEL_ORDERS = 40
# The panel patient is born before this day (an adult whatever the day the benchmark runs).
PANEL_BORN_BEFORE = date(1975, 1, 1)
CHRONIC_EVERY = 100
CHRONIC_ORDERS = (20, 50)
CANCELLED_SHARE = 0.02
IMAGING_SHARE = 0.08
LAB_STAFF = ("lab.{code}.1", "lab.{code}.2")

# Exams by their TUSS codes (exams.catalog).
HEMOGRAMA, GLICOSE, CREATININA, UREIA = "40304361", "40302040", "40301630", "40302580"
POTASSIO, SODIO, COLESTEROL, TRIGLICERIDES = "40302318", "40302423", "40301605", "40302547"
TSH, A1C, PCR = "40316521", "40302733", "40308391"
# How often each lab exam is asked for, against 1 for any other lab exam of the catalog.
LAB_WEIGHTS = {
    HEMOGRAMA: 25,
    GLICOSE: 12,
    CREATININA: 10,
    UREIA: 6,
    POTASSIO: 5,
    SODIO: 5,
    COLESTEROL: 5,
    TRIGLICERIDES: 4,
    TSH: 4,
    A1C: 4,
    PCR: 5,
}
# What a patient followed closely has done on each visit; the first is the panel patient's.
PROFILES = (
    (HEMOGRAMA, GLICOSE, CREATININA, POTASSIO),
    (GLICOSE, A1C, CREATININA, COLESTEROL),
    (CREATININA, UREIA, POTASSIO, SODIO, HEMOGRAMA),
    (HEMOGRAMA, PCR, CREATININA),
    (TSH, HEMOGRAMA, GLICOSE),
)
INDICATIONS = (
    "Controle de diabetes mellitus",
    "Acompanhamento de doença renal crônica",
    "Investigação de anemia",
    "Check-up anual",
    "Pré-operatório",
    "Febre a esclarecer",
    "Dor abdominal",
    "Hipertensão arterial em acompanhamento",
)
REPORTS = (
    "Exame sem alterações significativas.",
    "Achados inespecíficos; correlacionar com a clínica.",
    "Alteração discreta, sugere-se controle evolutivo.",
)
CANCEL_REASON = "Paciente não compareceu à coleta"
OPEN_STATUSES = ((OrderStatus.REQUESTED, 0.45), (OrderStatus.COLLECTED, 0.35), (OrderStatus.RESULTED, 0.2))
PRIORITIES = ((OrderPriority.ROUTINE, 0.8), (OrderPriority.URGENT, 0.15), (OrderPriority.STAT, 0.05))
OPEN_PRIORITIES = ((OrderPriority.ROUTINE, 0.6), (OrderPriority.URGENT, 0.28), (OrderPriority.STAT, 0.12))
# Minutes from the order to the collection, by priority; how far back today's open orders go.
WAITS: dict[str, tuple[float, float]] = {
    OrderPriority.STAT: (5, 30),
    OrderPriority.URGENT: (15, 120),
    OrderPriority.ROUTINE: (30, 36 * 60),
}
OPEN_HOURS: dict[str, float] = {OrderPriority.STAT: 1.5, OrderPriority.URGENT: 4.0, OrderPriority.ROUTINE: 20.0}
# How many steps (collection, result, release) an order in each status has taken.
STEPS_UNTIL: dict[str, int] = {OrderStatus.COLLECTED: 1, OrderStatus.RESULTED: 2, OrderStatus.RELEASED: 3}

ORDER_COLUMNS = [
    "id",
    "patient_id",
    "exam_id",
    "clinic_id",
    "unit_id",
    "status",
    "priority",
    "priority_rank",
    "origin",
    "indication",
    "ordered_at",
    "ordered_by_id",
    "collected_at",
    "collected_by_id",
    "resulted_at",
    "resulted_by_id",
    "released_at",
    "released_by_id",
    "report",
    "cancelled_at",
    "cancelled_by_id",
    "cancel_reason",
]
VALUE_COLUMNS = [
    "order_id",
    "analyte_id",
    "number",
    "text",
    "unit",
    "flag",
    "reference_low",
    "reference_high",
    "patient_id",
]
EVENT_COLUMNS = ["order_id", "from_status", "to_status", "at", "by_id", "note"]

Row = tuple[Any, ...]


def open_orders_per_clinic() -> int:
    return OPEN_LAB_ORDERS + OPEN_IMAGING_ORDERS


# Done? ------------------------------------------------------------------------------------------


def exams_done(size: Size) -> bool:
    clinics = Clinic.objects.count()
    return (
        Exam.objects.exists()
        and ExamOrder.objects.count() == size.exam_orders + clinics * open_orders_per_clinic()
        and ExamOrder.objects.filter(
            unit__clinic__code=WORKLIST_CLINIC, unit__kind=CareUnit.Kind.LABORATORY, status__in=OPEN_ORDER
        ).count()
        == OPEN_LAB_ORDERS
    )


def _history_table(model: type[Model]) -> str:
    return str(model.history.model._meta.db_table)  # type: ignore[attr-defined]


def truncate_exam_orders() -> None:
    """Remove every order with its values, attachments and events, and their history (the visits'
    links to orders go with them); the catalog stays."""
    tables = [model._meta.db_table for model in (OrderEvent, ResultAttachment, ResultValue, ExamOrder)]
    tables += [_history_table(model) for model in (ResultValue, ExamOrder)]
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE")


# Who and where ----------------------------------------------------------------------------------


def panel_patient() -> Patient:
    """The patient whose chart the panel cases read: the first adult woman or man of WORKLIST_CLINIC
    from three quarters of the way through the patients (the chart cases' own is near the middle)."""
    start = Patient.objects.order_by("pk").values_list("pk", flat=True)[Patient.objects.count() * 3 // 4]
    patient = (
        Patient.objects.filter(
            pk__gte=start,
            home_clinic__code=WORKLIST_CLINIC,
            sex__in=[Sex.FEMALE, Sex.MALE],
            birth_date__lt=PANEL_BORN_BEFORE,
        )
        .order_by("pk")
        .first()
    )
    if patient is None:
        raise RuntimeError(f"no adult patient of {WORKLIST_CLINIC} after patient {start}")
    return patient


def units() -> dict[int, dict[str, int]]:
    """The laboratory and imaging unit of every clinic, as the demo makes them: clinic pk -> kind -> unit pk."""
    found: dict[int, dict[str, int]] = defaultdict(dict)
    for (clinic_id, kind), unit in ensure_units(list(Clinic.objects.order_by("code"))).items():
        found[clinic_id][kind] = unit.pk
    return dict(found)


def staff_of_clinics(patterns: Iterable[str], role: str, first_name: str) -> dict[int, list[int]]:
    """Users named after each pattern (with the clinic's code in lower case) in every clinic, made
    if missing with ``role`` and that clinic: clinic pk -> their pks, in the order of ``patterns``."""
    group = Group.objects.get(name=role)
    password = ""
    found: dict[int, list[int]] = {}
    for clinic in Clinic.objects.order_by("code"):
        pks = []
        for number, pattern in enumerate(patterns, start=1):
            username = pattern.format(code=clinic.code.lower())
            user = User.objects.filter(username=username).first()
            if user is None:
                password = password or make_password(staff_demo.DEMO_PASSWORD)
                user = User.objects.create(
                    username=username,
                    first_name=first_name,
                    last_name=f"{number} {clinic.code}",
                    email=f"{username}@clinica.localhost",
                    password=password,
                )
                user.groups.add(group)
                user.clinics.add(clinic)
            pks.append(user.pk)
        found[clinic.pk] = pks
    return found


def _doctors() -> dict[int, list[int]]:
    """The users of the practitioners with hours in each clinic: who orders there."""
    found: dict[int, set[int]] = defaultdict(set)
    for clinic_id, user_id in WorkingHours.objects.values_list("clinic_id", "practitioner__user_id").distinct():
        found[clinic_id].add(user_id)
    return {clinic_id: sorted(users) for clinic_id, users in found.items()}


# The catalog as the generator uses it -----------------------------------------------------------


@dataclass(eq=False)
class _Analyte:
    pk: int
    unit: str
    decimals: int
    ranges: list[ReferenceRange]
    # (sex, age) -> (range, centre, spread) the values are drawn around.
    cache: dict[tuple[str, int], tuple[ReferenceRange | None, float, float]] = field(default_factory=dict)

    def reference(self, sex: str, age: int) -> tuple[ReferenceRange | None, float, float]:
        key = (sex, age)
        found = self.cache.get(key)
        if found is None:
            reference = range_for(self.ranges, sex=sex, age_years=age)
            found = self.cache[key] = (reference, *_centre_spread(reference))
        return found


def _centre_spread(reference: ReferenceRange | None) -> tuple[float, float]:
    """Where normal values of a range sit and how far they spread (a one-sided range: below its
    upper limit, or a little above its lower one)."""
    low = None if reference is None or reference.low is None else float(reference.low)
    high = None if reference is None or reference.high is None else float(reference.high)
    if low is not None and high is not None:
        return (low + high) / 2, max(high - low, abs(high) * 0.1, 0.01)
    if high is not None:
        return high * 0.55, max(high * 0.45, 0.01)
    if low is not None:
        return low * 1.3, max(low * 0.3, 0.01)
    return 10.0, 5.0


@dataclass(eq=False)
class _Exam:
    pk: int
    code: str
    kind: str
    turnaround_hours: int
    analytes: list[_Analyte]


class _Catalog:
    """The exams the benchmark orders: every active imaging exam, and the lab exams whose analytes
    are all numbers."""

    def __init__(self) -> None:
        ranges: dict[int, list[ReferenceRange]] = defaultdict(list)
        for reference in ReferenceRange.objects.order_by("pk"):
            ranges[reference.analyte_id].append(reference)
        analytes: dict[int, list[Analyte]] = defaultdict(list)
        for analyte in Analyte.objects.order_by("exam_id", "position", "pk"):
            analytes[analyte.exam_id].append(analyte)
        self.lab: list[_Exam] = []
        self.imaging: list[_Exam] = []
        for exam in Exam.objects.filter(is_active=True).order_by("code"):
            own = analytes.get(exam.pk, [])
            if exam.kind == ExamKind.LAB and (not own or any(a.value_kind != ValueKind.NUMBER for a in own)):
                continue
            item = _Exam(
                pk=exam.pk,
                code=exam.code,
                kind=exam.kind,
                turnaround_hours=exam.turnaround_hours,
                analytes=[_Analyte(a.pk, a.unit, a.decimals, ranges.get(a.pk, [])) for a in own],
            )
            (self.lab if exam.kind == ExamKind.LAB else self.imaging).append(item)
        if not self.lab or not self.imaging:
            raise RuntimeError("the catalog needs lab exams with numeric analytes and imaging exams")
        self.by_code = {exam.code: exam for exam in (*self.lab, *self.imaging)}
        self._lab_bounds = list(itertools.accumulate(LAB_WEIGHTS.get(exam.code, 1) for exam in self.lab))
        self.profiles = [
            profile
            for codes in PROFILES
            if (
                profile := [
                    self.by_code[code] for code in codes if code in self.by_code and self.by_code[code].analytes
                ]
            )
        ]
        if not self.profiles:
            self.profiles = [self.lab[:4]]

    def draw_lab(self, rng: random.Random) -> _Exam:
        return self.lab[bisect.bisect(self._lab_bounds, rng.random() * self._lab_bounds[-1])]

    def draw(self, rng: random.Random) -> _Exam:
        return rng.choice(self.imaging) if rng.random() < IMAGING_SHARE else self.draw_lab(rng)


def _choose(rng: random.Random, weighted: tuple[tuple[str, float], ...]) -> str:
    roll = rng.random()
    for item, weight in weighted:
        roll -= weight
        if roll < 0:
            return item
    return weighted[-1][0]


# Patients ---------------------------------------------------------------------------------------


class PatientIndex:
    """Every patient's pk, sex, birth day (ordinal) and home clinic, and who lives near each clinic."""

    def __init__(self) -> None:
        self.pks: list[int] = []
        self.sexes: list[str] = []
        self.born: list[int] = []
        self.clinics: list[int] = []
        self.of_clinic: dict[int, list[int]] = defaultdict(list)
        rows = Patient.objects.order_by("pk").values_list("pk", "sex", "birth_date", "home_clinic_id")
        for index, (pk, sex, born, clinic_id) in enumerate(rows.iterator(chunk_size=50_000)):
            self.pks.append(pk)
            self.sexes.append(sex)
            self.born.append(born.toordinal())
            self.clinics.append(clinic_id)
            self.of_clinic[clinic_id].append(index)
        self.index = {pk: index for index, pk in enumerate(self.pks)}

    def age(self, index: int, on: date) -> int:
        return max(0, int((on.toordinal() - self.born[index]) / 365.2425))


# Planning ---------------------------------------------------------------------------------------


@dataclass(slots=True, eq=False)
class _Order:
    ordered_at: datetime
    patient: int  # index into PatientIndex
    exam: _Exam
    clinic_id: int
    status: str
    priority: str
    chronic: bool = False
    collected_at: datetime | None = None
    resulted_at: datetime | None = None
    released_at: datetime | None = None
    pk: int = 0
    ordered_by: int = 0


def _times(rng: random.Random, order: _Order, now: datetime, *, until: str) -> None:
    """Collection, result and release times that follow the order, up to the step ``until``. An
    open order's steps fit in the time since it was made; a history order that would end after now
    is moved back whole."""
    low, high = WAITS[order.priority]
    scale = 0.3 if order.priority == OrderPriority.STAT else 1.0
    steps = [
        timedelta(minutes=rng.uniform(low, high)),
        timedelta(hours=order.exam.turnaround_hours * scale * rng.uniform(0.2, 1.0)),
        timedelta(minutes=rng.uniform(5, 180)),
    ]
    ends: list[datetime] = []
    for step in steps[: STEPS_UNTIL.get(until, 0)]:
        ends.append((ends[-1] if ends else order.ordered_at) + step)
    if ends and ends[-1] > now:
        if order.status in OPEN_ORDER:
            factor = (now - order.ordered_at) * rng.uniform(0.3, 0.95) / (ends[-1] - order.ordered_at)
            ends = [order.ordered_at + (end - order.ordered_at) * factor for end in ends]
        else:
            shift = ends[-1] - now + timedelta(minutes=rng.uniform(1, 20))
            order.ordered_at -= shift
            ends = [end - shift for end in ends]
    padded: list[datetime | None] = [*ends, None, None, None]
    order.collected_at, order.resulted_at, order.released_at = padded[0], padded[1], padded[2]


def _history(
    rng: random.Random, size: Size, catalog: _Catalog, patients: PatientIndex, clinic_ids: list[int], now: datetime
) -> list[_Order]:
    """The year's orders: the panel patient's, the closely followed patients', then the others'."""
    start = now - timedelta(days=HISTORY_DAYS)
    orders: list[_Order] = []

    def add(patient: int, exam: _Exam, at: datetime, clinic_id: int, *, chronic: bool) -> None:
        priority = _choose(rng, PRIORITIES)
        status = OrderStatus.CANCELLED if rng.random() < CANCELLED_SHARE and not chronic else OrderStatus.RELEASED
        order = _Order(at, patient, exam, clinic_id, status, priority, chronic=chronic)
        _times(rng, order, now, until=OrderStatus.RELEASED if status == OrderStatus.RELEASED else "")
        orders.append(order)

    def follow(patient: int, profile: list[_Exam], count: int) -> None:
        visits = -(-count // len(profile))
        for visit in range(visits):
            day = start + timedelta(days=HISTORY_DAYS * (visit + rng.uniform(0.1, 0.9)) / visits)
            # Mornings in Brazil (UTC-3).
            at = day.replace(hour=rng.randint(10, 14), minute=rng.randint(0, 59))
            for exam in profile[: count - visit * len(profile)]:
                add(patient, exam, at, patients.clinics[patient], chronic=True)

    panel = patients.index[panel_patient().pk]
    follow(panel, catalog.profiles[0], PANEL_ORDERS)
    chronic = rng.sample(range(len(patients.pks)), len(patients.pks) // CHRONIC_EVERY)
    for patient in chronic:
        if patient == panel:
            continue
        count = rng.randint(*CHRONIC_ORDERS)
        if len(orders) + count > size.exam_orders:
            break
        follow(patient, rng.choice(catalog.profiles), count)
    while len(orders) < size.exam_orders:
        patient = rng.randrange(len(patients.pks))
        if patient == panel:
            continue
        clinic_id = patients.clinics[patient] if rng.random() < 0.85 else rng.choice(clinic_ids)
        at = start + timedelta(seconds=rng.uniform(0, HISTORY_DAYS * 86400))
        for _ in range(1 if rng.random() < 0.6 else rng.randint(2, 4)):
            if len(orders) < size.exam_orders:
                add(patient, catalog.draw(rng), at, clinic_id, chronic=False)
    return orders


def _open(
    rng: random.Random, catalog: _Catalog, patients: PatientIndex, clinic_ids: list[int], now: datetime
) -> list[_Order]:
    """Today's worklists: every laboratory's and imaging unit's open orders of the last hours."""
    panel = patients.index[panel_patient().pk]
    orders = []
    for clinic_id in clinic_ids:
        near = [index for index in patients.of_clinic[clinic_id] if index != panel]
        for count, kind in ((OPEN_LAB_ORDERS, ExamKind.LAB), (OPEN_IMAGING_ORDERS, ExamKind.IMAGING)):
            for _ in range(count):
                exam = catalog.draw_lab(rng) if kind == ExamKind.LAB else rng.choice(catalog.imaging)
                priority = _choose(rng, OPEN_PRIORITIES)
                at = now - timedelta(hours=rng.uniform(0.05, OPEN_HOURS[priority]))
                status = _choose(rng, OPEN_STATUSES)
                order = _Order(at, rng.choice(near), exam, clinic_id, status, priority)
                _times(rng, order, now, until=status)
                orders.append(order)
    return orders


# Writing ----------------------------------------------------------------------------------------


def copy_rows(model: type[Model], columns: list[str], rows: Iterable[Row]) -> int:
    """COPY ``rows`` into ``model``'s table; where the ids are given, move its sequence past them."""
    table = model._meta.db_table
    written = 0
    with connection.cursor() as cursor:
        with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:  # type: ignore[attr-defined]
            for row in rows:
                copy.write_row(row)
                written += 1
        if "id" in columns:
            cursor.execute(f"SELECT setval(pg_get_serial_sequence(%s, 'id'), (SELECT max(id) FROM {table}))", [table])
    return written


@contextmanager
def bulk_load(*models: type[Model]) -> Iterator[None]:
    """Millions of rows in minutes: the foreign keys of ``models``' tables are dropped, and added back
    once the rows are in; Python's cycle collector rests meanwhile.

    A foreign key in place checks (and locks) the row it refers to for every row written, at commit:
    for the few million rows of ``1m`` that took longer than making and writing them. Adding the key
    back checks every row at once, in one join. The rows made here hold no reference cycles, so the
    cycle collector, which would walk the millions of objects again and again, has nothing to find.
    All of it happens in the step's transaction: a failure leaves the keys as they were.
    """
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint"
            " WHERE contype = 'f' AND conrelid = ANY(%s::regclass[]) ORDER BY 1, 2",
            [[model._meta.db_table for model in models]],
        )
        keys = cursor.fetchall()
        for table, name, _definition in keys:
            cursor.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
    with connection.cursor() as cursor:
        for table, name, definition in keys:
            cursor.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')


@dataclass(frozen=True)
class _People:
    units: dict[int, dict[str, int]]
    lab: dict[int, list[int]]
    doctors: dict[int, list[int]]


def _order_rows(orders: list[_Order], patients: PatientIndex, people: _People, stdout: TextIO) -> Iterator[Row]:
    rng = random.Random(SEED + 1)
    indications = [encrypt(text) for text in INDICATIONS]
    reports = [encrypt(text) for text in REPORTS]
    started = clock.perf_counter()
    for order in orders:
        done = order.status in (OrderStatus.RESULTED, OrderStatus.RELEASED)
        collector, releaser = people.lab[order.clinic_id][:2]
        order.ordered_by = rng.choice(people.doctors[order.clinic_id])
        kind = CareUnit.Kind.LABORATORY if order.exam.kind == ExamKind.LAB else CareUnit.Kind.IMAGING
        cancelled = order.status == OrderStatus.CANCELLED
        yield (
            order.pk,
            patients.pks[order.patient],
            order.exam.pk,
            order.clinic_id,
            people.units[order.clinic_id][kind],
            order.status,
            order.priority,
            PRIORITY_RANK[order.priority],  # type: ignore[index]
            OrderOrigin.CHART if order.priority == OrderPriority.ROUTINE else OrderOrigin.TRIAGE,
            rng.choice(indications) if rng.random() < 0.6 else "",
            order.ordered_at,
            order.ordered_by,
            order.collected_at,
            collector if order.collected_at else None,
            order.resulted_at,
            collector if done else None,
            order.released_at,
            releaser if order.released_at else None,
            rng.choice(reports) if done and order.exam.kind == ExamKind.IMAGING else "",
            order.ordered_at + timedelta(hours=rng.uniform(1, 30)) if cancelled else None,
            releaser if cancelled else None,
            CANCEL_REASON if cancelled else "",
        )
        if order.pk % PROGRESS_EVERY == 0 or order.pk == len(orders):
            elapsed = clock.perf_counter() - started
            stdout.write(f"    {order.pk:>9,} / {len(orders):,} orders  {elapsed:6.1f}s\n")
            stdout.flush()


def _value_rows(orders: list[_Order], patients: PatientIndex) -> Iterator[Row]:
    """A value for every analyte of each lab order with a result, drawn around the patient's range."""
    rng = random.Random(SEED + 2)
    # A patient followed closely sits off the middle of a range by an amount of their own.
    offsets: dict[tuple[int, int], float] = {}
    for order in orders:
        if order.resulted_at is None or order.exam.kind != ExamKind.LAB:
            continue
        patient = order.patient
        sex, age = patients.sexes[patient], patients.age(patient, order.resulted_at.date())
        for analyte in order.exam.analytes:
            reference, centre, spread = analyte.reference(sex, age)
            if order.chronic:
                key = (patient, analyte.pk)
                offset = offsets.get(key)
                if offset is None:
                    offset = offsets[key] = rng.gauss(0, 0.45)
            else:
                offset = rng.gauss(0, 0.25)
            value = centre + spread * (offset + rng.gauss(0, 0.2))
            if rng.random() < 0.03:
                value += spread * rng.choice((-1, 1)) * rng.uniform(0.5, 2.0)
            number = Decimal(f"{max(value, 10.0**-analyte.decimals):.{analyte.decimals}f}")
            yield (
                order.pk,
                analyte.pk,
                number,
                "",
                analyte.unit,
                flag_for(number, reference),
                reference.low if reference else None,
                reference.high if reference else None,
                patients.pks[patient],
            )


def _event_rows(orders: list[_Order], people: _People, now: datetime) -> Iterator[Row]:
    """The steps of the open orders and of those of the last EVENT_DAYS."""
    since = now - timedelta(days=EVENT_DAYS)
    for order in orders:
        if order.ordered_at < since and order.status not in OPEN_ORDER:
            continue
        lab = people.lab[order.clinic_id]
        yield (order.pk, "", OrderStatus.REQUESTED, order.ordered_at, order.ordered_by, "")
        if order.status == OrderStatus.CANCELLED:
            yield (order.pk, OrderStatus.REQUESTED, OrderStatus.CANCELLED, order.ordered_at, lab[1], CANCEL_REASON)
            continue
        steps = [
            (OrderStatus.REQUESTED, OrderStatus.COLLECTED, order.collected_at, lab[0]),
            (OrderStatus.COLLECTED, OrderStatus.RESULTED, order.resulted_at, lab[0]),
            (OrderStatus.RESULTED, OrderStatus.RELEASED, order.released_at, lab[1]),
        ]
        for from_status, to_status, at, by in steps:
            if at is not None:
                yield (order.pk, from_status, to_status, at, by, "")


@transaction.atomic
def load_exams(size: Size, stdout: TextIO) -> None:
    """The catalog, the units and their lab staff, a year of orders and today's worklists."""
    truncate_exam_orders()
    catalog_load()
    people = _People(
        units=units(),
        lab=staff_of_clinics(LAB_STAFF, roles.LAB, "Biomédico"),
        doctors=_doctors(),
    )
    clinic_ids = sorted(people.units)
    missing = [clinic_id for clinic_id in clinic_ids if not people.doctors.get(clinic_id)]
    if missing:
        raise RuntimeError(f"clinics {missing} have no practitioner to order exams")
    catalog = _Catalog()
    with bulk_load(ExamOrder, ResultValue, OrderEvent):
        started = clock.perf_counter()
        patients = PatientIndex()
        stdout.write(f"    read {len(patients.pks):,} patients ({clock.perf_counter() - started:.1f}s)\n")
        started = clock.perf_counter()
        now = timezone.now()
        rng = random.Random(SEED)
        orders = _history(rng, size, catalog, patients, clinic_ids, now)
        orders += _open(rng, catalog, patients, clinic_ids, now)
        orders.sort(key=lambda order: order.ordered_at)
        for pk, order in enumerate(orders, start=1):
            order.pk = pk
        chronic = len({order.patient for order in orders if order.chronic})
        elapsed = clock.perf_counter() - started
        stdout.write(f"    planned {len(orders):,} orders, {chronic:,} patients followed closely ({elapsed:.1f}s)\n")
        copy_rows(ExamOrder, ORDER_COLUMNS, _order_rows(orders, patients, people, stdout))
        started = clock.perf_counter()
        values = copy_rows(ResultValue, VALUE_COLUMNS, _value_rows(orders, patients))
        stdout.write(f"    {values:,} result values ({clock.perf_counter() - started:.1f}s)\n")
        started = clock.perf_counter()
        events = copy_rows(OrderEvent, EVENT_COLUMNS, _event_rows(orders, people, now))
        stdout.write(f"    {events:,} order events ({clock.perf_counter() - started:.1f}s)\n")
        started = clock.perf_counter()
    stdout.write(f"    foreign keys checked ({clock.perf_counter() - started:.1f}s)\n")
    statuses: dict[str, int] = defaultdict(int)
    for order in orders:
        statuses[order.status] += 1
    stdout.write(f"    orders by status {dict(sorted(statuses.items()))}\n")
