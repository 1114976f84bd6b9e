"""The demo's exam catalog: stored once however often it loads, complete, and judging values as labs do."""

from __future__ import annotations

from decimal import Decimal

import pytest

from exams.catalog import CATALOG, catalog_load
from exams.models import Analyte, Exam, ExamKind, Flag, ReferenceRange, ValueKind
from exams.ranges import flag_for, range_for
from staff.models import Specialty

pytestmark = pytest.mark.django_db


def _rows() -> tuple[int, ...]:
    return (
        Exam.objects.count(),
        Analyte.objects.count(),
        ReferenceRange.objects.count(),
        Specialty.objects.count(),
        Exam.history.count(),
        Analyte.history.count(),
    )


def _judge(exam_code: str, analyte_code: str, value: str, *, sex: str = "M", age: int = 40) -> str:
    analyte = Analyte.objects.prefetch_related("ranges").get(exam__code=exam_code, code=analyte_code)
    return flag_for(Decimal(value), range_for(analyte.ranges.all(), sex=sex, age_years=age))


def test_loading_twice_stores_the_catalog_once() -> None:
    first = catalog_load()
    after_first = _rows()
    second = catalog_load()

    assert first["exams created"] == len(CATALOG) == Exam.objects.count()
    assert 28 <= len(CATALOG) <= 35
    assert not second  # nothing created, nothing updated
    assert _rows() == after_first


def test_a_second_load_puts_the_catalog_back_and_keeps_what_the_admin_added() -> None:
    catalog_load()
    glucose = Exam.objects.get(code="40302040")
    glucose.preparation = "Jejum de 2 horas."
    glucose.save()
    Analyte.objects.filter(exam=glucose, code="GLI").update(unit="mmol/L")
    ReferenceRange.objects.filter(analyte__exam=glucose).update(high=Decimal("110"))
    extra = Analyte.objects.create(exam=glucose, code="GME", name="Glicemia média estimada", unit="mg/dL")

    counts = catalog_load()

    glucose.refresh_from_db()
    analyte = Analyte.objects.get(exam=glucose, code="GLI")
    assert counts == {"exams updated": 1, "analytes updated": 1, "ranges updated": 1}
    assert glucose.preparation.startswith("Jejum de 8 horas")
    assert analyte.unit == "mg/dL"
    assert analyte.ranges.get().high == Decimal("99")
    assert Analyte.objects.filter(pk=extra.pk).exists()


def test_every_number_has_a_range_and_every_text_neither() -> None:
    catalog_load()
    numbers = Analyte.objects.filter(value_kind=ValueKind.NUMBER)

    assert numbers.count() > 40
    assert not numbers.filter(ranges__isnull=True).exists()
    # Only ratios go without a unit: the INR, pH and urine density.
    assert set(numbers.filter(unit="").values_list("code", flat=True)) == {"INR", "PH", "DENS"}
    texts = Analyte.objects.filter(value_kind=ValueKind.TEXT)
    assert set(texts.values_list("exam__code", flat=True)) == {"40311210"}
    assert not texts.exclude(unit="").exists()
    assert not texts.filter(ranges__isnull=False).exists()
    # Lab exams measure something; imaging exams are a written report.
    assert not Exam.objects.filter(kind=ExamKind.LAB, analytes__isnull=True).exists()
    assert not Exam.objects.filter(kind=ExamKind.IMAGING, analytes__isnull=False).exists()


def test_exams_done_at_a_booked_time_name_who_books_them() -> None:
    catalog_load()
    scheduled = Exam.objects.filter(needs_scheduling=True).select_related("specialty")

    assert {exam.code: exam.specialty.code for exam in scheduled} == {
        "40901122": "ultrassonografia",
        "41001010": "radiologia",
        "40808041": "radiologia",
        "41101316": "radiologia",
    }
    assert "Jejum de 8 horas" in Exam.objects.get(code="40901122").preparation
    assert Exam.objects.get(code="40304361").turnaround_hours == 4
    assert Exam.objects.get(code="40316521").turnaround_hours == 48


@pytest.mark.parametrize(
    ("exam", "analyte", "value", "flag"),
    [
        ("40302318", "K", "2.7", Flag.CRITICAL_LOW),
        ("40302318", "K", "2.8", Flag.LOW),
        ("40302318", "K", "6.3", Flag.CRITICAL_HIGH),
        ("40302318", "K", "5.1", Flag.NORMAL),
        ("40302423", "NA", "119", Flag.CRITICAL_LOW),
        ("40302423", "NA", "161", Flag.CRITICAL_HIGH),
        ("40302040", "GLI", "39", Flag.CRITICAL_LOW),
        ("40302040", "GLI", "501", Flag.CRITICAL_HIGH),
        ("40302040", "GLI", "99", Flag.NORMAL),
        ("40302040", "GLI", "100", Flag.HIGH),
        ("40304361", "HGB", "6.9", Flag.CRITICAL_LOW),
        ("40304361", "PLT", "19000", Flag.CRITICAL_LOW),
        ("40302571", "TNI", "34.2", Flag.NORMAL),
        ("40302571", "TNI", "34.3", Flag.CRITICAL_HIGH),
    ],
)
def test_the_limits_a_lab_phones_about(exam: str, analyte: str, value: str, flag: str) -> None:
    catalog_load()

    assert _judge(exam, analyte, value) == flag


def test_ranges_follow_sex_and_age() -> None:
    catalog_load()

    assert _judge("40304361", "HGB", "13.0", sex="F") == Flag.NORMAL
    assert _judge("40304361", "HGB", "13.0", sex="M") == Flag.LOW
    assert _judge("40304361", "HGB", "11.2", sex="M", age=8) == Flag.NORMAL
    assert _judge("40304361", "LEU", "12000", age=8) == Flag.NORMAL
    assert _judge("40304361", "LEU", "12000", age=30) == Flag.HIGH
    assert _judge("40301630", "CRE", "1.00", sex="F") == Flag.HIGH
    assert _judge("40301630", "CRE", "1.00", sex="M") == Flag.NORMAL
    assert _judge("40302571", "TNI", "20.0", sex="F") == Flag.CRITICAL_HIGH
    assert _judge("40316270", "FER", "20.0", sex="M") == Flag.LOW
