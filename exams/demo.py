"""Demo exams: the catalog, who does the exams, a year of results, and today's worklists.

What it loads:
- the catalog (``exams.catalog``), with the specialties that book exams done at a set time;
- a laboratory and an imaging unit in every clinic (``staff/demo.py`` gives each its emergency,
  wards and reception), and two lab people per clinic who collect, enter and release: in SP-PAU the
  demo logins "laboratorio" and "biomedico", elsewhere ``lab.<clinic>.<n>``;
- in each hospital a radiologist and an ultrasonographer with weekly hours in the exam rooms, so
  that booking an ultrasound or a CT finds free times in the coming days (SP-PAU's radiologist is
  the demo login "radiologia"; the others are ``img.<clinic>.<n>``). Clinics without one have their
  X-rays and ECGs reported at a distance by SP-PAU's radiologist, as networks do;
- a year of released results for most demo patients, ordered by their clinics' doctors: a check-up
  now and then, and for the chronically ill (and some others) three to six, so their charts show
  trends of blood count, glucose and creatinine that follow their conditions;
- SP-PAU's worklists as a morning leaves them: orders waiting for collection, collected and waiting
  for a result (some STAT, some past their expected time, the ward's patients among them), results
  entered by "laboratorio" waiting for a second person; imaging orders to book, exams done waiting
  for the report, reports waiting for release;
- the last steps through the services themselves: "biomedico" releases three results that
  "laboratorio" entered, which notifies "medico" (who ordered them) and puts the patients' messages
  in the outbox; a few orders are created, collected and resulted, and three imaging exams are
  booked in the imaging agendas (two ultrasounds and a CT).

The year and the earlier hours of today are written in bulk by a ledger that keeps the rows the
services write (``exams/services.py``): the order with its status and who-and-when fields, one
event per step, the values judged against the patient's range on the day of collection. Through
the services, each order would cost a dozen round trips and the year minutes. The patients'
messages and the doctors' notes of that history are not written: they were sent and read long ago.

It runs once: when exam orders exist, only the catalog, the units and the staff are checked.
"""

from __future__ import annotations

import math
import random
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Model
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from beds.models import Admission, AdmissionStatus
from clinic.crypto import EncryptedTextField
from clinic.demo import HOSPITALS, Output
from clinic.models import Clinic, Room
from exams import services
from exams.catalog import CATALOG, RADIOLOGY, ULTRASOUND, catalog_load
from exams.models import (
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
    ResultValue,
    ValueKind,
)
from exams.ranges import flag_for, range_for
from patients.models import Condition, Patient
from scheduling.availability import free_slots
from staff import roles
from staff.demo import DEMO_PASSWORD
from staff.models import CareUnit, Practitioner, PractitionerSpecialty, Specialty, User, WorkingHours

SEED = 2026
HISTORY_DAYS = 365
# The share of the demo patients who had exams in the year, and of those, who had many.
HISTORY_SHARE = 0.5
FOLLOWED_SHARE = 0.2
WORKLIST_CLINIC = "SP-PAU"
UNITS = [(CareUnit.Kind.LABORATORY, "Laboratório"), (CareUnit.Kind.IMAGING, "Diagnóstico por imagem")]
# SP-PAU's demo logins; every other clinic gets lab.<clinic>.1 and .2.
LAB_LOGINS = ("laboratorio", "biomedico")
RADIOLOGIST_LOGIN = "radiologia"
# Weekly hours of the imaging practitioners: (weekdays, start, end).
IMAGING_HOURS = [(range(5), time(7), time(12)), (range(5), time(13), time(19)), ((5,), time(7), time(12))]

HEMOGRAMA, GLICOSE, CREATININA = "40304361", "40302040", "40301630"
RX_TORAX, ECG, USG_ABDOME, TC_CRANIO, MAMOGRAFIA, RM_JOELHO = (
    "40805026",
    "40101010",
    "40901122",
    "41001010",
    "40808041",
    "41101316",
)

Number = float | str


# The catalog as stored --------------------------------------------------------------------------


@dataclass(frozen=True)
class StoredCatalog:
    """The catalog's exams by code, their analytes by exam pk and the analytes' ranges by analyte pk, read once."""

    exams: dict[str, Exam]
    analytes: dict[int, list[Analyte]]
    ranges: dict[int, list[ReferenceRange]]

    @classmethod
    def read(cls) -> StoredCatalog:
        exams = {
            exam.code: exam
            for exam in Exam.objects.filter(code__in=[entry.code for entry in CATALOG]).select_related("specialty")
        }
        analytes: dict[int, list[Analyte]] = defaultdict(list)
        for analyte in (
            Analyte.objects.filter(exam__in=list(exams.values())).prefetch_related("ranges").order_by("position", "pk")
        ):
            analytes[analyte.exam_id].append(analyte)
        ranges = {analyte.pk: list(analyte.ranges.all()) for listed in analytes.values() for analyte in listed}
        return cls(exams=exams, analytes=dict(analytes), ranges=ranges)


# Plausible results ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Profile:
    """What a patient's results follow over the year: their levels, and where their illness takes them."""

    sex: str
    birth_date: date
    diabetic: bool = False
    glucose: float = 88.0
    glucose_trend: float = 0.0  # mg/dL a year
    creatinine: float = 0.9
    creatinine_trend: float = 0.0
    haemoglobin: float = 14.0
    cholesterol: float = 185.0
    hdl: float = 52.0
    triglycerides: float = 110.0
    tsh: float = 1.7

    def age(self, on: date) -> int:
        born = self.birth_date
        return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def profile_for(rng: random.Random, *, sex: str, birth_date: date, conditions: set[str], today: date) -> Profile:
    """A patient's levels from their sex, age and recorded conditions (diabetes, high cholesterol, hypertension)."""
    age = Profile(sex, birth_date).age(today)
    female = sex == "F"
    diabetic = "E11.9" in conditions or (age >= 45 and rng.random() < 0.06)
    kidney = age >= 55 and ("I10" in conditions or diabetic) and rng.random() < 0.3
    anaemic = (female and 14 <= age <= 50 and rng.random() < 0.12) or (kidney and rng.random() < 0.5)
    if age < 12:
        haemoglobin, creatinine = 12.6 + rng.gauss(0, 0.6), 0.45 + rng.gauss(0, 0.06)
    else:
        haemoglobin = (13.8 if female else 15.2) + rng.gauss(0, 0.7)
        creatinine = (0.72 if female else 0.95) + rng.gauss(0, 0.1)
    return Profile(
        sex=sex,
        birth_date=birth_date,
        diabetic=diabetic,
        glucose=rng.uniform(135, 210) if diabetic else rng.gauss(87, 7) + (5 if age >= 50 else 0),
        glucose_trend=rng.choice([-30.0, -15.0, 0.0, 15.0, 25.0]) if diabetic else 0.0,
        creatinine=rng.uniform(1.3, 1.9) if kidney else creatinine,
        creatinine_trend=rng.uniform(0.1, 0.3) if kidney else 0.0,
        haemoglobin=rng.uniform(9.5, 11.3) if anaemic else haemoglobin,
        cholesterol=rng.uniform(230, 290) if "E78.0" in conditions else rng.gauss(185, 28),
        hdl=rng.gauss(57 if female else 47, 10),
        triglycerides=rng.lognormvariate(math.log(150 if diabetic else 105), 0.35),
        tsh=rng.uniform(5.0, 11.0) if rng.random() < 0.05 else rng.lognormvariate(math.log(1.7), 0.4),
    )


