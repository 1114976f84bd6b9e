"""The named data sizes of the benchmark. Plain data: importable before Django is set up."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Size:
    name: str
    patients: int
    appointments: int
    # A year of exam orders (bench.exams) and of closed emergency visits (bench.triage).
    exam_orders: int
    visits: int


SIZES: dict[str, Size] = {
    size.name: size
    for size in (
        Size("100k", patients=100_000, appointments=100_000, exam_orders=100_000, visits=50_000),
        Size("1m", patients=1_000_000, appointments=1_000_000, exam_orders=1_000_000, visits=500_000),
    )
}
