"""The occupancy report: daily census, occupancy rate, admissions, discharges, length of stay, turnover.

Definitions (the managers' ones, see the domain notes), implemented exactly as written here:

- A stay is the half-open period ``[started_at, ended_at)`` a patient spent in one bed (``ended_at``
  NULL: still in the bed). Every day is a local date of the bed's clinic (``Clinic.time_zone``), and a
  day starts at its local midnight.
- Census of day d: the stays in the scope open at 00:00 of d. A stay that starts exactly at midnight
  is counted; one that ends exactly at midnight is not.
- Patient-days of the period: the sum of the daily census over the days of the period, start and end
  dates included (each night inside the period is counted on the day it ends).
- Available beds on day d: the beds of the scope in service at 00:00 of d (``in_service_since`` <=
  midnight < ``retired_at``) that no block (``[started_at, ended_at)`` of a ``BedBlock``) covers at
  that midnight. Available bed-days: their sum over the period.
- Occupancy rate: patient-days / available bed-days x 100, for each day and for the period.
- Scope: a ward, a clinic, or several clinics (the network a user sees). A move between two beds of
  the scope keeps the patient in it. An admission to the scope is a stay starting in the period whose
  previous stay of the same admission is not in the scope (a new admission, or a transfer in); a
  discharge is a stay ending in the period whose next stay is not in the scope (the admission's
  discharge of any kind, deaths and transfers out included, or a move to a bed outside the scope). A
  death is a discharge that ends the admission with ``DischargeKind.DEATH``. Each is counted on the
  local date it happened.
- Average length of stay: the patient-days of the discharged episodes / the discharges of the period.
  An episode is a run of consecutive stays of one admission inside the scope; its patient-days are the
  midnights inside it, all of them, also those before the period.
- Bed turnover: discharges / average available beds (available bed-days / days of the period).

Each midnight is taken in the time zone of the bed it is counted for, so in a network report a patient
moved at night between clinics of different time zones can be counted on both sides of the move.

Whether a bed counts depends on its dates only (``in_service_since``, ``retired_at``, blocks), not on
today's state of its ward, so that past periods read the same later. Rates, the average length of
stay, turnover and average available beds are ``Decimal`` to two places, rounded half up.

The whole report is one SQL query, whatever the number of stays and days. The midnights inside a
period ``[s, e)`` are the local dates from ``((s AT TIME ZONE tz) - 1 microsecond)::date + 1`` (the
first midnight at or after ``s``) to ``((e AT TIME ZONE tz) - 1 microsecond)::date`` (the last one
before ``e``). Each stay, bed in service and block becomes one such span of days, clipped to the
period, turned into a +1 on its first day and a -1 on the day after its last; a running sum over the
days gives the census and the available beds. Neighbouring stays come from ``lag``/``lead`` over each
admission's stays by ``started_at``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from django.db import connections, router
from django.db.models import QuerySet

from beds.models import BedStay, DischargeKind, Ward
from clinic.models import Clinic

TWO_PLACES = Decimal("0.01")

# The stays near the period are found through the indexes on started_at and ended_at; a day of margin
# on each side covers every time zone, and the exact local bounds are applied per stay.
OCCUPANCY_SQL = """
WITH scope_beds AS (
    SELECT b.id AS bed_id, c.time_zone AS tz, b.in_service_since, b.retired_at
    FROM beds_bed b
    JOIN beds_wardroom r ON r.id = b.room_id
    JOIN beds_ward w ON w.id = r.ward_id
    JOIN clinic_clinic c ON c.id = w.clinic_id
    WHERE w.clinic_id = ANY(%(clinics)s::bigint[]) AND (%(ward)s::bigint IS NULL OR w.id = %(ward)s::bigint)
),
days AS (
    SELECT %(start)s::date + i AS day FROM generate_series(0, %(end)s::date - %(start)s::date) AS i
),
candidates AS (
    SELECT DISTINCT s.admission_id
    FROM beds_bedstay s
    JOIN scope_beds sb ON sb.bed_id = s.bed_id
    WHERE s.started_at < (%(end)s::date + 2)::timestamp AT TIME ZONE 'UTC'
      AND (s.ended_at IS NULL OR s.ended_at > (%(start)s::date - 1)::timestamp AT TIME ZONE 'UTC')
),
stays AS (
    SELECT s.admission_id, s.started_at, s.ended_at,
           s.started_at AT TIME ZONE sb.tz AS local_start,
           s.ended_at AT TIME ZONE sb.tz AS local_end,
           sb.bed_id IS NOT NULL AS in_scope,
           lag(sb.bed_id IS NOT NULL) OVER admission_stays AS previous_in_scope,
           lead(sb.bed_id IS NOT NULL) OVER admission_stays AS next_in_scope
    FROM beds_bedstay s
    JOIN candidates ca ON ca.admission_id = s.admission_id
    LEFT JOIN scope_beds sb ON sb.bed_id = s.bed_id
    WINDOW admission_stays AS (PARTITION BY s.admission_id ORDER BY s.started_at)
),
scope_stays AS (
    SELECT admission_id, ended_at IS NOT NULL AS ended, previous_in_scope, next_in_scope,
           local_start::date AS start_day,
           local_end::date AS end_day,
           (local_start - interval '1 microsecond')::date + 1 AS first_night,
           (local_end - interval '1 microsecond')::date AS last_night,
           count(*) FILTER (WHERE previous_in_scope IS NOT TRUE)
               OVER (PARTITION BY admission_id ORDER BY started_at) AS episode
    FROM stays
    WHERE in_scope
),
episode_stays AS (
    SELECT *, sum(last_night - first_night + 1) OVER (PARTITION BY admission_id, episode) AS episode_nights
    FROM scope_stays
),
census_spans AS (
    SELECT greatest(first_night, %(start)s::date) AS lo,
           least(coalesce(last_night, %(end)s::date), %(end)s::date) AS hi
    FROM episode_stays
),
service_spans AS (
    SELECT bed_id, tz,
           greatest(((in_service_since AT TIME ZONE tz) - interval '1 microsecond')::date + 1, %(start)s::date) AS lo,
           least(coalesce(((retired_at AT TIME ZONE tz) - interval '1 microsecond')::date, %(end)s::date),
                 %(end)s::date) AS hi
    FROM scope_beds
),
block_spans AS (
    SELECT greatest(((k.started_at AT TIME ZONE ss.tz) - interval '1 microsecond')::date + 1, ss.lo) AS lo,
           least(coalesce(((k.ended_at AT TIME ZONE ss.tz) - interval '1 microsecond')::date, ss.hi), ss.hi) AS hi
    FROM beds_bedblock k
    JOIN service_spans ss ON ss.bed_id = k.bed_id
    WHERE k.started_at < (%(end)s::date + 2)::timestamp AT TIME ZONE 'UTC'
      AND (k.ended_at IS NULL OR k.ended_at > (%(start)s::date - 1)::timestamp AT TIME ZONE 'UTC')
),
changes AS (
    SELECT lo AS day, 1 AS census, 0 AS available FROM census_spans WHERE lo <= hi
    UNION ALL SELECT hi + 1, -1, 0 FROM census_spans WHERE lo <= hi
    UNION ALL SELECT lo, 0, 1 FROM service_spans WHERE lo <= hi
    UNION ALL SELECT hi + 1, 0, -1 FROM service_spans WHERE lo <= hi
    UNION ALL SELECT lo, 0, -1 FROM block_spans WHERE lo <= hi
    UNION ALL SELECT hi + 1, 0, 1 FROM block_spans WHERE lo <= hi
),
movements AS (
    SELECT start_day AS day, 1 AS admissions, 0 AS discharges, 0 AS deaths, 0 AS discharged_nights
    FROM episode_stays
    WHERE previous_in_scope IS NOT TRUE
    UNION ALL
    SELECT end_day, 0, 1,
           (next_in_scope IS NULL AND EXISTS (
               SELECT 1 FROM beds_admission a WHERE a.id = episode_stays.admission_id AND a.discharge_kind = %(death)s
           ))::int,
           episode_nights
    FROM episode_stays
    WHERE ended AND next_in_scope IS NOT TRUE
),
daily_changes AS (
    SELECT day, sum(census) AS census, sum(available) AS available FROM changes GROUP BY day
),
daily_movements AS (
    SELECT day, sum(admissions) AS admissions, sum(discharges) AS discharges, sum(deaths) AS deaths,
           sum(discharged_nights) AS discharged_nights
    FROM movements
    GROUP BY day
)
SELECT d.day,
       (sum(coalesce(c.census, 0)) OVER running)::int AS census,
       (sum(coalesce(c.available, 0)) OVER running)::int AS available,
       coalesce(m.admissions, 0)::int,
       coalesce(m.discharges, 0)::int,
       coalesce(m.deaths, 0)::int,
       coalesce(m.discharged_nights, 0)::int