class Results:
    """Values of each catalog exam for a patient's profile at a moment of the year.

    Numbers come as floats (the ledger rounds them to each analyte's decimals), texts as written on
    a report. Panels hold together: the red cell indices follow from haemoglobin, haematocrit and
    red cells, LDL from the lipids by Friedewald, a positive nitrite comes with white cells.
    """

    def __init__(self, rng: random.Random, start: datetime) -> None:
        self.rng = rng
        self.start = start
        self._by_exam: dict[str, Callable[[Profile, float], dict[str, Number]]] = {
            HEMOGRAMA: self._blood_count,
            GLICOSE: lambda p, years: {"GLI": self._glucose(p, years)},
            "40302733": lambda p, years: {"A1C": (self._glucose(p, years) + 46.7) / 28.7 + self.rng.gauss(0, 0.2)},
            CREATININA: lambda p, years: {"CRE": self._creatinine(p, years)},
            "40302580": lambda p, years: {"URE": 30 * self._creatinine(p, years) + self.rng.gauss(0, 5)},
            "40302318": lambda p, years: {"K": self._rare(self.rng.gauss(4.3, 0.35), 6.5)},
            "40302423": lambda p, years: {"NA": self._rare(self.rng.gauss(140, 2.2), 128)},
            "40301150": lambda p, years: {"AU": self.rng.gauss(4.5 if p.sex == "F" else 5.8, 1.1)},
            "40301605": self._lipids,
            "40302547": lambda p, years: {"TG": p.triglycerides * self.rng.uniform(0.8, 1.2)},
            "40302504": lambda p, years: {"TGO": max(8.0, self.rng.gauss(24, 7))},
            "40302512": lambda p, years: {"TGP": max(7.0, self.rng.gauss(27, 10))},
            "40302571": lambda p, years: {"TNI": self._rare(self.rng.lognormvariate(math.log(3), 0.6), 180)},
            "40302016": self._blood_gas,
            "40308391": lambda p, years: {"PCR": self.rng.lognormvariate(math.log(2.5), 1.0)},
            "40311210": self._urine,
            "40304590": self._prothrombin,
            "40304639": lambda p, years: {"TTPA": self.rng.gauss(30, 2.5)},
            "40316521": lambda p, years: {"TSH": p.tsh * self.rng.uniform(0.85, 1.15)},
            "40316491": lambda p, years: {
                "T4L": max(0.4, self.rng.gauss(1.25, 0.15) - (0.05 * p.tsh if p.tsh > 5 else 0))
            },
            "40316327": self._hcg,
            "40316270": lambda p, years: {
                "FER": self.rng.lognormvariate(
                    math.log(8 if p.haemoglobin < 11.5 else 60 if p.sex == "F" else 150), 0.4
                )
            },
            "40316572": lambda p, years: {"B12": max(110.0, self.rng.gauss(450, 150))},
            "40302830": lambda p, years: {"VITD": max(6.0, self.rng.gauss(28, 9))},
            "40316149": lambda p, years: {"PSA": self.rng.lognormvariate(math.log(1.1), 0.7)},
        }

    def values(self, code: str, profile: Profile, at: datetime) -> dict[str, Number]:
        """The values of exam ``code`` by analyte code (an imaging exam has none: it has a report)."""
        making = self._by_exam.get(code)
        return making(profile, (at - self.start).days / 365) if making else {}

    def _age(self, profile: Profile, years: float) -> int:
        return profile.age((self.start + timedelta(days=365 * years)).date())

    def _rare(self, usual: float, unusual: float) -> float:
        """Now and then (1 in 60) the value that makes a lab pick up the phone."""
        return unusual * self.rng.uniform(0.97, 1.03) if self.rng.random() < 1 / 60 else usual

    def _glucose(self, profile: Profile, years: float) -> float:
        return max(60.0, profile.glucose + profile.glucose_trend * years + self.rng.gauss(0, 8))

    def _creatinine(self, profile: Profile, years: float) -> float:
        return max(0.2, profile.creatinine + profile.creatinine_trend * years + self.rng.gauss(0, 0.05))

    def _blood_count(self, profile: Profile, years: float) -> dict[str, Number]:
        rng = self.rng
        haemoglobin = max(6.5, profile.haemoglobin + rng.gauss(0, 0.35))
        # Iron deficiency makes small cells: fewer grams per cell when haemoglobin is low.
        per_cell = 2.95 if haemoglobin >= 12 else 2.6
        red_cells = haemoglobin / (per_cell * rng.uniform(0.96, 1.04))
        haematocrit = haemoglobin * rng.uniform(2.9, 3.1)
        neutrophils = rng.gauss(60, 7)
        return {
            "HEM": red_cells,
            "HGB": haemoglobin,
            "HCT": haematocrit,
            "VCM": haematocrit / red_cells * 10,
            "HCM": haemoglobin / red_cells * 10,
            "CHCM": haemoglobin / haematocrit * 100,
            "RDW": rng.gauss(13.0 if haemoglobin >= 12 else 15.5, 0.7),
            "LEU": max(1500.0, rng.gauss(9000 if self._age(profile, years) < 12 else 7000, 1800)),
            "NEU": neutrophils,
            "LIN": min(92 - neutrophils, rng.gauss(30, 6)),
            "PLT": max(30000.0, round(rng.gauss(250000, 60000), -3)),
        }

    def _lipids(self, profile: Profile, years: float) -> dict[str, Number]:
        total = profile.cholesterol + self.rng.gauss(0, 10)
        hdl = max(25.0, profile.hdl + self.rng.gauss(0, 3))
        vldl = profile.triglycerides * self.rng.uniform(0.85, 1.15) / 5
        return {"CT": total, "HDL": hdl, "LDL": max(40.0, total - hdl - vldl), "VLDL": vldl, "NHDL": total - hdl}

    def _blood_gas(self, profile: Profile, years: float) -> dict[str, Number]:
        rng = self.rng
        pco2, bicarbonate = rng.gauss(40, 4), rng.gauss(24, 2)
        ph = 6.1 + math.log10(bicarbonate / (0.0307 * pco2))  # Henderson-Hasselbalch
        return {
            "PH": ph,
            "PCO2": pco2,
            "PO2": rng.gauss(88, 10),
            "HCO3": bicarbonate,
            "BE": bicarbonate - 24 + rng.gauss(0, 0.5),
            "SAT": min(100.0, rng.gauss(97, 1.5)),
        }

    def _urine(self, profile: Profile, years: float) -> dict[str, Number]:
        rng = self.rng
        infection = rng.random() < 0.12
        return {
            "COR": rng.choice(["Amarelo citrino"] * 6 + ["Amarelo claro", "Amarelo escuro"]),
            "ASP": "Turvo" if infection else rng.choice(["Límpido"] * 5 + ["Ligeiramente turvo"]),
            "DENS": rng.choice(range(1005, 1031, 5)) / 1000,
            "PH": rng.choice([5.0, 5.5, 6.0, 6.0, 6.5, 7.0]),
            "PROT": rng.choice(["Negativo"] * 8 + ["Traços", "+"]),
            "GLI": "++" if profile.diabetic and profile.glucose > 180 else "Negativo",
            "NIT": "Positivo" if infection and rng.random() < 0.6 else "Negativo",
            "LEU": rng.uniform(40000, 200000) if infection else rng.lognormvariate(math.log(3500), 0.5),
            "HEM": rng.lognormvariate(math.log(2500), 0.6),
        }

    def _prothrombin(self, profile: Profile, years: float) -> dict[str, Number]:
        seconds = self.rng.gauss(12, 0.7)
        return {
            "TP": seconds,
            "ATV": min(120.0, max(40.0, 100 - (seconds - 11.5) * 12)),
            "INR": seconds / 12,
        }

    def _hcg(self, profile: Profile, years: float) -> dict[str, Number]:
        pregnant = profile.sex == "F" and self.rng.random() < 0.15
        return {"HCG": self.rng.uniform(800, 90000) if pregnant else self.rng.uniform(0.1, 2.0)}


