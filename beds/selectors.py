"""Reads of the beds app: the ward board, bed suggestions, histories, and objects fetched for a user."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from django.db.models import Case, Count, IntegerField, Max, OuterRef, Prefetch, Q, QuerySet, Subquery, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from beds.models import (
    OPEN_ADMISSION,
    PRIORITY_RANK,
    Admission,
    AdmissionStatus,
    Bed,
    BedEvent,
    BedState,
    BedStay,
    RoomSex,
    Ward,
)
from beds.rules import fits_q
from clinic.access import in_chart, in_clinics, in_clinics_or_404, require, visible_clinic_ids, works_in
from clinic.models import Clinic, Floor
from patients.models import Patient, RiskColour
from staff.models import User

# What a bed tile shows of its stay: nothing encrypted is read (and decrypted) for a tile.
BOARD_STAY_FIELDS = [
    *("bed_id", "started_at"),
    *("admission__admitted_at", "admission__discharged_at", "admission__risk", "admission__priority"),
    *("admission__patient__full_name", "admission__patient__social_name"),
    *("admission__patient__birth_date", "admission__patient__sex"),
]


def wards_for_user(user: User) -> QuerySet[Ward]:
    return in_clinics(Ward.objects.select_related("clinic", "floor"), user)


def ward_for_user(user: User, pk: int) -> Ward:
    require(user, "beds.view_bed")
    return in_clinics_or_404(wards_for_user(user), user, pk)


def bed_for_user(user: User, pk: int) -> Bed:
    """A bed of one of the user's clinics (a nurse of one clinic does not run another's beds)."""
    require(user, "beds.view_bed")
    beds = Bed.objects.select_related("room__ward__clinic", "room__ward__floor", "reserved_for__patient")
    return in_clinics_or_404(beds, user, pk, field="room__ward__clinic")


def admission_for_user(user: User, pk: int) -> Admission:
    """An admission whose clinic is one of the user's."""
    require(user, "beds.view_admission")
    admissions = Admission.objects.select_related("patient", "clinic", "origin_floor", "requested_by", "admitted_by")
    return in_clinics_or_404(admissions, user, pk)


# The ward board -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Labels:
    state: dict[str, str]
    sex: dict[str, str]
    risk: dict[str, str]


@dataclass
class BoardTile:
    bed: Bed
    stay: BedStay | None
    now: datetime
    today: date
    labels: Labels

    @property
    def state_label(self) -> str:
        return self.labels.state.get(self.bed.state, self.bed.state)

    @property
    def room_sex_label(self) -> str:
        return self.labels.sex.get(self.bed.room.sex, "")

    @property
    def risk_label(self) -> str:
        admission = self.admission
        return self.labels.risk.get(admission.risk, "") if admission else ""

    @property
    def patient(self) -> Patient | None:
        return self.stay.admission.patient if self.stay else None

    @property
    def admission(self) -> Admission | None:
        return self.stay.admission if self.stay else None

    @property
    def age(self) -> int | None:
        return self.patient.age(on=self.today) if self.patient else None

    @property
    def days_admitted(self) -> int | None:
        """Whole days since admission (not since this bed: a transfer does not reset it)."""
        return self.admission.days_in_hospital(now=self.now) if self.admission else None


@dataclass
class Board:
    tiles: list[BoardTile]
    counts: dict[str, int]
    total: int
    version: str
    today: date


def board_scope(*, user: User, clinic: Clinic, ward: Ward | None = None, kind: str = "") -> QuerySet[Bed]:
    """The beds in service of a clinic (or one of its wards), optionally of one kind of ward.

    A clinic that is not one of the user's has no beds for them.
    """
    beds = Bed.objects.filter(room__ward__clinic=clinic, room__ward__is_active=True, retired_at__isnull=True)
    if clinic.pk not in visible_clinic_ids(user):
        beds = beds.none()
    if ward is not None:
        beds = beds.filter(room__ward=ward)
    if kind:
        beds = beds.filter(room__ward__kind=kind)
    return beds


def board_summary(beds: QuerySet[Bed]) -> tuple[dict[str, int], int, str]:
    """Counts per state and a version that changes whenever any bed of the scope changes: one query."""
    totals = beds.aggregate(
        total=Count("pk"),
        last=Max("changed_at"),
        **{state: Count("pk", filter=Q(state=state)) for state in BedState.values},
    )
    last = totals["last"]
    version = f"{totals['total']}-{last.timestamp() if last else 0}"
    return {state: totals[state] for state in BedState.values}, totals["total"], version


