"""The triage cases: the emergency queue of a clinic with 60 walk-ins waiting (the page, the refresh
its htmx asks for every few seconds, the selector) and the chart's panel of vital signs.

The queue is asked for as the demo's triage nurse of the clinic (``triagem``, SP-PAU), the panel
as the demo's doctor (``medico``), for the panel patient of ``bench.exams`` (25 visits in the year).
Each is bound by a floor, one plain SQL query returning what the page shows, checked against the
selector's answer before anything is timed: the same visits in the same order, the same assessments.

What grows is the visits (a year of them behind today's queue) and their assessments: the queue
must read only the visits still in a queue, by a partial index; the panel only the patient's
assessments, by theirs.
"""

from __future__ import annotations

from django.urls import reverse
from django.utils.html import escape

from bench import exams as bench_exams
from bench import triage as bench_triage
from bench.beds_cases import _get
from bench.cases import _PANEL_FLOORS, signed_in_client
from bench.harness import BenchmarkError, Case, Floor, Row
from clinic.models import Clinic
from patients.models import Patient
from triage import selectors
from triage.models import Assessment, Visit
from triage.views import QUEUE_REFRESH_SECONDS

VISIT_TABLE = Visit._meta.db_table
ASSESSMENT_TABLE = Assessment._meta.db_table
QUEUE_NURSE = "triagem"
PANEL_DOCTOR = "medico"
# Both partial indexes hold only the visits in a queue, whatever the years behind them: the queue's
# own (clinic, colour, arrival), or the one-visit-per-patient index read whole.
QUEUE_INDEXES = ("visit_queue_idx", "visit_one_open_per_patient")

# What the queue shows of each walk-in: the visit, the patient (no encrypted column but the note),
# the doctor and room of a consultation it was routed to, and its latest assessment; most urgent
# first, then by arrival (the unclassified share the last rank, so they come by arrival).
_QUEUE_SQL = f"""
SELECT v.id, v.status, v.risk, v.arrived_at, v.triage_started_at, v.triage_ended_at, v.routed_at, v.arrival_note,
       p.id AS patient_id, p.full_name, p.social_name, p.birth_date, p.sex, p.registration_complete,
       ap.starts_at, room.code AS room, du.first_name, du.last_name,
       s.complaint, s.systolic, s.diastolic, s.heart_rate, s.respiratory_rate, s.temperature, s.spo2, s.glucose,
       s.pain, s.glasgow, s.discriminators, s.flags, s.suggested_risk, s.override_reason,
       s.by_first_name, s.by_last_name
FROM {VISIT_TABLE} v
JOIN patients_patient p ON p.id = v.patient_id
LEFT JOIN scheduling_appointment ap ON ap.id = v.appointment_id
LEFT JOIN clinic_room room ON room.id = ap.room_id
LEFT JOIN staff_practitioner pr ON pr.id = ap.practitioner_id
LEFT JOIN staff_user du ON du.id = pr.user_id
LEFT JOIN LATERAL (
    SELECT a.*, bu.first_name AS by_first_name, bu.last_name AS by_last_name
    FROM {ASSESSMENT_TABLE} a JOIN staff_user bu ON bu.id = a.by_id
    WHERE a.visit_id = v.id ORDER BY a.finished_at DESC, a.id DESC LIMIT 1) s ON true
WHERE v.clinic_id = %s AND v.in_queue
ORDER BY v.risk_rank, v.arrived_at, v.id
"""


def _queue_floor(clinic: Clinic, queue: selectors.Queue) -> Floor:
    expected = [line.visit.pk for line in (*queue.waiting_doctor, *queue.waiting_triage)]

    def check(rows: list[Row]) -> None:
        found = [row[0] for row in rows]
        if found != expected:
            raise BenchmarkError(f"the floor finds visits {found[:5]}..., the queue {expected[:5]}...")

    return Floor(sql=_QUEUE_SQL, params=[clinic.pk], check=check)