# Imaging reports, as the radiologist writes them: (normal, [findings]).
REPORTS: dict[str, tuple[str, list[str]]] = {
    RX_TORAX: (
        "Técnica: incidências PA e perfil.\nCampos pulmonares com transparência preservada. Seios costofrênicos "
        "livres. Área cardíaca dentro dos limites da normalidade. Mediastino centrado.\n"
        "Impressão: radiografia de tórax sem alterações.",
        [
            "Técnica: incidências PA e perfil.\nOpacidade heterogênea em base pulmonar direita. Seios costofrênicos "
            "livres. Área cardíaca normal.\nImpressão: achado compatível com processo inflamatório/infeccioso; "
            "correlacionar com a clínica.",
            "Técnica: incidências PA e perfil.\nAumento da área cardíaca (índice cardiotorácico 0,56). Campos "
            "pulmonares sem consolidações.\nImpressão: cardiomegalia leve.",
        ],
    ),
    ECG: (
        "Ritmo sinusal, FC 74 bpm. Eixo elétrico normal. PR 160 ms, QRS 90 ms, QTc 410 ms. "
        "Sem alterações da repolarização ventricular.\nConclusão: eletrocardiograma dentro dos limites da normalidade.",
        [
            "Ritmo sinusal, FC 82 bpm. Índice de Sokolow-Lyon 38 mm, com alteração secundária da repolarização.\n"
            "Conclusão: sobrecarga ventricular esquerda.",
            "Ritmo sinusal, FC 58 bpm. PR 180 ms, QRS 100 ms.\nConclusão: bradicardia sinusal.",
        ],
    ),
    USG_ABDOME: (
        "Fígado de dimensões normais, contornos regulares e ecotextura homogênea. Vesícula biliar normodistendida, "
        "de paredes finas, sem cálculos. Vias biliares não dilatadas. Pâncreas, baço e rins sem alterações. "
        "Bexiga com paredes finas e conteúdo anecoico.\nConclusão: ultrassonografia do abdome total sem alterações.",
        [
            "Fígado de dimensões normais, com aumento difuso da ecogenicidade. Vesícula biliar sem cálculos. Demais "
            "órgãos sem alterações.\nConclusão: esteatose hepática grau I.",
            "Vesícula biliar normodistendida, com imagens ecogênicas móveis com sombra acústica posterior, a maior "
            "com 1,2 cm. Vias biliares não dilatadas.\nConclusão: colelitíase.",
        ],
    ),
    TC_CRANIO: (
        "Exame realizado sem contraste. Parênquima encefálico com atenuação normal. Sistema ventricular de "
        "dimensões normais. Sem coleções extra-axiais.\nConclusão: tomografia de crânio sem alterações.",
        [
            "Exame realizado sem contraste. Alargamento difuso de sulcos e cisternas. Hipoatenuação periventricular "
            "discreta.\nConclusão: redução volumétrica encefálica e microangiopatia, compatíveis com a faixa etária.",
        ],
    ),
    MAMOGRAFIA: (
        "Mamas com parênquima fibroglandular esparso. Ausência de nódulos, microcalcificações suspeitas ou distorção "
        "arquitetural. Linfonodos axilares de aspecto habitual.\nConclusão: BI-RADS 1 (negativo).",
        [
            "Mamas com parênquima fibroglandular heterogêneo. Calcificações grosseiras esparsas, de aspecto benigno.\n"
            "Conclusão: BI-RADS 2 (achados benignos). Controle anual.",
        ],
    ),
    RM_JOELHO: (
        "Meniscos com morfologia e sinal preservados. Ligamentos cruzados e colaterais íntegros. Cartilagem "
        "articular preservada. Sem derrame articular.\nConclusão: ressonância magnética do joelho sem alterações.",
        [
            "Hipersinal linear no corno posterior do menisco medial, comunicando-se com a superfície articular "
            "inferior. Pequeno derrame articular.\nConclusão: lesão do corno posterior do menisco medial.",
        ],
    ),
}
INDICATIONS = [
    "Check-up anual",
    "Controle de diabetes",
    "Controle de hipertensão",
    "Avaliação de anemia",
    "Controle de dislipidemia",
    "Pré-operatório",
    "Fadiga a esclarecer",
    "",
    "",
    "",
]


def report_for(rng: random.Random, code: str) -> str:
    normal, findings = REPORTS[code]
    return rng.choice(findings) if rng.random() < 0.25 else normal


# Writing in bulk ---------------------------------------------------------------------------------


def new_ids(model: type[Model], count: int) -> list[int]:
    """``count`` primary keys from the table's own sequence, so rows can refer to each other before COPY."""
    if not count:
        return []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
            [model._meta.db_table, count],
        )
        return [pk for (pk,) in cursor.fetchall()]


