"""Demo wards and beds, with 60 days of admissions.

Every demo clinic gets wards on its floors: the hospitals a full set (observation, general ward, ICU,
isolation, maternity, paediatrics), the mid-sized clinics observation and a general ward, the small
ones an observation ward only. The history is a simulation run in time order: patients arrive at each
ward at a rate that keeps it about three-quarters full and are admitted to a free bed that fits them;
some move (observation to the ward, the ward to the ICU, the ICU back to the ward); they leave home,
to another hospital, against advice or by death; the beds they leave go to cleaning and come back,
and now and then one is blocked for maintenance. The day ends with the wards as a nurse finds them:
most beds occupied, a few being cleaned, blocked or reserved, and requests waiting for a bed.

The last day (``SERVICE_WINDOW``) goes through the beds services themselves, given the time each step
happened (``at=``), as the ward page calls them. The weeks before are written in bulk by a ledger that
keeps the same rows the services write (admissions, stays, bed events, blocks, patients' status
changes, each at its own time): through the services, one lock and a few round trips per step, sixty
days of the network would take minutes, and ``make run`` loads this for a newcomer.

It runs once per clinic: a clinic that already has wards is left as it is.
"""

from __future__ import annotations

import heapq
import random
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import partial
from typing import Protocol
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from beds import services
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
from clinic.demo import HOSPITALS, Output
from clinic.models import Clinic, Floor
from patients.models import Patient, PatientStatus, PatientStatusChange, RiskColour
from staff.models import User

SEED = 2026
HISTORY_DAYS = 60
SERVICE_WINDOW = timedelta(hours=24)
OCCUPANCY = 0.75
# Arrivals that find their ward full are turned away, so slightly more are sent than the target needs.
ARRIVAL_SURPLUS = 1.25
# A patient discharged is not admitted again for a while (and never while still in a bed).
READMISSION_GAP = timedelta(days=20)
OPEN_REQUESTS = (5, 10)
RESERVED_REQUESTS = 3
CURRENT_BLOCKS = 3
CLEANING_NOW = 3

# The clinic of the demo ward nurse ("enfermagem"): its board gets a bed in every state and most requests.
NURSE_CLINIC = "SP-PAU"
WARD_CLINICS = {"SP-CAM", "MG-SAV", "DF-BSB", "PE-REC", "AM-MAO"}

ANY, FEMALE, MALE = RoomSex.ANY, RoomSex.FEMALE, RoomSex.MALE
ICU_EQUIPMENT = (Equipment.VENTILATOR, Equipment.MONITOR, Equipment.OXYGEN, Equipment.INFUSION_PUMP)


@dataclass(frozen=True)
class WardPlan:
    """A ward as the demo builds it, and how its patients come, stay and move on."""

    code: str
    name: str
    kind: str
    level: int
    rooms: tuple[tuple[int, str], ...]  # (beds, sex) of each room
    equipment: tuple[str, ...]
    stay_days: tuple[float, float]  # shortest and longest stay (before discharge moves to daytime)
    patients: str  # "adult", "child" or "maternity"
    isolation_beds: int = 0  # the first beds of the ward can isolate
    moves: tuple[tuple[str, float], ...] = ()  # (kind of ward, share of admissions moved there)
    reasons: tuple[str, ...] = ()


OBSERVATION = WardPlan(
    "OBS",
    "Observação",
    WardKind.OBSERVATION,
    0,
    ((4, ANY), (2, ANY)),
    (Equipment.OXYGEN, Equipment.MONITOR),
    (1, 3),
    "adult",
    moves=((WardKind.GENERAL, 0.25),),
    reasons=(
        "Dor torácica em investigação",
        "Crise hipertensiva",
        "Desidratação",
        "Cólica renal",
        "Trauma leve em observação",
        "Crise convulsiva",
    ),
)
GENERAL = WardPlan(
    "ENF",
    "Enfermaria clínica",
    WardKind.GENERAL,
    2,
    ((4, FEMALE), (4, MALE), (2, FEMALE), (2, MALE), (2, ANY), (1, ANY)),
    (Equipment.OXYGEN,),
    (2, 12),
    "adult",
    moves=((WardKind.ICU, 0.05), (WardKind.GENERAL, 0.04)),
    reasons=(
        "Pneumonia comunitária",
        "Insuficiência cardíaca descompensada",
        "Pielonefrite",
        "Celulite em membro inferior",
        "Diabetes descompensado",
        "DPOC exacerbada",
    ),
)
ICU = WardPlan(
    "UTI",
    "UTI adulto",
    WardKind.ICU,
    2,
    ((1, ANY),) * 6,
    ICU_EQUIPMENT,
    (2, 12),
    "adult",
    isolation_beds=2,
    moves=((WardKind.GENERAL, 0.35),),
    reasons=(
        "Sepse de foco pulmonar",
        "Insuficiência respiratória aguda",
        "Infarto agudo do miocárdio",
        "Pós-operatório de grande porte",
        "AVC isquêmico",
    ),
)
ISOLATION = WardPlan(
    "ISO",
    "Isolamento",
    WardKind.ISOLATION,
    2,
    ((1, ANY),) * 3,
    (Equipment.OXYGEN, Equipment.MONITOR),
    (4, 14),
    "adult",
    isolation_beds=3,
    reasons=(
        "Tuberculose pulmonar em investigação",
        "Influenza com insuficiência respiratória",
        "Meningite em investigação",
        "Varicela complicada",
    ),
)
MATERNITY = WardPlan(
    "MAT",
    "Maternidade",
    WardKind.MATERNITY,
    1,
    ((2, FEMALE), (2, FEMALE), (2, FEMALE), (1, FEMALE)),
    (Equipment.OXYGEN,),
    (1, 4),
    "maternity",
    reasons=("Trabalho de parto", "Cesárea eletiva", "Pré-eclâmpsia", "Trabalho de parto prematuro"),
)
PAEDIATRICS = WardPlan(
    "PED",
    "Pediatria",
    WardKind.PAEDIATRICS,
    1,
    ((3, ANY), (2, ANY), (1, ANY)),
    (Equipment.OXYGEN,),
    (1, 8),
    "child",
    isolation_beds=1,
    reasons=("Bronquiolite", "Pneumonia", "Gastroenterite com desidratação", "Crise asmática"),
)
SMALL_OBSERVATION = WardPlan(
    "OBS",
    "Observação",
    WardKind.OBSERVATION,
    0,
    ((2, ANY), (1, ANY)),
    (Equipment.OXYGEN, Equipment.MONITOR),
    (1, 3),
    "adult",
    reasons=OBSERVATION.reasons,
)
SMALL_GENERAL = WardPlan(
    "ENF",
    "Enfermaria",
    WardKind.GENERAL,
    2,
    ((2, FEMALE), (2, MALE), (2, ANY)),
    (Equipment.OXYGEN,),
    (2, 12),
    "adult",
    moves=((WardKind.GENERAL, 0.04),),
    reasons=GENERAL.reasons,
)
MEDIUM_OBSERVATION = WardPlan(
    "OBS",
    "Observação",
    WardKind.OBSERVATION,
    0,
    ((3, ANY),),
    (Equipment.OXYGEN, Equipment.MONITOR),
    (1, 3),
    "adult",
    moves=((WardKind.GENERAL, 0.2),),
    reasons=OBSERVATION.reasons,
)