def queue_cases(clinic: Clinic) -> list[Case]:
    client, nurse = signed_in_client(QUEUE_NURSE)
    queue = selectors.triage_queue(clinic=clinic)
    expected = bench_triage.QUEUES[clinic.code]
    if queue.total != expected:
        raise BenchmarkError(f"{clinic.code} has {queue.total} walk-ins in the queue, not {expected}")
    if not queue.waiting_doctor:
        raise BenchmarkError(f"nobody in {clinic.code}'s queue is classified: the data is not what the case expects")
    shown = queue.waiting_doctor[0].visit.patient.display_name
    floor = _queue_floor(clinic, queue)
    indexes = (QUEUE_INDEXES,)
    counts = ", ".join(f"{count} {colour}" for colour, count in queue.counts.items() if count)
    note = (
        f"{clinic.code}: {len(queue.waiting_triage)} waiting for triage, {len(queue.waiting_doctor)} for the doctor "
        f"({counts}); as {nurse.username}"
    )
    path = reverse("triage:queue")
    data = {"clinic": str(clinic.pk)}
    # The first visit remembers the clinic in the session (a write the runs after it do not make).
    _get(client, path, data, expect=shown)

    def run_selector() -> None:
        if selectors.triage_queue(clinic=clinic).total != expected:
            raise BenchmarkError("the queue does not hold the clinic's walk-ins")

    def run_refresh() -> None:
        response = client.get(path, data, HTTP_HX_REQUEST="true")
        if response.status_code != 200 or str(escape(shown)).encode() not in response.content:
            raise BenchmarkError(f"the queue's refresh answered {response.status_code} without {shown!r}")

    return [
        Case(
            name=f"triage queue (selector), {expected} in queue",
            run=run_selector,
            floor=floor,
            expected_indexes=indexes,
            main_table=VISIT_TABLE,
            note=note,
        ),
        Case(
            name=f"triage queue page, {expected} in queue",
            run=lambda: _get(client, path, data, expect=shown),
            floor=floor,
            expected_indexes=indexes,
            main_table=VISIT_TABLE,
            note=note,
        ),
        Case(
            name=f"triage queue refresh (htmx), {expected} in queue",
            run=run_refresh,
            floor=floor,
            expected_indexes=indexes,
            main_table=VISIT_TABLE,
            note=f"the partial an open queue asks for every {QUEUE_REFRESH_SECONDS} s; {note}",
        ),
    ]


def vitals_cases(patient: Patient) -> list[Case]:
    client, doctor = signed_in_client(PANEL_DOCTOR)
    panel = selectors.patient_vitals(patient=patient, user=doctor)
    expected = [assessment.pk for assessment in panel.assessments]
    if len(expected) < bench_triage.PANEL_VISITS:
        raise BenchmarkError(f"patient {patient.pk} has {len(expected)} assessments: the data is not what it should be")

    def check(rows: list[Row]) -> None:
        found = [item["id"] for item in rows[0][1]]
        if found != expected:
            raise BenchmarkError(f"the floor finds assessments {found[:5]}..., the panel {expected[:5]}...")

    floor = Floor(
        sql=f"SELECT p.id, {', '.join(_PANEL_FLOORS['vitals'])} FROM patients_patient p WHERE p.id = %s",
        params=[patient.pk],
        check=check,
    )
    path = reverse("triage:panel-vitals", args=[patient.pk])
    shown = panel.assessments[0].complaint
    note = f"patient {patient.pk}: {len(expected)} assessments, {len(panel.series)} vital signs; as {doctor.username}"
    indexes = (("assessment_patient_idx",),)

    def run_selector() -> None:
        if len(selectors.patient_vitals(patient=patient, user=doctor).assessments) != len(expected):
            raise BenchmarkError("the panel does not hold the patient's assessments")

    return [
        Case(
            name=f"vitals panel (selector), {len(expected)} assessments",
            run=run_selector,
            floor=floor,
            expected_indexes=indexes,
            main_table=ASSESSMENT_TABLE,
            note=note,
        ),
        Case(
            name=f"vitals panel, {len(expected)} assessments",
            run=lambda: _get(client, path, {}, expect=shown),
            floor=floor,
            expected_indexes=indexes,
            main_table=ASSESSMENT_TABLE,
            note=note,
        ),
    ]


def build_cases() -> list[Case]:
    clinic = Clinic.objects.get(code=bench_triage.QUEUE_CLINIC)
    return [*queue_cases(clinic), *vitals_cases(bench_exams.panel_patient())]
