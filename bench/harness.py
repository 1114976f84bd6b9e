"""Measuring one benchmark case: time, query count, floor and query plans; the table and the JSON.

A case runs its page (or job) and its floor alternately, so both see the same caches and the
same machine load. Queries are counted and captured on untimed runs (capturing costs a little per
query); the captured queries that read the case's main table are then EXPLAINed to check that
they use the expected indexes and never read that table, or a whole index of it, from end to end.
The floor is EXPLAINed too, to show what the reference itself reads.
"""

from __future__ import annotations

import json
import statistics
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from django.db import connection
from django.test.utils import CaptureQueriesContext

WARMUPS = 2

Row = tuple[Any, ...]


class BenchmarkError(Exception):
    """The page answered something other than what the case expects: its timing would be worthless."""


@dataclass(frozen=True)
class Floor:
    """The single plain SQL query a perfect implementation would need for the same data.

    ``check`` receives the floor's rows once and raises BenchmarkError if they are not the data
    the page shows, so the floor cannot drift from the page it bounds.
    """

    sql: str
    params: Sequence[Any] = ()
    check: Callable[[list[Row]], None] | None = None


@dataclass(frozen=True)
class Case:
    """One page or job. ``run`` performs it once and raises BenchmarkError on a wrong answer.

    ``expected_indexes``: for each index the reads of ``main_table`` need, the names that serve
    (a unique column has two indexes, either of which answers an equality).
    """

    name: str
    run: Callable[[], None]
    floor: Floor | None
    expected_indexes: tuple[tuple[str, ...], ...] = ()
    main_table: str = "patients_patient"
    note: str = ""
    # A case that measures itself (a load of many concurrent clients) rather than timing ``run``
    # in turn with its floor; it receives the case and the number of runs asked for.
    measure: Callable[[Case, int], Result] | None = None


@dataclass(frozen=True)
class Plan:
    sql: str
    indexes: list[str]
    # Reads of a whole table or index: "Seq Scan on t", or "full scan of index i on t" for an
    # index scan that has a Filter but no Index Cond (a sequential scan in disguise).
    full_scans: list[str]
    plan: Any

    def full_scans_of(self, table: str) -> list[str]:
        return [scan for scan in self.full_scans if scan.endswith(f" on {table}")]


@dataclass
class Result:
    case: Case
    times_ms: list[float]
    floor_times_ms: list[float]
    query_counts: list[int]
    plans: list[Plan] = field(default_factory=list)
    floor_plan: Plan | None = None
    # What a load case reports besides times (bookings per second, conflicts...), by name.
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def median_ms(self) -> float:
        return statistics.median(self.times_ms)

    @property
    def floor_ms(self) -> float | None:
        return statistics.median(self.floor_times_ms) if self.floor_times_ms else None

    @property
    def ratio(self) -> float | None:
        floor = self.floor_ms
        return self.median_ms / floor if floor else None

    @property
    def indexes_used(self) -> list[str]:
        return sorted({index for plan in self.plans for index in plan.indexes})

    @property
    def main_table_full_scans(self) -> list[str]:
        return [scan for plan in self.plans for scan in plan.full_scans_of(self.case.main_table)]

    @property
    def missing_indexes(self) -> list[str]:
        used = set(self.indexes_used)
        return ["/".join(names) for names in self.case.expected_indexes if used.isdisjoint(names)]

    @property
    def index_ok(self) -> bool:
        return not self.missing_indexes and not self.main_table_full_scans

    def index_summary(self) -> str:
        scans = self.main_table_full_scans
        if scans:
            return f"NO: {scans[0]}" + (f" (+{len(scans) - 1} more)" if len(scans) > 1 else "")
        if self.missing_indexes:
            return f"NO: {', '.join(self.missing_indexes)} unused"
        return "yes" if self.case.expected_indexes else "-"

    def queries_summary(self) -> str:
        low, high = min(self.query_counts), max(self.query_counts)
        return str(high) if low == high else f"{low}-{high} (varies)"

    def as_json(self) -> dict[str, Any]:
        return {
            "name": self.case.name,
            "median_ms": round(self.median_ms, 3),
            "min_ms": round(min(self.times_ms), 3),
            "max_ms": round(max(self.times_ms), 3),
            "times_ms": [round(t, 3) for t in self.times_ms],
            "queries": max(self.query_counts),
            "query_counts": self.query_counts,
            "floor_ms": None if self.floor_ms is None else round(self.floor_ms, 3),
            "floor_times_ms": [round(t, 3) for t in self.floor_times_ms],
            "floor_sql": self.case.floor.sql if self.case.floor else None,
            "floor_plan": _plan_json(self.floor_plan) if self.floor_plan else None,
            "ratio": None if self.ratio is None else round(self.ratio, 2),
            "expected_indexes": [list(names) for names in self.case.expected_indexes],
            "indexes_used": self.indexes_used,
            "index_ok": self.index_ok,
            "full_scans": self.main_table_full_scans,
            "note": self.case.note,
            "extra": self.extra,
            "plans": [_plan_json(plan) for plan in self.plans],
        }


