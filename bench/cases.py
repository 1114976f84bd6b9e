"""The benchmark cases: patient search (by name, CPF, phone) and the patient page with its panels.

Pages are driven through Django's test client as the demo users, exactly as a browser would ask
for them (the chart page's panels are separate requests, made by htmx when the page loads). Each
case checks the answer (status 200 and the expected patient on it) before it is timed, and on
every run after.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils.html import escape

from bench.harness import BenchmarkError, Case, Floor, Row
from clinic.brazil import format_cpf
from clinic.crypto import blind_index
from exams.selectors import TREND_POINTS
from patients.demo import BENCH_CPF_START, cpf_for
from patients.models import Patient
from patients.normalize import phone_display
from patients.panels import panels_for
from patients.selectors import MIN_NAME_LENGTH, NAME_SEARCH_CANDIDATES, parse_search, patient_search
from scheduling.consultation_selectors import PANEL_PAGE
from staff.models import User

PAGE_SIZE: int = settings.PAGE_SIZE
NAME_SEARCHES = ["oliv", "maria", "joao silva", "maria silva", "pereira santos"]

TRGM_INDEX = ("patient_search_name_trgm",)
KNN_INDEX = ("patient_search_name_knn",)
PHONE_INDEXES = (("patient_mobile_hash_idx",), ("patient_home_hash_idx",))
PK_INDEX = ("patients_patient_pkey",)
# What the chart panels of triage and exams read by default (their selectors' limits).
VITALS_PANEL_LIMIT = 50
RESULTS_PANEL_ORDERS = 30


def _indexes_on(table: str, column: str) -> tuple[str, ...]:
    """The indexes of ``table`` that lead with ``column``: a unique column has two (Django adds a
    ``_like`` index for pattern matching), and either answers an equality."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT index_class.relname FROM pg_index"
            " JOIN pg_class index_class ON index_class.oid = pg_index.indexrelid"
            " JOIN pg_attribute ON attrelid = pg_index.indrelid AND attnum = pg_index.indkey[0]"
            " WHERE pg_index.indrelid = %s::regclass AND attname = %s ORDER BY 1",
            [table, column],
        )
        return tuple(name for (name,) in cursor.fetchall())


# Requests ---------------------------------------------------------------------------------------


def signed_in_client(username: str) -> tuple[Client, User]:
    user = User.objects.get(username=username)
    client = Client(HTTP_HOST="localhost")
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return client, user


def _get(client: Client, path: str, *, data: dict[str, str] | None = None, expect: str = "") -> None:
    response = client.get(path, data)
    if response.status_code != 200:
        raise BenchmarkError(f"GET {path} {data or ''} answered {response.status_code}")
    if expect and str(escape(expect)).encode() not in response.content:
        raise BenchmarkError(f"GET {path} {data or ''}: {expect!r} is not on the page")


# Search -----------------------------------------------------------------------------------------

# What the results table shows, and the total the paginator shows above it.
_RESULT_COLUMNS = "id, full_name, social_name, birth_date, cpf, status, count(*) OVER () AS total"


def _same_first_page(expected_ids: list[int], expected_total: int) -> Callable[[list[Row]], None]:
    def check(rows: list[Row]) -> None:
        ids = [row[0] for row in rows]
        total = rows[0][-1] if rows else 0
        # The page lists at most NAME_SEARCH_CANDIDATES patients, and says so when there are more.
        if ids != expected_ids or min(total, NAME_SEARCH_CANDIDATES) != min(expected_total, NAME_SEARCH_CANDIDATES):
            raise BenchmarkError(
                f"the floor finds {total} patients {ids[:3]}..., the page {expected_total} {expected_ids[:3]}..."
            )

    return check


def _search_case(
    name: str,
    client: Client,
    text: str,
    *,
    where: str,
    params: list[Any],
    order_by: str,
    indexes: tuple[tuple[str, ...], ...],
) -> Case:
    results = patient_search(text=text)
    first_page = list(results.values_list("id", flat=True)[:PAGE_SIZE])
    if not first_page:
        raise BenchmarkError(f"{name}: no patient matches {text!r}; the data is not what the case expects")
    total = results.count()
    first = Patient.objects.get(pk=first_page[0])
    path = reverse("patients:search")
    floor = Floor(
        sql=f"SELECT {_RESULT_COLUMNS} FROM patients_patient WHERE {where} ORDER BY {order_by} LIMIT {PAGE_SIZE}",
        params=params,
        check=_same_first_page(first_page, total),
    )
    return Case(
        name=name,
        run=lambda: _get(client, path, data={"q": text}, expect=first.display_name),
        floor=floor,
        expected_indexes=indexes,
        note=f"q={text!r}, {total:,} matches",
    )


