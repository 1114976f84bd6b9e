"""Setting wards, rooms and beds up: the writes of the manager's setup pages and the reads they show.

Codes are unique case-insensitively (a ward's per clinic, a room's per ward, a bed's per room). The
database holds that rule; a violation, also one that slips past the check here in a race, comes back
as an error on the code field with the constraint's own message.

A bed is never deleted (its stays and events are the occupancy history): it is retired, and from
then on it leaves the board, the suggestions and the beds in service that reports count.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.db.models import Count, IntegerField, OuterRef, Prefetch, QuerySet, Subquery
from django.db.models.functions import Coalesce, Lower
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from beds.models import Bed, BedState, BedStay, RoomSex, Ward, WardRoom
from beds.rules import room_sexes_for
from clinic.access import chosen_clinic, in_clinics_or_404, require
from clinic.models import Clinic, Floor
from patients.models import Sex
from staff.models import User

# More at once is a typing slip (a ward room rarely holds more than a handful of beds).
MAX_BEDS_AT_ONCE = 40

# A bed in one of these states has (or is promised to) a patient.
BEDS_WITH_PATIENTS = [BedState.OCCUPIED, BedState.RESERVED]
RETIRABLE_STATES = [BedState.AVAILABLE, BedState.CLEANING, BedState.BLOCKED]


def _save_unique(obj: models.Model, *, update_fields: Sequence[str] | None = None) -> None:
    """Save ``obj`` in a savepoint; a violated unique constraint becomes an error on ``code``."""
    try:
        with transaction.atomic():
            obj.save(update_fields=update_fields)
    except IntegrityError as error:
        found = _unique_code_error(error, type(obj))
        if found is None:
            raise
        raise found from error


def _unique_code_error(error: IntegrityError, model: type[models.Model]) -> ValidationError | None:
    """The field error for a violated unique constraint of ``model``, or None for any other error."""
    diagnosis = getattr(error.__cause__, "diag", None)
    name = getattr(diagnosis, "constraint_name", None)
    for constraint in model._meta.constraints:
        if constraint.name == name and isinstance(constraint, models.UniqueConstraint):
            return ValidationError({"code": constraint.get_violation_error_message()}, code="unique")
    return None


def _validate(obj: models.Model, *, exclude: Iterable[str] = ()) -> None:
    """Field and model checks; the unique constraints are left to the database (see ``_save_unique``)."""
    obj.full_clean(exclude=list(exclude), validate_constraints=False)


# Wards -----------------------------------------------------------------------------------------------


@transaction.atomic
def ward_create(*, clinic: Clinic, floor: Floor, code: str, name: str, kind: str, is_active: bool = True) -> Ward:
    """A new ward of ``clinic`` on one of its floors."""
    ward = Ward(clinic=clinic, floor=floor, code=code.strip(), name=name.strip(), kind=kind, is_active=is_active)
    _validate(ward)
    _save_unique(ward)
    return ward


@transaction.atomic
def ward_update(*, ward: Ward, floor: Floor, code: str, name: str, kind: str, is_active: bool) -> Ward:
    """Change a ward. Its clinic stays: moving a ward would move its patients' admissions.

    A ward with patients in its beds (or beds reserved for them) stays active, since an inactive
    ward leaves the board and its patients would disappear from the nurses' view.
    """
    locked = Ward.objects.select_for_update(of=("self",)).select_related("clinic").get(pk=ward.pk)
    if locked.is_active and not is_active:
        with_patients = Bed.objects.filter(room__ward=locked, retired_at__isnull=True, state__in=BEDS_WITH_PATIENTS)
        count = with_patients.count()
        if count:
            raise ValidationError(
                {
                    "is_active": ngettext(
                        "One bed of this ward has or awaits a patient; transfer or discharge first.",
                        "%(count)d beds of this ward have or await patients; transfer or discharge first.",
                        count,
                    )
                    % {"count": count}
                },
                code="ward_in_use",
            )
    locked.floor = floor
    locked.code = code.strip()
    locked.name = name.strip()
    locked.kind = kind
    locked.is_active = is_active
    _validate(locked, exclude=["clinic"])
    _save_unique(locked, update_fields=["floor", "code", "name", "kind", "is_active"])
    return locked


# Rooms -----------------------------------------------------------------------------------------------


@transaction.atomic
def room_create(*, ward: Ward, code: str, sex: str = RoomSex.ANY) -> WardRoom:
    """A new room of ``ward``, optionally for patients of one sex."""
    room = WardRoom(ward=ward, code=code.strip(), sex=sex)
    _validate(room)
    _save_unique(room)
    return room


def _patients_against(room: WardRoom, sex: str) -> list[str]:
    """The beds of ``room`` whose patient (in the bed or holding a reservation) may not be in a ``sex`` room."""
    allowed = [patient_sex for patient_sex in Sex.values if sex in room_sexes_for(patient_sex)]
    staying = BedStay.objects.filter(bed__room=room, ended_at__isnull=True).exclude(admission__patient__sex__in=allowed)
    reserved = Bed.objects.filter(room=room, state=BedState.RESERVED).exclude(reserved_for__patient__sex__in=allowed)
    codes = {*staying.values_list("bed__code", flat=True), *reserved.values_list("code", flat=True)}
    return sorted(codes)


@transaction.atomic
def room_update(*, room: WardRoom, code: str, sex: str) -> WardRoom:
    """Change a room's code or its sex restriction; a restriction its current patients break is refused."""
    locked = WardRoom.objects.select_for_update(of=("self",)).select_related("ward").get(pk=room.pk)
    if sex != locked.sex and sex in RoomSex.values:
        against = _patients_against(locked, sex)
        if against:
            raise ValidationError(
                {
                    "sex": _("The patients of beds %(beds)s may not be in a room that is %(restriction)s.")
                    % {"beds": ", ".join(against), "restriction": str(RoomSex(sex).label).lower()}
                },
                code="room_in_use",
            )
    locked.code = code.strip()
    locked.sex = sex
    _validate(locked, exclude=["ward"])
    _save_unique(locked, update_fields=["code", "sex"])
    return locked