def _plan_json(plan: Plan) -> dict[str, Any]:
    return {"sql": plan.sql, "indexes": plan.indexes, "full_scans": plan.full_scans, "plan": plan.plan}


@dataclass(frozen=True)
class Failure:
    """A case that could not be measured: the page failed, or answered something unexpected."""

    case: Case
    error: str

    def as_json(self) -> dict[str, Any]:
        return {"name": self.case.name, "error": self.error, "note": self.case.note}


# Running ----------------------------------------------------------------------------------------


def _timed_ms(action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    return (time.perf_counter() - started) * 1000


def _fetch_floor(floor: Floor) -> list[Row]:
    with connection.cursor() as cursor:
        cursor.execute(floor.sql, floor.params)
        return cursor.fetchall()


def _counted_run(case: Case) -> tuple[int, list[str]]:
    with CaptureQueriesContext(connection) as captured:
        case.run()
    return len(captured.captured_queries), [query["sql"] for query in captured.captured_queries]


def run_case(case: Case, *, runs: int) -> Result | Failure:
    """Measure ``case``; a page that fails or answers wrongly gives a Failure, not a timing."""
    try:
        if case.measure is not None:
            return case.measure(case, runs)
        return _measure(case, runs=runs)
    except Exception as error:  # a broken page must not stop the other cases
        return Failure(case=case, error=f"{type(error).__name__}: {error}")


def _measure(case: Case, *, runs: int) -> Result:
    counts = [_counted_run(case)[0] for _ in range(WARMUPS)]
    floor = case.floor
    if floor is not None:
        for warmup in range(WARMUPS):
            rows = _fetch_floor(floor)
            if warmup == 0 and floor.check is not None:
                floor.check(rows)
    times: list[float] = []
    floor_times: list[float] = []
    for _ in range(runs):
        times.append(_timed_ms(case.run))
        if floor is not None:
            floor_times.append(_timed_ms(lambda: _fetch_floor(floor)))
    count, plans = counted_plans(case)
    counts.append(count)
    return Result(
        case=case,
        times_ms=times,
        floor_times_ms=floor_times,
        query_counts=counts,
        plans=plans,
        floor_plan=explain(floor.sql, floor.params) if floor is not None else None,
    )


def counted_plans(case: Case) -> tuple[int, list[Plan]]:
    """Run ``case`` once, untimed: its number of queries and the plans of its reads of the main table."""
    count, statements = _counted_run(case)
    return count, [explain(sql) for sql in _main_statements(statements, case.main_table)]


# Plans ------------------------------------------------------------------------------------------


def _main_statements(statements: list[str], table: str) -> list[str]:
    """The distinct reads of ``table`` among the captured statements, in the order they ran."""
    quoted = f'"{table}"'
    reads = [sql for sql in statements if sql.lstrip().upper().startswith("SELECT") and quoted in sql]
    return list(dict.fromkeys(reads))


def _nodes(node: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield node
    for child in node.get("Plans", []):
        yield from _nodes(child)


def explain(sql: str, params: Sequence[Any] | None = None) -> Plan:
    """EXPLAIN (FORMAT JSON) of a statement; a captured one comes with its parameters inlined."""
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}", params)
        document = cursor.fetchone()[0]  # type: ignore[index]
    if isinstance(document, str):
        document = json.loads(document)
    nodes = list(_nodes(document[0]["Plan"]))
    indexes = [node["Index Name"] for node in nodes if "Index Name" in node]
    return Plan(
        sql=sql, indexes=indexes, full_scans=[scan for node in nodes if (scan := _full_scan(node))], plan=document
    )


def _full_scan(node: dict[str, Any]) -> str:
    """What ``node`` reads in full, or "" if it reads only what its conditions select."""
    kind = node["Node Type"].removeprefix("Parallel ")
    if kind == "Seq Scan":
        return f"Seq Scan on {node['Relation Name']}"
    # An index scan with "Order By" is a nearest-neighbour walk: it stops after the rows it needs.
    if (
        kind in {"Index Scan", "Index Only Scan"}
        and "Filter" in node
        and "Index Cond" not in node
        and "Order By" not in node
    ):
        return f"full scan of index {node['Index Name']} on {node['Relation Name']}"
    return ""


# Reporting --------------------------------------------------------------------------------------

COLUMNS = ("name", "median ms", "queries", "floor ms", "ratio", "index used")


def _row(result: Result | Failure) -> tuple[str, ...]:
    if isinstance(result, Failure):
        return (result.case.name, "FAILED", "-", "-", "-", result.error.splitlines()[0][:80])
    floor, ratio = result.floor_ms, result.ratio
    return (
        result.case.name,
        f"{result.median_ms:.2f}",
        result.queries_summary(),
        "-" if floor is None else f"{floor:.2f}",
        "-" if ratio is None else f"{ratio:.1f}",
        result.index_summary(),
    )


def write_table(results: list[Result | Failure], stdout: TextIO, *, bullet: str = "  ") -> None:
    """The results as a markdown table, then one line per case (starting with ``bullet``) on what it read."""
    rows = [COLUMNS, *(_row(result) for result in results)]
    widths = [max(len(row[column]) for row in rows) for column in range(len(COLUMNS))]
    numeric = {1, 2, 3, 4}

    def line(row: tuple[str, ...]) -> str:
        cells = [
            cell.rjust(width) if column in numeric else cell.ljust(width)
            for column, (cell, width) in enumerate(zip(row, widths, strict=True))
        ]
        return "| " + " | ".join(cells) + " |"

    stdout.write(line(rows[0]) + "\n")
    stdout.write("|" + "|".join("-" * (width + 2) for width in widths) + "|\n")
    for row in rows[1:]:
        stdout.write(line(row) + "\n")
    if bullet.strip():
        stdout.write("\n")  # a list after a table needs a blank line in markdown
    for result in results:
        if isinstance(result, Failure):
            stdout.write(f"{bullet}{result.case.name}: {result.error}\n")
            continue
        indexes = ", ".join(result.indexes_used) or "none"
        stdout.write(f"{bullet}{result.case.name}: indexes {indexes}")
        if result.floor_plan is not None:
            floor_reads = result.floor_plan.full_scans_of(result.case.main_table) or result.floor_plan.indexes
            stdout.write(f"; floor reads {', '.join(dict.fromkeys(floor_reads)) or 'no table'}")
        if result.case.note:
            stdout.write(f"; {result.case.note}")
        if result.extra:
            stdout.write("; " + ", ".join(f"{key} {value}" for key, value in result.extra.items()))
        stdout.write("\n")


def write_markdown(path: Path, *, results: list[Result | Failure], title: str, details: list[str]) -> None:
    """The table and the notes on each case, under a title and a list of details (size, machine...)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w") as document:
        document.write(f"# {title}\n\n")
        document.writelines(f"- {detail}\n" for detail in details)
        document.write("\n")
        write_table(results, document, bullet="- ")


def write_json(path: Path, *, results: list[Result | Failure], **metadata: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    document = {**metadata, "results": [result.as_json() for result in results]}
    path.write_text(json.dumps(document, indent=2, ensure_ascii=False, default=str) + "\n")
