"""The beds cases: the ward page (a 60-bed ward, a whole hospital, and the refresh an open page asks
for every few seconds), the bed suggestion with the request page it is shown on, and the yearly
occupancy report of the whole network with its XLSX.

Pages are asked for through Django's test client as the people who use them: the ward nurse of
the hospital (``bench.beds``) for the ward pages, the manager (every clinic) for the report. Each
is bound by a floor, one plain SQL query returning what the page shows, checked against the
selector's answer before anything is timed: the same beds in the same order with the same
patients, the same suggested beds, the same daily figures of the report.

What grows is the patients (with the size) and the stays and admissions (with time); the wards and
beds do not (the network has 1,500 beds at every size, and reading them all is cheap). So the ward
pages are checked for reading patients by key only and finding the open stays by an index, the
refresh for finding the waiting requests by theirs, the request page for finding its stays by the
admission. The yearly report reads nearly every stay there is, as it must: the harness does not
see its SQL (it names no table in quotes), so the case EXPLAINs it itself and says in its note what
it reads.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from beds import selectors
from beds.models import (
    Admission,
    AdmissionStatus,
    Bed,
    BedState,
    BedStay,
    DischargeKind,
    StayEnd,
    Ward,
    WardKind,
)
from beds.rules import room_sexes_for
from beds.views import BOARD_REFRESH_SECONDS
from bench import beds as bench_beds
from bench.cases import _indexes_on, signed_in_client
from bench.harness import BenchmarkError, Case, Floor, Row, explain
from clinic.access import clinics_for_user
from clinic.models import Clinic
from patients.models import Patient
from reports.exports import XLSX_TYPE
from reports.occupancy import OCCUPANCY_SQL, TWO_PLACES, occupancy_report
from staff.models import User

STAY_TABLE = BedStay._meta.db_table
PATIENT_TABLE = Patient._meta.db_table
# The open stays of the beds shown: the partial index of the open stays (one entry per occupied bed
# of the network, read whole: cheaper than a probe per bed while the network has a few thousand
# beds), the index on ended_at, or an index by bed (its foreign key, the no-overlap constraint).
OPEN_STAY_INDEXES = ("bed_stay_one_open_per_admission", "bed_stay_ended_idx", "bed_stay_no_overlap")
PATIENT_INDEX = ("patients_patient_pkey",)
ADMISSION_STAYS_INDEX = ("bed_stay_admission_idx",)
REPORT_MANAGER = "gestor"
REPORT_DAYS = 365
SUGGESTIONS = 10


def _get(client: Client, path: str, data: dict[str, str], *, expect: str = "", content_type: str = "") -> None:
    """GET a page; it must answer 200 with the text ``expect`` (escaped as on the page) or of ``content_type``."""
    response = client.get(path, data)
    if response.status_code != 200:
        raise BenchmarkError(f"GET {path} {data} answered {response.status_code}")
    body = b"".join(response.streaming_content) if response.streaming else response.content  # type: ignore[attr-defined]
    if expect and str(escape(expect)).encode() not in body:
        raise BenchmarkError(f"GET {path} {data}: {expect!r} is not on the page")
    if content_type and response["Content-Type"] != content_type:
        raise BenchmarkError(f"GET {path} {data} answered {response['Content-Type']}, not {content_type}")


def _stay_indexes() -> tuple[str, ...]:
    """The open-stay indexes and the foreign-key index Django made on ``bed_id`` (its name is a hash)."""
    return (*OPEN_STAY_INDEXES, *_indexes_on(STAY_TABLE, "bed_id"))


# The ward page ----------------------------------------------------------------------------------

# What the page shows: every bed in service of the scope with its room and ward, the patient in it
# (no encrypted column), the patient it is reserved for; the counts per state and the version the
# page refreshes by; and the clinic's requests waiting for a bed, oldest first.
_BOARD_SQL = f"""
SELECT b.id, b.code, b.state, b.changed_at, b.reserved_until, b.blocked_reason, b.isolation_capable,
       r.code AS room, r.sex AS room_sex, w.id AS ward_id, w.code AS ward, w.name AS ward_name, w.kind,
       s.started_at, a.admitted_at, a.risk, a.priority,
       p.id AS patient_id, p.full_name, p.social_name, p.birth_date, p.sex,
       reserved_patient.full_name AS reserved_name, reserved_patient.social_name AS reserved_social_name,
       count(*) OVER () AS total, max(b.changed_at) OVER () AS version,
       {", ".join(f"count(*) FILTER (WHERE b.state = '{state}') OVER () AS {state}" for state in BedState.values)},
       (SELECT coalesce(json_agg(waiting), '[]') FROM (
            SELECT request.id, request.requested_at, request.ward_kind, request.priority, request.risk,
                   request.needs_isolation, person.full_name, person.social_name
            FROM beds_admission request JOIN patients_patient person ON person.id = request.patient_id
            WHERE request.status = '{AdmissionStatus.REQUESTED}' AND request.clinic_id = %s
            ORDER BY request.requested_at LIMIT 200) waiting) AS requests
