"""Which reference range applies to a patient, and how a value compares with it.

Pure functions over ranges already loaded (the caller prefetches an analyte's ranges once), so
judging every value of an order costs no query.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from exams.models import Flag, ReferenceRange


def _covers(reference: ReferenceRange, age_years: int) -> bool:
    """``age_from`` is inclusive and ``age_to`` exclusive: a band 0-18 ends the day before the 18th birthday."""
    return reference.age_from <= age_years and (reference.age_to is None or age_years < reference.age_to)


def range_for(ranges: Iterable[ReferenceRange], *, sex: str, age_years: int) -> ReferenceRange | None:
    """The most specific range for a patient of ``sex`` and ``age_years``, or None when none covers them.

    A range for the patient's own sex beats one for any sex (whatever their age bands); among ranges
    of equal standing, the band that starts latest is the narrower one. A patient whose sex has no
    range of its own (intersex) is judged against the ranges for any sex.
    """
    covering = [reference for reference in ranges if _covers(reference, age_years)]
    for wanted in (sex, ""):
        candidates = [reference for reference in covering if reference.sex == wanted]
        if candidates:
            return max(candidates, key=lambda reference: (reference.age_from, -(reference.pk or 0)))
    return None


def flag_for(value: Decimal, reference: ReferenceRange | None) -> str:
    """The ``Flag`` of ``value`` against ``reference``: critical limits first, then the normal interval.

    Every limit is inclusive: a value equal to ``low`` or ``high`` is normal, one equal to a
    critical limit is merely low or high. A missing limit does not judge; no range, no flag.
    """
    if reference is None:
        return Flag.NORMAL
    if reference.critical_low is not None and value < reference.critical_low:
        return Flag.CRITICAL_LOW
    if reference.critical_high is not None and value > reference.critical_high:
        return Flag.CRITICAL_HIGH
    if reference.low is not None and value < reference.low:
        return Flag.LOW
    if reference.high is not None and value > reference.high:
        return Flag.HIGH
    return Flag.NORMAL