def _name_search(client: Client, text: str) -> Case:
    term = parse_search(text).value
    words = [word for word in term.split() if len(word) >= MIN_NAME_LENGTH] or [term]
    matches = " AND ".join(["(search_name %%> %s OR search_name LIKE %s)"] * len(words))
    match_params = [value for word in words for value in (word, f"%{word}%")]
    if len(words) == 1:
        # One word: among the NAME_SEARCH_CANDIDATES names nearest to it (a nearest-first walk of
        # the GiST index), those that match.
        nearest = (
            f"SELECT id FROM patients_patient ORDER BY %s <<-> lower(search_name) LIMIT {NAME_SEARCH_CANDIDATES + 1}"
        )
        where = f"id IN ({nearest}) AND {matches}"
        params, indexes = [words[0], *match_params], (KNN_INDEX,)
    else:
        # Several words: the names matching every word (bitmaps of the GIN index, ANDed).
        where, params, indexes = matches, match_params, (TRGM_INDEX,)
    # Each typed word scores by its best match among the words of the name; the scores add up.
    rank = " + ".join(["word_similarity(%s, search_name)"] * len(words))
    return _search_case(
        f"search name '{text}'",
        client,
        text,
        where=where,
        params=[*params, *words],
        order_by=f"{rank} DESC, full_name, id",
        indexes=indexes,
    )


def _cpf_search(client: Client, patient: Patient) -> Case:
    return _search_case(
        "search CPF",
        client,
        format_cpf(patient.cpf),
        where="cpf_hash = %s",
        params=[blind_index(patient.cpf)],
        order_by="full_name, id",
        indexes=(_indexes_on("patients_patient", "cpf_hash"),),
    )


def _phone_search(client: Client, patient: Patient) -> Case:
    text = phone_display(patient.mobile_phone)
    if parse_search(text).kind != "phone":
        raise BenchmarkError(f"the search box does not read {text!r} as a phone number")
    digest = blind_index(patient.mobile_phone)
    return _search_case(
        "search phone",
        client,
        text,
        where="(mobile_phone_hash = %s OR home_phone_hash = %s)",
        params=[digest, digest],
        order_by="full_name, id",
        indexes=PHONE_INDEXES,
    )


def _baseline(client: Client) -> Case:
    path = reverse("patients:search")
    return Case(
        name="search page, no query (baseline)",
        run=lambda: _get(client, path),
        floor=None,
        note="the cost of any signed-in page: session, user, permissions, template",
    )


# Patient chart ----------------------------------------------------------------------------------


def _rows_of(table: str, order_by: str, *, alias: str, user_column: str, limit: int | None = None) -> str:
    """A JSON array of the patient's rows in ``table``, each with the name of the user who made it."""
    inner = f"SELECT * FROM {table} WHERE patient_id = p.id ORDER BY {order_by}"
    if limit is not None:
        inner += f" LIMIT {limit}"
    user = f"(SELECT concat_ws(' ', first_name, last_name) FROM staff_user WHERE id = r.{user_column})"
    return f"(SELECT coalesce(json_agg(json_build_array(r, {user})), '[]') FROM ({inner}) r) AS {alias}"


# The chart page itself: its header (with the active allergies) and the emergency contacts.
_PAGE_FLOOR = [
    "(SELECT coalesce(json_agg(a), '[]') FROM (SELECT * FROM patients_allergy WHERE patient_id = p.id AND active"
    " ORDER BY severity DESC, id) a) AS allergy_banner",
    "(SELECT coalesce(json_agg(e), '[]') FROM (SELECT * FROM patients_emergencycontact WHERE patient_id = p.id"
    " ORDER BY id) e) AS contacts",
]


