"""Benchmark wards and beds, and a year of admissions and bed stays that ends now.

1,500 beds at every size. Five of the twenty clinics are hospitals of 240 beds: a 60-bed medical
ward (the ward page's case), a surgical ward, an ICU, isolation, maternity, paediatrics, private
rooms and observation; the other fifteen have 20 beds each, in observation and a small ward. Rooms hold
one to four beds; some shared rooms take women or men only (maternity women only); beds carry
equipment, and single rooms, the ICU and isolation can isolate.

The year is simulated event by event, so the stays keep the rules the database enforces (one
patient per bed at a time, one open stay per admission, one open admission per patient) and the
rhythm of a ward: patients arrive per clinic and kind of ward at a rate that keeps about 82 % of
the beds occupied, get a free bed that fits them (the room's sex, isolation, equipment) or wait
for one (a day at most, then the request is cancelled), stay a log-normal length (most 2 to 7
days, a tail to 60; hours in observation), move on (ICU to the ward, observation to the ward, now
and then the ward to the ICU) or are discharged (home, transfer out, death, against advice); a
bed left goes to cleaning for a few hours, and beds are blocked for maintenance now and then. What
is under way now stays open: occupied beds with their stays, beds being cleaned, blocked beds with
their blocks; a few hundred requests wait for a bed, some with one reserved. Bed events are kept
for the last weeks only. Patients come from the generated ones (children for paediatrics, women
of child-bearing age for maternity), mostly from the clinic's own. Admissions, stays, blocks and
events go in with COPY, their ids given, in one transaction with the rest.
"""

from __future__ import annotations

import bisect
import functools
import heapq
import itertools
import math
import random
import time as clock
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, TextIO

from django.db import connection, transaction
from django.db.models import Model
from django.utils import timezone

from beds.models import (
    Admission,
    AdmissionSource,
    AdmissionStatus,
    Bed,
    BedBlock,
    BedEvent,
    BedState,
    BedStay,
    DischargeKind,
    Equipment,
    Priority,
    RoomSex,
    StayEnd,
    Ward,
    WardKind,
    WardRoom,
)
from beds.rules import room_sexes_for
from bench.sizes import Size
from clinic import demo as clinic_demo
from clinic.crypto import encrypt
from clinic.models import Clinic, Floor
from patients.models import Patient, PatientStatus, RiskColour, Sex
from staff import demo as staff_demo
from staff.models import User

SEED = 4_000_000
HOSPITALS = ("SP-PAU", "RJ-BOT", "MG-SAV", "BA-SSA", "PE-REC")
# The hospital and ward of the "60-bed ward" case, and its ward nurse (made by the demo's rota).
BOARD_CLINIC = "SP-PAU"
BOARD_WARD = "CM-1"
HISTORY_DAYS = 365
# The simulation starts with empty beds this long before the year, so the year starts full.
WARM_UP_DAYS = 60
EVENT_DAYS = 30
TARGET_OCCUPANCY = 0.86
MAX_WAIT_HOURS = 24.0
OPEN_REQUESTS = 300
RESERVATIONS = 25
BLOCKS_PER_BED_YEAR = 1.5

A = Equipment
FULL_ICU = (A.VENTILATOR, A.MONITOR, A.OXYGEN, A.INFUSION_PUMP)


@dataclass(frozen=True)
class _WardPlan:
    code: str
    name: str
    kind: str
    level: int
    rooms: tuple[int, ...]  # beds per room
    equipment: tuple[str, ...] = (A.OXYGEN,)
    # Every n-th bed of the ward also has the item.
    extra: tuple[tuple[str, int], ...] = ()
    # "alternate": shared rooms for women, men, anyone in turn; "female": every room; "any": none.
    sexes: str = "any"
    # "all", or "single": only the beds alone in their room.
    isolation: str = "single"


def _rooms(*groups: tuple[int, int]) -> tuple[int, ...]:
    """Room sizes from (rooms, beds each) groups."""
    return tuple(beds for count, beds in groups for _ in range(count))


HOSPITAL_WARDS = (
    _WardPlan(
        "CM-1",
        "Clínica médica 1",
        WardKind.GENERAL,
        3,
        _rooms((10, 4), (4, 3), (3, 2), (2, 1)),
        extra=((A.MONITOR, 4), (A.BARIATRIC, 30)),
        sexes="alternate",
    ),
    _WardPlan(
        "CC-2",
        "Clínica cirúrgica",
        WardKind.GENERAL,
        4,
        _rooms((8, 4), (4, 3), (3, 2)),
        extra=((A.MONITOR, 5), (A.INFUSION_PUMP, 4)),
        sexes="alternate",
    ),
    _WardPlan("ISO", "Isolamento", WardKind.ISOLATION, 4, _rooms((12, 1)), (A.OXYGEN, A.MONITOR), isolation="all"),
    _WardPlan("UTI", "UTI adulto", WardKind.ICU, 5, _rooms((20, 1)), FULL_ICU, isolation="all"),
    _WardPlan("MAT", "Maternidade", WardKind.MATERNITY, 6, _rooms((4, 3), (6, 2)), (A.OXYGEN, A.CRIB), sexes="female"),
    _WardPlan("PED", "Pediatria", WardKind.PAEDIATRICS, 6, _rooms((8, 2), (8, 1)), extra=((A.CRIB, 2), (A.MONITOR, 6))),
    _WardPlan("APT", "Apartamentos", WardKind.PRIVATE, 7, _rooms((20, 1), (5, 2)), extra=((A.MONITOR, 5),)),
    _WardPlan("OBS", "Observação", WardKind.OBSERVATION, 2, _rooms((5, 4)), extra=((A.MONITOR, 3),)),
)
CLINIC_WARDS = (
    _WardPlan("OBS", "Observação", WardKind.OBSERVATION, 2, _rooms((2, 4)), extra=((A.MONITOR, 3),)),
    _WardPlan("ENF", "Enfermaria", WardKind.GENERAL, 2, _rooms((2, 4), (2, 2)), sexes="alternate"),
)


