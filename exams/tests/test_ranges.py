"""Which reference range applies to a patient, and the flag of a value at and around each limit.

Pure functions: the ranges here are never saved.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from exams.models import Flag, ReferenceRange
from exams.ranges import flag_for, range_for


def band(
    *,
    sex: str = "",
    age_from: int = 0,
    age_to: int | None = None,
    low: str | None = "12.0",
    high: str | None = "16.0",
    critical_low: str | None = None,
    critical_high: str | None = None,
    pk: int = 1,
) -> ReferenceRange:
    def number(text: str | None) -> Decimal | None:
        return None if text is None else Decimal(text)

    return ReferenceRange(
        pk=pk,
        sex=sex,
        age_from=age_from,
        age_to=age_to,
        low=number(low),
        high=number(high),
        critical_low=number(critical_low),
        critical_high=number(critical_high),
    )


HAEMOGLOBIN = band(low="12.0", high="16.0", critical_low="7.0", critical_high="20.0")


@pytest.mark.parametrize(
    ("value", "flag"),
    [
        ("12.0", Flag.NORMAL),  # equal to the low limit
        ("11.9", Flag.LOW),  # low - 0.1
        ("16.0", Flag.NORMAL),  # equal to the high limit
        ("16.1", Flag.HIGH),  # high + 0.1
        ("14.0", Flag.NORMAL),
        ("7.0", Flag.LOW),  # equal to the critical low limit: low, not critical
        ("6.9", Flag.CRITICAL_LOW),
        ("20.0", Flag.HIGH),  # equal to the critical high limit: high, not critical
        ("20.1", Flag.CRITICAL_HIGH),
    ],
)
def test_the_flag_of_a_value_at_and_around_each_limit(value: str, flag: str) -> None:
    assert flag_for(Decimal(value), HAEMOGLOBIN) == flag


def test_a_value_without_a_range_has_no_flag() -> None:
    assert flag_for(Decimal("999"), None) == Flag.NORMAL
    assert flag_for(Decimal("-5"), None) == Flag.NORMAL


@pytest.mark.parametrize(
    ("reference", "value", "flag"),
    [
        (band(low=None, high="200"), "-1000", Flag.NORMAL),  # only an upper limit: nothing is low
        (band(low=None, high="200"), "200.1", Flag.HIGH),
        (band(low="60", high=None), "1000000", Flag.NORMAL),  # only a lower limit: nothing is high
        (band(low="60", high=None), "59.9", Flag.LOW),
        (band(low="60", high=None, critical_high="500"), "500.1", Flag.CRITICAL_HIGH),
    ],
)
def test_a_missing_limit_does_not_judge(reference: ReferenceRange, value: str, flag: str) -> None:
    assert flag_for(Decimal(value), reference) == flag


def test_a_range_for_the_patients_sex_beats_one_for_any_sex() -> None:
    anyone = band(pk=1)
    women = band(sex="F", pk=2)
    men = band(sex="M", pk=3)

    assert range_for([anyone, women, men], sex="F", age_years=30) is women
    assert range_for([men, anyone, women], sex="M", age_years=30) is men
    # Even when the any-sex band is the narrower one.
    narrow_anyone = band(age_from=25, age_to=35, pk=4)
    assert range_for([narrow_anyone, women], sex="F", age_years=30) is women


def test_without_a_range_of_their_own_sex_a_patient_is_judged_by_the_range_for_anyone() -> None:
    anyone = band(pk=1)
    women = band(sex="F", pk=2)

    assert range_for([women, anyone], sex="M", age_years=30) is anyone
    assert range_for([women, anyone], sex="I", age_years=30) is anyone


@pytest.mark.parametrize(
    ("age", "expected"),
    [(0, "child"), (17, "child"), (18, "adult"), (64, "adult"), (65, "elderly"), (104, "elderly")],
)
def test_the_age_band_includes_its_start_and_excludes_its_end(age: int, expected: str) -> None:
    bands = {
        "child": band(age_from=0, age_to=18, pk=1),
        "adult": band(age_from=18, age_to=65, pk=2),
        "elderly": band(age_from=65, pk=3),
    }

    assert range_for(bands.values(), sex="F", age_years=age) is bands[expected]


def test_a_sex_specific_band_that_does_not_cover_the_age_gives_way_to_one_that_does() -> None:
    adult_men = band(sex="M", age_from=18, pk=1)
    children = band(age_from=0, age_to=18, pk=2)

    assert range_for([adult_men, children], sex="M", age_years=10) is children
    assert range_for([adult_men, children], sex="M", age_years=18) is adult_men


def test_no_range_covers_the_patient() -> None:
    assert (
        range_for([band(age_from=18, pk=1), band(sex="F", age_from=0, age_to=12, pk=2)], sex="F", age_years=15) is None
    )
    assert range_for([], sex="M", age_years=40) is None


def test_among_overlapping_bands_the_narrower_one_that_starts_later_wins() -> None:
    everyone = band(age_from=0, pk=1)
    adults = band(age_from=18, pk=2)

    assert range_for([adults, everyone], sex="F", age_years=40) is adults
    assert range_for([adults, everyone], sex="F", age_years=10) is everyone
