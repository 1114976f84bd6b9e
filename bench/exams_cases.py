"""The exams cases: the worklist of a laboratory with 300 open orders (the page and the selector) and
the chart's results panel of a patient with 40 orders (the panel and the selector).

The worklist is asked for as the demo's lab person of the clinic (``laboratorio``, SP-PAU), the
panel as the demo's doctor (``medico``), for the panel patient of ``bench.exams``. Each is bound by a
floor, one plain SQL query returning what the page shows, checked against the selector's answer
before anything is timed: the same orders in the same order, the same trends with the same points.

What grows is the orders (a year of them, a million at ``1m``) and their values (a few per order):
the worklist must read only the open orders, by its partial index; the panel only the patient's
orders and values, by theirs.
"""

from __future__ import annotations

from django.urls import reverse

from bench import exams as bench_exams
from bench.beds_cases import _get
from bench.cases import _PANEL_FLOORS, _indexes_on, signed_in_client
from bench.harness import BenchmarkError, Case, Floor, Row
from exams import selectors
from exams.models import OPEN_ORDER, ExamOrder, ResultValue
from patients.models import Patient
from staff.models import CareUnit

ORDER_TABLE = ExamOrder._meta.db_table
VALUE_TABLE = ResultValue._meta.db_table
LAB_PERSON = "laboratorio"
PANEL_DOCTOR = "medico"
WORKLIST_LIMIT = 200

# What the worklist shows of each open order: the order, the patient (no encrypted column), the
# exam and who ordered it; the most urgent first, then the oldest.
_WORKLIST_SQL = f"""
SELECT o.id, o.status, o.priority, o.origin, o.ordered_at, o.collected_at, o.resulted_at, o.indication,
       p.id AS patient_id, p.full_name, p.social_name, p.birth_date, p.sex,
       e.code, e.name AS exam, e.kind, e.turnaround_hours, u.first_name, u.last_name
FROM {ORDER_TABLE} o
JOIN patients_patient p ON p.id = o.patient_id
JOIN exams_exam e ON e.id = o.exam_id
JOIN staff_user u ON u.id = o.ordered_by_id
WHERE o.unit_id = %s AND o.status = ANY(%s)
ORDER BY o.priority_rank, o.ordered_at, o.id
LIMIT {WORKLIST_LIMIT}
"""


def worklist_cases(unit: CareUnit) -> list[Case]:
    client, person = signed_in_client(LAB_PERSON)
    orders = selectors.worklist(unit=unit, limit=WORKLIST_LIMIT)
    open_orders = ExamOrder.objects.filter(unit=unit, status__in=OPEN_ORDER).count()
    if open_orders != bench_exams.OPEN_LAB_ORDERS or not orders:
        raise BenchmarkError(f"{unit} has {open_orders} open orders, not {bench_exams.OPEN_LAB_ORDERS}")
    expected = [order.pk for order in orders]

    def check(rows: list[Row]) -> None:
        found = [row[0] for row in rows]
        if found != expected:
            raise BenchmarkError(f"the floor finds orders {found[:5]}..., the worklist {expected[:5]}...")

    floor = Floor(sql=_WORKLIST_SQL, params=[unit.pk, list(OPEN_ORDER)], check=check)
    shown = orders[0].patient.display_name
    note = f"{unit}: {open_orders} open orders, {len(orders)} listed; as {person.username}"
    indexes = (("exam_order_worklist_idx",),)
    path = reverse("exams:worklist")
    # The first visit remembers the unit in the session (a write the runs after it do not make).
    _get(client, path, {"unit": str(unit.pk)}, expect=shown)

    def run_selector() -> None:
        if len(selectors.worklist(unit=unit, limit=WORKLIST_LIMIT)) != len(expected):
            raise BenchmarkError("the worklist does not list the unit's open orders")

    return [
        Case(
            name=f"exam worklist (selector), lab unit with {open_orders} open",
            run=run_selector,
            floor=floor,
            expected_indexes=indexes,
            main_table=ORDER_TABLE,
            note=note,
        ),
        Case(
            name=f"exam worklist page, lab unit with {open_orders} open",
            run=lambda: _get(client, path, {"unit": str(unit.pk)}, expect=shown),
            floor=floor,
            expected_indexes=indexes,
            main_table=ORDER_TABLE,
            note=note,
        ),
    ]


def results_cases(patient: Patient) -> list[Case]:
    client, doctor = signed_in_client(PANEL_DOCTOR)
    panel = selectors.patient_results(patient=patient, user=doctor)
    orders = ExamOrder.objects.filter(patient=patient).count()
    if orders != bench_exams.PANEL_ORDERS or not panel.trends:
        raise BenchmarkError(f"patient {patient.pk} has {orders} orders, not {bench_exams.PANEL_ORDERS}")
    expected_orders = [order.pk for order in panel.orders]
    expected_trends = [(trend.analyte.pk, len(trend.points)) for trend in panel.trends]

    def check(rows: list[Row]) -> None:
        _patient, listed, trends = rows[0]
        found_orders = [item["id"] for item in listed][: len(expected_orders)]
        found_trends = [(item["id"], len(item["points"])) for item in trends]
        if found_orders != expected_orders or found_trends != expected_trends:
            raise BenchmarkError(
                f"the floor finds orders {found_orders[:3]}... and trends {found_trends[:3]}..., "
                f"the panel {expected_orders[:3]}... and {expected_trends[:3]}..."
            )

    floor = Floor(
        sql=f"SELECT p.id, {', '.join(_PANEL_FLOORS['results'])} FROM patients_patient p WHERE p.id = %s",
        params=[patient.pk],
        check=check,
    )
    values = ResultValue.objects.filter(patient=patient).count()
    longest = max(len(trend.points) for trend in panel.trends)
    note = (
        f"patient {patient.pk}: {orders} orders ({len(panel.orders)} shown), {values} values, "
        f"{len(panel.trends)} trends of up to {longest} points; as {doctor.username}"
    )
    # The orders and the trends' values by an index that leads with the patient: the panel's own
    # (patient, ordered_at) and (patient, analyte), or the foreign key's, which serve as well for
    # the few dozen rows of one patient.
    indexes = (_indexes_on(ORDER_TABLE, "patient_id"), _indexes_on(VALUE_TABLE, "patient_id"))
    path = reverse("exams:panel-results", args=[patient.pk])
    shown = panel.trends[0].analyte.name

    def run_selector() -> None:
        if len(selectors.patient_results(patient=patient, user=doctor).trends) != len(expected_trends):
            raise BenchmarkError("the panel does not draw the patient's trends")

    return [
        Case(
            name=f"results panel (selector), patient with {orders} orders",
            run=run_selector,
            floor=floor,
            expected_indexes=indexes,
            main_table=ORDER_TABLE,
            note=note,
        ),
        Case(
            name=f"results panel, patient with {orders} orders",
            run=lambda: _get(client, path, {}, expect=shown),
            floor=floor,
            expected_indexes=indexes,
            main_table=ORDER_TABLE,
            note=note,
        ),
    ]


def build_cases() -> list[Case]:
    # The clinic's laboratory as orders find it (the first active one by name).
    unit = (
        CareUnit.objects.select_related("clinic")
        .filter(clinic__code=bench_exams.WORKLIST_CLINIC, kind=CareUnit.Kind.LABORATORY, is_active=True)
        .order_by("name", "pk")
        .first()
    )
    if unit is None:
        raise BenchmarkError(f"{bench_exams.WORKLIST_CLINIC} has no laboratory: generate the data again")
    return [*worklist_cases(unit), *results_cases(bench_exams.panel_patient())]
