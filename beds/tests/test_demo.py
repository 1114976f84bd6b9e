"""The demo wards and their history (weeks written in bulk, the last day through the services): consistent
with the database's rules, the beds' states and the patients' statuses."""

from __future__ import annotations

import io
from collections import Counter
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.db.models import Count, Exists, OuterRef, Q

from beds import demo
from beds.models import (
    OPEN_ADMISSION,
    Admission,
    AdmissionStatus,
    Bed,
    BedBlock,
    BedEvent,
    BedState,
    BedStay,
    DischargeKind,
    StayEnd,
    Ward,
    WardKind,
    WardRoom,
)
from beds.rules import room_sexes_for
from beds.selectors import board_scope, board_summary
from clinic import demo as clinic_demo
from clinic.db import TsTzRange
from clinic.models import Clinic
from patients import demo as patient_demo
from patients.models import Patient, PatientStatus, PatientStatusChange
from patients.services import patient_set_status
from staff import demo as staff_demo
from staff.models import User

pytestmark = pytest.mark.django_db

SAO_PAULO = ZoneInfo("America/Sao_Paulo")
NOW = datetime(2026, 3, 4, 10, 0, tzinfo=SAO_PAULO)
# The clinics of the demo logins: here a hospital, a clinic with a ward and a small clinic.
CLINICS = {"SP-PAU", "SP-CAM", "RJ-BOT"}


@pytest.fixture
def network(monkeypatch: pytest.MonkeyPatch) -> list[Patient]:
    """The demo network cut down to three clinics with their staff and 500 patients, five of whom are in
    consultation (returned: they may not be admitted)."""
    monkeypatch.setattr(clinic_demo, "CLINICS", [row for row in clinic_demo.CLINICS if row[0] in CLINICS])
    monkeypatch.setattr(demo, "HOSPITALS", {"SP-PAU"})
    monkeypatch.setattr(demo, "WARD_CLINICS", {"SP-CAM"})
    monkeypatch.setattr(patient_demo, "DEMO_PATIENTS", 500)
    out = io.StringIO()
    with time_machine.travel(NOW - timedelta(days=1), tick=False):
        clinic_demo.load(out)
        staff_demo.load(out)
        patient_demo.load(out)
        busy = list(Patient.objects.order_by("pk")[:5])
        for patient in busy:
            patient_set_status(patient=patient, status=PatientStatus.IN_CONSULTATION, by=None)
    return busy


@pytest.fixture
def loaded(network: list[Patient]) -> list[Patient]:
    with time_machine.travel(NOW, tick=False):
        demo.load(io.StringIO())
    # The test database's tables were last analysed empty; with no fresh statistics the planner joins
    # thousands of rows in nested loops, and the checks below take minutes instead of milliseconds.
    tables = [model._meta.db_table for model in (Patient, Admission, BedStay, BedEvent, BedBlock, Bed, WardRoom, Ward)]
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {', '.join(tables)}")
    return network


def test_every_clinic_gets_wards_as_its_size_says(loaded: list[Patient]) -> None:
    kinds = {
        clinic.code: {ward.kind for ward in clinic.wards.all()}
        for clinic in Clinic.objects.prefetch_related("wards").filter(code__in=CLINICS)
    }

    assert kinds == {
        "SP-PAU": {
            WardKind.OBSERVATION,
            WardKind.GENERAL,
            WardKind.ICU,
            WardKind.ISOLATION,
            WardKind.MATERNITY,
            WardKind.PAEDIATRICS,
        },
        "SP-CAM": {WardKind.OBSERVATION, WardKind.GENERAL},
        "RJ-BOT": {WardKind.OBSERVATION},
    }
    icu_beds = Bed.objects.filter(room__ward__kind=WardKind.ICU)
    assert icu_beds.exists()
    assert all(set(demo.ICU_EQUIPMENT) <= set(bed.equipment) for bed in icu_beds)
    assert Bed.objects.filter(room__ward__kind=WardKind.ISOLATION, isolation_capable=False).count() == 0
    assert {bed.room.sex for bed in Bed.objects.select_related("room")} == {"any", "F", "M"}
    assert set(Bed.objects.filter(room__ward__kind=WardKind.MATERNITY).values_list("room__sex", flat=True)) == {"F"}
    sizes = Counter(Bed.objects.values_list("room_id", flat=True))
    assert set(sizes.values()) <= {1, 2, 3, 4}