def plans_for(clinic_code: str) -> tuple[WardPlan, ...]:
    if clinic_code in HOSPITALS:
        return (OBSERVATION, GENERAL, ICU, ISOLATION, MATERNITY, PAEDIATRICS)
    if clinic_code in WARD_CLINICS:
        return (MEDIUM_OBSERVATION, SMALL_GENERAL)
    return (SMALL_OBSERVATION,)


# Extra equipment of single beds: a bariatric bed in the general ward, cribs in paediatrics.
EXTRA_EQUIPMENT: dict[tuple[str, int], tuple[str, ...]] = {
    (WardKind.GENERAL, 1): (Equipment.BARIATRIC,),
    (WardKind.PAEDIATRICS, 3): (Equipment.CRIB,),
}

BLOCK_REASONS = [
    "Manutenção da cama elétrica",
    "Troca de colchão",
    "Reparo no ponto de oxigênio",
    "Reparo na iluminação",
    "Desinfecção terminal",
]
DISCHARGE_NOTES = {
    DischargeKind.HOME: "Alta com orientações e retorno ambulatorial em 7 dias.",
    DischargeKind.TRANSFER_OUT: "Transferido para hospital de referência.",
    DischargeKind.DEATH: "Óbito constatado pelo médico plantonista.",
    DischargeKind.AGAINST_ADVICE: "Alta a pedido, termo de responsabilidade assinado.",
}
# Discharge kinds: home, transfer out, death, against advice (weights per kind of ward).
DISCHARGE_WEIGHTS = {
    WardKind.ICU: (78, 6, 14, 2),
    WardKind.GENERAL: (89, 4, 3, 4),
    WardKind.ISOLATION: (88, 5, 5, 2),
    WardKind.OBSERVATION: (88, 6, 1, 5),
}
DEFAULT_DISCHARGE_WEIGHTS = (96, 2, 0.5, 1.5)
RISK_PRIORITY = {
    RiskColour.RED: Priority.EMERGENCY,
    RiskColour.ORANGE: Priority.URGENT,
    RiskColour.YELLOW: Priority.URGENT,
    RiskColour.GREEN: Priority.ROUTINE,
    RiskColour.BLUE: Priority.ROUTINE,
}


@dataclass
class _Ward:
    ward: Ward
    plan: WardPlan
    beds: list[Bed]


@dataclass
class _Stay:
    """An admission the simulation has in a bed: since when, and when it is due to leave."""

    admission: Admission
    bed: Bed
    clinic: Clinic
    admitted: datetime
    since: datetime  # in this bed
    discharge_at: datetime


@dataclass
class _Staff:
    nurses: dict[int, list[User]]
    doctors: dict[int, list[User]]

    def nurse(self, rng: random.Random, clinic: Clinic) -> User | None:
        return rng.choice(self.nurses[clinic.pk]) if self.nurses.get(clinic.pk) else None

    def doctor(self, rng: random.Random, clinic: Clinic) -> User | None:
        return rng.choice(self.doctors[clinic.pk]) if self.doctors.get(clinic.pk) else None