def _appointments_of(alias: str, *, when: str, order_by: str) -> str:
    """One page of the patient's appointments (and one more, to know if there are more) as a JSON
    array, each with who, what and where, and the diagnoses of its consultation."""
    diagnoses = (
        "(SELECT coalesce(json_agg(d), '[]') FROM scheduling_diagnosis d"
        " JOIN scheduling_consultation c ON c.id = d.consultation_id WHERE c.appointment_id = a.id)"
    )
    inner = (
        f"SELECT a.*, u.first_name, u.last_name, s.name AS specialty, r.code AS room, c.name AS clinic, "
        f"{diagnoses} AS diagnoses FROM scheduling_appointment a"
        " JOIN staff_practitioner pr ON pr.id = a.practitioner_id JOIN staff_user u ON u.id = pr.user_id"
        " JOIN staff_specialty s ON s.id = a.specialty_id JOIN clinic_room r ON r.id = a.room_id"
        " JOIN clinic_clinic c ON c.id = a.clinic_id"
        f" WHERE a.patient_id = p.id AND {when} ORDER BY {order_by} LIMIT {PANEL_PAGE + 1}"
    )
    return f"(SELECT coalesce(json_agg(x), '[]') FROM ({inner}) x) AS {alias}"


# What each panel shows; a panel another app registers needs its floor here.
_PANEL_FLOORS = {
    "history": [
        _rows_of("patients_condition", "status, recorded_at DESC", alias="conditions", user_column="recorded_by_id"),
        _rows_of(
            "patients_medication", "active DESC, recorded_at DESC", alias="medications", user_column="recorded_by_id"
        ),
        _rows_of("patients_allergy", "active DESC, recorded_at DESC", alias="allergies", user_column="recorded_by_id"),
    ],
    "documents": [
        _rows_of("patients_patientdocument", "uploaded_at DESC", alias="documents", user_column="uploaded_by_id")
    ],
    "status": [
        _rows_of(
            "patients_patientstatuschange",
            "changed_at DESC, id DESC",
            alias="status_changes",
            user_column="changed_by_id",
            limit=20,
        )
    ],
    "appointments": [
        _appointments_of("upcoming", when="a.ends_at > now()", order_by="a.starts_at, a.id"),
        _appointments_of("past", when="a.ends_at <= now()", order_by="a.starts_at DESC, a.id DESC"),
    ],
    # The last 20 admissions, each with its clinic and the beds it went through.
    "admissions": [
        "(SELECT coalesce(json_agg(x), '[]') FROM (SELECT a.*, c.name AS clinic, c.time_zone,"
        " (SELECT coalesce(json_agg(json_build_array(s.started_at, s.ended_at, w.code, b.code) ORDER BY s.started_at),"
        " '[]') FROM beds_bedstay s JOIN beds_bed b ON b.id = s.bed_id JOIN beds_wardroom r ON r.id = b.room_id"
        " JOIN beds_ward w ON w.id = r.ward_id WHERE s.admission_id = a.id) AS stays"
        " FROM beds_admission a JOIN clinic_clinic c ON c.id = a.clinic_id WHERE a.patient_id = p.id"
        " ORDER BY a.requested_at DESC LIMIT 20) x) AS admissions"
    ],
    # The last 50 triage assessments, each with who made it and the clinic of its visit; the charts of
    # the vital signs are drawn from the same rows.
    "vitals": [
        "(SELECT coalesce(json_agg(x), '[]') FROM (SELECT s.*, bu.first_name, bu.last_name, vc.name AS clinic,"
        " vc.time_zone FROM triage_assessment s JOIN staff_user bu ON bu.id = s.by_id"
        " JOIN triage_visit sv ON sv.id = s.visit_id JOIN clinic_clinic vc ON vc.id = sv.clinic_id"
        f" WHERE s.patient_id = p.id ORDER BY s.finished_at DESC, s.id DESC LIMIT {VITALS_PANEL_LIMIT}) x) AS vitals"
    ],
    # The last 30 exam orders (and one more, to know if there are more) with the values of the
    # released ones; and per numeric analyte released twice or more its latest points and the
    # reference of the latest.
    "results": [
        "(SELECT coalesce(json_agg(x), '[]') FROM (SELECT o.id, o.status, o.priority, o.ordered_at, o.collected_at,"
        " o.released_at, e.name AS exam, e.kind, oc.name AS clinic, oc.time_zone, ou.first_name, ou.last_name,"
        " (SELECT coalesce(json_agg(json_build_array(a.name, a.unit, v.number, v.text, v.flag, v.reference_low,"
        " v.reference_high) ORDER BY a.position, v.id), '[]') FROM exams_resultvalue v"
        " JOIN exams_analyte a ON a.id = v.analyte_id WHERE v.order_id = o.id AND o.status = 'released') AS vals"
        " FROM exams_examorder o JOIN exams_exam e ON e.id = o.exam_id JOIN clinic_clinic oc ON oc.id = o.clinic_id"
        " JOIN staff_user ou ON ou.id = o.ordered_by_id WHERE o.patient_id = p.id"
        f" ORDER BY o.ordered_at DESC, o.id DESC LIMIT {RESULTS_PANEL_ORDERS + 1}) x) AS exam_orders",
        "(SELECT coalesce(json_agg(t ORDER BY t.exam_id, t.position, t.id), '[]') FROM (SELECT a.id, a.exam_id,"
        " a.position, a.name, a.unit,"
        " json_agg(json_build_array(r.collected_at, r.number, r.flag) ORDER BY r.collected_at, r.id) AS points,"
        " (array_agg(r.reference_low ORDER BY r.collected_at DESC, r.id DESC))[1] AS low,"
        " (array_agg(r.reference_high ORDER BY r.collected_at DESC, r.id DESC))[1] AS high"
        " FROM (SELECT v.id, v.analyte_id, v.number, v.flag, v.reference_low, v.reference_high, ro.collected_at,"
        " row_number() OVER (PARTITION BY v.analyte_id ORDER BY ro.collected_at DESC, v.id DESC) AS recency"
        " FROM exams_resultvalue v JOIN exams_examorder ro ON ro.id = v.order_id"
        " WHERE v.patient_id = p.id AND ro.status = 'released' AND v.number IS NOT NULL) r"
        f" JOIN exams_analyte a ON a.id = r.analyte_id WHERE r.recency <= {TREND_POINTS}"
        " GROUP BY a.id HAVING count(*) >= 2) t) AS trends",
    ],
}