FROM beds_bed b
JOIN beds_wardroom r ON r.id = b.room_id
JOIN beds_ward w ON w.id = r.ward_id
LEFT JOIN {STAY_TABLE} s ON s.bed_id = b.id AND s.ended_at IS NULL
LEFT JOIN beds_admission a ON a.id = s.admission_id
LEFT JOIN patients_patient p ON p.id = a.patient_id
LEFT JOIN beds_admission reservation ON reservation.id = b.reserved_for_id
LEFT JOIN patients_patient reserved_patient ON reserved_patient.id = reservation.patient_id
WHERE w.clinic_id = %s AND w.is_active AND b.retired_at IS NULL AND (%s::bigint IS NULL OR w.id = %s::bigint)
ORDER BY w.code, r.code, b.code
"""


def _board_floor(clinic: Clinic, ward: Ward | None, board: selectors.Board) -> Floor:
    expected = [(tile.bed.pk, tile.patient.pk if tile.patient else None) for tile in board.tiles]

    def check(rows: list[Row]) -> None:
        found = [(row[0], row[17]) for row in rows]
        if found != expected:
            raise BenchmarkError(f"the floor finds {len(found)} beds {found[:3]}..., the board {expected[:3]}...")

    ward_pk = ward.pk if ward is not None else None
    return Floor(sql=_BOARD_SQL, params=[clinic.pk, clinic.pk, ward_pk, ward_pk], check=check)


# The board's refresh when nothing changed: the scope's number of beds and last change, and the
# requests waiting for a bed, which the page's version is made of.
_REFRESH_SQL = f"""
SELECT count(*), max(b.changed_at),
       (SELECT array_agg(waiting.id ORDER BY waiting.requested_at) FROM (
            SELECT id, requested_at FROM beds_admission
            WHERE status = '{AdmissionStatus.REQUESTED}' AND clinic_id = %s
            ORDER BY requested_at LIMIT 200) waiting)