def _age(born: date, today: date) -> int:
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def _patient_pools(today: date) -> dict[str, list[Patient]]:
    """Demo patients who may be admitted: outpatients with no open admission, by the wards that take them."""
    patients = (
        Patient.objects.filter(status=PatientStatus.OUTPATIENT)
        .exclude(admissions__status__in=[AdmissionStatus.REQUESTED, AdmissionStatus.ADMITTED])
        .only("pk", "sex", "birth_date", "status", "full_name", "social_name")  # nothing encrypted: no decrypting
        .order_by("pk")
    )
    pools: dict[str, list[Patient]] = {"adult": [], "child": [], "maternity": []}
    for patient in patients:
        age = _age(patient.birth_date, today)
        if age < 14:
            pools["child"].append(patient)
        elif age >= 18:
            pools["adult"].append(patient)
        if patient.sex == "F" and 16 <= age <= 44:
            pools["maternity"].append(patient)
    return pools


def _staff() -> _Staff:
    nurses: dict[int, list[User]] = {}
    doctors: dict[int, list[User]] = {}
    users = User.objects.filter(username__regex=r"^(enf|prof)\.").prefetch_related("clinics").order_by("username")
    for user in users:
        into = nurses if user.username.startswith("enf.") else doctors
        for clinic in user.clinics.all():
            into.setdefault(clinic.pk, []).append(user)
    return _Staff(nurses=nurses, doctors=doctors)


def _room_code(level: int, number: int) -> str:
    return f"T{number:02d}" if level == 0 else f"{level}{number:02d}"


def build_wards(clinic: Clinic, *, since: datetime) -> list[_Ward]:
    """The clinic's wards, rooms and beds as its plans say; beds count as in service from ``since``."""
    floors = {floor.level: floor for floor in Floor.objects.filter(clinic=clinic)}
    plans = [plan for plan in plans_for(clinic.code) if plan.level in floors]
    wards = bulk_create_with_history(
        [
            Ward(clinic=clinic, floor=floors[plan.level], code=plan.code, name=plan.name, kind=plan.kind)
            for plan in plans
        ],
        Ward,
    )
    room_numbers: Counter[int] = Counter()
    rooms: list[tuple[WardRoom, WardPlan, int]] = []
    for ward, plan in zip(wards, plans, strict=True):
        for count, sex in plan.rooms:
            room_numbers[plan.level] += 1
            room = WardRoom(ward=ward, code=_room_code(plan.level, room_numbers[plan.level]), sex=sex)
            rooms.append((room, plan, count))
    bulk_create_with_history([room for room, _plan, _count in rooms], WardRoom)
    beds_by_ward: dict[int, list[Bed]] = {ward.pk: [] for ward in wards}
    for room, plan, count in rooms:
        in_ward = beds_by_ward[room.ward.pk]
        for letter in "ABCD"[:count]:
            in_ward.append(
                Bed(
                    room=room,
                    code=room.code if count == 1 else f"{room.code}-{letter}",
                    isolation_capable=len(in_ward) < plan.isolation_beds,
                    equipment=sorted({*plan.equipment, *EXTRA_EQUIPMENT.get((plan.kind, count), ())}),
                    in_service_since=since,
                )
            )
    bulk_create_with_history([bed for beds in beds_by_ward.values() for bed in beds], Bed)
    return [_Ward(ward=ward, plan=plan, beds=beds_by_ward[ward.pk]) for ward, plan in zip(wards, plans, strict=True)]


def _fits(bed: Bed, *, needs_isolation: bool, equipment: Iterable[str], sex: str | None = None) -> bool:
    """The hard rules of ``beds.rules`` on a bed the simulation holds in memory (its room is loaded)."""
    if needs_isolation and not bed.isolation_capable:
        return False
    if not set(equipment) <= set(bed.equipment):
        return False
    return sex is None or bed.room.sex in room_sexes_for(sex)


class _Steps(Protocol):
    """The steps the simulation takes, with the signatures of the services that take them."""

    def admission_request(
        self,
        *,
        patient: Patient,
        clinic: Clinic,
        by: User | None,
        source: str,
        ward_kind: str,
        needs_isolation: bool,
        equipment: Iterable[str],
        priority: str,
        risk: str,
        reason: str,
        origin_floor: Floor | None,
        at: datetime,
    ) -> Admission: ...

    def admission_cancel(self, *, admission: Admission, by: User | None, reason: str, at: datetime) -> object: ...

    def admission_admit(self, *, admission: Admission, bed: Bed, by: User | None, at: datetime) -> object: ...

    def admission_transfer(self, *, admission: Admission, bed: Bed, by: User | None, at: datetime) -> object: ...

    def admission_discharge(
        self, *, admission: Admission, kind: str, by: User | None, notes: str, at: datetime
    ) -> object: ...

    def bed_mark_clean(self, *, bed: Bed, by: User | None, at: datetime) -> object: ...

    def bed_block(self, *, bed: Bed, reason: str, by: User | None, at: datetime) -> object: ...

    def bed_unblock(self, *, bed: Bed, by: User | None, at: datetime) -> object: ...


class _Services:
    """The steps through the services, as the ward page takes them."""

    admission_request = staticmethod(services.admission_request)
    admission_cancel = staticmethod(services.admission_cancel)
    admission_admit = staticmethod(services.admission_admit)
    admission_transfer = staticmethod(services.admission_transfer)
    admission_discharge = staticmethod(services.admission_discharge)
    bed_mark_clean = staticmethod(services.bed_mark_clean)
    bed_block = staticmethod(services.bed_block)
    bed_unblock = staticmethod(services.bed_unblock)