def copy_rows(model: type[Model], rows: list[dict[str, Any]], *, history: bool = True) -> None:
    """COPY ``rows`` (column name -> value, the same columns in each) into ``model``'s table.

    COPY is many times faster than INSERTs, and the model's ``save`` (with its history signal) is
    not called: encrypted fields are encrypted here, as the field would on save, and a model that
    keeps history (django-simple-history) gets one record per row, of the row as written, unless
    ``history`` is False.
    """
    if not rows:
        return
    columns = list(rows[0])
    fields = {field.attname: field for field in model._meta.concrete_fields}
    encrypted = [column for column in columns if isinstance(fields[column], EncryptedTextField)]
    for row in rows:
        for column in encrypted:
            row[column] = fields[column].get_prep_value(row[column])
    _copy(model._meta.db_table, columns, [tuple(row[column] for column in columns) for row in rows])
    manager = getattr(model, "history", None)
    if manager is None or not history:
        return
    historical = manager.model
    kept = [column for column in columns if column in {field.attname for field in historical._meta.concrete_fields}]
    extra = (timezone.now(), None, "+", None)
    _copy(
        historical._meta.db_table,
        [*kept, "history_date", "history_change_reason", "history_type", "history_user_id"],
        [(*(row[column] for column in kept), *extra) for row in rows],
    )


def _copy(table: str, columns: list[str], rows: list[tuple[Any, ...]]) -> None:
    statement = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
    with connection.cursor() as cursor, cursor.copy(statement) as copy:  # type: ignore[attr-defined]
        for row in rows:
            copy.write_row(row)


# The ledger -------------------------------------------------------------------------------------


@dataclass(eq=False)
class LedgerOrder:
    """An order the ledger holds: the fields ``exams.services`` fills, step by step; the pk comes at saving."""

    patient: Patient
    exam: Exam
    clinic: Clinic
    unit_id: int
    ordered_by_id: int
    ordered_at: datetime
    priority: str
    origin: str
    indication: str = ""
    admission_id: int | None = None
    status: str = OrderStatus.REQUESTED
    collected_at: datetime | None = None
    collected_by_id: int | None = None
    resulted_at: datetime | None = None
    resulted_by_id: int | None = None
    released_at: datetime | None = None
    released_by_id: int | None = None
    report: str = ""
    pk: int | None = None

    def row(self) -> dict[str, Any]:
        return {
            "id": self.pk,
            "patient_id": self.patient.pk,
            "exam_id": self.exam.pk,
            "clinic_id": self.clinic.pk,
            "unit_id": self.unit_id,
            "status": self.status,
            "priority": self.priority,
            "priority_rank": PRIORITY_RANK[OrderPriority(self.priority)],
            "origin": self.origin,
            "consultation_id": None,
            "admission_id": self.admission_id,
            "indication": self.indication,
            "ordered_at": self.ordered_at,
            "ordered_by_id": self.ordered_by_id,
            "appointment_id": None,
            "collected_at": self.collected_at,
            "collected_by_id": self.collected_by_id,
            "resulted_at": self.resulted_at,
            "resulted_by_id": self.resulted_by_id,
            "released_at": self.released_at,
            "released_by_id": self.released_by_id,
            "report": self.report,
            "cancelled_at": None,
            "cancelled_by_id": None,
            "cancel_reason": "",
        }


class OrderLedger:
    """Orders taken step by step as ``exams.services`` takes them, kept in memory and saved in bulk.

    Each step writes what its service writes (the order's status and who-and-when fields, an
    ``OrderEvent``, the values judged by ``exams.ranges``) at its own time, but takes no lock and
    checks nothing: the caller only takes steps the services would allow, and the database's
    constraints check the rows when they are saved.
    """

    def __init__(self, catalog: StoredCatalog) -> None:
        self.catalog = catalog
        self.orders: list[LedgerOrder] = []
        self.values: list[tuple[LedgerOrder, dict[str, Any]]] = []
        self.events: list[tuple[LedgerOrder, dict[str, Any]]] = []

    def _event(self, order: LedgerOrder, to: str, *, by: User, at: datetime) -> None:
        self.events.append(
            (order, {"from_status": order.status, "to_status": to, "at": at, "by_id": by.pk, "note": ""})
        )
        order.status = to

    def order(
        self,
        *,
        patient: Patient,
        exam: Exam,
        clinic: Clinic,
        unit: CareUnit,
        by: User,
        at: datetime,
        priority: str = OrderPriority.ROUTINE,
        origin: str = OrderOrigin.CHART,
        indication: str = "",
        admission: Admission | None = None,
    ) -> LedgerOrder:
        order = LedgerOrder(
            patient=patient,
            exam=exam,
            clinic=clinic,
            unit_id=unit.pk,
            ordered_by_id=by.pk,
            ordered_at=at,
            priority=priority,
            origin=origin,
            indication=indication,
            admission_id=admission.pk if admission else None,
        )
        self.orders.append(order)
        order.status = ""
        self._event(order, OrderStatus.REQUESTED, by=by, at=at)
        return order

    def collect(self, order: LedgerOrder, *, by: User, at: datetime) -> None:
        order.collected_at, order.collected_by_id = at, by.pk
        self._event(order, OrderStatus.COLLECTED, by=by, at=at)

    def result(
        self, order: LedgerOrder, *, by: User, at: datetime, values: dict[str, Number], report: str = ""
    ) -> None:
        """The values (by analyte code) judged against the patient's range on the day of collection."""
        assert order.collected_at is not None
        patient = order.patient
        age = patient.age(on=timezone.localtime(order.collected_at, order.clinic.zone).date())
        for analyte in self.catalog.analytes.get(order.exam.pk, []):
            value = values.get(analyte.code)
            if value is None:
                continue
            row: dict[str, Any] = {
                "analyte_id": analyte.pk,
                "patient_id": patient.pk,
                "unit": analyte.unit,
                "number": None,
                "text": "",
                "flag": "",
                "reference_low": None,
                "reference_high": None,
            }
            if analyte.value_kind == ValueKind.TEXT:
                row["text"] = str(value)
            else:
                number = quantised(float(value), analyte)
                reference = range_for(self.catalog.ranges[analyte.pk], sex=patient.sex, age_years=age)
                row["number"], row["flag"] = number, flag_for(number, reference)
                if reference is not None:
                    row["reference_low"], row["reference_high"] = reference.low, reference.high
            self.values.append((order, row))
        order.resulted_at, order.resulted_by_id, order.report = at, by.pk, report
        self._event(order, OrderStatus.RESULTED, by=by, at=at)

    def release(self, order: LedgerOrder, *, by: User, at: datetime) -> None:
        order.released_at, order.released_by_id = at, by.pk
        self._event(order, OrderStatus.RELEASED, by=by, at=at)

    def save(self) -> None:
        """Write the orders (one history record each, of their state at the end), their values and events."""
        for order, pk in zip(self.orders, new_ids(ExamOrder, len(self.orders)), strict=True):
            order.pk = pk
        copy_rows(ExamOrder, [order.row() for order in self.orders])
        # A value's own history would only ever tell of a correction before the release, which these never had.
        copy_rows(ResultValue, [{"order_id": order.pk, **row} for order, row in self.values], history=False)
        copy_rows(OrderEvent, [{"order_id": order.pk, **row} for order, row in self.events])


