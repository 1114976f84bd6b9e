"""Benchmark emergency visits: a year of closed ones with their assessments, and today's queues.

Every clinic has an emergency door; two triage nurses per clinic (``triagem.<clinic>.1`` and
``.2``) receive and classify. The year holds ``size.visits`` visits that have left the queue:
routed home or to exams, routed to a bed (one visit for part of the bed benchmark's admissions
that came from triage, arriving a few hours before the request and classified in its colour), or
left before being seen, some before triage. Consultations are left out: a visit routed to one needs
an urgent appointment, which the appointments benchmark does not make. Patients come mostly once;
one in two hundred comes back often, and the panel cases' patient (``bench.exams.panel_patient``)
comes ``PANEL_VISITS`` times, so their chart has a long series of vital signs.

Each assessment's vital signs and signs are drawn for a colour (most walk-ins are green or
yellow), and the colour is then the one ``triage.rules.suggest`` gives, as the nurse would accept
it, now and then overridden one step up with a reason; the flags are ``rules.flags``. A quarter of
the visits routed by the door were classified twice (a re-triage).

Today: ``QUEUES`` walk-ins wait in the five hospitals (the queue case's at SP-PAU) and a few in
the other clinics, arrived in the last hours: some waiting for triage, some in triage, most
classified and waiting for a doctor, so some are overdue. Visits go in with COPY, ids given, in
the order of arrival, then their assessments (``bench.exams.bulk_load``); the history table is left
empty.
"""

from __future__ import annotations

import random
import time as clock
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, TextIO

from django.db import connection, transaction
from django.utils import timezone, translation

from beds.models import Admission, AdmissionSource
from bench.exams import PatientIndex, bulk_load, copy_rows, panel_patient, staff_of_clinics
from bench.sizes import Size
from clinic.crypto import encrypt
from clinic.models import Clinic
from patients.models import RiskColour
from staff import roles
from triage import rules
from triage.models import RISK_RANK, UNCLASSIFIED_RANK, Assessment, Destination, Visit, VisitStatus

SEED = 6_000_000
HISTORY_DAYS = 365
PROGRESS_EVERY = 100_000
QUEUE_CLINIC = "SP-PAU"
QUEUES = {"SP-PAU": 60, "RJ-BOT": 45, "MG-SAV": 70, "BA-SSA": 52, "PE-REC": 80}
OTHER_QUEUES = (0, 8)
PANEL_VISITS = 25
FREQUENT_EVERY = 200
FREQUENT_VISITS = (5, 20)
# At most this share of the year's visits are the bed benchmark's admissions from triage.
ADMITTED_SHARE = 0.1
RETRIAGE_SHARE = 0.25
OVERRIDE_SHARE = 0.03
TRIAGE_STAFF = ("triagem.{code}.1", "triagem.{code}.2")

R = RiskColour
# The colour a walk-in's signs are drawn for.
COLOURS = ((R.RED, 0.01), (R.ORANGE, 0.09), (R.YELLOW, 0.3), (R.GREEN, 0.45), (R.BLUE, 0.15))
PAIN: dict[str, tuple[int, int]] = {R.RED: (0, 10), R.ORANGE: (5, 9), R.YELLOW: (3, 7), R.GREEN: (0, 4), R.BLUE: (0, 0)}
SIGNS: dict[str, list[str]] = {
    **{colour: [d.code for d in rules.DISCRIMINATORS if d.colour == colour] for colour in (R.RED, R.ORANGE, R.YELLOW)},
    R.GREEN: ["recent_problem"],
}
SIGN_SHARE: dict[str, float] = {R.RED: 1.0, R.ORANGE: 0.6, R.YELLOW: 0.5, R.GREEN: 0.6, R.BLUE: 0.0}
# What became of the year's visits that were not admitted.
OUTCOMES = ((Destination.DISCHARGED, 0.62), (Destination.EXAMS, 0.28), (VisitStatus.LEFT, 0.1))
QUEUE_STATUSES = ((VisitStatus.ARRIVED, 0.25), (VisitStatus.IN_TRIAGE, 0.1), (VisitStatus.CLASSIFIED, 0.65))
COMPLAINTS = (
    "Dor de cabeça há dois dias",
    "Febre e tosse há três dias",
    "Dor abdominal em cólica",
    "Dor torácica em aperto",
    "Falta de ar aos esforços",
    "Torção do tornozelo direito",
    "Corte na mão com faca de cozinha",
    "Vômitos e diarreia desde ontem",
    "Dor lombar que irradia para a perna",
    "Tontura e mal-estar",
    "Dor de garganta e febre",
    "Queda da própria altura",
)
DISCHARGE_NOTES = (
    "Orientado sobre sinais de alarme e liberado; procurar a unidade básica.",
    "Medicado, melhora dos sintomas; liberado com receita.",
    "Orientado a retornar se piora; consulta ambulatorial agendada.",
)
OVERRIDE_REASON = "Avaliação clínica: paciente idoso e frágil"