def ward_board(
    *,
    user: User,
    clinic: Clinic,
    ward: Ward | None = None,
    kind: str = "",
    state: str = "",
    summary: tuple[dict[str, int], int, str] | None = None,
) -> Board:
    """Every bed of the scope with its patient: four queries whatever the number of beds (three when
    the caller already has the ``board_summary``)."""
    scope = board_scope(user=user, clinic=clinic, ward=ward, kind=kind)
    counts, total, version = summary or board_summary(scope)
    shown = scope.filter(state=state) if state else scope
    open_stays = (
        BedStay.objects.filter(ended_at__isnull=True).select_related("admission__patient").only(*BOARD_STAY_FIELDS)
    )
    beds = (
        shown.select_related("room__ward", "reserved_for__patient")
        .prefetch_related(Prefetch("stays", queryset=open_stays, to_attr="open_stays"))
        .order_by("room__ward__code", "room__code", "code")
    )
    now = timezone.now()
    today = timezone.localdate(now, clinic.zone)
    # Labels translated once per board, not once per tile (a 240-bed clinic has 240 tiles).
    labels = Labels(
        state={key: str(label) for key, label in BedState.choices},
        sex={key: str(label) for key, label in RoomSex.choices},
        risk={key: str(label) for key, label in RiskColour.choices},
    )
    tiles = [
        BoardTile(bed=bed, stay=next(iter(bed.open_stays), None), now=now, today=today, labels=labels)  # type: ignore[attr-defined]
        for bed in beds
    ]
    return Board(tiles=tiles, counts=counts, total=total, version=version, today=today)


# Suggestions ---------------------------------------------------------------------------------------


@dataclass
class Suggestion:
    bed: Bed
    reasons: list[str]


def free_beds_for(admission: Admission, now: datetime) -> Q:
    return (
        Q(state=BedState.AVAILABLE)
        | Q(state=BedState.RESERVED, reserved_for=admission)
        | Q(state=BedState.RESERVED, reserved_until__lte=now)
    )


def bed_suggestions(
    admission: Admission,
    *,
    user: User,
    ward_kind: str | None = None,
    near_clinic: Clinic | None = None,
    near_floor: Floor | None = None,
    limit: int = 10,
) -> list[Suggestion]:
    """The free beds that meet the hard rules, best first, each with why it is suggested.

    Hard rules: the kind of ward (``ward_kind``, the admission's by default; "" for any), isolation,
    equipment and the room's sex. Preferences, in this order: a bed reserved for this patient, the
    same clinic, the same floor, fewer occupied beds in the room. One query.
    """
    now = timezone.now()
    clinic = near_clinic or admission.clinic
    floor = near_floor if near_floor is not None else admission.origin_floor
    kind = admission.ward_kind if ward_kind is None else ward_kind
    occupied_in_room = (
        Bed.objects.filter(room=OuterRef("room"), state=BedState.OCCUPIED)
        .order_by()
        .values("room")
        .annotate(n=Count("pk"))
        .values("n")
    )
    beds_in_room = (
        Bed.objects.filter(room=OuterRef("room"), retired_at__isnull=True)
        .order_by()
        .values("room")
        .annotate(n=Count("pk"))
        .values("n")
    )
    beds = (
        Bed.objects.filter(
            free_beds_for(admission, now),
            fits_q(
                patient_sex=admission.patient.sex,
                needs_isolation=admission.needs_isolation,
                equipment=admission.equipment,
                ward_kind=kind,
            ),
            retired_at__isnull=True,
            room__ward__is_active=True,
            room__ward__clinic_id__in=visible_clinic_ids(user),
        )
        .annotate(
            reserved_here=Case(
                When(reserved_for=admission, then=Value(1)), default=Value(0), output_field=IntegerField()
            ),
            same_clinic=Case(
                When(room__ward__clinic=clinic, then=Value(1)), default=Value(0), output_field=IntegerField()
            ),
            same_floor=Case(When(room__ward__floor=floor, then=Value(1)), default=Value(0), output_field=IntegerField())
            if floor is not None
            else Value(0, output_field=IntegerField()),
            room_occupied=Coalesce(Subquery(occupied_in_room, output_field=IntegerField()), 0),
            room_beds=Coalesce(Subquery(beds_in_room, output_field=IntegerField()), 0),
        )
        .select_related("room__ward__clinic", "room__ward__floor")
        .order_by(
            "-reserved_here",
            "-same_clinic",
            "-same_floor",
            "room_occupied",
            "room__ward__clinic__name",
            "room__ward__code",
            "room__code",
            "code",
        )[:limit]
    )
    return [Suggestion(bed=bed, reasons=_reasons(bed, admission, kind)) for bed in beds]