class _Ledger:
    """The steps of the older history, kept in memory and saved in bulk by ``save``.

    Each step writes what its service writes (see beds/services.py; the notes are the same words), at
    its own time, but takes no lock and checks nothing: the simulation only takes steps the services
    would allow, and the database's constraints check the rows when they are saved. Each admission,
    bed and patient saved gets one history record, of its state at the end of the ledger.
    """

    def __init__(self, state: dict[int, str]) -> None:
        self.state = state  # the simulation's beds' states, read before it moves them
        self.admissions: list[Admission] = []
        self.stays: list[BedStay] = []
        self.open_stays: dict[int, BedStay] = {}  # by id() of the admission, which has no pk yet
        self.events: list[BedEvent] = []
        self.blocks: dict[int, BedBlock] = {}  # by bed pk: the last block
        self.closed_blocks: list[BedBlock] = []
        self.status_changes: list[PatientStatusChange] = []
        self.beds: dict[int, Bed] = {}
        self.patients: dict[int, tuple[Patient, str]] = {}  # by pk: the patient and the status it had first

    def _event(
        self,
        bed: Bed,
        kind: str,
        state: str,
        *,
        by: User | None,
        at: datetime,
        admission: Admission | None = None,
        note: str = "",
    ) -> None:
        self.events.append(
            BedEvent(
                bed=bed,
                kind=kind,
                from_state=self.state[bed.pk],
                to_state=state,
                admission=admission,
                note=note[:200],
                at=at,
                by=by,
            )
        )
        self.beds[bed.pk] = bed

    def _patient_status(self, patient: Patient, status: str, *, by: User | None, at: datetime, reason: str) -> None:
        self.status_changes.append(
            PatientStatusChange(
                patient=patient,
                from_status=patient.status,
                to_status=status,
                reason=reason[:255],
                changed_by=by,
                changed_at=at,
            )
        )
        self.patients.setdefault(patient.pk, (patient, patient.status))
        patient.status = status

    def _open_stay(self, admission: Admission, bed: Bed, *, by: User | None, at: datetime) -> None:
        stay = BedStay(admission=admission, bed=bed, started_at=at, started_by=by)
        self.stays.append(stay)
        self.open_stays[id(admission)] = stay

    def _close_stay(self, admission: Admission, *, by: User | None, at: datetime, reason: str) -> BedStay:
        stay = self.open_stays.pop(id(admission))
        stay.ended_at, stay.ended_by, stay.end_reason = at, by, reason
        return stay

    def admission_request(
        self,
        *,
        patient: Patient,
        clinic: Clinic,
        by: User | None,
        source: str,
        ward_kind: str,
        needs_isolation: bool,
        equipment: Iterable[str],
        priority: str,
        risk: str,
        reason: str,
        origin_floor: Floor | None,
        at: datetime,
    ) -> Admission:
        admission = Admission(
            patient=patient,
            clinic=clinic,
            source=source,
            ward_kind=ward_kind,
            needs_isolation=needs_isolation,
            equipment=sorted(set(equipment)),
            priority=priority,
            risk=risk,
            reason=reason,
            origin_floor=origin_floor,
            requested_at=at,
            requested_by=by,
        )
        self.admissions.append(admission)
        return admission

    def admission_cancel(self, *, admission: Admission, by: User | None, reason: str, at: datetime) -> Admission:
        admission.status = AdmissionStatus.CANCELLED
        admission.cancelled_reason = reason[:200]
        admission.cancelled_at, admission.cancelled_by = at, by
        return admission

    def admission_admit(self, *, admission: Admission, bed: Bed, by: User | None, at: datetime) -> None:
        self._open_stay(admission, bed, by=by, at=at)
        self._event(bed, BedEvent.Kind.ADMITTED, BedState.OCCUPIED, by=by, at=at, admission=admission)
        admission.status = AdmissionStatus.ADMITTED
        admission.admitted_at, admission.admitted_by = at, by
        admission.clinic = bed.room.ward.clinic
        self._patient_status(
            admission.patient, PatientStatus.ADMITTED, by=by, at=at, reason=_("Admitted to bed %s") % bed.code
        )

    def admission_transfer(self, *, admission: Admission, bed: Bed, by: User | None, at: datetime) -> None:
        old = self._close_stay(admission, by=by, at=at, reason=StayEnd.TRANSFER).bed
        self._event(
            old,
            BedEvent.Kind.TRANSFERRED_OUT,
            BedState.CLEANING,
            by=by,
            at=at,
            admission=admission,
            note=_("To bed %(bed)s") % {"bed": f"{bed.room.ward.code} {bed.code}"},
        )
        self._open_stay(admission, bed, by=by, at=at)
        self._event(
            bed,
            BedEvent.Kind.TRANSFERRED_IN,
            BedState.OCCUPIED,
            by=by,
            at=at,
            admission=admission,
            note=_("From bed %(bed)s") % {"bed": f"{old.room.ward.code} {old.code}"},
        )
        admission.ward_kind = bed.room.ward.kind
        admission.clinic = bed.room.ward.clinic

    def admission_discharge(
        self, *, admission: Admission, kind: str, by: User | None, notes: str, at: datetime
    ) -> None:
        bed = self._close_stay(admission, by=by, at=at, reason=StayEnd.DISCHARGE).bed
        label = str(DischargeKind(kind).label)
        self._event(bed, BedEvent.Kind.DISCHARGED, BedState.CLEANING, by=by, at=at, admission=admission, note=label)
        admission.status = AdmissionStatus.DISCHARGED
        admission.discharged_at, admission.discharged_by = at, by
        admission.discharge_kind, admission.discharge_notes = kind, notes
        self._patient_status(
            admission.patient, PatientStatus.OUTPATIENT, by=by, at=at, reason=_("Discharged: %s") % label
        )

    def bed_mark_clean(self, *, bed: Bed, by: User | None, at: datetime) -> None:
        self._event(bed, BedEvent.Kind.CLEANED, BedState.AVAILABLE, by=by, at=at)

    def bed_block(self, *, bed: Bed, reason: str, by: User | None, at: datetime) -> None:
        self.blocks[bed.pk] = BedBlock(bed=bed, reason=reason, started_at=at, started_by=by)
        bed.blocked_reason = reason
        self._event(bed, BedEvent.Kind.BLOCKED, BedState.BLOCKED, by=by, at=at, note=reason)

    def bed_unblock(self, *, bed: Bed, by: User | None, at: datetime) -> None:
        block = self.blocks.pop(bed.pk)
        block.ended_at, block.ended_by = at, by
        self.closed_blocks.append(block)
        bed.blocked_reason = ""
        self._event(bed, BedEvent.Kind.UNBLOCKED, BedState.AVAILABLE, by=by, at=at)

    def save(self) -> None:
        """Write the ledger: the rows first, then the beds and patients as they stand at its end."""
        bulk_create_with_history(self.admissions, Admission)
        BedStay.objects.bulk_create(self.stays)
        BedEvent.objects.bulk_create(self.events)
        BedBlock.objects.bulk_create([*self.closed_blocks, *self.blocks.values()])
        PatientStatusChange.objects.bulk_create(self.status_changes)
        now = timezone.now()
        for bed in self.beds.values():
            bed.state, bed.changed_at = self.state[bed.pk], now
        bulk_update_with_history(list(self.beds.values()), Bed, ["state", "blocked_reason", "changed_at"])
        # The patients still in a bed: loaded whole, since their history record copies every field.
        status = {pk: patient.status for pk, (patient, first) in self.patients.items() if patient.status != first}
        changed = list(Patient.objects.filter(pk__in=status))
        for patient in changed:
            patient.status = status[patient.pk]
        bulk_update_with_history(changed, Patient, ["status"])