VISIT_COLUMNS = [
    "id",
    "clinic_id",
    "patient_id",
    "status",
    "in_queue",
    "arrival_note",
    "arrived_at",
    "arrived_by_id",
    "risk",
    "risk_rank",
    "triage_started_at",
    "triage_ended_at",
    "destination",
    "routed_at",
    "routed_by_id",
    "routing_note",
    "admission_id",
    "left_at",
]
ASSESSMENT_COLUMNS = [
    "visit_id",
    "patient_id",
    "started_at",
    "finished_at",
    "by_id",
    "complaint",
    *rules.VITAL_FIELDS,
    "discriminators",
    "flags",
    "suggested_risk",
    "risk",
    "override_reason",
]

Row = tuple[Any, ...]


# Done? ------------------------------------------------------------------------------------------


def triage_done(size: Size) -> bool:
    return (
        Visit.objects.filter(in_queue=False).count() == size.visits
        and Visit.objects.filter(clinic__code=QUEUE_CLINIC, in_queue=True).count() == QUEUES[QUEUE_CLINIC]
    )


def truncate_visits() -> None:
    """Remove every visit with its assessments, its links to exam orders and its history."""
    tables = [
        Assessment._meta.db_table,
        Visit.exam_orders.through._meta.db_table,
        Visit._meta.db_table,
        Visit.history.model._meta.db_table,  # type: ignore[attr-defined]
    ]
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE")


# Planning ---------------------------------------------------------------------------------------


def _choose(rng: random.Random, weighted: Iterable[tuple[str, float]]) -> str:
    items = list(weighted)
    roll = rng.random() * sum(weight for _item, weight in items)
    for item, weight in items:
        roll -= weight
        if roll < 0:
            return item
    return items[-1][0]


def _clip(field: str, value: int) -> int:
    low, high = rules.VITAL_LIMITS[field]
    return int(min(max(value, low), high))


@dataclass(slots=True, eq=False)
class _Assessment:
    started_at: datetime
    finished_at: datetime
    vitals: dict[str, int | Decimal | None]
    signs: list[str]
    complaint: int  # index into COMPLAINTS
    suggested: str
    risk: str


def _assessment(rng: random.Random, colour: str, started_at: datetime, finished_at: datetime) -> _Assessment:
    """Vital signs and signs drawn for ``colour``; the colour given is the rules' suggestion."""
    severe = colour in (R.RED, R.ORANGE)
    systolic = _clip("systolic", round(rng.gauss(130 if severe else 126, 18)))
    vitals: dict[str, int | Decimal | None] = {
        "systolic": systolic,
        "diastolic": min(_clip("diastolic", round(rng.gauss(80, 10))), systolic - 20),
        "heart_rate": _clip("heart_rate", round(rng.gauss(92 if severe else 82, 14))),
        "respiratory_rate": _clip("respiratory_rate", round(rng.gauss(18 if severe else 16, 2.5))),
        "temperature": Decimal(f"{min(max(rng.gauss(36.8, 0.6), 34.0), 41.5):.1f}"),
        "spo2": min(100, _clip("spo2", round(rng.gauss(95 if severe else 97, 1.5)))),
        "glucose": _clip("glucose", round(rng.gauss(118, 35))) if rng.random() < 0.35 else None,
        "pain": rng.randint(*PAIN[colour]) if rng.random() < 0.9 else None,
        "glasgow": rng.randint(3, 8) if colour == R.RED and rng.random() < 0.3 else 15,
    }
    signs = [rng.choice(SIGNS[colour])] if colour in SIGNS and rng.random() < SIGN_SHARE[colour] else []
    suggested, _reasons = rules.suggest(vitals, signs)
    risk = suggested
    if rng.random() < OVERRIDE_SHARE and rules.RANK[suggested] > 0:
        risk = RiskColour.values[rules.RANK[suggested] - 1]
    return _Assessment(started_at, finished_at, vitals, signs, rng.randrange(len(COMPLAINTS)), suggested, risk)


@dataclass(slots=True, eq=False)
class _Visit:
    arrived_at: datetime
    patient: int  # index into PatientIndex
    clinic_id: int
    status: str
    destination: str = ""
    admission_id: int | None = None
    triage_started_at: datetime | None = None
    assessments: list[_Assessment] = field(default_factory=list)
    routed_at: datetime | None = None
    left_at: datetime | None = None
    pk: int = 0

    @property
    def risk(self) -> str:
        return self.assessments[-1].risk if self.assessments else ""