def quantised(value: float, analyte: Analyte) -> Decimal:
    return Decimal(repr(value)).quantize(Decimal(1).scaleb(-analyte.decimals))


def typed_values(catalog: StoredCatalog, exam: Exam, values: dict[str, Number]) -> dict[int, tuple[str, str]]:
    """``values`` as the results form sends them to ``services.results_enter``: analyte pk -> (value, unit)."""
    typed = {}
    for analyte in catalog.analytes.get(exam.pk, []):
        value = values[analyte.code]
        if analyte.value_kind == ValueKind.NUMBER:
            typed[analyte.pk] = (str(quantised(float(value), analyte)), analyte.unit)
        else:
            typed[analyte.pk] = (str(value), "")
    return typed


# Units and people -------------------------------------------------------------------------------


@dataclass
class Staff:
    """Who orders, who works in the lab and who writes imaging reports, by clinic pk."""

    doctors: dict[int, list[User]]
    lab: dict[int, tuple[User, User]]  # (collects and enters, releases)
    reporters: dict[int, User]
    imaging: dict[int, dict[str, Practitioner]]  # the hospitals' practitioners by specialty code


def ensure_units(clinics: list[Clinic]) -> dict[tuple[int, str], CareUnit]:
    """The laboratory and imaging unit of each clinic (the first active one by name), created where missing."""
    units: dict[tuple[int, str], CareUnit] = {}
    for unit in CareUnit.objects.filter(kind__in=[kind for kind, _name in UNITS], is_active=True).order_by(
        "name", "pk"
    ):
        units.setdefault((unit.clinic_id, unit.kind), unit)
    missing = [
        CareUnit(clinic=clinic, kind=kind, name=name)
        for clinic in clinics
        for kind, name in UNITS
        if (clinic.pk, kind) not in units
    ]
    for unit in bulk_create_with_history(missing, CareUnit):
        units[unit.clinic_id, unit.kind] = unit
    return units


class _Logins:
    """Gets or creates demo logins of one role; the (published) demo password is hashed once, when first needed."""

    def __init__(self, role: str) -> None:
        self.group = Group.objects.get(name=role)
        self._password = ""

    def get(self, username: str, first: str, last: str, clinic: Clinic) -> User:
        user = User.objects.filter(username=username).first()
        if user is None:
            self._password = self._password or make_password(DEMO_PASSWORD)
            user = User.objects.create(
                username=username,
                first_name=first,
                last_name=last,
                email=f"{username}@clinica.localhost",
                password=self._password,
            )
            user.groups.add(self.group)
            user.clinics.add(clinic)
        return user


_LAB_NAMES = ["Amanda", "Caio", "Denise", "Gustavo", "Helena", "Igor", "Jéssica", "Leonardo", "Mirela", "Otávio"]


def ensure_staff(clinics: list[Clinic], specialties: dict[str, Specialty]) -> Staff:
    """Lab people in every clinic, imaging practitioners with hours in the hospitals; and who orders."""
    new_logins = _Logins(roles.LAB)
    logins = {user.username: user for user in User.objects.filter(username__in=[*LAB_LOGINS, RADIOLOGIST_LOGIN])}
    lab: dict[int, tuple[User, User]] = {}
    for index, clinic in enumerate(clinics):
        if clinic.code == WORKLIST_CLINIC and all(name in logins for name in LAB_LOGINS):
            lab[clinic.pk] = (logins[LAB_LOGINS[0]], logins[LAB_LOGINS[1]])
            continue
        first, second = (
            new_logins.get(
                f"lab.{clinic.code.lower()}.{n + 1}",
                _LAB_NAMES[(2 * index + n) % len(_LAB_NAMES)],
                f"Laboratório {clinic.code}",
                clinic,
            )
            for n in range(2)
        )
        lab[clinic.pk] = (first, second)
    imaging = _imaging_practitioners(clinics, specialties, new_logins, logins)
    doctors: dict[int, list[User]] = defaultdict(list)
    ordering = User.objects.filter(groups__name=roles.DOCTOR, practitioner__isnull=False).prefetch_related("clinics")
    for user in ordering.order_by("username"):
        for clinic in user.clinics.all():
            doctors[clinic.pk].append(user)
    sp = next((clinic for clinic in clinics if clinic.code == WORKLIST_CLINIC), clinics[0])
    remote = imaging.get(sp.pk, {}).get(RADIOLOGY)
    reporters = {}
    for clinic in clinics:
        own = imaging.get(clinic.pk, {}).get(RADIOLOGY) or remote
        reporters[clinic.pk] = own.user if own else lab[clinic.pk][0]
    return Staff(doctors=dict(doctors), lab=lab, reporters=reporters, imaging=imaging)


def _imaging_practitioners(
    clinics: list[Clinic], specialties: dict[str, Specialty], new_logins: _Logins, logins: dict[str, User]
) -> dict[int, dict[str, Practitioner]]:
    """A radiologist and an ultrasonographer per hospital, each with weekly hours in an exam room."""
    found: dict[int, dict[str, Practitioner]] = {}
    since = timezone.localdate() - timedelta(days=HISTORY_DAYS)
    for index, clinic in enumerate(clinics):
        if clinic.code not in HOSPITALS:
            continue
        rooms = list(Room.objects.filter(clinic=clinic, kind=Room.Kind.EXAM, is_active=True).order_by("code"))
        if not rooms:
            continue
        for number, code in enumerate((RADIOLOGY, ULTRASOUND), start=1):
            if code == RADIOLOGY and clinic.code == WORKLIST_CLINIC and RADIOLOGIST_LOGIN in logins:
                user = logins[RADIOLOGIST_LOGIN]
            else:
                user = new_logins.get(
                    f"img.{clinic.code.lower()}.{number}",
                    ["Rodrigo", "Sílvia", "Tânia", "Ulisses", "Vânia", "Wagner"][(2 * index + number) % 6],
                    f"{specialties[code].name} {clinic.code}",
                    clinic,
                )
            practitioner = Practitioner.objects.filter(user=user).first()
            if practitioner is None:
                practitioner = Practitioner.objects.create(
                    user=user, council="CRM", council_number=f"{400000 + 10 * index + number}", council_uf=clinic.uf
                )
                PractitionerSpecialty.objects.create(practitioner=practitioner, specialty=specialties[code])
                room = rooms[(number - 1) % len(rooms)]
                WorkingHours.objects.bulk_create(
                    WorkingHours(
                        practitioner=practitioner,
                        clinic=clinic,
                        room=room,
                        weekday=weekday,
                        start_time=start,
                        end_time=end,
                        valid_from=since,
                    )
                    for weekdays, start, end in IMAGING_HOURS
                    for weekday in weekdays
                )
            found.setdefault(clinic.pk, {})[code] = practitioner
    return found