FROM beds_bed b
JOIN beds_wardroom r ON r.id = b.room_id
JOIN beds_ward w ON w.id = r.ward_id
WHERE w.clinic_id = %s AND w.id = %s AND w.is_active AND b.retired_at IS NULL
"""
VERSION = re.compile(rb'data-version="([^"]*)"')


def _refresh(client: Client, path: str, data: dict[str, str]) -> None:
    """Ask as the open page does every few seconds (htmx), with the version it shows: nothing changed."""
    response = client.get(path, data, HTTP_HX_REQUEST="true")
    if response.status_code != 204:
        raise BenchmarkError(f"the refresh of an unchanged board answered {response.status_code}, not 204")


def refresh_case(client: Client, path: str, data: dict[str, str], nurse: User, beds: int) -> Case:
    response = client.get(path, data)
    found = VERSION.search(response.content)
    if response.status_code != 200 or found is None:
        raise BenchmarkError(f"GET {path} {data}: no board version on the page ({response.status_code})")
    since = {**data, "since": html.unescape(found.group(1).decode())}

    def check(rows: list[Row]) -> None:
        if rows[0][0] != beds:
            raise BenchmarkError(f"the floor counts {rows[0][0]} beds, the board {beds}")

    return Case(
        name="ward page refresh, nothing changed (60-bed ward)",
        run=lambda: _refresh(client, path, since),
        floor=Floor(sql=_REFRESH_SQL, params=[data["clinic"], data["clinic"], data["ward"]], check=check),
        expected_indexes=(("admission_open_request_idx",),),
        main_table=Admission._meta.db_table,
        note=f"the htmx request an open board makes every {BOARD_REFRESH_SECONDS} s; as {nurse.username}",
    )


def _board_note(board: selectors.Board, where: str, nurse: User) -> str:
    return f"{where}: {board.total} beds, {board.counts[BedState.OCCUPIED]} occupied; as {nurse.username}"


def board_cases(nurse: User, clinic: Clinic, ward: Ward) -> list[Case]:
    client, _user = signed_in_client(nurse.username)
    path = reverse("beds:board")
    cases = []
    ward_board = selectors.ward_board(user=nurse, clinic=clinic, ward=ward)
    if len(ward_board.tiles) != 60:
        raise BenchmarkError(f"ward {ward.code} of {clinic.code} has {len(ward_board.tiles)} beds, not 60")
    shown = next((tile.patient.display_name for tile in ward_board.tiles if tile.patient), None)
    if shown is None:
        raise BenchmarkError(f"nobody is in a bed of {ward.code}: the data is not what the case expects")
    ward_floor = _board_floor(clinic, ward, ward_board)
    # The patients' table is the one that grows with the size: the board reads its rows by key only.
    # The stays grow with time; the board finds the open ones by an index (see OPEN_STAY_INDEXES).
    indexes = (PATIENT_INDEX, _stay_indexes())

    def run_selector() -> None:
        if len(selectors.ward_board(user=nurse, clinic=clinic, ward=ward).tiles) != 60:
            raise BenchmarkError("the board does not show the ward's 60 beds")

    cases.append(
        Case(
            name="ward board, 60-bed ward (selector)",
            run=run_selector,
            floor=ward_floor,
            expected_indexes=indexes,
            main_table=PATIENT_TABLE,
            note=_board_note(ward_board, f"{clinic.code} {ward.code}", nurse),
        )
    )
    ward_data = {"clinic": str(clinic.pk), "ward": str(ward.pk)}
    cases.append(
        Case(
            name="ward page, 60-bed ward",
            run=lambda: _get(client, path, ward_data, expect=shown),
            floor=ward_floor,
            expected_indexes=indexes,
            main_table=PATIENT_TABLE,
            note=_board_note(ward_board, f"{clinic.code} {ward.code}", nurse),
        )
    )
    cases.append(refresh_case(client, path, ward_data, nurse, len(ward_board.tiles)))
    clinic_board = selectors.ward_board(user=nurse, clinic=clinic)
    cases.append(
        Case(
            name=f"ward page, whole clinic ({clinic_board.total} beds)",
            run=lambda: _get(client, path, {"clinic": str(clinic.pk)}, expect=shown),
            floor=_board_floor(clinic, None, clinic_board),
            expected_indexes=indexes,
            main_table=PATIENT_TABLE,
            note=_board_note(clinic_board, clinic.code, nurse),
        )
    )
    return cases


# Bed suggestion ---------------------------------------------------------------------------------

# The free beds that meet the request's hard rules in the reader's clinics, best first, with what the
# reasons are made of (selectors.bed_suggestions).
_SUGGESTION_SQL = f"""
SELECT b.id, b.code, r.code AS room, r.sex AS room_sex, w.code AS ward, w.kind, c.name AS clinic, f.name AS floor,
       coalesce(b.reserved_for_id = %s, false) AS reserved_here,
       w.clinic_id = %s AS same_clinic,
       coalesce(w.floor_id = %s, false) AS same_floor,
       (SELECT count(*) FROM beds_bed o WHERE o.room_id = b.room_id AND o.state = '{BedState.OCCUPIED}')
           AS room_occupied,
       (SELECT count(*) FROM beds_bed o WHERE o.room_id = b.room_id AND o.retired_at IS NULL) AS room_beds
FROM beds_bed b
JOIN beds_wardroom r ON r.id = b.room_id
JOIN beds_ward w ON w.id = r.ward_id
JOIN clinic_clinic c ON c.id = w.clinic_id
JOIN clinic_floor f ON f.id = w.floor_id
WHERE (b.state = '{BedState.AVAILABLE}'
       OR b.state = '{BedState.RESERVED}' AND (b.reserved_for_id = %s OR b.reserved_until <= now()))
  AND r.sex = ANY(%s) AND b.equipment @> %s::varchar(20)[] AND (%s::text = '' OR w.kind = %s)
  AND (b.isolation_capable OR NOT %s)
  AND b.retired_at IS NULL AND w.is_active AND w.clinic_id = ANY(%s)
