"""The occupancy figures against a case computed by hand, the clinics' own midnights, and a plain oracle."""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine

from beds.models import Admission, Bed, BedBlock, BedStay, DischargeKind
from beds.services import admission_admit, admission_discharge, bed_mark_clean
from clinic.models import Clinic
from reports.occupancy import OccupancyReport, occupancy_report
from reports.tests.setup import (
    CLINIC_DAYS,
    CLINIC_TOTALS,
    END,
    NOW,
    START,
    WARD_DAYS,
    WARD_TOTALS,
    HandCase,
    build_hand_case,
    simulate,
)
from tests.factories import BedFactory, ClinicFactory, make_request

MANAUS = ZoneInfo("America/Manaus")
SAO_PAULO = ZoneInfo("America/Sao_Paulo")


@pytest.fixture(autouse=True)
def _frozen_now() -> Iterator[None]:
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def hand(clinic: Clinic) -> HandCase:
    return build_hand_case(clinic)


def day_rows(report: OccupancyReport) -> list[tuple[Any, ...]]:
    return [
        (d.date, d.census, d.available_beds, d.occupancy_rate, d.admissions, d.discharges, d.deaths)
        for d in report.days
    ]


def totals(report: OccupancyReport) -> dict[str, Any]:
    return {key: value for key, value in asdict(report).items() if key not in {"days", "start", "end"}}


def test_the_ward_matches_the_figures_computed_by_hand(hand: HandCase) -> None:
    report = occupancy_report(start=START, end=END, clinics=[hand.clinic], ward=hand.ward)

    assert day_rows(report) == WARD_DAYS
    assert totals(report) == WARD_TOTALS


def test_the_clinic_counts_moves_between_its_wards_as_staying(hand: HandCase) -> None:
    report = occupancy_report(start=START, end=END, clinics=[hand.clinic])

    assert day_rows(report) == CLINIC_DAYS
    assert totals(report) == CLINIC_TOTALS


def test_a_queryset_of_clinics_gives_the_same_report(hand: HandCase) -> None:
    as_list = occupancy_report(start=START, end=END, clinics=[hand.clinic])
    as_queryset = occupancy_report(start=START, end=END, clinics=Clinic.objects.filter(pk=hand.clinic.pk))

    assert as_queryset == as_list


def test_the_other_ward_sees_transfers_in_as_admissions(hand: HandCase) -> None:
    # Ward X (bed D): P6 from B on 01/03 18:00 to 02/03 10:00 (home); P2 from A on 03/03 06:00, still there.
    report = occupancy_report(start=START, end=END, clinics=[hand.clinic], ward=hand.other_ward)

    assert [d.census for d in report.days] == [0, 1, 0]
    assert [d.admissions for d in report.days] == [1, 0, 1]
    assert [d.discharges for d in report.days] == [0, 1, 0]
    # P6's episode in X holds the night of 02/03 only.
    assert report.average_length_of_stay == Decimal("1.00")
    assert report.occupancy_rate == Decimal("33.33")


def test_a_day_of_the_period_alone(hand: HandCase) -> None:
    report = occupancy_report(start=date(2026, 3, 2), end=date(2026, 3, 2), clinics=[hand.clinic], ward=hand.ward)

    assert day_rows(report) == [WARD_DAYS[1]]
    assert report.average_length_of_stay is None
    assert report.bed_turnover == Decimal("0.00")


def test_a_ward_outside_the_clinics_in_scope_gives_an_empty_report(hand: HandCase) -> None:
    report = occupancy_report(start=START, end=END, clinics=[ClinicFactory()], ward=hand.ward)

    assert [d.census for d in report.days] == [0, 0, 0]
    assert report.patient_days == report.available_bed_days == report.discharges == 0
    assert report.occupancy_rate is None
    assert report.average_length_of_stay is None
    assert report.bed_turnover is None
    assert report.average_available_beds == Decimal("0.00")


def test_no_clinics_give_an_empty_report(db: None) -> None:
    report = occupancy_report(start=START, end=END, clinics=[])

    assert [d.date for d in report.days] == [START, date(2026, 3, 2), END]
    assert report.patient_days == report.admissions == 0


def test_a_period_that_ends_before_it_starts_is_a_programming_error(db: None) -> None:
    with pytest.raises(ValueError, match="before its start"):
        occupancy_report(start=END, end=START, clinics=[])


def _utc(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 3, day, hour, minute, tzinfo=UTC)