# A year of results ------------------------------------------------------------------------------


def _at(day: date, hour: int, minute: int, clinic: Clinic) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=clinic.zone)


def lab_panel(rng: random.Random, profile: Profile, age: int) -> list[str]:
    """What a doctor asks for at a visit: always the blood count, glucose and creatinine, and more by case."""
    codes = [HEMOGRAMA, GLICOSE, CREATININA]
    if age < 12:
        return codes + (["40311210"] if rng.random() < 0.3 else [])
    extras = [
        (0.45, ["40301605", "40302547"]),
        (1.0 if profile.diabetic else 0.08, ["40302733"]),
        (0.2, ["40316521", "40316491"] if rng.random() < 0.5 else ["40316521"]),
        (0.2, ["40302580", "40302318", "40302423"]),
        (0.25, ["40311210"]),
        (0.12, ["40308391"]),
        (0.15, ["40302504", "40302512"]),
        (0.1, ["40316270"]),
        (0.08, ["40316572"]),
        (0.12, ["40302830"]),
        (0.05, ["40301150"]),
        (0.04, ["40304590", "40304639"]),
        (0.35 if profile.sex == "M" and age >= 45 else 0.0, ["40316149"]),
        (0.05 if profile.sex == "F" and 18 <= age <= 42 else 0.0, ["40316327"]),
    ]
    for chance, more in extras:
        if rng.random() < chance:
            codes += more
    return codes


def imaging_panel(rng: random.Random, profile: Profile, age: int) -> list[str]:
    chances = [
        (RX_TORAX, 0.06),
        (ECG, 0.12 if age >= 40 else 0.0),
        (USG_ABDOME, 0.06 if age >= 12 else 0.0),
        (MAMOGRAFIA, 0.15 if profile.sex == "F" and age >= 40 else 0.0),
        (TC_CRANIO, 0.02),
        (RM_JOELHO, 0.02 if age >= 16 else 0.0),
    ]
    return [code for code, chance in chances if rng.random() < chance]


@dataclass
class History:
    """The year of results: which patients, their profiles, and who among them is followed closely."""

    rng: random.Random
    now: datetime
    catalog: StoredCatalog
    results: Results
    staff: Staff
    units: dict[tuple[int, str], CareUnit]
    ledger: OrderLedger

    def __post_init__(self) -> None:
        self.profiles: dict[int, Profile] = {}
        self.followed: dict[int, list[Patient]] = defaultdict(list)  # by clinic pk
        self.counts: Counter[str] = Counter()

    def run(self, patients: list[Patient], clinics: dict[int, Clinic], conditions: dict[int, set[str]]) -> None:
        today = timezone.localdate(self.now)
        for patient in patients:
            clinic = clinics.get(patient.home_clinic_id or 0)
            doctors = self.staff.doctors.get(clinic.pk, []) if clinic else []
            if clinic is None or not doctors or self.rng.random() >= HISTORY_SHARE:
                continue
            profile = profile_for(
                self.rng,
                sex=patient.sex,
                birth_date=patient.birth_date,
                conditions=conditions.get(patient.pk, set()),
                today=today,
            )
            self.profiles[patient.pk] = profile
            followed = profile.diabetic or profile.creatinine_trend > 0 or self.rng.random() < FOLLOWED_SHARE
            visits = self.rng.randint(3, 6) if followed else 1 if self.rng.random() < 0.7 else 2
            if followed:
                self.followed[clinic.pk].append(patient)
            doctor = self.rng.choice(doctors)
            for days_ago in sorted(self.rng.sample(range(3, HISTORY_DAYS), visits), reverse=True):
                self._visit(patient, profile, clinic, doctor, day=today - timedelta(days=days_ago))

    def _visit(self, patient: Patient, profile: Profile, clinic: Clinic, doctor: User, *, day: date) -> None:
        rng = self.rng
        if day.weekday() == 6:
            day += timedelta(days=1)
        ordered_at = _at(day, rng.randint(8, 16), rng.choice(range(0, 60, 10)), clinic)
        collection_day = day + timedelta(days=rng.choice([1, 1, 2, 3, 5]))
        collected_at = _at(collection_day, rng.randint(6, 9), rng.choice(range(0, 60, 5)), clinic)
        age = profile.age(day)
        indication = "Controle de diabetes" if profile.diabetic else rng.choice(INDICATIONS)
        enters, releases = self.staff.lab[clinic.pk]
        steps: list[tuple[str, datetime, datetime, datetime, User, User]] = []
        for code in lab_panel(rng, profile, age):
            exam = self.catalog.exams[code]
            resulted_at = collected_at + timedelta(hours=max(0.25, exam.turnaround_hours * rng.uniform(0.3, 0.9)))
            steps.append(
                (code, collected_at, resulted_at, resulted_at + timedelta(minutes=rng.randint(5, 90)), enters, releases)
            )
        reporter = self.staff.reporters[clinic.pk]
        second = releases if releases != reporter else enters
        for code in imaging_panel(rng, profile, age):
            exam = self.catalog.exams[code]
            if exam.needs_scheduling:
                done = _at(day + timedelta(days=rng.randint(2, 20)), rng.randint(7, 17), rng.choice((0, 30)), clinic)
            else:
                done = ordered_at + timedelta(minutes=rng.randint(15, 90))
            reported = done + timedelta(hours=rng.uniform(1, exam.turnaround_hours))
            steps.append((code, done, reported, reported + timedelta(minutes=rng.randint(10, 120)), reporter, second))
        if not steps or max(step[3] for step in steps) >= self.now - timedelta(hours=1):
            return  # the results of this visit are not out yet: today's worklists hold such orders
        for code, done, resulted_at, released_at, by, releaser in steps:
            exam = self.catalog.exams[code]
            unit = self.units[
                clinic.pk, CareUnit.Kind.LABORATORY if exam.kind == ExamKind.LAB else CareUnit.Kind.IMAGING
            ]
            order = self.ledger.order(
                patient=patient, exam=exam, clinic=clinic, unit=unit, by=doctor, at=ordered_at, indication=indication
            )
            self.ledger.collect(order, by=enters if exam.kind == ExamKind.LAB else by, at=done)
            report = report_for(rng, code) if exam.kind == ExamKind.IMAGING else ""
            self.ledger.result(
                order, by=by, at=resulted_at, values=self.results.values(code, profile, done), report=report
            )
            self.ledger.release(order, by=releaser, at=released_at)
            self.counts[exam.kind] += 1