ORDER BY reserved_here DESC, same_clinic DESC, same_floor DESC, room_occupied, c.name, w.code, r.code, b.code
LIMIT {SUGGESTIONS}
"""


def _suggestion_params(admission: Admission, clinic_ids: list[int]) -> list[Any]:
    return [
        admission.pk,
        admission.clinic_id,
        admission.origin_floor_id,
        admission.pk,
        room_sexes_for(admission.patient.sex),
        sorted(set(admission.equipment)),
        admission.ward_kind,
        admission.ward_kind,
        admission.needs_isolation,
        clinic_ids,
    ]


def _same_beds(expected: list[int], column: Callable[[list[Row]], list[int]]) -> Callable[[list[Row]], None]:
    def check(rows: list[Row]) -> None:
        found = column(rows)
        if found != expected:
            raise BenchmarkError(f"the floor suggests beds {found}, the selector {expected}")

    return check


# The request page: the request with its patient and who asked, its stays (none yet) and the suggestions.
_REQUEST_PAGE_SQL = f"""
SELECT a.*, p.full_name, p.social_name, p.birth_date, p.sex, c.name AS clinic, f.name AS origin_floor,
       asked.first_name, asked.last_name,
       (SELECT coalesce(json_agg(stay ORDER BY stay.started_at), '[]') FROM {STAY_TABLE} stay
        WHERE stay.admission_id = a.id) AS stays,
       (SELECT json_agg(suggestion) FROM ({_SUGGESTION_SQL}) suggestion) AS suggestions