def total_beds() -> int:
    hospital, clinic = (sum(sum(plan.rooms) for plan in plans) for plans in (HOSPITAL_WARDS, CLINIC_WARDS))
    return len(HOSPITALS) * hospital + (len(clinic_demo.CLINICS) - len(HOSPITALS)) * clinic


def ward_nurse_username(clinic_code: str) -> str:
    """The demo rota's first ward nurse of a clinic (``staff.demo.load_rota``)."""
    return f"enf.{clinic_code.lower()}.1"


# Lengths of stay in hours: the median and sigma of a log-normal, and the bounds it is cut to.
LENGTH_OF_STAY: dict[str, tuple[float, float, float, float]] = {
    WardKind.GENERAL: (4.5 * 24, 0.7, 12, 60 * 24),
    WardKind.PRIVATE: (4 * 24, 0.7, 12, 60 * 24),
    WardKind.ICU: (3 * 24, 0.8, 12, 45 * 24),
    WardKind.ISOLATION: (7 * 24, 0.6, 24, 60 * 24),
    WardKind.MATERNITY: (2.2 * 24, 0.35, 18, 10 * 24),
    WardKind.PAEDIATRICS: (3 * 24, 0.6, 12, 30 * 24),
    WardKind.OBSERVATION: (24, 0.5, 6, 72),
}
# Where a stay may lead to, and how often (observation's share is capped by the ward's room).
TRANSFERS: dict[str, tuple[str, float]] = {
    WardKind.ICU: (WardKind.GENERAL, 0.6),
    WardKind.ISOLATION: (WardKind.GENERAL, 0.2),
    WardKind.OBSERVATION: (WardKind.GENERAL, 0.25),
    WardKind.GENERAL: (WardKind.ICU, 0.02),
}


@functools.cache
def _discharge_note(kind: str) -> str:
    """How the bed's history names a discharge (as ``beds.services.admission_discharge`` writes it)."""
    return str(DischargeKind(kind).label)


class _Choice:
    """A weighted choice among a few items, drawn with one random number."""

    def __init__(self, *weighted: tuple[str, float]) -> None:
        self.items = [item for item, _weight in weighted]
        self.bounds = list(itertools.accumulate(weight for _item, weight in weighted))

    def draw(self, rng: random.Random) -> str:
        return self.items[bisect.bisect(self.bounds, rng.random() * self.bounds[-1])]


D = DischargeKind
DISCHARGES: dict[str, _Choice] = {
    WardKind.ICU: _Choice((D.HOME, 0.82), (D.DEATH, 0.12), (D.TRANSFER_OUT, 0.05), (D.AGAINST_ADVICE, 0.01)),
    WardKind.OBSERVATION: _Choice((D.HOME, 0.915), (D.TRANSFER_OUT, 0.05), (D.AGAINST_ADVICE, 0.03), (D.DEATH, 0.005)),
    WardKind.MATERNITY: _Choice((D.HOME, 0.978), (D.TRANSFER_OUT, 0.01), (D.AGAINST_ADVICE, 0.01), (D.DEATH, 0.002)),
    WardKind.PAEDIATRICS: _Choice((D.HOME, 0.978), (D.TRANSFER_OUT, 0.01), (D.AGAINST_ADVICE, 0.01), (D.DEATH, 0.002)),
}
DEFAULT_DISCHARGES = _Choice((D.HOME, 0.92), (D.DEATH, 0.03), (D.TRANSFER_OUT, 0.03), (D.AGAINST_ADVICE, 0.02))
SOURCES = _Choice((AdmissionSource.DOCTOR, 0.5), (AdmissionSource.TRIAGE, 0.45), (AdmissionSource.TRANSFER_IN, 0.05))
# Patients triage sends to a bed are rarely blue (non-urgent).
TRIAGE_COLOURS = (RiskColour.RED, RiskColour.ORANGE, RiskColour.YELLOW, RiskColour.GREEN)
PRIORITIES = _Choice((Priority.ROUTINE, 0.5), (Priority.URGENT, 0.35), (Priority.EMERGENCY, 0.15))
REASONS: dict[str, tuple[str, ...]] = {
    WardKind.GENERAL: (
        "Pneumonia adquirida na comunidade",
        "Insuficiência cardíaca descompensada",
        "Pós-operatório de colecistectomia",
        "Celulite em membro inferior",
        "Pielonefrite aguda",
        "DPOC exacerbada",
        "Diabetes descompensado",
    ),
    WardKind.PRIVATE: ("Pós-operatório de artroplastia de joelho", "Investigação de síncope", "Pneumonia"),
    WardKind.ICU: ("Choque séptico", "Infarto agudo do miocárdio", "AVC isquêmico", "Insuficiência respiratória"),
    WardKind.ISOLATION: ("Tuberculose pulmonar bacilífera", "Influenza com necessidade de isolamento", "Varicela"),
    WardKind.MATERNITY: ("Trabalho de parto", "Pós-parto cesáreo", "Pré-eclâmpsia"),
    WardKind.PAEDIATRICS: ("Bronquiolite", "Gastroenterite com desidratação", "Pneumonia"),
    WardKind.OBSERVATION: ("Dor torácica a esclarecer", "Crise asmática", "Dor abdominal", "Cólica renal"),
}
BLOCK_REASONS = (
    "Manutenção do leito",
    "Troca de colchão",
    "Reparo elétrico",
    "Pintura do quarto",
    "Manutenção do ar-condicionado",
)
# Open requests: which kinds of ward are asked for, hospitals and clinics.
HOSPITAL_REQUESTS = _Choice(
    (WardKind.GENERAL, 0.45),
    (WardKind.ICU, 0.15),
    (WardKind.OBSERVATION, 0.1),
    (WardKind.PAEDIATRICS, 0.08),
    (WardKind.MATERNITY, 0.08),
    (WardKind.ISOLATION, 0.06),
    (WardKind.PRIVATE, 0.08),
)
CLINIC_REQUESTS = _Choice((WardKind.OBSERVATION, 0.4), (WardKind.GENERAL, 0.6))