# Today's worklists ------------------------------------------------------------------------------

# (exam code, status, priority, minutes since it was ordered, minutes from the order to the collection)
TODAY_LAB = [
    ("40302571", OrderStatus.REQUESTED, OrderPriority.STAT, 95, 0),  # troponin due in 1 h: overdue
    (HEMOGRAMA, OrderStatus.REQUESTED, OrderPriority.STAT, 30, 0),
    ("40302318", OrderStatus.REQUESTED, OrderPriority.URGENT, 55, 0),
    (GLICOSE, OrderStatus.REQUESTED, OrderPriority.ROUTINE, 150, 0),
    (HEMOGRAMA, OrderStatus.REQUESTED, OrderPriority.ROUTINE, 290, 0),  # due in 4 h: overdue
    ("40311210", OrderStatus.REQUESTED, OrderPriority.ROUTINE, 85, 0),
    (CREATININA, OrderStatus.REQUESTED, OrderPriority.ROUTINE, 120, 0),
    ("40316521", OrderStatus.REQUESTED, OrderPriority.ROUTINE, 240, 0),
    (HEMOGRAMA, OrderStatus.COLLECTED, OrderPriority.ROUTINE, 400, 20),  # collected 6 h ago: overdue
    ("40302016", OrderStatus.COLLECTED, OrderPriority.STAT, 140, 10),  # blood gas due in 1 h: overdue
    (GLICOSE, OrderStatus.COLLECTED, OrderPriority.ROUTINE, 200, 30),
    ("40301605", OrderStatus.COLLECTED, OrderPriority.ROUTINE, 210, 25),
    ("40304590", OrderStatus.COLLECTED, OrderPriority.URGENT, 100, 15),
    ("40302580", OrderStatus.COLLECTED, OrderPriority.ROUTINE, 90, 20),
    ("40308391", OrderStatus.COLLECTED, OrderPriority.URGENT, 70, 10),
    (HEMOGRAMA, OrderStatus.RESULTED, OrderPriority.ROUTINE, 300, 30),
    (GLICOSE, OrderStatus.RESULTED, OrderPriority.ROUTINE, 280, 20),
    (CREATININA, OrderStatus.RESULTED, OrderPriority.URGENT, 240, 15),
    ("40302423", OrderStatus.RESULTED, OrderPriority.STAT, 130, 10),
    ("40316270", OrderStatus.RESULTED, OrderPriority.ROUTINE, 330, 40),
]
TODAY_IMAGING = [
    (RX_TORAX, OrderStatus.REQUESTED, OrderPriority.URGENT, 40, 0),
    (ECG, OrderStatus.REQUESTED, OrderPriority.STAT, 25, 0),
    (USG_ABDOME, OrderStatus.REQUESTED, OrderPriority.ROUTINE, 180, 0),  # to be booked
    (TC_CRANIO, OrderStatus.REQUESTED, OrderPriority.URGENT, 90, 0),
    (MAMOGRAFIA, OrderStatus.REQUESTED, OrderPriority.ROUTINE, 300, 0),
    (RX_TORAX, OrderStatus.COLLECTED, OrderPriority.ROUTINE, 200, 30),
    (ECG, OrderStatus.COLLECTED, OrderPriority.URGENT, 160, 10),  # ECG report due in 2 h: overdue
    (TC_CRANIO, OrderStatus.COLLECTED, OrderPriority.STAT, 140, 20),
    (RX_TORAX, OrderStatus.RESULTED, OrderPriority.ROUTINE, 330, 30),
    (ECG, OrderStatus.RESULTED, OrderPriority.ROUTINE, 260, 15),
]
# The STAT and urgent lab orders come from the ward: patients admitted now, when there are any.
WARD_PRIORITIES = {OrderPriority.STAT, OrderPriority.URGENT}


def _today(history: History, clinic: Clinic, patients: list[Patient], admitted: list[Admission]) -> int:
    """SP-PAU's open orders of the day, in every status the worklists show, written by the ledger."""
    rng, now, staff, ledger = history.rng, history.now, history.staff, history.ledger
    enters, _releases = staff.lab[clinic.pk]
    doctors = staff.doctors.get(clinic.pk, [])
    if not doctors or not patients:
        return 0
    outpatients = iter(patients)
    wards = iter(admitted)
    written = 0
    for plan, kind in ((TODAY_LAB, CareUnit.Kind.LABORATORY), (TODAY_IMAGING, CareUnit.Kind.IMAGING)):
        for code, status, priority, minutes, collect_after in plan:
            exam = history.catalog.exams[code]
            admission = next(wards, None) if kind == CareUnit.Kind.LABORATORY and priority in WARD_PRIORITIES else None
            patient = admission.patient if admission else next(outpatients)
            ordered_at = now - timedelta(minutes=minutes)
            order = ledger.order(
                patient=patient,
                exam=exam,
                clinic=clinic,
                unit=history.units[clinic.pk, kind],
                by=rng.choice(doctors),
                at=ordered_at,
                priority=priority,
                origin=OrderOrigin.ADMISSION if admission else OrderOrigin.CHART,
                admission=admission,
            )
            written += 1
            if status == OrderStatus.REQUESTED:
                continue
            collected_at = ordered_at + timedelta(minutes=collect_after)
            reporter = enters if kind == CareUnit.Kind.LABORATORY else staff.reporters[clinic.pk]
            ledger.collect(order, by=enters if kind == CareUnit.Kind.LABORATORY else reporter, at=collected_at)
            if status == OrderStatus.COLLECTED:
                continue
            profile = history.profiles.get(patient.pk) or profile_for(
                rng, sex=patient.sex, birth_date=patient.birth_date, conditions=set(), today=now.date()
            )
            resulted_at = collected_at + (now - collected_at) * 0.6
            report = report_for(rng, code) if kind == CareUnit.Kind.IMAGING else ""
            values = history.results.values(code, profile, collected_at)
            ledger.result(order, by=reporter, at=resulted_at, values=values, report=report)
    return written


# The last steps, through the services -----------------------------------------------------------