# Beds ------------------------------------------------------------------------------------------------


def _letters() -> Iterator[str]:
    """A, B, ..., Z, AA, AB, ...: the suffixes of beds numbered the way they are painted on the wall."""
    size = 1
    while True:
        for number in range(26**size):
            suffix = ""
            for _position in range(size):
                number, digit = divmod(number, 26)
                suffix = chr(ord("A") + digit) + suffix
            yield suffix
        size += 1


def next_bed_codes(room: WardRoom, count: int, taken: Iterable[str]) -> list[str]:
    """``count`` codes "<room>-A", "<room>-B", ... skipping those already in the room (any case)."""
    used = {code.lower() for code in taken}
    codes: list[str] = []
    for suffix in _letters():
        if len(codes) == count:
            break
        code = f"{room.code}-{suffix}"
        if code.lower() not in used:
            codes.append(code)
    return codes


def _check_codes(codes: Sequence[str], taken: Iterable[str]) -> list[str]:
    """The codes as given, stripped; empty, repeated or already used codes are refused together."""
    cleaned = [code.strip() for code in codes]
    if not cleaned or len(cleaned) > MAX_BEDS_AT_ONCE:
        raise ValidationError(
            {"codes": _("Give between 1 and %(max)d bed codes.") % {"max": MAX_BEDS_AT_ONCE}}, code="count"
        )
    if any(not code for code in cleaned):
        raise ValidationError({"codes": _("A bed code cannot be empty.")}, code="empty")
    longest = Bed._meta.get_field("code").max_length
    assert isinstance(longest, int)
    too_long = [code for code in cleaned if len(code) > longest]
    if too_long:
        raise ValidationError(
            {
                "codes": _("Bed codes have %(max)d characters at most: %(codes)s.")
                % {"max": longest, "codes": ", ".join(too_long)}
            },
            code="too_long",
        )
    seen: set[str] = set()
    repeated = []
    for code in cleaned:
        if code.lower() in seen:
            repeated.append(code)
        seen.add(code.lower())
    if repeated:
        raise ValidationError(
            {"codes": _("Each code only once: %(codes)s.") % {"codes": ", ".join(repeated)}}, code="repeated"
        )
    used = {code.lower() for code in taken}
    clashes = [code for code in cleaned if code.lower() in used]
    if clashes:
        raise ValidationError(
            {"codes": _("The room already has beds %(codes)s.") % {"codes": ", ".join(clashes)}}, code="unique"
        )
    return cleaned


@transaction.atomic
def beds_add(
    *,
    room: WardRoom,
    count: int | None = None,
    codes: Sequence[str] | None = None,
    isolation_capable: bool = False,
    equipment: Iterable[str] = (),
    in_service_since: datetime | None = None,
) -> list[Bed]:
    """Add ``count`` beds lettered after the room ("204-A", "204-B", ...), or one bed per code in ``codes``.

    The room row is locked so two managers adding beds to one room do not pick the same letters.
    """
    if (count is None) == (codes is None):
        raise ValidationError(_("Give either a number of beds or their codes."), code="count_or_codes")
    locked = WardRoom.objects.select_for_update(of=("self",)).get(pk=room.pk)
    taken = list(Bed.objects.filter(room=locked).values_list("code", flat=True))
    if codes is None:
        assert count is not None
        if not 1 <= count <= MAX_BEDS_AT_ONCE:
            raise ValidationError(
                {"count": _("Add between 1 and %(max)d beds at once.") % {"max": MAX_BEDS_AT_ONCE}}, code="count"
            )
        codes = next_bed_codes(locked, count, taken)
    new_codes = _check_codes(codes, taken)
    since = in_service_since or timezone.now()
    fitted = sorted(set(equipment))
    beds = [
        Bed(room=locked, code=code, isolation_capable=isolation_capable, equipment=fitted, in_service_since=since)
        for code in new_codes
    ]
    for bed in beds:
        try:
            _validate(bed, exclude=["room", "reserved_for"])
        except ValidationError as error:
            # Errors on a bed's code belong to the codes given (or generated) for all of them.
            by_field = error.message_dict
            raise ValidationError(
                {"codes" if name == "code" else name: texts for name, texts in by_field.items()}
            ) from error
    try:
        with transaction.atomic():
            for bed in beds:
                bed.save()
    except IntegrityError as error:
        found = _unique_code_error(error, Bed)
        if found is None:
            raise
        raise ValidationError({"codes": found.message_dict["code"]}, code="unique") from error
    return beds