def test_the_history_keeps_the_rules_of_the_database(loaded: list[Patient]) -> None:
    periods = BedStay.objects.annotate(period=TsTzRange("started_at", "ended_at"))
    overlapping = periods.filter(
        Exists(periods.filter(bed=OuterRef("bed"), period__overlap=OuterRef("period")).exclude(pk=OuterRef("pk")))
    )
    assert not overlapping.exists()
    open_per_patient = Admission.objects.filter(status__in=OPEN_ADMISSION).values("patient").annotate(n=Count("pk"))
    assert max(row["n"] for row in open_per_patient) == 1
    # An admitted patient is in exactly one bed; nobody else is in one.
    open_stays = Counter(BedStay.objects.filter(ended_at__isnull=True).values_list("admission__status", flat=True))
    assert open_stays == {AdmissionStatus.ADMITTED: Admission.objects.filter(status=AdmissionStatus.ADMITTED).count()}
    assert not Admission.objects.filter(status=AdmissionStatus.ADMITTED).exclude(stays__ended_at__isnull=True).exists()
    # Each stay met the hard rules: the room's sex, isolation and equipment asked for.
    for stay in BedStay.objects.select_related("bed__room", "admission__patient"):
        assert stay.bed.room.sex in room_sexes_for(stay.admission.patient.sex)
        assert set(stay.admission.equipment) <= set(stay.bed.equipment)
        assert stay.bed.isolation_capable or not stay.admission.needs_isolation
    # A stay that ended by a transfer is followed, at that moment, by the same admission's next stay.
    transferred = BedStay.objects.filter(end_reason=StayEnd.TRANSFER)
    assert transferred.exists()
    for stay in transferred:
        assert BedStay.objects.filter(admission=stay.admission_id, started_at=stay.ended_at).exists()


def test_the_weeks_written_in_bulk_read_like_the_last_day_through_the_services(loaded: list[Patient]) -> None:
    """Each admission's bed events and stays tell its story in order, however it was written."""
    admissions = Admission.objects.filter(status__in=[AdmissionStatus.ADMITTED, AdmissionStatus.DISCHARGED])
    window = NOW - demo.SERVICE_WINDOW
    assert admissions.filter(admitted_at__lt=window).exists()
    assert admissions.filter(admitted_at__gte=window).exists()
    assert admissions.filter(admitted_at__lt=window, discharged_at__gte=window).exists()
    events: dict[int, list[BedEvent]] = {}
    for event in BedEvent.objects.filter(admission__in=admissions).order_by("at", "pk"):
        events.setdefault(event.admission_id, []).append(event)
    stays: dict[int, list[BedStay]] = {}
    for stay in BedStay.objects.filter(admission__in=admissions).order_by("started_at"):
        stays.setdefault(stay.admission_id, []).append(stay)
    for admission in admissions:
        story = [(e.kind, e.from_state, e.to_state, e.at) for e in events[admission.pk]]
        moves = len(stays[admission.pk]) - 1
        expected = [(BedEvent.Kind.ADMITTED, BedState.AVAILABLE, BedState.OCCUPIED, admission.admitted_at)]
        for stay in stays[admission.pk][1:]:
            expected += [
                (BedEvent.Kind.TRANSFERRED_OUT, BedState.OCCUPIED, BedState.CLEANING, stay.started_at),
                (BedEvent.Kind.TRANSFERRED_IN, BedState.AVAILABLE, BedState.OCCUPIED, stay.started_at),
            ]
        if admission.status == AdmissionStatus.DISCHARGED:
            expected.append((BedEvent.Kind.DISCHARGED, BedState.OCCUPIED, BedState.CLEANING, admission.discharged_at))
            assert stays[admission.pk][-1].ended_at == admission.discharged_at
            assert stays[admission.pk][-1].end_reason == StayEnd.DISCHARGE
        assert story == expected, admission.pk
        assert stays[admission.pk][0].started_at == admission.admitted_at
        assert [s.end_reason for s in stays[admission.pk][:moves]] == [StayEnd.TRANSFER] * moves
    # Each admission moved its patient's status in and, once discharged, out again.
    per_patient = Counter(admissions.values_list("patient_id", flat=True))
    discharged = Counter(admissions.filter(status=AdmissionStatus.DISCHARGED).values_list("patient_id", flat=True))
    changes = Counter(
        PatientStatusChange.objects.filter(patient__in=per_patient).values_list("patient_id", "to_status")
    )
    for patient_id, count in per_patient.items():
        assert changes[patient_id, PatientStatus.ADMITTED] == count
        assert changes[patient_id, PatientStatus.OUTPATIENT] == discharged[patient_id]