FROM beds_admission a
JOIN patients_patient p ON p.id = a.patient_id
JOIN clinic_clinic c ON c.id = a.clinic_id
LEFT JOIN clinic_floor f ON f.id = a.origin_floor_id
LEFT JOIN staff_user asked ON asked.id = a.requested_by_id
WHERE a.id = %s
"""


def suggestion_target(clinic: Clinic) -> Admission:
    """The oldest request of the hospital for a general-ward bed that has no bed reserved yet."""
    admission = (
        Admission.objects.filter(
            clinic=clinic, status=AdmissionStatus.REQUESTED, ward_kind=WardKind.GENERAL, reserved_beds__isnull=True
        )
        .select_related("patient", "clinic", "origin_floor")
        .order_by("requested_at", "pk")
        .first()
    )
    if admission is None:
        raise BenchmarkError(f"no open general-ward request at {clinic.code}: generate the data again")
    return admission


def suggestion_cases(nurse: User, clinic: Clinic) -> list[Case]:
    admission = suggestion_target(clinic)
    suggestions = selectors.bed_suggestions(admission, user=nurse)
    if not suggestions:
        raise BenchmarkError(f"no bed is suggested for request {admission.pk}: the data is not what the case expects")
    expected = [suggestion.bed.pk for suggestion in suggestions]
    clinic_ids = list(clinics_for_user(nurse).values_list("pk", flat=True))
    params = _suggestion_params(admission, clinic_ids)

    def run_selector() -> None:
        if not selectors.bed_suggestions(admission, user=nurse):
            raise BenchmarkError("no bed suggested")

    client, _user = signed_in_client(nurse.username)
    path = reverse("beds:admission", args=[admission.pk])
    note = (
        f"request {admission.pk} at {clinic.code} for a {admission.ward_kind} bed "
        f"(patient's sex {admission.patient.sex}, equipment {admission.equipment or 'none'}), "
        f"as {nurse.username}; first suggestion {suggestions[0].bed.code}"
    )
    return [
        Case(
            name="bed suggestion (selector)",
            run=run_selector,
            floor=Floor(
                sql=_SUGGESTION_SQL, params=params, check=_same_beds(expected, lambda rows: [r[0] for r in rows])
            ),
            # Only wards and beds, which do not grow: no index is expected, and reading them all is fine.
            main_table=STAY_TABLE,
            note=note,
        ),
        Case(
            name="admission page, suggested beds",
            run=lambda: _get(client, path, {}, expect=suggestions[0].bed.code),
            floor=Floor(
                sql=_REQUEST_PAGE_SQL,
                params=[*params, admission.pk],
                check=_same_beds(expected, lambda rows: [bed["id"] for bed in rows[0][-1]] if rows else []),
            ),
            expected_indexes=(ADMISSION_STAYS_INDEX,),
            main_table=STAY_TABLE,
            note=note,
        ),
    ]


# Occupancy report ---------------------------------------------------------------------------------

# The report's daily figures for the whole network, the plain way. Every bed is in the scope, so a
# move between beds keeps the patient in it: an admission is counted on the day its first stay
# starts (the stay that starts when the admission does), a discharge (and a death) on the day the
# stay that ended the admission ends (``end_reason`` "discharge"), with the nights of all the
# admission's stays for the average length of stay. Each stay of an admission that touches the
# period becomes its span of midnights in its clinic's time zone, clipped to the period: +1 on the
# first day, -1 after the last; the beds in service and their blocks the same way. No window over
# the stays, no sort of them: one pass, hash joins, a sum per day.
_REPORT_FLOOR_SQL = f"""
WITH beds AS (
    SELECT b.id, c.time_zone AS tz, b.in_service_since, b.retired_at
    FROM beds_bed b JOIN beds_wardroom r ON r.id = b.room_id JOIN beds_ward w ON w.id = r.ward_id
    JOIN clinic_clinic c ON c.id = w.clinic_id
),
local AS (
    SELECT s.admission_id, s.end_reason, s.started_at = a.admitted_at AS first_stay,
           a.discharge_kind = %(death)s AS death,
           s.started_at AT TIME ZONE beds.tz AS local_start, s.ended_at AT TIME ZONE beds.tz AS local_end
    FROM {STAY_TABLE} s JOIN beds ON beds.id = s.bed_id JOIN beds_admission a ON a.id = s.admission_id
    WHERE s.admission_id IN (
        SELECT admission_id FROM {STAY_TABLE}
        WHERE started_at < (%(end)s::date + 2)::timestamp AT TIME ZONE 'UTC'
          AND (ended_at IS NULL OR ended_at > (%(start)s::date - 1)::timestamp AT TIME ZONE 'UTC'))
),
stays AS (
    SELECT *, (local_start - interval '1 microsecond')::date + 1 AS first_night,
           (local_end - interval '1 microsecond')::date AS last_night
    FROM local
),
census AS (
    SELECT greatest(first_night, %(start)s::date) AS lo, least(coalesce(last_night, %(end)s::date), %(end)s::date) AS hi
    FROM stays
),
service AS (
    SELECT id, tz,
           greatest(((in_service_since AT TIME ZONE tz) - interval '1 microsecond')::date + 1, %(start)s::date) AS lo,
           least(coalesce(((retired_at AT TIME ZONE tz) - interval '1 microsecond')::date, %(end)s::date),
                 %(end)s::date) AS hi
    FROM beds
),
blocked AS (
    SELECT greatest(((k.started_at AT TIME ZONE service.tz) - interval '1 microsecond')::date + 1, service.lo) AS lo,
           least(coalesce(((k.ended_at AT TIME ZONE service.tz) - interval '1 microsecond')::date, service.hi),
                 service.hi) AS hi
    FROM beds_bedblock k JOIN service ON service.id = k.bed_id
),
changes AS (
    SELECT lo AS day, 1 AS census, 0 AS available FROM census WHERE lo <= hi
    UNION ALL SELECT hi + 1, -1, 0 FROM census WHERE lo <= hi
    UNION ALL SELECT lo, 0, 1 FROM service WHERE lo <= hi
    UNION ALL SELECT hi + 1, 0, -1 FROM service WHERE lo <= hi
    UNION ALL SELECT lo, 0, -1 FROM blocked WHERE lo <= hi
    UNION ALL SELECT hi + 1, 0, 1 FROM blocked WHERE lo <= hi
),
nights AS (
    SELECT admission_id, sum(last_night - first_night + 1) AS nights FROM stays GROUP BY admission_id
),
movements AS (
    SELECT local_start::date AS day, 1 AS admissions, 0 AS discharges, 0 AS deaths, 0 AS nights
    FROM stays WHERE first_stay
    UNION ALL
    SELECT stays.local_end::date, 0, 1, stays.death::int, nights.nights
    FROM stays JOIN nights USING (admission_id)
    WHERE stays.end_reason = '{StayEnd.DISCHARGE}'
),
by_day AS (
    SELECT day, sum(census) AS census, sum(available) AS available FROM changes GROUP BY day
),
moved AS (
    SELECT day, sum(admissions) AS admissions, sum(discharges) AS discharges, sum(deaths) AS deaths,
           sum(nights) AS nights
    FROM movements GROUP BY day
)
SELECT d.day::date, (sum(coalesce(by_day.census, 0)) OVER running)::int AS census,
       (sum(coalesce(by_day.available, 0)) OVER running)::int AS available,
       coalesce(moved.admissions, 0)::int, coalesce(moved.discharges, 0)::int, coalesce(moved.deaths, 0)::int,
       coalesce(moved.nights, 0)::int