@transaction.atomic
def bed_update(*, bed: Bed, code: str, isolation_capable: bool, equipment: Iterable[str]) -> Bed:
    """Change what a bed is called and what it offers; its state is the ward's business (services.py)."""
    locked = Bed.objects.select_for_update(of=("self",)).get(pk=bed.pk)
    locked.code = code.strip()
    locked.isolation_capable = isolation_capable
    locked.equipment = sorted(set(equipment))
    _validate(locked, exclude=["room", "reserved_for"])
    _save_unique(locked, update_fields=["code", "isolation_capable", "equipment"])
    return locked


@transaction.atomic
def bed_retire(*, bed: Bed, at: datetime | None = None) -> Bed:
    """Take a bed out of service for good: only a free bed (available, cleaning or blocked) with nobody in it."""
    at = at or timezone.now()
    locked = Bed.objects.select_for_update(of=("self",)).get(pk=bed.pk)
    if locked.retired_at is not None:
        raise ValidationError(_("This bed is already retired."), code="retired")
    if locked.state not in RETIRABLE_STATES or BedStay.objects.filter(bed=locked, ended_at__isnull=True).exists():
        raise ValidationError(
            _("Only a free bed can be retired; this one is %(state)s.") % {"state": locked.get_state_display().lower()},
            code="in_use",
        )
    if at <= locked.in_service_since:
        raise ValidationError(_("The bed is not in service yet, so it cannot be retired."), code="not_in_service")
    locked.retired_at = at
    locked.changed_at = timezone.now()
    locked.save(update_fields=["retired_at", "changed_at"])
    return locked


# Reads of the setup pages ----------------------------------------------------------------------------


def setup_clinic(user: User, raw_pk: str) -> tuple[Clinic | None, list[Clinic]]:
    """The clinic named by ``raw_pk`` among the user's (404 if it is not one), or their first one."""
    chosen, clinics = chosen_clinic(user, raw_pk)
    return chosen or (clinics[0] if clinics else None), clinics


def setup_wards(clinic: Clinic) -> QuerySet[Ward]:
    """A clinic's wards with their floor and how many rooms and beds in service each has: one query."""
    rooms = WardRoom.objects.filter(ward=OuterRef("pk")).order_by().values("ward").annotate(n=Count("pk")).values("n")
    beds = (
        Bed.objects.filter(room__ward=OuterRef("pk"), retired_at__isnull=True)
        .order_by()
        .values("room__ward")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return (
        Ward.objects.filter(clinic=clinic)
        .select_related("floor")
        .annotate(
            room_count=Coalesce(Subquery(rooms, output_field=IntegerField()), 0),
            bed_count=Coalesce(Subquery(beds, output_field=IntegerField()), 0),
        )
        .order_by("-is_active", "code")
    )


def ward_for_setup(user: User, pk: int) -> Ward:
    """A ward of one of the user's clinics."""
    require(user, "beds.change_ward")
    return in_clinics_or_404(Ward.objects.select_related("clinic", "floor"), user, pk)


def room_for_setup(user: User, pk: int) -> WardRoom:
    """A ward room of one of the user's clinics."""
    require(user, "beds.change_wardroom")
    return in_clinics_or_404(
        WardRoom.objects.select_related("ward__clinic", "ward__floor"), user, pk, field="ward__clinic"
    )


def bed_for_setup(user: User, pk: int) -> Bed:
    """A bed of one of the user's clinics."""
    require(user, "beds.change_bed")
    return in_clinics_or_404(
        Bed.objects.select_related("room__ward__clinic", "room__ward__floor"), user, pk, field="room__ward__clinic"
    )


@dataclass
class RoomLayout:
    room: WardRoom
    beds: list[Bed]
    retired: list[Bed]


def ward_layout(ward: Ward) -> list[RoomLayout]:
    """The ward's rooms with their beds in service and the retired ones: two queries."""
    beds = Bed.objects.order_by(Lower("code"))
    rooms = WardRoom.objects.filter(ward=ward).prefetch_related(Prefetch("beds", queryset=beds)).order_by(Lower("code"))
    layout = []
    for room in rooms:
        in_service = [bed for bed in room.beds.all() if bed.retired_at is None]
        retired = [bed for bed in room.beds.all() if bed.retired_at is not None]
        layout.append(RoomLayout(room=room, beds=in_service, retired=retired))
    return layout


def floors_of(clinic: Clinic) -> QuerySet[Floor]:
    return Floor.objects.filter(clinic=clinic).order_by("level")