def test_the_board_counts_match_the_beds(loaded: list[Patient]) -> None:
    manager = User.objects.get(username="gestor")
    for clinic in Clinic.objects.filter(code__in=CLINICS):
        counts, total, _version = board_summary(board_scope(user=manager, clinic=clinic))
        beds = Bed.objects.filter(room__ward__clinic=clinic)
        assert counts == {state: beds.filter(state=state).count() for state in BedState.values}
        assert total == beds.count()
    # Every state follows from what happened to the bed.
    open_stays = BedStay.objects.filter(ended_at__isnull=True)
    occupied = Bed.objects.filter(state=BedState.OCCUPIED)
    assert set(occupied.values_list("pk", flat=True)) == set(open_stays.values_list("bed_id", flat=True))
    assert all(n == 1 for n in Counter(open_stays.filter(bed__in=occupied).values_list("bed_id", flat=True)).values())
    blocked = set(Bed.objects.filter(state=BedState.BLOCKED).values_list("pk", flat=True))
    assert blocked == set(BedBlock.objects.filter(ended_at__isnull=True).values_list("bed_id", flat=True))
    for bed in Bed.objects.filter(state=BedState.CLEANING):
        last = bed.events.order_by("-at", "-pk").first()
        assert last is not None
        assert last.kind in {BedEvent.Kind.DISCHARGED, BedEvent.Kind.TRANSFERRED_OUT}
    reserved = Bed.objects.filter(state=BedState.RESERVED).select_related("reserved_for")
    assert all(bed.reserved_for.status == AdmissionStatus.REQUESTED for bed in reserved)


def test_today_the_wards_are_three_quarters_full_and_alive(loaded: list[Patient]) -> None:
    states = Counter(Bed.objects.values_list("state", flat=True))
    in_use = sum(states.values()) - states[BedState.BLOCKED]

    assert 0.6 <= states[BedState.OCCUPIED] / in_use <= 0.9
    # The demo ward nurse's board shows a bed in every state.
    nurse = User.objects.get(username="enfermagem")
    counts, _total, _version = board_summary(board_scope(user=nurse, clinic=Clinic.objects.get(code="SP-PAU")))
    assert all(counts[state] >= 1 for state in BedState.values), counts
    requests = Admission.objects.filter(status=AdmissionStatus.REQUESTED)
    assert 5 <= requests.count() <= 10
    assert len(set(requests.values_list("priority", flat=True))) >= 2
    assert len(set(requests.values_list("risk", flat=True))) >= 3


def test_sixty_days_of_admissions_that_end_every_way(loaded: list[Patient]) -> None:
    discharged = Admission.objects.filter(status=AdmissionStatus.DISCHARGED)
    first_stay = BedStay.objects.order_by("started_at").first()

    assert first_stay is not None
    assert first_stay.started_at < NOW - timedelta(days=demo.HISTORY_DAYS)
    assert BedStay.objects.filter(started_at__gt=NOW - timedelta(days=1)).exists()
    assert set(discharged.values_list("discharge_kind", flat=True)) == set(DischargeKind.values)
    for admission in discharged.filter(admitted_at__gte=NOW - timedelta(days=demo.HISTORY_DAYS)):
        assert timedelta(days=1) <= admission.discharged_at - admission.admitted_at <= timedelta(days=15)
    assert BedEvent.objects.filter(kind=BedEvent.Kind.UNBLOCKED).exists()
    assert BedEvent.objects.filter(kind=BedEvent.Kind.CLEANED).count() > discharged.count() / 2


def test_patients_statuses_follow_their_admissions(loaded: list[Patient]) -> None:
    admitted = Admission.objects.filter(status=AdmissionStatus.ADMITTED).values("patient")
    assert admitted.exists()
    assert set(Patient.objects.filter(pk__in=admitted).values_list("status", flat=True)) == {PatientStatus.ADMITTED}
    others = Patient.objects.exclude(pk__in=admitted).exclude(pk__in=[p.pk for p in loaded])
    assert set(others.values_list("status", flat=True)) == {PatientStatus.OUTPATIENT}
    # Patients who were in consultation when the demo ran were left alone.
    assert not Admission.objects.filter(patient__in=loaded).exists()
    # Children are in paediatrics, only women in maternity.
    maternity = Patient.objects.filter(admissions__stays__bed__room__ward__kind=WardKind.MATERNITY)
    assert set(maternity.values_list("sex", flat=True)) == {"F"}
    assert not Admission.objects.filter(
        Q(ward_kind=WardKind.PAEDIATRICS) & Q(patient__birth_date__lt=NOW.date() - timedelta(days=14 * 366))
    ).exists()


def test_a_second_run_leaves_the_wards_alone(loaded: list[Patient]) -> None:
    before = (Bed.objects.count(), Admission.objects.count(), BedEvent.objects.count())
    out = io.StringIO()

    with time_machine.travel(NOW + timedelta(hours=1), tick=False):
        demo.load(out)

    assert (Bed.objects.count(), Admission.objects.count(), BedEvent.objects.count()) == before
    assert "already loaded" in out.getvalue()