FROM generate_series(%(start)s::date, %(end)s::date, interval '1 day') AS d(day)
LEFT JOIN by_day ON by_day.day = d.day::date
LEFT JOIN moved ON moved.day = d.day::date
WINDOW running AS (ORDER BY d.day)
ORDER BY d.day
"""


def _report_floor(start: date, end: date) -> Floor:
    report = occupancy_report(start=start, end=end, clinics=Clinic.objects.all())
    expected = [
        (day.date, day.census, day.available_beds, day.admissions, day.discharges, day.deaths) for day in report.days
    ]

    def check(rows: list[Row]) -> None:
        found = [tuple(row[:6]) for row in rows]
        if found != expected:
            different = next(
                (f"{ours} != {theirs}" for ours, theirs in zip(found, expected, strict=False) if ours != theirs),
                f"{len(found)} days != {len(expected)}",
            )
            raise BenchmarkError(f"the floor and the report disagree (day, census, beds, in, out, deaths): {different}")
        nights, discharges = sum(row[6] for row in rows), sum(row[4] for row in rows)
        length = (Decimal(nights) / discharges).quantize(TWO_PLACES, rounding=ROUND_HALF_UP) if discharges else None
        if length != report.average_length_of_stay:
            raise BenchmarkError(f"average length of stay: floor {length}, report {report.average_length_of_stay}")

    return Floor(sql=_REPORT_FLOOR_SQL, params=_named(start=start, end=end), check=check)


def _named(**params: Any) -> Any:
    """Named parameters (psycopg takes them from a mapping; the harness passes on what it is given)."""
    return {**params, "death": DischargeKind.DEATH.value}


def _report_plan_note(start: date, end: date) -> str:
    """What the report's query reads, from its EXPLAIN: the harness sees only statements that quote
    table names, as the ORM does."""
    clinics = list(Clinic.objects.values_list("pk", flat=True))
    plan = explain(OCCUPANCY_SQL, _named(clinics=clinics, ward=None, start=start, end=end))
    scans = sorted(set(plan.full_scans)) or ["none"]
    indexes = sorted(set(plan.indexes)) or ["none"]
    return f"report query: full scans {', '.join(scans)}; indexes {', '.join(indexes)}"


def report_cases() -> list[Case]:
    end = timezone.localdate()
    start = end - timedelta(days=REPORT_DAYS - 1)
    floor = _report_floor(start, end)
    clinics = Clinic.objects.all()
    stays, beds = BedStay.objects.count(), Bed.objects.count()
    note = f"{start} to {end}, {clinics.count()} clinics, {stays:,} stays in all; {_report_plan_note(start, end)}"

    def run_report() -> None:
        if not occupancy_report(start=start, end=end, clinics=Clinic.objects.all()).patient_days:
            raise BenchmarkError("the report counts no patient-day")

    client, _user = signed_in_client(REPORT_MANAGER)
    path = reverse("reports:occupancy-download", args=["xlsx"])
    data = {"start": start.isoformat(), "end": end.isoformat()}
    return [
        Case(
            name=f"occupancy report, a year, whole network ({beds:,} beds)",
            run=run_report,
            floor=floor,
            main_table=STAY_TABLE,
            note=note,
        ),
        Case(
            name=f"occupancy report XLSX, a year, whole network ({beds:,} beds)",
            run=lambda: _get(client, path, data, content_type=XLSX_TYPE),
            floor=floor,
            main_table=STAY_TABLE,
            note=f"as {REPORT_MANAGER}; {note}",
        ),
    ]


# All cases --------------------------------------------------------------------------------------


def build_cases() -> list[Case]:
    clinic = Clinic.objects.get(code=bench_beds.BOARD_CLINIC)
    ward = Ward.objects.select_related("clinic", "floor").get(clinic=clinic, code=bench_beds.BOARD_WARD)
    nurse = User.objects.get(username=bench_beds.ward_nurse_username(clinic.code))
    return [*board_cases(nurse, clinic, ward), *suggestion_cases(nurse, clinic), *report_cases()]