# Done? ------------------------------------------------------------------------------------------


def beds_done(size: Size) -> bool:
    nurses = [ward_nurse_username(code) for code in HOSPITALS]
    return (
        Bed.objects.count() == total_beds()
        and BedStay.objects.filter(ended_at__isnull=True).exists()
        and Admission.objects.filter(status=AdmissionStatus.REQUESTED).exists()
        and User.objects.filter(username__in=nurses).count() == len(nurses)
    )


def _history_table(model: type[Model]) -> str:
    return str(model.history.model._meta.db_table)  # type: ignore[attr-defined]


def truncate_beds() -> None:
    """Remove every ward, bed and admission, and their history; the patients they admitted are
    outpatients again."""
    models: list[type[Model]] = [BedEvent, BedBlock, BedStay, Bed, Admission, WardRoom, Ward]
    tables = [model._meta.db_table for model in models]
    tables += [_history_table(model) for model in (Bed, Admission, WardRoom, Ward)]
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE")
    Patient.objects.filter(status=PatientStatus.ADMITTED).update(status=PatientStatus.OUTPATIENT)


# The network's wards and beds -------------------------------------------------------------------


@dataclass
class _Bed:
    """A bed as the simulation sees it; ``model`` is saved once the simulation has set its state."""

    model: Bed
    clinic_id: int
    kind: str
    room_sex: str
    isolation: bool
    equipment: frozenset[str]
    state: str = BedState.AVAILABLE
    changed_at: float = 0.0
    block: _Block | None = None
    reserved_for: _Admission | None = None
    reserved_until: float = 0.0
    # Maintenance asked for while the bed was in use: it is blocked as soon as it is clean.
    maintenance_due: bool = False
    label: str = ""

    @property
    def pk(self) -> int:
        return self.model.pk

    def fits(self, admission: _Admission) -> bool:
        return (
            self.room_sex in room_sexes_for(admission.sex)
            and (self.isolation or not admission.needs_isolation)
            and admission.equipment <= self.equipment
        )


def _floors(clinic: Clinic, levels: Iterable[int]) -> dict[int, Floor]:
    floors = {}
    for level in sorted(set(levels)):
        floors[level] = Floor.objects.get_or_create(
            clinic=clinic, level=level, defaults={"name": "Térreo" if level == 0 else f"{level}º andar"}
        )[0]
    return floors


def _room_sex(plan: _WardPlan, room_index: int, size: int) -> str:
    if plan.sexes == "female":
        return RoomSex.FEMALE
    if plan.sexes == "alternate" and size > 1:
        return (RoomSex.FEMALE, RoomSex.MALE, RoomSex.ANY)[room_index % 3]
    return RoomSex.ANY