@dataclass
class Simulation:
    """The network's wards from ``start`` to ``now``: events on one clock, each a step of the beds' flows.

    Steps before ``now - SERVICE_WINDOW`` go to the ledger, the rest to the services. ``state`` mirrors
    the beds' states (and ``changed`` when each last changed), so choosing a bed costs no query.
    """

    rng: random.Random
    start: datetime
    now: datetime
    wards: list[_Ward]
    pools: dict[str, list[Patient]]
    staff: _Staff
    ground_floors: dict[int, Floor]
    state: dict[int, str] = field(default_factory=dict)
    changed: dict[int, datetime] = field(default_factory=dict)
    stays: list[_Stay] = field(default_factory=list)
    free_from: dict[int, datetime] = field(default_factory=dict)  # by patient pk
    in_hospital: set[int] = field(default_factory=set)
    counts: Counter[str] = field(default_factory=Counter)
    _queue: list[tuple[datetime, int, Callable[[datetime], None]]] = field(default_factory=list)
    _sequence: int = 0

    def __post_init__(self) -> None:
        for ward in self.wards:
            for bed in ward.beds:
                self._set(bed, bed.state, self.start - timedelta(days=HISTORY_DAYS))
        self.ledger: _Ledger | None = _Ledger(self.state)
        self.steps: _Steps = self.ledger

    def _set(self, bed: Bed, state: str, when: datetime) -> None:
        self.state[bed.pk] = state
        self.changed[bed.pk] = when

    # The clock ---------------------------------------------------------------------------------

    def at(self, when: datetime, step: Callable[[datetime], None]) -> None:
        """Take ``step`` at ``when``; what would happen after ``now`` has not happened yet."""
        if when <= self.now:
            self._sequence += 1
            heapq.heappush(self._queue, (when, self._sequence, step))

    def run(self) -> None:
        for ward in self.wards:
            self._fill(ward)
            self._arrivals(ward)
            self._maintenance(ward)
        services_from = self.now - SERVICE_WINDOW
        while self._queue:
            when, _sequence, step = heapq.heappop(self._queue)
            if when >= services_from:
                self._to_services()
            step(when)
        self._to_services()

    def _to_services(self) -> None:
        if self.ledger is not None:
            self.ledger.save()
            self.ledger = None
            self.steps = _Services()

    # Arrivals --------------------------------------------------------------------------------------

    def _fill(self, ward: _Ward) -> None:
        """The patients already in the ward when the history starts, admitted in the days before."""
        for bed in self.rng.sample(ward.beds, round(OCCUPANCY * len(ward.beds))):
            days = self._stay_days(ward.plan)
            admitted = self.start - timedelta(days=self.rng.uniform(0, days - 0.2))
            self.at(admitted, partial(self._arrive, ward=ward, bed=bed, days=days))

    def _arrivals(self, ward: _Ward) -> None:
        """Patients arriving at random (a Poisson stream), often enough to keep the ward about as full as wanted."""
        low, high = ward.plan.stay_days
        mean_stay_hours = 24 * (low + high + low + (high - low) / 4) / 3
        per_hour = ARRIVAL_SURPLUS * OCCUPANCY * len(ward.beds) / mean_stay_hours
        when = self.start
        while True:
            when += timedelta(hours=self.rng.expovariate(per_hour))
            if when > self.now:
                return
            self.at(when, partial(self._arrive, ward=ward))

    def _stay_days(self, plan: WardPlan) -> float:
        low, high = plan.stay_days
        return self.rng.triangular(low, high, low + (high - low) / 4)

    def _move(self, plan: WardPlan) -> str:
        """The kind of ward the patient will move to during the stay, or "" for none."""
        draw = self.rng.random()
        for kind, share in plan.moves:
            if draw < share:
                return kind
            draw -= share
        return ""

    def _needs(self, plan: WardPlan, moving_to: str) -> tuple[bool, list[str]]:
        """Isolation and equipment the admission asks for. A patient who will move asks only for what the
        next ward has too, since the hard rules hold for a transfer as well."""
        if plan.kind == WardKind.ISOLATION:
            return True, []
        if plan.kind == WardKind.ICU and not moving_to:
            if self.rng.random() < 0.15:
                return True, [Equipment.MONITOR]
            return False, self.rng.choice([[Equipment.VENTILATOR, Equipment.MONITOR], [Equipment.MONITOR]])
        return False, [Equipment.OXYGEN] if self.rng.random() < 0.3 else []

    def _patient(self, plan: WardPlan, room_sex: str, when: datetime) -> Patient | None:
        """A patient for the ward who is not in hospital, was not discharged lately and may use the room."""
        pool = self.pools[plan.patients]
        for _attempt in range(40 if pool else 0):
            patient = self.rng.choice(pool)
            if (
                patient.pk not in self.in_hospital
                and self.free_from.get(patient.pk, when) <= when
                and room_sex in room_sexes_for(patient.sex)
            ):
                return patient
        return None

    def _request(
        self,
        when: datetime,
        ward: _Ward,
        patient: Patient,
        *,
        needs_isolation: bool,
        equipment: list[str],
        risk: str | None = None,
    ) -> Admission:
        """The request a doctor or the triage nurse writes; a triage request carries the risk colour."""
        clinic = ward.ward.clinic
        if risk is not None:
            source = AdmissionSource.TRIAGE
        elif ward.plan.kind in (WardKind.OBSERVATION, WardKind.ICU):
            source = self.rng.choice(
                [AdmissionSource.TRIAGE] * 2 + [AdmissionSource.DOCTOR, AdmissionSource.TRANSFER_IN]
            )
        else:
            source = self.rng.choice([AdmissionSource.DOCTOR] * 2 + [AdmissionSource.TRIAGE])
        priority = self.rng.choice([Priority.ROUTINE, Priority.ROUTINE, Priority.URGENT])
        if source == AdmissionSource.TRIAGE:
            risk = risk or self.rng.choices(RiskColour.values, weights=[1, 3, 4, 3, 1])[0]
            priority = RISK_PRIORITY[RiskColour(risk)]
        if ward.plan.kind == WardKind.ICU:
            priority = Priority.EMERGENCY
        self.counts["requests"] += 1
        return self.steps.admission_request(
            patient=patient,
            clinic=clinic,
            by=self.staff.doctor(self.rng, clinic),
            source=source,
            ward_kind=ward.plan.kind,
            needs_isolation=needs_isolation,
            equipment=equipment,
            priority=priority,
            risk=risk or "",
            reason=self.rng.choice(ward.plan.reasons),
            origin_floor=self.ground_floors.get(clinic.pk) if source == AdmissionSource.TRIAGE else None,
            at=when,
        )

    def _arrive(self, when: datetime, ward: _Ward, *, bed: Bed | None = None, days: float | None = None) -> None:
        """A patient needs a bed in ``ward``: admitted to a free bed that fits, or sent elsewhere."""
        moving_to = self._move(ward.plan)
        needs_isolation, equipment = self._needs(ward.plan, moving_to)
        if bed is not None and self.state[bed.pk] != BedState.AVAILABLE:
            bed = None  # a patient moved in before the one meant for it came
        if bed is None:
            free = [
                b
                for b in ward.beds
                if self.state[b.pk] == BedState.AVAILABLE
                and _fits(b, needs_isolation=needs_isolation, equipment=equipment)
            ]
            if not free:
                self._turn_away(when, ward)
                return
            bed = self.rng.choice(free)
        elif not _fits(bed, needs_isolation=needs_isolation, equipment=equipment):
            needs_isolation, equipment = False, []
        patient = self._patient(ward.plan, bed.room.sex, when)
        if patient is None:
            return
        clinic = ward.ward.clinic
        requested = when - timedelta(minutes=self.rng.randint(20, 360))
        admission = self._request(requested, ward, patient, needs_isolation=needs_isolation, equipment=equipment)
        self.steps.admission_admit(admission=admission, bed=bed, by=self.staff.nurse(self.rng, clinic), at=when)
        self.counts["admissions"] += 1
        self._set(bed, BedState.OCCUPIED, when)
        self.in_hospital.add(patient.pk)
        leaves = self._daytime(when + timedelta(days=days or self._stay_days(ward.plan)), clinic.zone)
        stay = _Stay(admission=admission, bed=bed, clinic=clinic, admitted=when, since=when, discharge_at=leaves)
        self.stays.append(stay)
        self.at(leaves, lambda at: self._discharge(at, stay))
        if moving_to:
            moves_at = when + max(timedelta(hours=3), (leaves - when) * self.rng.uniform(0.15, 0.6))
            self.at(moves_at, lambda at: self._transfer(at, stay, moving_to))

    def _turn_away(self, when: datetime, ward: _Ward) -> None:
        """Now and then a request is written before the team finds the ward full, and is withdrawn."""
        if self.rng.random() >= 0.15:
            return
        patient = self._patient(ward.plan, FEMALE if ward.plan.patients == "maternity" else ANY, when)
        if patient is None:
            return
        isolation = ward.plan.kind == WardKind.ISOLATION
        admission = self._request(when, ward, patient, needs_isolation=isolation, equipment=[])
        self.steps.admission_cancel(
            admission=admission,
            by=self.staff.nurse(self.rng, ward.ward.clinic),
            reason="Sem leito disponível; paciente encaminhado a outro hospital",
            at=when,
        )
        self.counts["requests withdrawn"] += 1

    def _daytime(self, when: datetime, zone: ZoneInfo) -> datetime:
        """Discharges happen in the day: one due at night waits for the morning round (never earlier)."""
        local = when.astimezone(zone)
        if 9 <= local.hour < 18:
            return when
        day = local.date() if local.hour < 9 else local.date() + timedelta(days=1)
        return datetime.combine(day, time(9), tzinfo=zone) + timedelta(minutes=self.rng.randint(0, 180))

    # Moves and discharges ------------------------------------------------------------------------

    def _transfer(self, when: datetime, stay: _Stay, kind: str) -> None:
        admission = stay.admission
        free = [
            bed
            for ward in self.wards
            if ward.ward.clinic_id == stay.clinic.pk and ward.plan.kind == kind
            for bed in ward.beds
            if bed.pk != stay.bed.pk
            and self.state[bed.pk] == BedState.AVAILABLE
            and _fits(
                bed, needs_isolation=admission.needs_isolation, equipment=admission.equipment, sex=admission.patient.sex
            )
        ]
        if not free:
            return
        target = self.rng.choice(free)
        self.steps.admission_transfer(
            admission=admission, bed=target, by=self.staff.nurse(self.rng, stay.clinic), at=when
        )
        self.counts["transfers"] += 1
        self._set(stay.bed, BedState.CLEANING, when)
        self._set(target, BedState.OCCUPIED, when)
        self._clean_later(when, stay.bed, stay.clinic)
        stay.bed, stay.since = target, when

    def _discharge(self, when: datetime, stay: _Stay, kind: str = "", *, cleaned: bool = True) -> None:
        self.stays.remove(stay)
        weights = DISCHARGE_WEIGHTS.get(WardKind(stay.bed.room.ward.kind), DEFAULT_DISCHARGE_WEIGHTS)
        kind = kind or self.rng.choices(DischargeKind.values, weights=weights)[0]
        self.steps.admission_discharge(
            admission=stay.admission,
            kind=kind,
            by=self.staff.doctor(self.rng, stay.clinic),
            notes=DISCHARGE_NOTES[DischargeKind(kind)] if kind != DischargeKind.HOME or self.rng.random() < 0.5 else "",
            at=when,
        )
        self.counts[f"discharges ({kind})"] += 1
        patient = stay.admission.patient
        self.in_hospital.discard(patient.pk)
        self.free_from[patient.pk] = when + READMISSION_GAP
        self._set(stay.bed, BedState.CLEANING, when)
        if cleaned:
            self._clean_later(when, stay.bed, stay.clinic)

    def _clean_later(self, when: datetime, bed: Bed, clinic: Clinic) -> None:
        cleaned = when + timedelta(minutes=self.rng.randint(40, 180))
        self.at(cleaned, lambda at: self._clean(at, bed, clinic))

    def _clean(self, when: datetime, bed: Bed, clinic: Clinic) -> None:
        self.steps.bed_mark_clean(bed=bed, by=self.staff.nurse(self.rng, clinic), at=when)
        self._set(bed, BedState.AVAILABLE, when)

    # Maintenance ---------------------------------------------------------------------------------

    def _maintenance(self, ward: _Ward) -> None:
        """A block or two in the bigger wards over the period, each for a day or a few."""
        if len(ward.beds) < 6:
            return
        for _block in range(self.rng.randint(0, 2)):
            when = self.start + timedelta(hours=self.rng.uniform(0, 24 * HISTORY_DAYS))
            length = timedelta(days=self.rng.uniform(0.5, 4))
            self.at(when, partial(self._block, ward=ward, length=length))

    def _block(self, when: datetime, ward: _Ward, length: timedelta) -> None:
        """Block a bed that has been free since before ``when``, for ``length``."""
        free = [bed for bed in ward.beds if self.state[bed.pk] == BedState.AVAILABLE and self.changed[bed.pk] < when]
        if free:
            self._block_bed(when, self.rng.choice(free), ward.ward.clinic, length)

    def _block_bed(self, when: datetime, bed: Bed, clinic: Clinic, length: timedelta | None) -> None:
        """Block ``bed`` (free since before ``when``); it comes back after ``length`` (None: not yet)."""
        self.steps.bed_block(
            bed=bed, reason=self.rng.choice(BLOCK_REASONS), by=self.staff.nurse(self.rng, clinic), at=when
        )
        self.counts["blocks"] += 1
        self._set(bed, BedState.BLOCKED, when)
        if length is not None:
            self.at(when + length, lambda at: self._unblock(at, bed, clinic))

    def _unblock(self, when: datetime, bed: Bed, clinic: Clinic) -> None:
        self.steps.bed_unblock(bed=bed, by=self.staff.nurse(self.rng, clinic), at=when)
        self._set(bed, BedState.AVAILABLE, when)

    # Now -----------------------------------------------------------------------------------------

    def finish(self) -> None:
        """The wards as a nurse finds them now: a few beds just left and still being cleaned, requests waiting
        for a bed (some with one reserved), a few beds blocked. Call after ``run``; all through the services."""
        hour_ago, day_ago = self.now - timedelta(hours=1), self.now - timedelta(days=1)
        due = sorted(
            (s for s in self.stays if s.admitted < day_ago and s.since < hour_ago),
            key=lambda stay: (stay.clinic.code != NURSE_CLINIC, stay.discharge_at),
        )
        for stay in due[:CLEANING_NOW]:
            self._discharge(
                self.now - timedelta(minutes=self.rng.randint(5, 50)), stay, DischargeKind.HOME, cleaned=False
            )
        wards = [ward for ward in self.wards if ward.ward.clinic.code in HOSPITALS | WARD_CLINICS]
        wanted = self.rng.randint(*OPEN_REQUESTS) if wards else 0
        for bed, ward in self._spread(self._free(wards), RESERVED_REQUESTS):
            admission = self._waiting(ward, bed.room.sex)
            if admission is not None:
                until = timezone.now() + timedelta(hours=self.rng.randint(2, 10))
                nurse = self.staff.nurse(self.rng, ward.ward.clinic)
                services.bed_reserve(bed=bed, admission=admission, until=until, by=nurse)
                self._set(bed, BedState.RESERVED, self.now)
        for bed, ward in self._spread(self._free([w for w in self.wards if len(w.beds) >= 4]), CURRENT_BLOCKS):
            since = max(self.changed[bed.pk], self.now - timedelta(days=2))
            self._block_bed(since + (hour_ago - since) * self.rng.random(), bed, ward.ward.clinic, None)
        # The other requests wait in the wards of the demo nurse's clinic first, then of the others.
        wards.sort(key=lambda ward: (ward.ward.clinic.code != NURSE_CLINIC, ward.ward.clinic.code, ward.plan.code))
        for attempt in range(3 * wanted):
            if self.counts["open requests"] >= wanted:
                break
            self._waiting(wards[attempt % len(wards)], ANY)

    def _free(self, wards: list[_Ward]) -> list[tuple[Bed, _Ward]]:
        """The beds of ``wards`` free for the last hour at least."""
        hour_ago = self.now - timedelta(hours=1)
        return [
            (bed, ward)
            for ward in wards
            for bed in ward.beds
            if self.state[bed.pk] == BedState.AVAILABLE and self.changed[bed.pk] < hour_ago
        ]

    def _spread(self, beds: list[tuple[Bed, _Ward]], count: int) -> list[tuple[Bed, _Ward]]:
        """``count`` of ``beds`` at random: one in the demo nurse's clinic (if it has one), the rest elsewhere."""
        here = [pair for pair in beds if pair[1].ward.clinic.code == NURSE_CLINIC]
        elsewhere = [pair for pair in beds if pair[1].ward.clinic.code != NURSE_CLINIC]
        chosen = self.rng.sample(here, min(1, len(here)))
        return chosen + self.rng.sample(elsewhere, min(count - len(chosen), len(elsewhere)))

    def _waiting(self, ward: _Ward, room_sex: str) -> Admission | None:
        """A request from triage waiting for a bed in ``ward`` (for a patient who may use a room of ``room_sex``);
        the open requests go through the risk colours in turn."""
        when = self.now - timedelta(minutes=self.rng.randint(15, 600))
        patient = self._patient(ward.plan, room_sex, when)
        if patient is None:
            return None
        risk = RiskColour.values[self.counts["open requests"] % len(RiskColour.values)]
        needs_isolation = ward.plan.kind == WardKind.ISOLATION
        admission = self._request(when, ward, patient, needs_isolation=needs_isolation, equipment=[], risk=risk)
        self.in_hospital.add(patient.pk)
        self.counts["open requests"] += 1
        return admission