def _chart_floor(patient: Patient, panel_keys: list[str]) -> Floor:
    missing = [key for key in panel_keys if key not in _PANEL_FLOORS]
    if missing:
        raise BenchmarkError(f"no floor for the panels {missing}: add them to bench.cases._PANEL_FLOORS")
    parts = [*_PAGE_FLOOR, *(part for key in panel_keys for part in _PANEL_FLOORS[key])]
    sql = (
        f"SELECT p.*, c.name AS clinic_name, {', '.join(parts)} "
        "FROM patients_patient p LEFT JOIN clinic_clinic c ON c.id = p.home_clinic_id WHERE p.id = %s"
    )

    def check(rows: list[Row]) -> None:
        if [row[0] for row in rows] != [patient.pk]:
            raise BenchmarkError(f"the floor does not find patient {patient.pk}")

    return Floor(sql=sql, params=[patient.pk], check=check)


def _chart_case(name: str, username: str, patient: Patient, *, with_panels: bool) -> Case:
    client, user = signed_in_client(username)
    page = reverse("patients:detail", args=[patient.pk])
    panels = panels_for(user) if with_panels else []
    panel_urls = [panel.url(patient.pk) for panel in panels]

    def run() -> None:
        _get(client, page, expect=patient.display_name)
        for url in panel_urls:
            _get(client, url)

    shown = ", ".join(panel.key for panel in panels)
    return Case(
        name=name,
        run=run,
        floor=_chart_floor(patient, [panel.key for panel in panels]),
        expected_indexes=(PK_INDEX,),
        note=f"as {username}" + (f", panels: {shown}" if panels else "") + "; each view appends to the access log",
    )


# All cases --------------------------------------------------------------------------------------


def target_patient() -> Patient:
    """A patient in the middle of the generated ones, found by the CPF the generator gave it.

    The phone case must measure the phone look-up, but about one mobile number in a hundred has
    eleven digits that also form a valid CPF, which the search box reads as a CPF: the first
    patient from the middle on whose number reads as a phone is taken.
    """
    middle = Patient.objects.count() // 2
    for sequence in range(BENCH_CPF_START + middle, BENCH_CPF_START + middle + 100):
        patient = Patient.objects.select_related("home_clinic").get(cpf_hash=blind_index(cpf_for(sequence)))
        if parse_search(phone_display(patient.mobile_phone)).kind == "phone":
            return patient
    raise BenchmarkError("no patient near the middle has a mobile number the search reads as a phone")


def build_cases() -> list[Case]:
    client, _user = signed_in_client("recepcao")
    patient = target_patient()
    return [
        _baseline(client),
        *(_name_search(client, text) for text in NAME_SEARCHES),
        _cpf_search(client, patient),
        _phone_search(client, patient),
        _chart_case("patient page", "recepcao", patient, with_panels=False),
        _chart_case("patient page + panels", "recepcao", patient, with_panels=True),
        _chart_case("patient page + panels (doctor)", "medico", patient, with_panels=True),
    ]