def _build_network(since: datetime) -> tuple[list[_Bed], dict[int, Floor]]:
    """Floors, wards and rooms of every clinic and their beds, unsaved, as the simulation's beds;
    and each clinic's ground floor."""
    clinics = list(Clinic.objects.order_by("code"))
    plans_of = {clinic.pk: HOSPITAL_WARDS if clinic.code in HOSPITALS else CLINIC_WARDS for clinic in clinics}
    floors = {clinic.pk: _floors(clinic, [0, *(plan.level for plan in plans_of[clinic.pk])]) for clinic in clinics}
    wards = Ward.objects.bulk_create(
        Ward(clinic=clinic, floor=floors[clinic.pk][plan.level], code=plan.code, name=plan.name, kind=plan.kind)
        for clinic in clinics
        for plan in plans_of[clinic.pk]
    )
    plans = [plan for clinic in clinics for plan in plans_of[clinic.pk]]
    rooms: list[WardRoom] = []
    sizes: list[tuple[_WardPlan, int]] = []
    # Rooms are numbered along each floor, the wards of a floor one after the other: 301, 302...
    on_floor: dict[tuple[int, int], int] = defaultdict(int)
    for ward, plan in zip(wards, plans, strict=True):
        for index, size in enumerate(plan.rooms):
            on_floor[ward.clinic_id, plan.level] += 1
            number = plan.level * 100 + on_floor[ward.clinic_id, plan.level]
            rooms.append(WardRoom(ward=ward, code=str(number), sex=_room_sex(plan, index, size)))
            sizes.append((plan, size))
    WardRoom.objects.bulk_create(rooms)
    beds: list[Bed] = []
    counters: dict[int, int] = defaultdict(int)
    for room, (plan, size) in zip(rooms, sizes, strict=True):
        for letter in "ABCD"[:size]:
            number = counters[room.ward.pk]
            counters[room.ward.pk] += 1
            equipment = {*plan.equipment, *(item for item, every in plan.extra if number % every == every - 1)}
            isolation = plan.isolation == "all" or (plan.isolation == "single" and size == 1)
            beds.append(
                Bed(
                    room=room,
                    code=f"{room.code}-{letter}",
                    isolation_capable=isolation,
                    equipment=sorted(equipment),
                    in_service_since=since,
                    changed_at=since,
                )
            )
    simulated = [
        _Bed(
            model=bed,
            clinic_id=bed.room.ward.clinic_id,
            kind=bed.room.ward.kind,
            room_sex=bed.room.sex,
            isolation=bed.isolation_capable,
            equipment=frozenset(bed.equipment),
            label=f"{bed.room.ward.code} {bed.code}",
        )
        for bed in beds
    ]
    return simulated, {clinic.pk: floors[clinic.pk][0] for clinic in clinics}


# Patients ---------------------------------------------------------------------------------------

CHILD_YEARS = 14
MOTHER_YEARS = (16, 45)


def _years_before(day: date, years: int) -> date:
    return day.replace(year=day.year - years, day=28 if (day.month, day.day) == (2, 29) else day.day)


class _Patients:
    """The generated patients by home clinic and group (girls, boys, mothers-to-be, women, men).

    ``open`` holds the patients with an open admission: none is drawn for a second one.
    """

    GROUPS = {"child:F": Sex.FEMALE, "child:M": Sex.MALE, "mother": Sex.FEMALE, "F": Sex.FEMALE, "M": Sex.MALE}

    def __init__(self, today: date) -> None:
        child_born_after = _years_before(today, CHILD_YEARS)
        mothers_born = (_years_before(today, MOTHER_YEARS[1]), _years_before(today, MOTHER_YEARS[0]))
        self.pools: dict[tuple[int | None, str], list[int]] = defaultdict(list)
        self.open: set[int] = set()
        rows = Patient.objects.order_by("pk").values_list("pk", "home_clinic_id", "sex", "birth_date")
        for pk, clinic_id, sex, born in rows.iterator(chunk_size=50_000):
            if sex not in (Sex.FEMALE, Sex.MALE):
                continue  # rooms for one sex aside, any bed would do; the benchmark leaves them out
            if born > child_born_after:
                groups = [f"child:{sex}"]
            elif sex == Sex.FEMALE and mothers_born[0] <= born <= mothers_born[1]:
                groups = ["mother", "F"]
            else:
                groups = [sex]
            for group in groups:
                self.pools[clinic_id, group].append(pk)
                self.pools[None, group].append(pk)

    def draw(self, rng: random.Random, clinic_id: int, kind: str) -> tuple[int, str] | None:
        """A free patient (and their sex) for a bed of ``kind``: four in five from the clinic's own."""
        if kind == WardKind.PAEDIATRICS:
            group = "child:F" if rng.random() < 0.48 else "child:M"
        elif kind == WardKind.MATERNITY:
            group = "mother"
        else:
            group = "F" if rng.random() < 0.52 else "M"
        for _attempt in range(30):
            pool = self.pools.get((clinic_id if rng.random() < 0.8 else None, group))
            if not pool:
                continue
            pk = rng.choice(pool)
            if pk not in self.open:
                self.open.add(pk)
                return pk, self.GROUPS[group]
        return None


# The simulation ---------------------------------------------------------------------------------


@dataclass(eq=False)
class _Admission:
    pk: int
    patient_id: int
    sex: str
    clinic_id: int
    kind: str
    source: str
    priority: str
    risk: str
    requested_at: float
    needs_isolation: bool
    equipment: frozenset[str]
    reason: str
    status: str = AdmissionStatus.REQUESTED
    admitted_at: float | None = None
    discharged_at: float | None = None
    discharge_kind: str = ""
    cancelled_reason: str = ""


@dataclass(eq=False)
class _Stay:
    pk: int
    admission: _Admission
    bed: _Bed
    started_at: float
    ended_at: float | None = None
    end_reason: str = ""
    retries: int = 0


@dataclass(eq=False)
class _Block:
    pk: int
    bed: _Bed
    reason: str
    started_at: float
    ended_at: float | None = None


# bed, kind, from state, to state, admission, note, at
EventRow = tuple[_Bed, str, str, str, int | None, str, float]