def _through_services(history: History, clinic: Clinic, patients: list[Patient]) -> Counter[str]:
    """Released results that notify "medico", orders of the last minutes, and imaging exams booked."""
    rng, staff, catalog = history.rng, history.staff, history.catalog
    counts: Counter[str] = Counter()
    doctors = staff.doctors.get(clinic.pk, [])
    medico = next((user for user in doctors if user.username == "medico"), doctors[0] if doctors else None)
    if medico is None or len(patients) < 10:
        return counts
    enters, releases = staff.lab[clinic.pk]
    first, second = (history.followed.get(clinic.pk, []) + patients)[:2]
    first_profile = history.profiles.get(first.pk) or profile_for(
        rng, sex=first.sex, birth_date=first.birth_date, conditions=set(), today=history.now.date()
    )
    # The first patient's haemoglobin has fallen since the last count: the doctor will see it flagged.
    anaemic = replace(first_profile, haemoglobin=10.2 if first.sex == "F" else 11.2)
    second_profile = history.profiles.get(second.pk) or first_profile
    released = [(first, HEMOGRAMA, anaemic), (first, CREATININA, first_profile), (second, GLICOSE, second_profile)]
    for patient, code, profile in released:
        order = _order(catalog, patient=patient, code=code, clinic=clinic, by=medico, indication="Controle")
        order = services.order_collect(order=order, by=enters)
        values = typed_values(catalog, order.exam, history.results.values(code, profile, history.now))
        order = services.results_enter(order=order, by=enters, values=values)
        services.result_release(order=order, by=releases)
        counts["released"] += 1
    others = iter(patients[2:])
    _order(catalog, patient=next(others), code="40316521", clinic=clinic, by=medico)
    _order(catalog, patient=next(others), code="40311210", clinic=clinic, by=rng.choice(doctors))
    services.order_collect(
        order=_order(
            catalog, patient=next(others), code="40308391", clinic=clinic, by=medico, priority=OrderPriority.URGENT
        ),
        by=enters,
    )
    patient = next(others)
    order = services.order_collect(
        order=_order(
            catalog, patient=patient, code="40302318", clinic=clinic, by=medico, priority=OrderPriority.URGENT
        ),
        by=enters,
    )
    profile = history.profiles.get(patient.pk) or first_profile
    services.results_enter(
        order=order,
        by=enters,
        values=typed_values(catalog, order.exam, history.results.values("40302318", profile, history.now)),
    )
    counts["created now"] += 4
    counts["booked"] = _book_imaging(history, clinic, others, booker=User.objects.filter(username="recepcao").first())
    return counts


def _order(
    catalog: StoredCatalog,
    *,
    patient: Patient,
    code: str,
    clinic: Clinic,
    by: User,
    priority: str = OrderPriority.ROUTINE,
    indication: str = "",
) -> ExamOrder:
    return services.order_create(
        patient=Patient.objects.get(pk=patient.pk),
        exam=catalog.exams[code],
        clinic=clinic,
        by=by,
        priority=priority,
        indication=indication,
    )


def _book_imaging(history: History, clinic: Clinic, patients: Iterator[Patient], *, booker: User | None) -> int:
    """Two ultrasounds and a CT ordered today and booked in the coming days, as reception books them."""
    practitioners = history.staff.imaging.get(clinic.pk, {})
    doctors = history.staff.doctors.get(clinic.pk, [])
    tomorrow = timezone.localdate(history.now, clinic.zone) + timedelta(days=1)
    booked = 0
    for code in (USG_ABDOME, USG_ABDOME, TC_CRANIO):
        exam = history.catalog.exams[code]
        practitioner = practitioners.get(exam.specialty.code if exam.specialty else "")
        if practitioner is None or exam.specialty is None:
            continue
        patient = next(patients)
        order = _order(history.catalog, patient=patient, code=code, clinic=clinic, by=history.rng.choice(doctors))
        slots = free_slots(
            practitioners=[practitioner], specialty=exam.specialty, first=tomorrow, last=tomorrow + timedelta(days=7)
        )
        for slot in slots[booked * 3 :]:
            try:
                services.order_schedule(
                    order=order, practitioner=practitioner, starts_at=slot.starts_at, by=booker or order.ordered_by
                )
            except ValidationError:
                continue  # the patient is busy then: the next time
            booked += 1
            break
    return booked


# Loading ----------------------------------------------------------------------------------------


@transaction.atomic
def load(stdout: Output) -> None:
    """The catalog, units and staff (checked every run); the orders once."""
    now = timezone.now()
    catalog_counts = catalog_load()
    clinics = list(Clinic.objects.order_by("code"))
    if not clinics:
        stdout.write("exams: no clinics\n")
        return
    units = ensure_units(clinics)
    specialties = {s.code: s for s in Specialty.objects.filter(code__in=[RADIOLOGY, ULTRASOUND])}
    staff = ensure_staff(clinics, specialties)
    catalog_line = (
        f"exams: {len(CATALOG)} in the catalog ({catalog_counts['exams created']} new), "
        f"lab and imaging units in {len(clinics)} clinics, imaging practitioners in {len(staff.imaging)} hospitals"
    )
    if ExamOrder.objects.exists():
        stdout.write(f"{catalog_line}; {ExamOrder.objects.count()} orders (demo orders already loaded)\n")
        return
    catalog = StoredCatalog.read()
    rng = random.Random(SEED)
    history = History(
        rng=rng,
        now=now,
        catalog=catalog,
        results=Results(rng, now - timedelta(days=HISTORY_DAYS)),
        staff=staff,
        units=units,
        ledger=OrderLedger(catalog),
    )
    patients = list(
        Patient.objects.filter(home_clinic__isnull=False)
        .only("pk", "sex", "birth_date", "home_clinic_id", "full_name", "social_name")
        .order_by("pk")
    )
    conditions: dict[int, set[str]] = defaultdict(set)
    for patient_id, code in Condition.objects.values_list("patient_id", "icd10_code"):
        conditions[patient_id].add(code)
    history.run(patients, {clinic.pk: clinic for clinic in clinics}, conditions)
    worklist = next((clinic for clinic in clinics if clinic.code == WORKLIST_CLINIC), None)
    today = 0
    counts: Counter[str] = Counter()
    if worklist is not None:
        admitted = list(
            Admission.objects.filter(clinic=worklist, status=AdmissionStatus.ADMITTED)
            .select_related("patient")
            .order_by("pk")[:6]
        )
        local = [patient for patient in patients if patient.home_clinic_id == worklist.pk]
        rng.shuffle(local)
        busy = {admission.patient_id for admission in admitted}
        local = [patient for patient in local if patient.pk not in busy]
        today = _today(history, worklist, local[:30], admitted)
        history.ledger.save()
        counts = _through_services(history, worklist, local[30:60])
    else:
        history.ledger.save()
    stdout.write(
        f"{catalog_line}; {HISTORY_DAYS} days of results: {history.counts[ExamKind.LAB]} lab and "
        f"{history.counts[ExamKind.IMAGING]} imaging orders released for {len(history.profiles)} patients; "
        f"{WORKLIST_CLINIC} worklists: {today + counts['created now']} open orders, {counts['booked']} exams booked, "
        f"{counts['released']} results just released (its lab logins: {' and '.join(LAB_LOGINS)}, "
        f"its radiologist: {RADIOLOGIST_LOGIN})\n"
    )