def _classify(rng: random.Random, visit: _Visit, colour: str, *, until: datetime, again: bool) -> datetime:
    """Triage the visit (and triage it again if ``again``) before ``until``; the end of the last one."""
    room = (until - visit.arrived_at) / 2
    started = visit.arrived_at + min(timedelta(minutes=rng.uniform(2, 40)), room)
    finished = started + min(timedelta(minutes=rng.uniform(3, 12)), (until - started) / 2)
    visit.triage_started_at = started
    visit.assessments.append(_assessment(rng, colour, started, finished))
    if again:
        started = finished + min(timedelta(minutes=rng.uniform(30, 150)), (until - finished) / 2)
        finished = started + min(timedelta(minutes=rng.uniform(2, 8)), (until - started) / 2)
        visit.assessments.append(_assessment(rng, colour, started, finished))
    return finished


def _closed(rng: random.Random, visit: _Visit, outcome: str, colour: str) -> None:
    """What happened to a visit of the year: classified then routed, or left (before triage or after)."""
    if outcome == VisitStatus.LEFT:
        visit.status = VisitStatus.LEFT
        visit.left_at = visit.arrived_at + timedelta(minutes=rng.uniform(20, 240))
        if rng.random() < 0.5:
            _classify(rng, visit, colour, until=visit.left_at, again=False)
        return
    end = _classify(
        rng, visit, colour, until=visit.arrived_at + timedelta(hours=6), again=rng.random() < RETRIAGE_SHARE
    )
    visit.status, visit.destination = VisitStatus.ROUTED, outcome
    visit.routed_at = end + timedelta(minutes=rng.uniform(5, 60))