@dataclass
class _Simulation:
    """The network's beds over time, in hours from the start; it stops at ``now``."""

    rng: random.Random
    beds: list[_Bed]
    patients: _Patients
    now: float
    # The share of the stays of (clinic, kind of ward) that move on to the next ward (TRANSFERS).
    transfer_shares: dict[tuple[int, str], float]
    admissions: list[_Admission] = field(default_factory=list)
    stays: list[_Stay] = field(default_factory=list)
    blocks: list[_Block] = field(default_factory=list)
    events: list[EventRow] = field(default_factory=list)
    waiting: dict[tuple[int, str], list[_Admission]] = field(default_factory=lambda: defaultdict(list))
    by_ward: dict[tuple[int, str], list[_Bed]] = field(default_factory=lambda: defaultdict(list))
    heap: list[tuple[float, int, str, Any]] = field(default_factory=list)
    sequence: int = 0

    def __post_init__(self) -> None:
        for bed in self.beds:
            self.by_ward[bed.clinic_id, bed.kind].append(bed)

    def schedule(self, at: float, kind: str, subject: Any) -> None:
        self.sequence += 1
        heapq.heappush(self.heap, (at, self.sequence, kind, subject))

    def run(self) -> None:
        handlers: dict[str, Callable[[float, Any], None]] = {
            "arrival": self.arrival,
            "stay_end": self.stay_end,
            "cleaned": self.cleaned,
            "block": self.block_start,
            "unblock": self.block_end,
        }
        while self.heap and self.heap[0][0] <= self.now:
            at, _sequence, kind, subject = heapq.heappop(self.heap)
            handlers[kind](at, subject)

    # Beds

    def move(self, bed: _Bed, state: str, kind: str, at: float, admission: _Admission | None, note: str = "") -> None:
        if at >= self.now - EVENT_DAYS * 24:
            self.events.append((bed, kind, bed.state, state, admission.pk if admission else None, note, at))
        bed.state, bed.changed_at = state, at

    def free_beds(self, clinic_id: int, kind: str, admission: _Admission, *, needs: bool = True) -> list[_Bed]:
        """The available beds of a ward kind that fit ``admission``; ``needs=False``: only the room's sex counts."""
        return [
            bed
            for bed in self.by_ward.get((clinic_id, kind), [])
            if bed.state == BedState.AVAILABLE
            and (bed.fits(admission) if needs else bed.room_sex in room_sexes_for(admission.sex))
        ]

    def length_of_stay(self, kind: str) -> float:
        median, sigma, shortest, longest = LENGTH_OF_STAY[kind]
        return min(longest, max(shortest, self.rng.lognormvariate(math.log(median), sigma)))

    def open_stay(self, bed: _Bed, admission: _Admission, at: float, event: str, note: str = "") -> None:
        stay = _Stay(pk=len(self.stays) + 1, admission=admission, bed=bed, started_at=at)
        self.stays.append(stay)
        self.move(bed, BedState.OCCUPIED, event, at, admission, note)
        self.schedule(at + self.length_of_stay(bed.kind), "stay_end", stay)

    def leave_bed(self, stay: _Stay, at: float, reason: str, event: str, note: str) -> None:
        stay.ended_at, stay.end_reason = at, reason
        self.move(stay.bed, BedState.CLEANING, event, at, stay.admission, note)
        self.schedule(at + self.rng.uniform(1, 3), "cleaned", stay.bed)

    # Admissions

    def new_admission(self, clinic_id: int, kind: str, *, requested_at: float) -> _Admission | None:
        drawn = self.patients.draw(self.rng, clinic_id, kind)
        if drawn is None:
            return None
        patient_id, sex = drawn
        rng = self.rng
        source = SOURCES.draw(rng)
        equipment: set[str] = set()
        if kind == WardKind.ICU:
            equipment.add(A.VENTILATOR if rng.random() < 0.4 else A.MONITOR)
        elif kind in (WardKind.GENERAL, WardKind.OBSERVATION) and rng.random() < 0.35:
            equipment.add(A.OXYGEN)
        elif kind == WardKind.PAEDIATRICS and rng.random() < 0.3:
            equipment.add(A.CRIB)
        admission = _Admission(
            pk=len(self.admissions) + 1,
            patient_id=patient_id,
            sex=sex,
            clinic_id=clinic_id,
            kind=kind,
            source=source,
            priority=PRIORITIES.draw(rng),
            risk=rng.choice(TRIAGE_COLOURS) if source == AdmissionSource.TRIAGE else "",
            requested_at=requested_at,
            needs_isolation=kind == WardKind.ISOLATION or (kind == WardKind.ICU and rng.random() < 0.15),
            equipment=frozenset(equipment),
            reason=rng.choice(REASONS[kind]),
        )
        self.admissions.append(admission)
        return admission

    def admit(self, admission: _Admission, bed: _Bed, at: float) -> None:
        admission.status, admission.admitted_at = AdmissionStatus.ADMITTED, at
        self.open_stay(bed, admission, at, BedEvent.Kind.ADMITTED)

    def cancel(self, admission: _Admission) -> None:
        admission.status = AdmissionStatus.CANCELLED
        admission.cancelled_reason = "Sem leito disponível; encaminhado a outro serviço"
        self.patients.open.discard(admission.patient_id)

    # Events

    def arrival(self, at: float, stream: tuple[int, str, float]) -> None:
        clinic_id, kind, rate = stream
        self.schedule(at + self.rng.expovariate(rate), "arrival", stream)
        admission = self.new_admission(clinic_id, kind, requested_at=at - self.rng.uniform(0.2, 4))
        if admission is None:
            return  # every patient who could come is in already: nobody arrives
        free = self.free_beds(clinic_id, kind, admission)
        if free:
            self.admit(admission, self.rng.choice(free), at)
        else:
            self.waiting[clinic_id, kind].append(admission)

    def stay_end(self, at: float, stay: _Stay) -> None:
        admission, bed = stay.admission, stay.bed
        target = TRANSFERS.get(bed.kind)
        if target and self.rng.random() < self.transfer_shares.get((bed.clinic_id, bed.kind), 0.0):
            free = self.free_beds(bed.clinic_id, target[0], admission, needs=False)
            if free:
                new_bed = self.rng.choice(free)
                self.leave_bed(
                    stay, at, StayEnd.TRANSFER, BedEvent.Kind.TRANSFERRED_OUT, f"Para o leito {new_bed.label}"
                )
                # What the patient needs now is what the new bed has.
                admission.kind = new_bed.kind
                admission.needs_isolation = admission.needs_isolation and new_bed.isolation
                admission.equipment = admission.equipment & new_bed.equipment
                self.open_stay(new_bed, admission, at, BedEvent.Kind.TRANSFERRED_IN, f"Do leito {bed.label}")
                return
            if stay.retries < 3:
                # No bed there yet: the patient stays a few hours more where they are.
                stay.retries += 1
                self.schedule(at + 6, "stay_end", stay)
                return
        kind = DISCHARGES.get(bed.kind, DEFAULT_DISCHARGES).draw(self.rng)
        admission.status, admission.discharged_at, admission.discharge_kind = AdmissionStatus.DISCHARGED, at, kind
        self.leave_bed(stay, at, StayEnd.DISCHARGE, BedEvent.Kind.DISCHARGED, _discharge_note(kind))
        self.patients.open.discard(admission.patient_id)

    def cleaned(self, at: float, bed: _Bed) -> None:
        self.move(bed, BedState.AVAILABLE, BedEvent.Kind.CLEANED, at, None)
        if bed.maintenance_due:
            self.block_start(at, bed)
        else:
            self.serve_queue(bed, at)

    def serve_queue(self, bed: _Bed, at: float) -> None:
        """The bed is free: the first patient waiting for it who fits takes it; those who waited too long give up."""
        queue = self.waiting.get((bed.clinic_id, bed.kind))
        for admission in list(queue or []):
            if at - admission.requested_at > MAX_WAIT_HOURS:
                queue.remove(admission)  # type: ignore[union-attr]
                self.cancel(admission)
            elif bed.state == BedState.AVAILABLE and bed.fits(admission):
                queue.remove(admission)  # type: ignore[union-attr]
                self.admit(admission, bed, at)

    def block_start(self, at: float, bed: _Bed) -> None:
        if bed.state != BedState.AVAILABLE:
            bed.maintenance_due = bed.state != BedState.BLOCKED
            return
        bed.maintenance_due = False
        roll = self.rng.random()
        days = self.rng.uniform(*((1, 3) if roll < 0.7 else (3, 10) if roll < 0.95 else (10, 30)))
        block = _Block(pk=len(self.blocks) + 1, bed=bed, reason=self.rng.choice(BLOCK_REASONS), started_at=at)
        self.blocks.append(block)
        bed.block = block
        self.move(bed, BedState.BLOCKED, BedEvent.Kind.BLOCKED, at, None, block.reason)
        self.schedule(at + days * 24, "unblock", block)

    def block_end(self, at: float, block: _Block) -> None:
        block.ended_at = at
        block.bed.block = None
        self.move(block.bed, BedState.AVAILABLE, BedEvent.Kind.UNBLOCKED, at, None)
        self.serve_queue(block.bed, at)

    # Now

    def finish(self, *, open_requests: int, reservations: int) -> None:
        """Requests waiting too long are cancelled; new ones come in up to ``open_requests``, and
        some of the hospitals' get a fitting free bed reserved."""
        for queue in self.waiting.values():
            for admission in queue:
                if self.now - admission.requested_at > MAX_WAIT_HOURS:
                    self.cancel(admission)
        requested = [a for a in self.admissions if a.status == AdmissionStatus.REQUESTED]
        clinics = sorted({clinic_id for clinic_id, _kind in self.by_ward})
        hospitals = {clinic_id for clinic_id, kind in self.by_ward if kind == WardKind.ICU}
        while len(requested) < open_requests:
            # Three requests in five are for a hospital.
            pool = sorted(hospitals) if self.rng.random() < 0.6 else clinics
            clinic_id = self.rng.choice(pool)
            kind = (HOSPITAL_REQUESTS if clinic_id in hospitals else CLINIC_REQUESTS).draw(self.rng)
            new = self.new_admission(clinic_id, kind, requested_at=self.now - self.rng.uniform(0.2, MAX_WAIT_HOURS))
            if new is not None:
                requested.append(new)
        self.rng.shuffle(requested)
        reserved = 0
        for admission in requested:
            if reserved == reservations:
                break
            free = (
                self.free_beds(admission.clinic_id, admission.kind, admission)
                if admission.clinic_id in hospitals
                else []
            )
            if free:
                bed = self.rng.choice(free)
                bed.reserved_for, bed.reserved_until = admission, self.now + self.rng.uniform(1, 12)
                # Reserved since the bed was free and the request made, whichever came last.
                since = max(bed.changed_at, admission.requested_at)
                self.move(bed, BedState.RESERVED, BedEvent.Kind.RESERVED, self.rng.uniform(since, self.now), admission)
                reserved += 1

    def occupancy(self, since: float) -> float:
        """Patient-hours over available bed-hours (blocked beds are not available) since ``since``."""

        def inside(start: float, end: float | None) -> float:
            return max(0.0, min(self.now, end if end is not None else self.now) - max(since, start))

        occupied = sum(inside(stay.started_at, stay.ended_at) for stay in self.stays)
        blocked = sum(inside(block.started_at, block.ended_at) for block in self.blocks)
        return occupied / (len(self.beds) * (self.now - since) - blocked)