def test_each_clinic_counts_its_own_midnight(db: None) -> None:
    """São Paulo's midnight is 03:00 UTC, Manaus' is 04:00 UTC: the same instants fall on different days."""
    sao_paulo = ClinicFactory(time_zone="America/Sao_Paulo")
    manaus = ClinicFactory(time_zone="America/Manaus")
    long_ago = _utc(1, 0) - timedelta(days=300)
    sp_bed = BedFactory(room__ward__floor__clinic=sao_paulo, in_service_since=long_ago)
    am_bed = BedFactory(room__ward__floor__clinic=manaus, in_service_since=long_ago)
    # New beds from 03/03 03:30 UTC: 00:30 in São Paulo (after its midnight), 23:30 of 02/03 in Manaus.
    BedFactory(room=sp_bed.room, in_service_since=_utc(3, 3, 30))
    BedFactory(room=am_bed.room, in_service_since=_utc(3, 3, 30))

    def stay(bed: Bed, start: datetime, end: datetime | None) -> None:
        admission = make_request(clinic=bed.room.ward.clinic, at=start - timedelta(hours=1))
        admission_admit(admission=admission, bed=bed, by=None, at=start)
        if end is not None:
            admission_discharge(admission=admission, kind=DischargeKind.HOME, by=None, at=end)
            bed_mark_clean(bed=bed, by=None, at=end)

    # 02/03 02:00 to 04:00 UTC: 23:00 to 01:00 in São Paulo (holds its midnight),
    # 22:00 to 00:00 in Manaus (leaves exactly at its midnight: not counted, discharged on 02/03).
    stay(sp_bed, _utc(2, 2), _utc(2, 4))
    stay(am_bed, _utc(2, 2), _utc(2, 4))
    # From 03/03 03:30 UTC on: 00:30 of 03/03 in São Paulo, 23:30 of 02/03 in Manaus.
    stay(sp_bed, _utc(3, 3, 30), None)
    stay(am_bed, _utc(3, 3, 30), None)
    start, end = date(2026, 3, 2), date(2026, 3, 4)

    sp = occupancy_report(start=start, end=end, clinics=[sao_paulo])
    am = occupancy_report(start=start, end=end, clinics=[manaus])
    both = occupancy_report(start=start, end=end, clinics=[sao_paulo, manaus])

    assert [d.census for d in sp.days] == [1, 0, 1]
    assert [d.census for d in am.days] == [0, 1, 1]
    assert [d.census for d in both.days] == [1, 1, 2]
    assert [d.available_beds for d in sp.days] == [1, 1, 2]
    assert [d.available_beds for d in am.days] == [1, 2, 2]
    # Admissions on the local date: the first stays began on 01/03 in both clinics (23:00 and 22:00).
    assert [d.admissions for d in sp.days] == [0, 1, 0]
    assert [d.admissions for d in am.days] == [1, 0, 0]
    assert [d.discharges for d in sp.days] == [1, 0, 0]
    assert [d.discharges for d in am.days] == [1, 0, 0]
    # São Paulo's discharged stay held one midnight, Manaus' none.
    assert sp.average_length_of_stay == Decimal("1.00")
    assert am.average_length_of_stay == Decimal("0.00")
    assert both.average_length_of_stay == Decimal("0.50")


def test_the_query_count_does_not_grow_with_stays_or_days(hand: HandCase, django_assert_max_num_queries: Any) -> None:
    with django_assert_max_num_queries(1):
        small = occupancy_report(start=START, end=END, clinics=[hand.clinic])
    simulate(random.Random(7), [hand.clinic], days=40, beds_per_ward=6)
    with django_assert_max_num_queries(1):
        large = occupancy_report(start=date(2026, 1, 1), end=date(2026, 12, 31), clinics=[hand.clinic])

    assert len(large.days) == 365
    assert large.patient_days > small.patient_days


# The oracle: the definitions applied one stay and one midnight at a time, in Python. ----------------


@dataclass(frozen=True)
class Stay:
    admission: int
    bed: int
    started_at: datetime
    ended_at: datetime | None