FROM days d
LEFT JOIN daily_changes c ON c.day = d.day
LEFT JOIN daily_movements m ON m.day = d.day
WINDOW running AS (ORDER BY d.day)
ORDER BY d.day
"""


@dataclass(frozen=True)
class OccupancyDay:
    date: date
    census: int
    available_beds: int
    occupancy_rate: Decimal | None  # None when no bed was available
    admissions: int
    discharges: int
    deaths: int


@dataclass(frozen=True)
class OccupancyReport:
    start: date
    end: date
    days: list[OccupancyDay]
    patient_days: int
    available_bed_days: int
    occupancy_rate: Decimal | None
    admissions: int
    discharges: int
    deaths: int
    average_length_of_stay: Decimal | None  # None without discharges
    bed_turnover: Decimal | None  # None without available beds
    average_available_beds: Decimal


def _ratio(numerator: int, denominator: int, *, scale: int = 1) -> Decimal | None:
    """``numerator * scale / denominator`` to two places, half up; None when the denominator is zero."""
    if not denominator:
        return None
    return (Decimal(numerator * scale) / Decimal(denominator)).quantize(TWO_PLACES, rounding=ROUND_HALF_UP)


def occupancy_report(
    *, start: date, end: date, clinics: QuerySet[Clinic] | list[Clinic], ward: Ward | None = None
) -> OccupancyReport:
    """The report of ``clinics`` (or of ``ward`` only) from ``start`` to ``end``, both local dates included.

    ``clinics`` are the clinics in scope, already limited to what the reader may see; a ``ward`` of a
    clinic outside them gives an empty report. One query (two when ``clinics`` is an unevaluated
    queryset). Precondition: ``start <= end``.
    """
    if end < start:
        raise ValueError("The report's end comes before its start.")
    params = {
        "clinics": [clinic.pk for clinic in clinics],
        "ward": ward.pk if ward is not None else None,
        "start": start,
        "end": end,
        "death": DischargeKind.DEATH.value,
    }
    with connections[router.db_for_read(BedStay)].cursor() as cursor:
        cursor.execute(OCCUPANCY_SQL, params)
        rows = cursor.fetchall()
    days = [
        OccupancyDay(
            date=day,
            census=census,
            available_beds=available,
            occupancy_rate=_ratio(census, available, scale=100),
            admissions=admissions,
            discharges=discharges,
            deaths=deaths,
        )
        for day, census, available, admissions, discharges, deaths, _nights in rows
    ]
    patient_days = sum(day.census for day in days)
    available_bed_days = sum(day.available_beds for day in days)
    discharges = sum(day.discharges for day in days)
    return OccupancyReport(
        start=start,
        end=end,
        days=days,
        patient_days=patient_days,
        available_bed_days=available_bed_days,
        occupancy_rate=_ratio(patient_days, available_bed_days, scale=100),
        admissions=sum(day.admissions for day in days),
        discharges=discharges,
        deaths=sum(day.deaths for day in days),
        average_length_of_stay=_ratio(sum(row[-1] for row in rows), discharges),
        bed_turnover=_ratio(discharges * len(days), available_bed_days),
        average_available_beds=(Decimal(available_bed_days) / len(days)).quantize(TWO_PLACES, rounding=ROUND_HALF_UP),
    )