def _arrival_rates(beds: list[_Bed]) -> tuple[dict[tuple[int, str], float], dict[tuple[int, str], float]]:
    """Arrivals per hour from outside for each (clinic, kind of ward), and the share of each ward's
    stays that move on, so that every ward is about TARGET_OCCUPANCY full: a ward receives what it
    would hold at that occupancy, less what other wards send it."""
    counts: dict[tuple[int, str], int] = defaultdict(int)
    for bed in beds:
        counts[bed.clinic_id, bed.kind] += 1

    def load(clinic_id: int, kind: str) -> float:
        median, sigma, _shortest, _longest = LENGTH_OF_STAY[kind]
        return TARGET_OCCUPANCY * counts.get((clinic_id, kind), 0) / (median * math.exp(sigma**2 / 2))

    rates: dict[tuple[int, str], float] = {}
    shares: dict[tuple[int, str], float] = {}
    for clinic_id, kind in counts:
        rates[clinic_id, kind] = load(clinic_id, kind)
        target = TRANSFERS.get(kind)
        if target and (clinic_id, target[0]) in counts:
            # A ward sends the next one at most half of what that one holds.
            shares[clinic_id, kind] = min(target[1], 0.5 * load(clinic_id, target[0]) / load(clinic_id, kind))
    for (clinic_id, kind), share in shares.items():
        receiving = (clinic_id, TRANSFERS[kind][0])
        rates[receiving] -= share * load(clinic_id, kind)
    return {key: max(rate, 0.15 * load(*key)) for key, rate in rates.items()}, shares