def _reasons(bed: Bed, admission: Admission, kind: str) -> list[str]:
    """Why a bed is suggested, in the order of the rules and preferences."""
    ward = bed.room.ward
    reasons = []
    if bed.reserved_here:  # type: ignore[attr-defined]
        reasons.append(_("Reserved for this patient"))
    if kind:
        reasons.append(_("%(kind)s, as asked") % {"kind": ward.get_kind_display()})
    if admission.needs_isolation:
        reasons.append(_("Can isolate"))
    if admission.equipment:
        reasons.append(_("Has the equipment asked for"))
    if bed.room.sex != "any":
        reasons.append(bed.room.get_sex_display())
    if bed.same_clinic:  # type: ignore[attr-defined]
        reasons.append(_("Same clinic"))
    else:
        reasons.append(_("Another clinic: %(clinic)s") % {"clinic": ward.clinic.name})
    if bed.same_floor:  # type: ignore[attr-defined]
        reasons.append(_("Same floor (%(floor)s)") % {"floor": ward.floor.name})
    occupied, size = bed.room_occupied, bed.room_beds  # type: ignore[attr-defined]
    if occupied == 0:
        reasons.append(_("Empty room"))
    else:
        reasons.append(
            ngettext(
                "%(occupied)d of %(size)d beds in the room occupied",
                "%(occupied)d of %(size)d beds in the room occupied",
                size,
            )
            % {"occupied": occupied, "size": size}
        )
    return reasons


# Requests, admissions and histories ----------------------------------------------------------------


def _open_requests(*, user: User, clinic: Clinic | None) -> QuerySet[Admission]:
    requests = Admission.objects.filter(status=AdmissionStatus.REQUESTED, clinic_id__in=visible_clinic_ids(user))
    return requests.filter(clinic=clinic) if clinic is not None else requests


def open_request_ids(*, user: User, clinic: Clinic | None = None) -> list[int]:
    """What tells an open board that the requests waiting changed (an index-only read)."""
    return list(_open_requests(user=user, clinic=clinic).order_by("pk").values_list("pk", flat=True)[:200])


# What a list of requests shows; the encrypted clinical text and the patient's contacts stay unread.
REQUEST_LIST_FIELDS = [
    *("patient__full_name", "patient__social_name", "clinic__name", "clinic__code", "clinic__time_zone"),
    *("requested_by__first_name", "requested_by__last_name", "requested_by__username"),
    *("status", "priority", "risk", "ward_kind", "needs_isolation", "equipment", "requested_at", "source"),
]


def open_requests(*, user: User, clinic: Clinic | None = None) -> list[Admission]:
    """Requests waiting for a bed, most urgent first, then oldest: one query."""
    requests = (
        _open_requests(user=user, clinic=clinic)
        .select_related("patient", "clinic", "requested_by")
        .only(*REQUEST_LIST_FIELDS)
    )
    urgency = Case(
        *(When(priority=priority, then=Value(rank)) for priority, rank in PRIORITY_RANK.items()),
        default=Value(9),
        output_field=IntegerField(),
    )
    return list(requests.order_by(urgency, "requested_at")[:200])


def current_stay(admission: Admission) -> BedStay | None:
    """The bed the admission is in now, if any."""
    return BedStay.objects.filter(admission=admission, ended_at__isnull=True).select_related("bed").first()


def admission_stays(admission: Admission) -> list[BedStay]:
    return list(
        admission.stays.select_related("bed__room__ward__clinic", "started_by", "ended_by").order_by("started_at")
    )


def bed_history(bed: Bed, *, limit: int = 50) -> tuple[list[BedEvent], list[BedStay]]:
    """The bed's steps (newest first) and its stays, with their patients: two queries."""
    events = list(bed.events.select_related("by", "admission__patient").order_by("-at", "-pk")[:limit])
    stays = list(
        bed.stays.select_related("admission__patient", "started_by", "ended_by").order_by("-started_at")[:limit]
    )
    return events, stays


def patient_admissions(patient: Patient, *, user: User, limit: int = 20) -> list[Admission]:
    """A patient's admissions as the chart shows them to ``user`` (every clinic's to clinical roles,
    their own clinics' to others: clinic/access.py), newest first, each with its stays and beds and
    ``opens`` (whether its page is in one of the user's clinics): two queries."""
    stays = BedStay.objects.select_related("bed__room__ward__clinic").order_by("started_at")
    admissions: list[Admission] = list(
        in_chart(Admission.objects.filter(patient=patient), user)
        .select_related("clinic", "requested_by", "admitted_by", "discharged_by")
        .prefetch_related(Prefetch("stays", queryset=stays, to_attr="stay_list"))
        .order_by("-requested_at")[:limit]
    )
    for admission in admissions:
        admission.opens = works_in(user, admission.clinic_id)  # type: ignore[attr-defined]
    return admissions


def patient_open_admission(patient: Patient) -> Admission | None:
    return Admission.objects.filter(patient=patient, status__in=OPEN_ADMISSION).first()