def _history(
    rng: random.Random, size: Size, patients: PatientIndex, clinic_ids: list[int], now: datetime
) -> list[_Visit]:
    """The year: visits that ended in a bed request, the panel patient's, frequent comers', and the rest."""
    start = now - timedelta(days=HISTORY_DAYS)
    visits: list[_Visit] = []
    admitted = list(
        Admission.objects.filter(source=AdmissionSource.TRIAGE, requested_at__gte=start)
        .exclude(risk="")
        .order_by("pk")
        .values_list("pk", "patient_id", "clinic_id", "requested_at", "risk")
    )
    for pk, patient_pk, clinic_id, requested_at, risk in rng.sample(
        admitted, min(len(admitted), int(size.visits * ADMITTED_SHARE))
    ):
        visit = _Visit(requested_at - timedelta(hours=rng.uniform(1, 4)), patients.index[patient_pk], clinic_id, "")
        _classify(rng, visit, risk, until=requested_at, again=False)
        last = visit.assessments[-1]
        if last.risk != risk:
            # The nurse classified in the colour the bed request carries.
            last.risk = risk
        visit.status, visit.destination, visit.admission_id = VisitStatus.ROUTED, Destination.ADMISSION, pk
        visit.routed_at = requested_at
        visits.append(visit)

    panel = patients.index[panel_patient().pk]

    def visit_of(patient: int, clinic_id: int, at: datetime) -> None:
        visit = _Visit(at, patient, clinic_id, "")
        _closed(rng, visit, _choose(rng, OUTCOMES), _choose(rng, COLOURS))
        visits.append(visit)

    for number in range(PANEL_VISITS):
        day = start + timedelta(days=HISTORY_DAYS * (number + rng.uniform(0.1, 0.9)) / PANEL_VISITS)
        visit_of(panel, patients.clinics[panel], day)
    count = len(patients.pks)
    for patient in rng.sample(range(count), count // FREQUENT_EVERY):
        if patient == panel:
            continue
        for _ in range(rng.randint(*FREQUENT_VISITS)):
            if len(visits) < size.visits * 0.3:
                visit_of(patient, patients.clinics[patient], start + timedelta(days=rng.uniform(0, HISTORY_DAYS - 1)))
    clinic_choice = clinic_ids
    while len(visits) < size.visits:
        patient = rng.randrange(count)
        if patient == panel:
            continue
        clinic_id = patients.clinics[patient] if rng.random() < 0.9 else rng.choice(clinic_choice)
        visit_of(patient, clinic_id, start + timedelta(days=rng.uniform(0, HISTORY_DAYS - 1)))
    return visits


def _queues(rng: random.Random, patients: PatientIndex, clinics: dict[str, int], now: datetime) -> list[_Visit]:
    """Today's walk-ins still at the door: one visit per patient, none of them the panel patient."""
    taken = {patients.index[panel_patient().pk]}
    visits = []
    for code, clinic_id in sorted(clinics.items()):
        size = QUEUES.get(code) or rng.randint(*OTHER_QUEUES)
        for _ in range(size):
            patient = rng.choice(patients.of_clinic[clinic_id])
            while patient in taken:
                patient = rng.choice(patients.of_clinic[clinic_id])
            taken.add(patient)
            status = _choose(rng, QUEUE_STATUSES)
            visit = _Visit(now - timedelta(minutes=rng.uniform(3, 240)), patient, clinic_id, status)
            if status == VisitStatus.IN_TRIAGE:
                visit.triage_started_at = visit.arrived_at + (now - visit.arrived_at) * rng.uniform(0.1, 0.9)
            elif status == VisitStatus.CLASSIFIED:
                _classify(rng, visit, _choose(rng, COLOURS), until=now, again=rng.random() < 0.1)
            visits.append(visit)
    return visits


# Writing ----------------------------------------------------------------------------------------


def _visit_rows(visits: list[_Visit], patients: PatientIndex, nurses: dict[int, list[int]]) -> Iterator[Row]:
    rng = random.Random(SEED + 1)
    notes = [encrypt(text) for text in COMPLAINTS]
    for visit in visits:
        first, second = nurses[visit.clinic_id]
        risk = visit.risk
        classified = visit.assessments[0].finished_at if visit.assessments else None
        yield (
            visit.pk,
            visit.clinic_id,
            patients.pks[visit.patient],
            visit.status,
            visit.status in (VisitStatus.ARRIVED, VisitStatus.IN_TRIAGE, VisitStatus.CLASSIFIED),
            rng.choice(notes) if rng.random() < 0.3 else "",
            visit.arrived_at,
            second,
            risk,
            RISK_RANK[risk] if risk else UNCLASSIFIED_RANK,
            visit.triage_started_at,
            classified,
            visit.destination,
            visit.routed_at,
            first if visit.routed_at else None,
            rng.choice(DISCHARGE_NOTES) if visit.destination == Destination.DISCHARGED else "",
            visit.admission_id,
            visit.left_at,
        )


def _assessment_rows(visits: list[_Visit], patients: PatientIndex, nurses: dict[int, list[int]]) -> Iterator[Row]:
    complaints = [encrypt(text) for text in COMPLAINTS]
    for visit in visits:
        by = nurses[visit.clinic_id][0]
        for assessment in visit.assessments:
            yield (
                visit.pk,
                patients.pks[visit.patient],
                assessment.started_at,
                assessment.finished_at,
                by,
                complaints[assessment.complaint],
                *(assessment.vitals.get(field) for field in rules.VITAL_FIELDS),
                assessment.signs,
                rules.flags(assessment.vitals),
                assessment.suggested,
                assessment.risk,
                OVERRIDE_REASON if assessment.risk != assessment.suggested else "",
            )


@transaction.atomic
def load_triage(size: Size, stdout: TextIO) -> None:
    """The triage nurses, a year of closed visits and today's queues."""
    truncate_visits()
    nurses = staff_of_clinics(TRIAGE_STAFF, roles.TRIAGE_NURSE, "Enfermeira")
    clinics = dict(Clinic.objects.values_list("code", "pk"))
    with bulk_load(Visit, Assessment):
        started = clock.perf_counter()
        patients = PatientIndex()
        now = timezone.now()
        rng = random.Random(SEED)
        # The rules name their reasons in the active language; the generator needs only the colours.
        with translation.override(None):
            visits = _history(rng, size, patients, sorted(clinics.values()), now)
            visits += _queues(rng, patients, clinics, now)
        visits.sort(key=lambda visit: visit.arrived_at)
        for pk, visit in enumerate(visits, start=1):
            visit.pk = pk
        stdout.write(f"    planned {len(visits):,} visits ({clock.perf_counter() - started:.1f}s)\n")
        started = clock.perf_counter()
        copy_rows(Visit, VISIT_COLUMNS, _visit_rows(visits, patients, nurses))
        assessments = copy_rows(Assessment, ASSESSMENT_COLUMNS, _assessment_rows(visits, patients, nurses))
        written = clock.perf_counter() - started
        started = clock.perf_counter()
    queued = sum(1 for visit in visits if visit.status not in (VisitStatus.ROUTED, VisitStatus.LEFT))
    outcomes: dict[str, int] = defaultdict(int)
    for visit in visits:
        outcomes[visit.destination or visit.status] += 1
    stdout.write(
        f"    {len(visits):,} visits ({queued} in queue), {assessments:,} assessments written in {written:.1f}s, "
        f"foreign keys checked in {clock.perf_counter() - started:.1f}s; {dict(sorted(outcomes.items()))}\n"
    )
