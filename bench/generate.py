"""Fill the benchmark database at a named size.

Generation is a list of steps. Each step says whether its data is already complete. The first
steps (clinics, staff) are additive: loading them again only adds what is missing, so one runs
whenever it is incomplete (a demo user added since) and makes no later step run. From the first
other step that is not complete, that step and every later one run (a later step may build on an
earlier one's rows, and reloading patients truncates what refers to them). Then the database is
vacuumed and analysed. Later benchmarks add their steps to ``STEPS``; practitioners and
appointments are made in ``bench.schedules``, wards, beds and admissions in ``bench.beds``, exam
orders in ``bench.exams`` and emergency visits in ``bench.triage``.

Patients are the slow part: every row carries about eight Fernet-encrypted values. Worker
processes make the rows in chunks and the parent COPYs them in order, so the data at a size
does not depend on the number of workers, and the first 100,000 patients of ``1m`` are the
patients of ``100k``.
"""

from __future__ import annotations

import itertools
import multiprocessing
import os
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any, TextIO

from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.db import connection, connections

from bench import beds, exams, schedules, triage
from bench.sizes import Size
from clinic import demo as clinic_demo
from clinic.models import Clinic
from patients import demo as patient_demo
from patients.models import Patient
from staff import demo as staff_demo
from staff.models import User

PATIENT_CHUNK = 5_000
# Chunk n of the patients is drawn from the random seed PATIENT_SEED + n.
PATIENT_SEED = 1_000_000
PROGRESS_EVERY = 100_000

ClinicPlace = tuple[int, str, str]
Row = tuple[Any, ...]


@dataclass(frozen=True)
class Step:
    name: str
    is_done: Callable[[Size], bool]
    run: Callable[[Size, TextIO], None]
    # Running it again adds the missing rows and leaves the others, so later steps need not run again.
    additive: bool = False


# Clinics and staff ----------------------------------------------------------------------------


def _clinics_done(size: Size) -> bool:
    return Clinic.objects.filter(code__in=[code for code, *_ in clinic_demo.CLINICS]).count() == len(
        clinic_demo.CLINICS
    )


def _staff_done(size: Size) -> bool:
    usernames = [username for username, *_ in staff_demo.DEMO_USERS]
    return User.objects.filter(username__in=usernames).count() == len(usernames)


# Patients -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Chunk:
    number: int
    start: int
    count: int
    clinics: list[ClinicPlace]


def _patient_chunk(chunk: _Chunk) -> list[Row]:
    """The rows of one chunk; runs in a worker forked after django.setup() and uses no database."""
    # patient_rows gives row i the clinic clinics[i % n]; rotate so the spread is the same as one
    # long run would give.
    shift = chunk.start % len(chunk.clinics)
    clinics = chunk.clinics[shift:] + chunk.clinics[:shift]
    return list(
        patient_demo.patient_rows(
            chunk.count,
            seed=PATIENT_SEED + chunk.number,
            cpf_start=patient_demo.BENCH_CPF_START + chunk.start,
            clinics=clinics,
        )
    )


def _chunks(total: int, clinics: list[ClinicPlace]) -> Iterator[_Chunk]:
    for number, start in enumerate(range(0, total, PATIENT_CHUNK)):
        yield _Chunk(number=number, start=start, count=min(PATIENT_CHUNK, total - start), clinics=clinics)


def _with_progress(rows: Iterable[Row], total: int, stdout: TextIO) -> Iterator[Row]:
    started = time.perf_counter()
    for written, row in enumerate(rows, start=1):
        yield row
        if written % PROGRESS_EVERY == 0 or written == total:
            elapsed = time.perf_counter() - started
            stdout.write(f"    {written:>9,} / {total:,} patients  {elapsed:6.1f}s  ({written / elapsed:,.0f}/s)\n")
            stdout.flush()


def _patients_done(size: Size) -> bool:
    return Patient.objects.count() == size.patients