# Loading ----------------------------------------------------------------------------------------

ADMISSION_COLUMNS = [
    "id",
    "patient_id",
    "clinic_id",
    "status",
    "source",
    "ward_kind",
    "needs_isolation",
    "equipment",
    "priority",
    "risk",
    "origin_floor_id",
    "reason",
    "requested_at",
    "requested_by_id",
    "admitted_at",
    "admitted_by_id",
    "discharged_at",
    "discharged_by_id",
    "discharge_kind",
    "discharge_notes",
    "cancelled_reason",
]
STAY_COLUMNS = ["id", "admission_id", "bed_id", "started_at", "ended_at", "end_reason", "started_by_id", "ended_by_id"]
BLOCK_COLUMNS = ["id", "bed_id", "reason", "started_at", "ended_at", "started_by_id", "ended_by_id"]
EVENT_COLUMNS = ["bed_id", "kind", "from_state", "to_state", "admission_id", "note", "at", "by_id"]


def _copy(model: type[Model], columns: list[str], rows: Iterable[tuple[Any, ...]]) -> None:
    table = model._meta.db_table
    with connection.cursor() as cursor:
        with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:  # type: ignore[attr-defined]
            for row in rows:
                copy.write_row(row)
        if "id" in columns:
            # The ids were given: the next one the sequence hands out must come after them.
            cursor.execute(f"SELECT setval(pg_get_serial_sequence(%s, 'id'), (SELECT max(id) FROM {table}))", [table])


def _staff_by_clinic(username: str) -> dict[int, int]:
    """The user of each clinic named ``username`` with the clinic's code in it (lower case)."""
    users = dict(User.objects.values_list("username", "pk"))
    return {
        pk: users[username.format(code=code.lower())]
        for pk, code in Clinic.objects.values_list("pk", "code")
        if username.format(code=code.lower()) in users
    }


