"""The exam catalog a Brazilian clinic network orders every day, as data, and ``catalog_load`` to store it.

Codes are the TUSS codes the insurers bill by (ANS terminology, table 22): the code of the exam as
a whole where the lab sells a panel (a blood count is one code however many values it prints).
Units and reference intervals are those Brazilian lab reports print for adults (by sex where they
differ), with a children's band for the blood count; critical limits are the ones a lab phones the
doctor about. Numbers are written as strings and stored as ``Decimal``.

The admin maintains the catalog in Django admin afterwards; ``catalog_load`` creates what is missing
and puts the catalog's values back on what it finds, matched by exam code, analyte code and, for a
reference range, its sex and first age. What the admin added beside it (another exam, analyte or
range) is left alone.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import models, transaction

from exams.models import Analyte, Exam, ExamKind, ReferenceRange, Specimen, ValueKind
from staff.models import Specialty

ADULT = 18
FEMALE, MALE = "F", "M"


@dataclass(frozen=True)
class Band:
    """A reference range: the normal interval for a sex ("" any) and an age band, with critical limits."""

    low: str | None = None
    high: str | None = None
    sex: str = ""
    age_from: int = 0
    age_to: int | None = None
    critical_low: str | None = None
    critical_high: str | None = None

    def values(self) -> dict[str, Any]:
        return {
            "age_to": self.age_to,
            "low": _decimal(self.low),
            "high": _decimal(self.high),
            "critical_low": _decimal(self.critical_low),
            "critical_high": _decimal(self.critical_high),
        }


@dataclass(frozen=True)
class Measure:
    """What an exam measures: a number with its unit (none for a ratio such as the INR or pH) and
    decimals, or a text."""

    code: str
    name: str
    unit: str = ""
    decimals: int = 1
    bands: tuple[Band, ...] = ()
    value_kind: str = ValueKind.NUMBER


@dataclass(frozen=True)
class Entry:
    """An exam of the catalog. ``scheduled_by`` names the specialty whose agendas book it (a room or device)."""

    code: str
    name: str
    kind: str
    specimen: str
    turnaround_hours: int
    preparation: str = ""
    measures: tuple[Measure, ...] = field(default_factory=tuple)
    scheduled_by: str = ""


def _decimal(text: str | None) -> Decimal | None:
    return None if text is None else Decimal(text)


def by_sex(
    female: tuple[str | None, str | None],
    male: tuple[str | None, str | None],
    *,
    child: tuple[str | None, str | None] | None = None,
    critical_low: str | None = None,
    critical_high: str | None = None,
) -> tuple[Band, ...]:
    """Adult bands for women and men and, when given, one band for children of either sex."""
    bands = [
        Band(*female, sex=FEMALE, age_from=ADULT, critical_low=critical_low, critical_high=critical_high),
        Band(*male, sex=MALE, age_from=ADULT, critical_low=critical_low, critical_high=critical_high),
    ]
    if child is not None:
        bands.append(Band(*child, age_to=ADULT, critical_low=critical_low, critical_high=critical_high))
    return tuple(bands)


def text(code: str, name: str) -> Measure:
    return Measure(code, name, unit="", decimals=0, value_kind=ValueKind.TEXT)


# Specialties whose agendas book the exams that need a room or a device: (code, name, minutes).
SPECIALTIES = [
    ("radiologia", "Radiologia", 30),
    ("ultrassonografia", "Ultrassonografia", 30),
]
RADIOLOGY, ULTRASOUND = "radiologia", "ultrassonografia"

NO_FASTING = "Não é necessário jejum."
FASTING_8H = "Jejum de 8 horas (no máximo 14 horas); água à vontade. Tomar os remédios de uso contínuo normalmente."
LIPID_FASTING = (
    "Jejum de 8 horas (12 horas se o médico pedir). Manter a alimentação habitual nos dias anteriores "
    "e não beber álcool nas 72 horas antes da coleta."
)
URINE = (
    "Primeira urina da manhã (ou após pelo menos 2 horas sem urinar): após higiene íntima, desprezar o primeiro "
    "jato e colher o jato médio no frasco estéril fornecido pelo laboratório. Mulheres: evitar o período menstrual."
)

LAB, IMAGING = ExamKind.LAB, ExamKind.IMAGING
BLOOD, URINE_SPECIMEN, NONE = Specimen.BLOOD, Specimen.URINE, Specimen.NONE

CATALOG: list[Entry] = [
    # Hematology -------------------------------------------------------------------------------------
    Entry(
        "40304361",
        "Hemograma completo",
        LAB,
        BLOOD,
        4,
        NO_FASTING,
        (
            Measure(
                "HEM", "Hemácias", "milhões/mm³", 2, by_sex(("4.00", "5.20"), ("4.50", "5.90"), child=("3.90", "5.30"))
            ),
            Measure(
                "HGB",
                "Hemoglobina",
                "g/dL",
                1,
                by_sex(("12.0", "16.0"), ("13.5", "17.5"), child=("11.0", "15.5"), critical_low="7.0"),
            ),
            Measure("HCT", "Hematócrito", "%", 1, by_sex(("36.0", "46.0"), ("40.0", "52.0"), child=("33.0", "45.0"))),
            Measure("VCM", "VCM", "fL", 1, (Band("80.0", "100.0"),)),
            Measure("HCM", "HCM", "pg", 1, (Band("27.0", "33.0"),)),
            Measure("CHCM", "CHCM", "g/dL", 1, (Band("32.0", "36.0"),)),
            Measure("RDW", "RDW", "%", 1, (Band("11.5", "14.5"),)),
            Measure(
                "LEU",
                "Leucócitos",
                "/mm³",
                0,
                (
                    Band("4000", "11000", age_from=ADULT, critical_low="1000", critical_high="30000"),
                    Band("5000", "13000", age_to=ADULT, critical_low="1000", critical_high="30000"),
                ),
            ),
            Measure("NEU", "Neutrófilos", "%", 0, (Band("40", "75"),)),
            Measure("LIN", "Linfócitos", "%", 0, (Band("20", "45"),)),
            Measure(
                "PLT",
                "Plaquetas",
                "/mm³",
                0,
                (Band("150000", "450000", critical_low="20000", critical_high="1000000"),),
            ),
        ),
    ),
    Entry(
        "40304590",
        "Tempo de protrombina (TP) com INR",
        LAB,
        BLOOD,
        4,
        "Não é necessário jejum. Informar o uso de anticoagulante (varfarina) e o horário da última dose.",
        (
            Measure("TP", "Tempo de protrombina", "s", 1, (Band("10.0", "13.5"),)),
            Measure("ATV", "Atividade de protrombina", "%", 0, (Band("70", "100"),)),
            # The INR is a ratio: a number without a unit.
            Measure("INR", "INR", "", 2, (Band("0.80", "1.20", critical_high="5.00"),)),
        ),
    ),
    Entry(
        "40304639",
        "Tempo de tromboplastina parcial ativada (TTPA)",
        LAB,
        BLOOD,
        4,
        "Não é necessário jejum. Informar o uso de heparina.",
        (Measure("TTPA", "TTPA", "s", 1, (Band("25.0", "36.0"),)),),
    ),
    # Biochemistry ----------------------------------------------------------------------------------
    Entry(
        "40302040",
        "Glicose",
        LAB,
        BLOOD,
        4,
        FASTING_8H,
        (Measure("GLI", "Glicose", "mg/dL", 0, (Band("70", "99", critical_low="40", critical_high="500"),)),),
    ),
    Entry(
        "40302733",
        "Hemoglobina glicada (HbA1c)",
        LAB,
        BLOOD,
        24,
        NO_FASTING,
        (Measure("A1C", "Hemoglobina glicada", "%", 1, (Band(None, "5.6"),)),),
    ),
    Entry(
        "40301630",
        "Creatinina",
        LAB,
        BLOOD,
        4,
        "Não é necessário jejum. Evitar exercício físico intenso nas 24 horas anteriores.",
        (Measure("CRE", "Creatinina", "mg/dL", 2, by_sex(("0.50", "0.90"), ("0.70", "1.20"), child=("0.30", "0.70"))),),
    ),
    Entry(
        "40302580",
        "Ureia",
        LAB,
        BLOOD,
        4,
        NO_FASTING,
        (Measure("URE", "Ureia", "mg/dL", 0, (Band("15", "45"),)),),
    ),
    Entry(
        "40302318",
        "Potássio",
        LAB,
        BLOOD,
        4,
        NO_FASTING,
        (Measure("K", "Potássio", "mEq/L", 1, (Band("3.5", "5.1", critical_low="2.8", critical_high="6.2"),)),),
    ),
    Entry(
        "40302423",
        "Sódio",
        LAB,
        BLOOD,
        4,
        NO_FASTING,
        (Measure("NA", "Sódio", "mEq/L", 0, (Band("136", "145", critical_low="120", critical_high="160"),)),),
    ),
    Entry(
        "40301150",
        "Ácido úrico",
        LAB,
        BLOOD,
        24,
        "Jejum de 4 horas.",
        (Measure("AU", "Ácido úrico", "mg/dL", 1, by_sex(("2.4", "5.7"), ("3.4", "7.0"))),),
    ),
    Entry(
        "40301605",
        "Colesterol total e frações",
        LAB,
        BLOOD,
        24,
        LIPID_FASTING,
        (
            Measure("CT", "Colesterol total", "mg/dL", 0, (Band(None, "190"),)),
            Measure("HDL", "HDL-colesterol", "mg/dL", 0, (Band("40", None),)),
            Measure("LDL", "LDL-colesterol", "mg/dL", 0, (Band(None, "130"),)),
            Measure("VLDL", "VLDL-colesterol", "mg/dL", 0, (Band(None, "30"),)),
            Measure("NHDL", "Colesterol não-HDL", "mg/dL", 0, (Band(None, "160"),)),
        ),
    ),
    Entry(
        "40302547",
        "Triglicerídeos",
        LAB,
        BLOOD,
        24,
        LIPID_FASTING,
        (Measure("TG", "Triglicerídeos", "mg/dL", 0, (Band(None, "150"),)),),
    ),
    Entry(
        "40302504",
        "TGO (AST)",
        LAB,
        BLOOD,
        6,
        NO_FASTING,
        (Measure("TGO", "TGO (AST)", "U/L", 0, by_sex((None, "32"), (None, "40"))),),
    ),
    Entry(
        "40302512",
        "TGP (ALT)",
        LAB,
        BLOOD,
        6,
        NO_FASTING,
        (Measure("TGP", "TGP (ALT)", "U/L", 0, by_sex((None, "33"), (None, "41"))),),
    ),
    Entry(
        "40302571",
        "Troponina I ultrassensível",
        LAB,
        BLOOD,
        1,
        "Sem preparo: colhida no pronto-socorro, em série, conforme o protocolo de dor torácica.",
        # Any value above the 99th percentile of healthy people (by sex) is called at once.
        (
            Measure(
                "TNI",
                "Troponina I",
                "ng/L",
                1,
                (
                    Band(None, "15.6", sex=FEMALE, critical_high="15.6"),
                    Band(None, "34.2", sex=MALE, critical_high="34.2"),
                ),
            ),
        ),
    ),
    Entry(
        "40302016",
        "Gasometria arterial",
        LAB,
        BLOOD,
        1,
        "Colhida por punção arterial pela equipe de enfermagem. Informar se o paciente recebe oxigênio e em que fluxo.",
        (
            Measure("PH", "pH", "", 2, (Band("7.35", "7.45", critical_low="7.20", critical_high="7.60"),)),
            Measure("PCO2", "pCO2", "mmHg", 1, (Band("35.0", "45.0", critical_low="20.0", critical_high="70.0"),)),
            Measure("PO2", "pO2", "mmHg", 1, (Band("80.0", "100.0", critical_low="40.0"),)),
            Measure(
                "HCO3", "Bicarbonato", "mEq/L", 1, (Band("22.0", "26.0", critical_low="10.0", critical_high="40.0"),)
            ),
            Measure("BE", "Excesso de base", "mEq/L", 1, (Band("-2.0", "2.0"),)),
            Measure("SAT", "Saturação de O2", "%", 1, (Band("95.0", "100.0"),)),
        ),
    ),
    Entry(
        "40308391",
        "Proteína C reativa (PCR)",
        LAB,
        BLOOD,
        4,
        NO_FASTING,
        (Measure("PCR", "Proteína C reativa", "mg/L", 1, (Band(None, "5.0"),)),),
    ),
    # Urine -----------------------------------------------------------------------------------------
    Entry(
        "40311210",
        "Urina tipo 1 (EAS)",
        LAB,
        URINE_SPECIMEN,
        6,
        URINE,
        (
            text("COR", "Cor"),
            text("ASP", "Aspecto"),
            Measure("DENS", "Densidade", "", 3, (Band("1.005", "1.030"),)),
            Measure("PH", "pH", "", 1, (Band("5.0", "8.0"),)),
            text("PROT", "Proteínas"),
            text("GLI", "Glicose"),
            text("NIT", "Nitrito"),
            Measure("LEU", "Leucócitos", "/mL", 0, (Band(None, "10000"),)),
            Measure("HEM", "Hemácias", "/mL", 0, (Band(None, "10000"),)),
        ),
    ),
    # Hormones and vitamins -------------------------------------------------------------------------
    Entry(
        "40316521",
        "TSH (hormônio tireoestimulante)",
        LAB,
        BLOOD,
        48,
        "Não é necessário jejum. Quem usa levotiroxina colhe antes de tomar a dose do dia.",
        (Measure("TSH", "TSH", "mUI/L", 2, (Band("0.27", "4.20"),)),),
    ),
    Entry(
        "40316491",
        "T4 livre",
        LAB,
        BLOOD,
        48,
        "Não é necessário jejum. Quem usa levotiroxina colhe antes de tomar a dose do dia.",
        (Measure("T4L", "T4 livre", "ng/dL", 2, (Band("0.93", "1.70"),)),),
    ),
    Entry(
        "40316327",
        "Beta-hCG quantitativo",
        LAB,
        BLOOD,
        4,
        "Não é necessário jejum. Informar a data da última menstruação.",
        (Measure("HCG", "Beta-hCG", "mUI/mL", 1, (Band(None, "5.0"),)),),
    ),
    Entry(
        "40316270",
        "Ferritina",
        LAB,
        BLOOD,
        48,
        "Jejum de 4 horas.",
        (
            Measure(
                "FER", "Ferritina", "ng/mL", 1, by_sex(("15.0", "150.0"), ("30.0", "400.0"), child=("7.0", "140.0"))
            ),
        ),
    ),
    Entry(
        "40316572",
        "Vitamina B12",
        LAB,
        BLOOD,
        72,
        "Jejum de 4 horas. Informar o uso de suplementos vitamínicos.",
        (Measure("B12", "Vitamina B12", "pg/mL", 0, (Band("197", "771"),)),),
    ),
    Entry(
        "40302830",
        "25-hidroxivitamina D",
        LAB,
        BLOOD,
        72,
        NO_FASTING,
        (Measure("VITD", "25-hidroxivitamina D", "ng/mL", 1, (Band("20.0", "100.0"),)),),
    ),
    Entry(
        "40316149",
        "PSA total (antígeno prostático específico)",
        LAB,
        BLOOD,
        48,
        "Nas 48 horas antes: não ter relação sexual com ejaculação, não andar de bicicleta ou moto e evitar "
        "exercício intenso. Aguardar 3 dias após toque retal e 30 dias após biópsia de próstata.",
        (Measure("PSA", "PSA total", "ng/mL", 2, (Band(None, "4.00", sex=MALE),)),),
    ),
    # Imaging and graphic methods (a written report; no values) --------------------------------------
    Entry(
        "40805026",
        "Raio-X de tórax PA e perfil",
        IMAGING,
        NONE,
        24,
        "Retirar colares, brincos e roupas com metal. Gestantes ou com suspeita de gravidez devem avisar antes.",
    ),
    Entry(
        "40101010",
        "Eletrocardiograma",
        IMAGING,
        NONE,
        2,
        "Não passar cremes ou óleos no tórax no dia do exame; repouso de 5 minutos antes do traçado.",
    ),
    Entry(
        "40901122",
        "Ultrassonografia de abdome total",
        IMAGING,
        NONE,
        24,
        "Jejum de 8 horas; na véspera, jantar leve sem gorduras, leite ou refrigerante. Beber 4 a 6 copos de água "
        "1 hora antes e não urinar até o exame (bexiga cheia).",
        scheduled_by=ULTRASOUND,
    ),
    Entry(
        "41001010",
        "Tomografia computadorizada de crânio sem contraste",
        IMAGING,
        NONE,
        24,
        "Sem jejum (exame sem contraste). Retirar brincos, grampos e próteses dentárias removíveis. "
        "Gestantes devem avisar antes.",
        scheduled_by=RADIOLOGY,
    ),
    Entry(
        "40808041",
        "Mamografia digital bilateral",
        IMAGING,
        NONE,
        72,
        "No dia do exame, não usar desodorante, talco, creme ou perfume nas axilas e mamas. Trazer as mamografias "
        "anteriores. De preferência entre 7 e 10 dias após o início da menstruação.",
        scheduled_by=RADIOLOGY,
    ),
    Entry(
        "41101316",
        "Ressonância magnética de joelho",
        IMAGING,
        NONE,
        72,
        "Sem jejum (exame sem contraste). Retirar objetos metálicos. Avisar antes se tem marca-passo, implante "
        "metálico, clipe de aneurisma ou claustrofobia. O exame dura cerca de 30 minutos.",
        scheduled_by=RADIOLOGY,
    ),
]


def _set(row: models.Model, values: dict[str, Any]) -> list[str]:
    """Put ``values`` on ``row``; the names of the fields that changed."""
    changed = [name for name, value in values.items() if getattr(row, name) != value]
    for name in changed:
        setattr(row, name, values[name])
    return changed


def _save(row: models.Model, values: dict[str, Any], counts: Counter[str], what: str) -> None:
    """Create ``row`` (no pk yet) or save the fields of ``values`` that differ from what it holds."""
    if row.pk is None:
        _set(row, values)
        row.full_clean()
        row.save()
        counts[f"{what} created"] += 1
    elif changed := _set(row, values):
        row.full_clean()
        row.save(update_fields=changed)
        counts[f"{what} updated"] += 1


@transaction.atomic
def catalog_load() -> Counter[str]:
    """Store ``CATALOG``: create what is missing, put the catalog's values back on what differs.

    Reads the stored catalog in three queries and writes only what changed, so a second run writes
    nothing (and adds no history). Returns how many exams, analytes and ranges were created or updated.
    """
    counts: Counter[str] = Counter()
    specialties = {
        code: Specialty.objects.get_or_create(code=code, defaults={"name": name, "default_duration": minutes})[0]
        for code, name, minutes in SPECIALTIES
    }
    stored = {
        exam.code: exam
        for exam in Exam.objects.filter(code__in=[entry.code for entry in CATALOG])
        .select_related("specialty")
        .prefetch_related("analytes__ranges")
    }
    for entry in CATALOG:
        exam = stored.get(entry.code) or Exam(code=entry.code)
        analytes = {analyte.code: analyte for analyte in exam.analytes.all()} if exam.pk else {}
        _save(
            exam,
            {
                "name": entry.name,
                "kind": entry.kind,
                "specimen": entry.specimen,
                "preparation": entry.preparation,
                "turnaround_hours": entry.turnaround_hours,
                "needs_scheduling": bool(entry.scheduled_by),
                "specialty": specialties[entry.scheduled_by] if entry.scheduled_by else None,
            },
            counts,
            "exams",
        )
        for position, measure in enumerate(entry.measures, start=1):
            analyte = analytes.get(measure.code) or Analyte(exam=exam, code=measure.code)
            ranges = {(band.sex, band.age_from): band for band in analyte.ranges.all()} if analyte.pk else {}
            values = {
                "name": measure.name,
                "value_kind": measure.value_kind,
                "unit": measure.unit,
                "decimals": measure.decimals,
                "position": position,
            }
            _save(analyte, values, counts, "analytes")
            for band in measure.bands:
                reference = ranges.get((band.sex, band.age_from)) or ReferenceRange(
                    analyte=analyte, sex=band.sex, age_from=band.age_from
                )
                _save(reference, band.values(), counts, "ranges")
    return counts