def _round(numerator: int, denominator: int) -> Decimal | None:
    if not denominator:
        return None
    return (Decimal(numerator) / Decimal(denominator)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def oracle(*, start: date, end: date, beds: list[Bed]) -> dict[str, Any]:
    """The report of ``beds`` by the definitions, counting midnight by midnight."""
    zone = {bed.pk: bed.room.ward.clinic.zone for bed in beds}
    scope = set(zone)
    days = [start + timedelta(days=n) for n in range((end - start).days + 1)]
    stays = [
        Stay(s.admission_id, s.bed_id, s.started_at, s.ended_at)
        for s in BedStay.objects.order_by("admission_id", "started_at")
    ]
    never = datetime.max.replace(tzinfo=UTC)
    kinds = dict(Admission.objects.values_list("pk", "discharge_kind"))

    def midnight(day: date, bed: int) -> datetime:
        return datetime.combine(day, time(0), tzinfo=zone[bed])

    def holds(start_at: datetime, end_at: datetime | None, moment: datetime) -> bool:
        return start_at <= moment < (end_at or never)

    def nights(stay: Stay) -> int:
        first = stay.started_at.astimezone(zone[stay.bed]).date()
        last = stay.ended_at.astimezone(zone[stay.bed]).date() if stay.ended_at else end
        span = [first + timedelta(days=n) for n in range((last - first).days + 1)]
        return sum(holds(stay.started_at, stay.ended_at, midnight(day, stay.bed)) for day in span)

    census = [sum(s.bed in scope and holds(s.started_at, s.ended_at, midnight(d, s.bed)) for s in stays) for d in days]
    blocks = list(BedBlock.objects.all())
    available = []
    for d in days:
        count = 0
        for bed in beds:
            m = midnight(d, bed.pk)
            blocked = any(k.bed_id == bed.pk and holds(k.started_at, k.ended_at, m) for k in blocks)
            count += holds(bed.in_service_since, bed.retired_at, m) and not blocked
        available.append(count)
    admissions = dict.fromkeys(days, 0)
    discharges = dict.fromkeys(days, 0)
    deaths = dict.fromkeys(days, 0)
    discharged_nights = 0
    by_admission: dict[int, list[Stay]] = {}
    for s in stays:
        by_admission.setdefault(s.admission, []).append(s)
    for key, own in by_admission.items():
        for i, s in enumerate(own):
            if s.bed not in scope:
                continue
            before = own[i - 1] if i else None
            after = own[i + 1] if i + 1 < len(own) else None
            start_day = s.started_at.astimezone(zone[s.bed]).date()
            if (before is None or before.bed not in scope) and start <= start_day <= end:
                admissions[start_day] += 1
            if s.ended_at is None or (after is not None and after.bed in scope):
                continue
            end_day = s.ended_at.astimezone(zone[s.bed]).date()
            if not start <= end_day <= end:
                continue
            discharges[end_day] += 1
            deaths[end_day] += after is None and kinds[key] == DischargeKind.DEATH
            first = i
            while first > 0 and own[first - 1].bed in scope:
                first -= 1
            discharged_nights += sum(nights(x) for x in own[first : i + 1])
    discharge_count = sum(discharges.values())
    return {
        "census": census,
        "available": available,
        "admissions": list(admissions.values()),
        "discharges": list(discharges.values()),
        "deaths": list(deaths.values()),
        "occupancy_rate": _round(100 * sum(census), sum(available)),
        "average_length_of_stay": _round(discharged_nights, discharge_count),
        "bed_turnover": _round(discharge_count * len(days), sum(available)),
    }


def figures(report: OccupancyReport) -> dict[str, Any]:
    return {
        "census": [d.census for d in report.days],
        "available": [d.available_beds for d in report.days],
        "admissions": [d.admissions for d in report.days],
        "discharges": [d.discharges for d in report.days],
        "deaths": [d.deaths for d in report.days],
        "occupancy_rate": report.occupancy_rate,
        "average_length_of_stay": report.average_length_of_stay,
        "bed_turnover": report.bed_turnover,
    }


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_random_histories_match_the_definitions_counted_one_midnight_at_a_time(db: None, seed: int) -> None:
    rng = random.Random(seed)
    sao_paulo, manaus = ClinicFactory(time_zone="America/Sao_Paulo"), ClinicFactory(time_zone="America/Manaus")
    simulate(rng, [sao_paulo, manaus], days=24, beds_per_ward=3)
    beds = list(Bed.objects.select_related("room__ward__clinic"))
    ward = next(b.room.ward for b in beds if b.room.ward.clinic == sao_paulo)
    assert BedStay.objects.filter(ended_at__isnull=False).count() > 40
    start, end = date(2026, 2, 24), date(2026, 3, 10)

    for clinics, ward_scope, scope in [
        ([sao_paulo], ward, [b for b in beds if b.room.ward == ward]),
        ([sao_paulo], None, [b for b in beds if b.room.ward.clinic == sao_paulo]),
        ([manaus], None, [b for b in beds if b.room.ward.clinic == manaus]),
        ([sao_paulo, manaus], None, beds),
    ]:
        report = occupancy_report(start=start, end=end, clinics=clinics, ward=ward_scope)
        assert figures(report) == oracle(start=start, end=end, beds=scope)