def _write(simulation: _Simulation, start: datetime, ground_floors: dict[int, Floor]) -> None:
    def at(hours: float) -> datetime:
        return start + timedelta(hours=hours)

    def maybe_at(hours: float | None) -> datetime | None:
        return None if hours is None else at(hours)

    nurses = _staff_by_clinic("enf.{code}.1")
    doctors = _staff_by_clinic("prof.{code}.1")
    # One token per reason: the same text encrypted once serves every admission that gives it.
    reasons = {text: encrypt(text) for texts in REASONS.values() for text in texts}

    def admission_rows() -> Iterable[tuple[Any, ...]]:
        for a in simulation.admissions:
            nurse = nurses.get(a.clinic_id)
            open_request = a.status == AdmissionStatus.REQUESTED
            yield (
                a.pk,
                a.patient_id,
                a.clinic_id,
                a.status,
                a.source,
                a.kind,
                a.needs_isolation,
                sorted(a.equipment),
                a.priority,
                a.risk,
                ground_floors[a.clinic_id].pk if open_request else None,
                reasons[a.reason],
                at(a.requested_at),
                doctors.get(a.clinic_id),
                maybe_at(a.admitted_at),
                nurse if a.admitted_at is not None else None,
                maybe_at(a.discharged_at),
                nurse if a.discharged_at is not None else None,
                a.discharge_kind,
                "",
                a.cancelled_reason,
            )

    def stay_rows() -> Iterable[tuple[Any, ...]]:
        for s in simulation.stays:
            nurse = nurses.get(s.bed.clinic_id)
            ended_by = nurse if s.ended_at is not None else None
            yield (
                s.pk,
                s.admission.pk,
                s.bed.pk,
                at(s.started_at),
                maybe_at(s.ended_at),
                s.end_reason,
                nurse,
                ended_by,
            )

    def block_rows() -> Iterable[tuple[Any, ...]]:
        for b in simulation.blocks:
            nurse = nurses.get(b.bed.clinic_id)
            ended_by = nurse if b.ended_at is not None else None
            yield (b.pk, b.bed.pk, b.reason, at(b.started_at), maybe_at(b.ended_at), nurse, ended_by)

    def event_rows() -> Iterable[tuple[Any, ...]]:
        for bed, kind, from_state, to_state, admission_pk, note, hours in simulation.events:
            yield (bed.pk, kind, from_state, to_state, admission_pk, note[:200], at(hours), nurses.get(bed.clinic_id))

    for bed in simulation.beds:
        reserved = bed.reserved_for
        bed.model.state = bed.state
        bed.model.changed_at = at(bed.changed_at)
        bed.model.reserved_for_id = reserved.pk if reserved else None
        bed.model.reserved_until = at(bed.reserved_until) if reserved else None
        bed.model.blocked_reason = bed.block.reason if bed.block else ""
    # The reservations refer to admissions written next: foreign keys are checked at commit.
    Bed.objects.bulk_create([bed.model for bed in simulation.beds], batch_size=500)
    _copy(Admission, ADMISSION_COLUMNS, admission_rows())
    _copy(BedStay, STAY_COLUMNS, stay_rows())
    _copy(BedBlock, BLOCK_COLUMNS, block_rows())
    _copy(BedEvent, EVENT_COLUMNS, event_rows())
    admitted = [a.patient_id for a in simulation.admissions if a.status == AdmissionStatus.ADMITTED]
    Patient.objects.filter(pk__in=admitted).update(status=PatientStatus.ADMITTED)


@transaction.atomic
def load_beds(size: Size, stdout: TextIO) -> None:
    """The wards and beds of the network and a year of their use, ending now."""
    truncate_beds()
    # The ward nurses of the demo's rota (an older benchmark database may predate it).
    staff_demo.load_rota(stdout)
    now = timezone.now()
    simulated_hours = (HISTORY_DAYS + WARM_UP_DAYS) * 24.0
    start = now - timedelta(hours=simulated_hours)
    beds, ground_floors = _build_network(start - timedelta(days=1))
    started = clock.perf_counter()
    patients = _Patients(timezone.localdate(now))
    rng = random.Random(SEED)
    rates, shares = _arrival_rates(beds)
    simulation = _Simulation(rng=rng, beds=beds, patients=patients, now=simulated_hours, transfer_shares=shares)
    for (clinic_id, kind), rate in sorted(rates.items()):
        simulation.schedule(rng.expovariate(rate), "arrival", (clinic_id, kind, rate))
    for bed in beds:
        attempt = rng.expovariate(BLOCKS_PER_BED_YEAR / (365 * 24))
        while attempt < simulated_hours:
            simulation.schedule(attempt, "block", bed)
            attempt += rng.expovariate(BLOCKS_PER_BED_YEAR / (365 * 24))
    simulation.run()
    simulation.finish(open_requests=OPEN_REQUESTS, reservations=RESERVATIONS)
    stdout.write(f"    simulated {len(simulation.admissions):,} admissions ({clock.perf_counter() - started:.1f}s)\n")
    started = clock.perf_counter()
    _write(simulation, start, ground_floors)
    states: dict[str, int] = defaultdict(int)
    for bed in beds:
        states[str(bed.state)] += 1
    statuses: dict[str, int] = defaultdict(int)
    for admission in simulation.admissions:
        statuses[str(admission.status)] += 1
    transfers = sum(1 for stay in simulation.stays if stay.end_reason == StayEnd.TRANSFER)
    elapsed = clock.perf_counter() - started
    stdout.write(
        f"    {len(beds):,} beds in {Ward.objects.count()} wards: {dict(sorted(states.items()))}\n"
        f"    admissions {dict(sorted(statuses.items()))}; {len(simulation.stays):,} stays, {transfers:,} transfers, "
        f"{len(simulation.blocks):,} blocks, {len(simulation.events):,} events written in {elapsed:.1f}s\n"
        f"    occupancy over the year {simulation.occupancy(simulated_hours - HISTORY_DAYS * 24):.1%}, "
        f"now {states[BedState.OCCUPIED] / len(beds):.1%}\n"
    )