def _load_patients(size: Size, stdout: TextIO) -> None:
    if Patient.objects.exists():
        # An interrupted run left part of the patients: start them again, with what refers to them.
        with connection.cursor() as cursor:
            cursor.execute(f"TRUNCATE {Patient._meta.db_table} RESTART IDENTITY CASCADE")
    clinics = patient_demo.clinic_places()
    workers = os.cpu_count() or 1
    stdout.write(f"    encrypting in {workers} worker processes, {PATIENT_CHUNK:,} patients a chunk\n")
    # Forked workers inherit the settings (keys) but must not share the parent's connection.
    connections.close_all()
    with multiprocessing.get_context("fork").Pool(workers) as pool:
        chunks = pool.imap(_patient_chunk, _chunks(size.patients, clinics))
        rows = _with_progress(itertools.chain.from_iterable(chunks), size.patients, stdout)
        written = patient_demo.copy_patients(rows)
    if written != size.patients:
        raise RuntimeError(f"wrote {written} patients, expected {size.patients}")


STEPS: list[Step] = [
    Step("clinics", _clinics_done, lambda size, stdout: clinic_demo.load(stdout), additive=True),
    Step("staff", _staff_done, lambda size, stdout: staff_demo.load(stdout), additive=True),
    Step("patients", _patients_done, _load_patients),
    Step("practitioners", schedules.practitioners_done, schedules.load_practitioners),
    Step("appointments", schedules.appointments_done, schedules.load_appointments),
    Step("beds", beds.beds_done, beds.load_beds),
    Step("exams", exams.exams_done, exams.load_exams),
    Step("triage", triage.triage_done, triage.load_triage),
]


# Whole database -------------------------------------------------------------------------------


def _require_bench_database() -> None:
    """Generation truncates and drops: only ever in a database named as a benchmark's."""
    name = str(connection.settings_dict["NAME"])
    if "bench" not in name:
        raise RuntimeError(f"refusing to generate into database {name!r}: a benchmark database has 'bench' in its name")


def reset_database(stdout: TextIO) -> None:
    """Drop everything in the benchmark database and migrate it again."""
    name = str(connection.settings_dict["NAME"])
    stdout.write(f"resetting database {name}\n")
    with connection.cursor() as cursor:
        cursor.execute("DROP SCHEMA public CASCADE")
        cursor.execute("CREATE SCHEMA public")
    ContentType.objects.clear_cache()
    call_command("migrate", interactive=False, verbosity=0)


def vacuum_analyze() -> None:
    """Statistics for the planner, and a visibility map and empty GIN pending lists as in a database
    that autovacuum has kept up with."""
    with connection.cursor() as cursor:
        cursor.execute("VACUUM (ANALYZE)")


def pending_steps(size: Size, steps: list[Step] | None = None) -> list[Step]:
    """The steps to run, in order: each incomplete additive step, and every other step from the first
    incomplete one on. An additive step that is incomplete does not make the steps after it run."""
    pending: list[Step] = []
    cascading = False
    for step in STEPS if steps is None else steps:
        if step.additive:
            if not step.is_done(size):
                pending.append(step)
            continue
        cascading = cascading or not step.is_done(size)
        if cascading:
            pending.append(step)
    return pending


def generate(size: Size, *, regenerate: bool, stdout: TextIO) -> float | None:
    """Generate what is missing at ``size``; return the seconds it took, or None if nothing was."""
    _require_bench_database()
    if regenerate:
        reset_database(stdout)
    steps = pending_steps(size)
    if not steps:
        stdout.write(f"data at size {size.name} already generated (use --regenerate to start again)\n")
        return None
    started = time.perf_counter()
    for step in steps:
        stdout.write(f"  {step.name} ...\n")
        stdout.flush()
        step_started = time.perf_counter()
        step.run(size, stdout)
        stdout.write(f"  {step.name}: {time.perf_counter() - step_started:.1f}s\n")
    analyse_started = time.perf_counter()
    vacuum_analyze()
    stdout.write(f"  vacuum analyze: {time.perf_counter() - analyse_started:.1f}s\n")
    elapsed = time.perf_counter() - started
    stdout.write(f"generation at size {size.name}: {elapsed:.1f}s\n")
    return elapsed