@transaction.atomic
def load(stdout: Output) -> None:
    """Wards, beds and their history for every clinic that has no ward yet."""
    now = timezone.now()
    start = now - timedelta(days=HISTORY_DAYS)
    clinics = list(Clinic.objects.filter(wards__isnull=True).order_by("code"))
    if not clinics:
        stdout.write(f"beds: {Bed.objects.count()} (demo wards already loaded)\n")
        return
    wards = [ward for clinic in clinics for ward in build_wards(clinic, since=start - timedelta(days=365))]
    simulation = Simulation(
        rng=random.Random(SEED),
        start=start,
        now=now,
        wards=wards,
        pools=_patient_pools(timezone.localdate(now)),
        staff=_staff(),
        ground_floors={floor.clinic_id: floor for floor in Floor.objects.filter(clinic__in=clinics, level=0)},
    )
    simulation.run()
    simulation.finish()
    states = Counter(simulation.state.values())
    in_use = len(simulation.state) - states[BedState.BLOCKED]
    summary = ", ".join(f"{count} {name}" for name, count in sorted(simulation.counts.items()))
    hospitals = ", ".join(sorted(HOSPITALS & {clinic.code for clinic in clinics}))
    stdout.write(
        f"beds: {len(simulation.state)} in {len(wards)} wards of {len(clinics)} clinics "
        f"(every kind of ward in {hospitals or 'none'}), {states[BedState.OCCUPIED] * 100 // max(in_use, 1)} % "
        f"occupied now; {HISTORY_DAYS} days of history: {summary}\n"
    )
