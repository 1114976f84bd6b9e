"""The small ward whose occupancy figures were computed by hand, shared by the report's tests.

A clinic in São Paulo (UTC-3 all year) has ward W with beds A, B and C, and ward X with bed D. The
period is 1 to 3 March 2026, so the midnights counted are 00:00 of 1, 2 and 3 March. Everything
happens through the beds services, in this order (local times):

    27/02 14:00  P1 admitted to A
    28/02 22:00  P5 admitted to B
    01/03 00:00  P5 discharged home from B (exactly at midnight); B cleaned; P6 admitted to B (exactly at midnight)
    01/03 18:00  P6 transferred from B to D (out of ward W, inside the clinic)
    01/03 20:00  B blocked (maintenance) ... 02/03 08:00 unblocked and cleaned: the block covers 00:00 of 2 March
    02/03 09:00  P1 transferred from A to B (inside ward W)
    02/03 10:00  P6 discharged home from D
    02/03 11:00  P3 admitted to C (a new bed, in service since 01/03 10:00)
    02/03 12:00  A cleaned; P2 admitted to A
    03/03 04:00  P3 dies in C
    03/03 06:00  D cleaned; P2 transferred from A to D (out of ward W)
    03/03 15:00  P1 discharged home from B
    03/03 20:00  B cleaned; P4 admitted to B (still there after the period)
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from beds.models import Admission, AdmissionStatus, Bed, BedBlock, BedStay, DischargeKind, StayEnd, Ward
from beds.services import (
    admission_admit,
    admission_discharge,
    admission_transfer,
    bed_block,
    bed_mark_clean,
    bed_unblock,
)
from clinic.models import Clinic
from tests.factories import BedFactory, WardFactory, WardRoomFactory, make_patient, make_request

SAO_PAULO = ZoneInfo("America/Sao_Paulo")
START = date(2026, 3, 1)
END = date(2026, 3, 3)
# The services refuse discharges in the future: the tests run a week after the period.
NOW = datetime(2026, 3, 10, 12, 0, tzinfo=SAO_PAULO)


def local(month: int, day: int, hour: int, zone: ZoneInfo = SAO_PAULO) -> datetime:
    return datetime(2026, month, day, hour, 0, tzinfo=zone)


@dataclass
class HandCase:
    clinic: Clinic
    ward: Ward
    other_ward: Ward
    beds: dict[str, Bed]
    patients: dict[str, Admission]


def build_hand_case(clinic: Clinic) -> HandCase:
    ward = WardFactory(floor__clinic=clinic, code="W", name="Enfermaria W")
    other_ward = WardFactory(floor__clinic=clinic, code="X", name="Enfermaria X")
    room = WardRoomFactory(ward=ward)
    long_ago = local(1, 1, 0)
    beds = {
        "A": BedFactory(room=room, code="A", in_service_since=long_ago),
        "B": BedFactory(room=room, code="B", in_service_since=long_ago),
        "C": BedFactory(room=room, code="C", in_service_since=local(3, 1, 10)),
        "D": BedFactory(room=WardRoomFactory(ward=other_ward), code="D", in_service_since=long_ago),
    }
    p = {name: make_request(clinic=clinic, at=local(2, 27, 8)) for name in ["P1", "P2", "P3", "P4", "P5", "P6"]}
    admission_admit(admission=p["P1"], bed=beds["A"], by=None, at=local(2, 27, 14))
    admission_admit(admission=p["P5"], bed=beds["B"], by=None, at=local(2, 28, 22))
    admission_discharge(admission=p["P5"], kind=DischargeKind.HOME, by=None, at=local(3, 1, 0))
    bed_mark_clean(bed=beds["B"], by=None, at=local(3, 1, 0))
    admission_admit(admission=p["P6"], bed=beds["B"], by=None, at=local(3, 1, 0))
    admission_transfer(admission=p["P6"], bed=beds["D"], by=None, at=local(3, 1, 18))
    bed_block(bed=beds["B"], reason="Troca do colchão", by=None, at=local(3, 1, 20))
    bed_unblock(bed=beds["B"], by=None, at=local(3, 2, 8))  # blocked while it waited for cleaning: cleaning again
    bed_mark_clean(bed=beds["B"], by=None, at=local(3, 2, 8))
    admission_transfer(admission=p["P1"], bed=beds["B"], by=None, at=local(3, 2, 9))
    admission_discharge(admission=p["P6"], kind=DischargeKind.HOME, by=None, at=local(3, 2, 10))
    admission_admit(admission=p["P3"], bed=beds["C"], by=None, at=local(3, 2, 11))
    bed_mark_clean(bed=beds["A"], by=None, at=local(3, 2, 12))
    admission_admit(admission=p["P2"], bed=beds["A"], by=None, at=local(3, 2, 12))
    admission_discharge(admission=p["P3"], kind=DischargeKind.DEATH, by=None, at=local(3, 3, 4))
    bed_mark_clean(bed=beds["D"], by=None, at=local(3, 3, 6))
    admission_transfer(admission=p["P2"], bed=beds["D"], by=None, at=local(3, 3, 6))
    admission_discharge(admission=p["P1"], kind=DischargeKind.HOME, by=None, at=local(3, 3, 15))
    bed_mark_clean(bed=beds["B"], by=None, at=local(3, 3, 20))
    admission_admit(admission=p["P4"], bed=beds["B"], by=None, at=local(3, 3, 20))
    return HandCase(clinic=clinic, ward=ward, other_ward=other_ward, beds=beds, patients=p)


# Ward W, by hand.
# Census at 00:00 of
#   01/03: P1 in A; P6 in B (came exactly at midnight; P5 left exactly at midnight, not counted) = 2
#   02/03: P1 in A; B blocked and empty; C empty (P3 comes at 11:00)                             = 1
#   03/03: P2 in A, P1 in B, P3 in C                                                            = 3
# Available beds at 00:00 of
#   01/03: A, B (C only in service from 10:00)                                                  = 2
#   02/03: A, C (B blocked)                                                                     = 2
#   03/03: A, B, C                                                                              = 3
# Occupancy: 2/2 = 100.00 %, 1/2 = 50.00 %, 3/3 = 100.00 %; period 6/7 = 85.714... -> 85.71 %.
# Admissions to W: 01/03 P6; 02/03 P3 and P2; 03/03 P4 (P1's move A -> B stays inside W)      = 4
# Discharges from W (with the nights of the episode, all of it):
#   01/03 P5 home (0 nights: 22:00 to 00:00); P6 to D, out of W (1 night: 01/03)
#   03/03 P3 death (1 night: 03/03); P2 to D, out of W (1 night: 03/03);
#         P1 home (episode A + B: nights of 28/02, 01/03, 02/03 in A and 03/03 in B = 4)
#   = 5 discharges, 1 death, 7 nights: average length of stay 7/5 = 1.40
# Average available beds 7/3 = 2.333... -> 2.33; bed turnover 5 / (7/3) = 15/7 = 2.142... -> 2.14.
WARD_DAYS = [
    # date, census, available, occupancy rate, admissions, discharges, deaths
    (date(2026, 3, 1), 2, 2, Decimal("100.00"), 1, 2, 0),
    (date(2026, 3, 2), 1, 2, Decimal("50.00"), 2, 0, 0),
    (date(2026, 3, 3), 3, 3, Decimal("100.00"), 1, 3, 1),
]
WARD_TOTALS = {
    "patient_days": 6,
    "available_bed_days": 7,
    "occupancy_rate": Decimal("85.71"),
    "admissions": 4,
    "discharges": 5,
    "deaths": 1,
    "average_length_of_stay": Decimal("1.40"),
    "bed_turnover": Decimal("2.14"),
    "average_available_beds": Decimal("2.33"),
}

# The whole clinic (wards W and X), by hand.
# Census: 01/03 P1 (A), P6 (B) = 2; 02/03 P1 (A), P6 (D) = 2; 03/03 P2 (A), P1 (B), P3 (C) = 3
#   (P2 reaches D at 06:00, after the midnight).
# Available: 01/03 A, B, D = 3; 02/03 A, C, D = 3; 03/03 A, B, C, D = 4.
# Occupancy: 2/3 = 66.67 %, 2/3 = 66.67 %, 3/4 = 75.00 %; period 7/10 = 70.00 %.
# Admissions: the same four (P6's and P2's moves to D stay inside the clinic).
# Discharges: 01/03 P5 (0 nights); 02/03 P6 home from D (episode B + D: 01/03 and 02/03 = 2 nights);
#   03/03 P3 death (1), P1 home (4); P2 is still in D. = 4 discharges, 7 nights: 7/4 = 1.75.
# Average available beds 10/3 = 3.33; bed turnover 4 / (10/3) = 1.20.
CLINIC_DAYS = [
    (date(2026, 3, 1), 2, 3, Decimal("66.67"), 1, 1, 0),
    (date(2026, 3, 2), 2, 3, Decimal("66.67"), 2, 1, 0),
    (date(2026, 3, 3), 3, 4, Decimal("75.00"), 1, 2, 1),
]
CLINIC_TOTALS = {
    "patient_days": 7,
    "available_bed_days": 10,
    "occupancy_rate": Decimal("70.00"),
    "admissions": 4,
    "discharges": 4,
    "deaths": 1,
    "average_length_of_stay": Decimal("1.75"),
    "bed_turnover": Decimal("1.20"),
    "average_available_beds": Decimal("3.33"),
}


# Random histories, for the oracle and for volume. ------------------------------------------------


def simulate(rng: random.Random, clinics: list[Clinic], *, days: int, beds_per_ward: int) -> None:
    """Hour by hour from 20/02/2026: admissions, moves, discharges and blocks on two wards per clinic.

    Times are whole hours, so stays often begin and end exactly at a clinic's midnight. One bed per
    ward enters service during the period and one retires.
    """
    origin = datetime(2026, 2, 20, tzinfo=UTC)
    beds: list[Bed] = []
    for clinic in clinics:
        for _ward in range(2):
            room = WardRoomFactory(ward=WardFactory(floor__clinic=clinic))
            for n in range(beds_per_ward):
                bed = BedFactory(room=room, in_service_since=origin - timedelta(days=400))
                if n == 0:
                    bed.in_service_since = origin + timedelta(days=rng.randint(3, 12), hours=rng.randint(0, 23))
                if n == 1:
                    bed.retired_at = origin + timedelta(days=rng.randint(5, 15), hours=rng.randint(0, 23))
                bed.save(update_fields=["in_service_since", "retired_at"])
                beds.append(bed)
    occupant: dict[int, int | None] = {bed.pk: None for bed in beds}
    blocked_since: dict[int, datetime | None] = {bed.pk: None for bed in beds}
    open_stays: dict[int, tuple[int, datetime]] = {}  # admission -> (bed, since)
    stays: list[tuple[int, int, datetime, datetime | None, str]] = []
    blocks: list[BedBlock] = []
    discharges: dict[int, tuple[datetime, str]] = {}
    admitted: dict[int, datetime] = {}
    for hour in range(days * 24):
        now = origin + timedelta(hours=hour)
        for bed in rng.sample(beds, len(beds)):
            who = occupant[bed.pk]
            roll = rng.random()
            if who is None and blocked_since[bed.pk] is None:
                if roll < 0.06:
                    admission = len(admitted)
                    admitted[admission] = now
                    occupant[bed.pk] = admission
                    open_stays[admission] = (bed.pk, now)
                elif roll < 0.07:
                    blocked_since[bed.pk] = now
            elif who is None:
                if roll < 0.08:
                    blocks.append(BedBlock(bed=bed, reason="x", started_at=blocked_since[bed.pk], ended_at=now))
                    blocked_since[bed.pk] = None
            elif roll < 0.025 and open_stays[who][1] < now:
                free = [b for b in beds if occupant[b.pk] is None and blocked_since[b.pk] is None]
                _bed, since = open_stays.pop(who)
                occupant[bed.pk] = None
                if roll < 0.01 and free:
                    target = rng.choice(free)
                    stays.append((who, bed.pk, since, now, StayEnd.TRANSFER))
                    occupant[target.pk] = who
                    open_stays[who] = (target.pk, now)
                else:
                    stays.append((who, bed.pk, since, now, StayEnd.DISCHARGE))
                    discharges[who] = (now, rng.choice(DischargeKind.values))
    for admission, (bed_pk, since) in open_stays.items():
        stays.append((admission, bed_pk, since, None, ""))
    blocks += [
        BedBlock(bed_id=pk, reason="x", started_at=since) for pk, since in blocked_since.items() if since is not None
    ]
    _store(admitted, discharges, stays, blocks, clinics[0])


def _store(
    admitted: dict[int, datetime],
    discharges: dict[int, tuple[datetime, str]],
    stays: list[tuple[int, int, datetime, datetime | None, str]],
    blocks: list[BedBlock],
    clinic: Clinic,
) -> None:
    """Write the simulated history directly: open admissions need a patient each, closed ones share one."""
    closed_patient = make_patient()
    admissions = {}
    for key, at in admitted.items():
        discharged = discharges.get(key)
        admissions[key] = Admission(
            patient=closed_patient if discharged else make_patient(),
            clinic=clinic,
            status=AdmissionStatus.DISCHARGED if discharged else AdmissionStatus.ADMITTED,
            source="doctor",
            ward_kind="general",
            requested_at=at,
            admitted_at=at,
            discharged_at=discharged[0] if discharged else None,
            discharge_kind=discharged[1] if discharged else "",
        )
    Admission.objects.bulk_create(admissions.values())
    BedStay.objects.bulk_create(
        BedStay(admission=admissions[key], bed_id=bed, started_at=start, ended_at=end, end_reason=reason)
        for key, bed, start, end, reason in stays
    )
    BedBlock.objects.bulk_create(blocks)
