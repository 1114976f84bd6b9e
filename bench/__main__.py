"""``python -m bench --size 100k|1m [--only NAME] [--runs N] [--regenerate]``

The benchmark never runs on the developer's or production's database: with the embedded server
(no DATABASE_URL) it uses a database of its own per size, ``clinic_bench_<size>``; where a
DATABASE_URL is configured it requires BENCH_DATABASE_URL, a database named with "bench".
It runs with DEBUG off, as production does.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
from datetime import UTC, datetime
from pathlib import Path

import environ

from bench.sizes import SIZES

BASE_DIR = Path(__file__).resolve().parent.parent
RESULTS_DIR = Path(__file__).resolve().parent / "results"
DEFAULT_RUNS = 15


def _parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0] if __doc__ else "")
    parser.add_argument("--size", choices=sorted(SIZES), default="100k", help="data size (default: 100k)")
    parser.add_argument("--only", metavar="NAME", help="run only the cases whose name contains NAME")
    parser.add_argument("--runs", type=int, default=DEFAULT_RUNS, help="timed runs per case (after 2 warm-ups)")
    parser.add_argument("--regenerate", action="store_true", help="drop the benchmark data and generate it again")
    args = parser.parse_args(argv)
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    return args


def use_bench_database(size: str) -> None:
    """Point the settings at the benchmark's database. Must run before django.setup()."""
    # Settings read .env without overriding the environment; read it first so its DATABASE_URL counts.
    environ.Env.read_env(BASE_DIR / ".env", overwrite=False)
    bench_url = os.environ.get("BENCH_DATABASE_URL")
    if bench_url:
        if bench_url == os.environ.get("DATABASE_URL"):
            raise SystemExit("BENCH_DATABASE_URL must name another database than DATABASE_URL.")
        os.environ["DATABASE_URL"] = bench_url
    elif "DATABASE_URL" in os.environ:
        raise SystemExit("DATABASE_URL is set: set BENCH_DATABASE_URL to a separate database for the benchmark.")
    else:
        os.environ["CLINIC_DATABASE_NAME"] = f"clinic_bench_{size}"
    os.environ["DJANGO_SETTINGS_MODULE"] = "clinic.settings"
    os.environ["DEBUG"] = "false"


def main(argv: list[str]) -> int:
    args = _parse_args(argv)
    use_bench_database(args.size)

    import django

    django.setup()

    from django.core.management import call_command
    from django.db import connection

    from bench import beds_cases, cases, exams_cases, generate, harness, scheduling_cases, triage_cases
    from patients.models import Patient
    from scheduling.models import Appointment

    size = SIZES[args.size]
    database = connection.settings_dict["NAME"]
    print(f"benchmark at size {size.name} in database {database}")
    call_command("migrate", interactive=False, verbosity=0)
    generation_seconds = generate.generate(size, regenerate=args.regenerate, stdout=sys.stdout)

    every_case = [
        *cases.build_cases(),
        *scheduling_cases.build_cases(),
        *beds_cases.build_cases(),
        *triage_cases.build_cases(),
        *exams_cases.build_cases(),
    ]
    selected = [case for case in every_case if not args.only or args.only.lower() in case.name.lower()]
    if not selected:
        raise SystemExit(f"no case name contains {args.only!r}")
    started_at = datetime.now(UTC)
    results: list[harness.Result | harness.Failure] = []
    for case in selected:
        print(f"  {case.name} ...", flush=True)
        results.append(harness.run_case(case, runs=args.runs))

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        postgres_version = cursor.fetchone()[0]  # type: ignore[index]
        cursor.execute("SHOW shared_buffers")
        shared_buffers = cursor.fetchone()[0]  # type: ignore[index]
    print()
    harness.write_table(results, sys.stdout)
    path = RESULTS_DIR / f"{started_at:%Y%m%dT%H%M%SZ}-{size.name}.json"
    patient_count, appointment_count = Patient.objects.count(), Appointment.objects.count()
    harness.write_json(
        path,
        results=results,
        size=size.name,
        started_at=started_at.isoformat(),
        runs=args.runs,
        warmups=harness.WARMUPS,
        generation_seconds=generation_seconds,
        machine={
            "cpu_count": os.cpu_count(),
            "platform": platform.platform(),
            "python": platform.python_version(),
            "postgres_version": postgres_version,
            "shared_buffers": shared_buffers,
            "database": database,
            "patient_count": patient_count,
            "appointment_count": appointment_count,
        },
    )
    table = path.with_suffix(".md")
    harness.write_markdown(
        table,
        results=results,
        title=f"Benchmark at size {size.name}, {started_at:%Y-%m-%d %H:%M} UTC",
        details=[
            f"{patient_count:,} patients, {appointment_count:,} appointments; {args.runs} timed runs per case "
            f"after {harness.WARMUPS} warm-ups; times are medians",
            f"{platform.platform()}, {os.cpu_count()} CPUs, Python {platform.python_version()}, "
            f"PostgreSQL {postgres_version} (shared_buffers {shared_buffers})",
        ],
    )
    print(f"\nresults written to {path.relative_to(BASE_DIR)} and {table.relative_to(BASE_DIR)}")
    failed = [result.case.name for result in results if not isinstance(result, harness.Result) or not result.index_ok]
    if failed:
        print(f"failed or not using their indexes: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
