"""Writes of the beds app: admission requests, reservations, admit, transfer, discharge, cleaning, blocks.

Every function is atomic and takes its rows' locks in one order: the admission first, then beds by
primary key. The database constraints (one stay per bed at a time, one open admission per patient,
one open stay per admission) still hold if a lock were ever missed; their violations come back as
the same clear message as a lost race.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from beds.models import (
    Admission,
    AdmissionSource,
    AdmissionStatus,
    Bed,
    BedBlock,
    BedEvent,
    BedState,
    BedStay,
    DischargeKind,
    Priority,
    StayEnd,
)
from beds.rules import fit_problems
from beds.selectors import current_stay
from clinic.access import require_works_in
from clinic.models import Clinic, Floor
from clinic.recorded import require_past
from patients.models import Patient, PatientStatus
from patients.services import patient_set_status
from staff.models import User

MAX_RESERVATION = timedelta(hours=24)
# The stations' clocks and the server's differ a little; a time further ahead than this is a mistake.


def _bed_taken() -> ValidationError:
    return ValidationError(_("This bed was just taken by another patient. Choose another bed."), code="bed_taken")


def _already_open() -> ValidationError:
    return ValidationError(_("This patient already has an open admission or admission request."), code="admission_open")


def _lock_admission(admission: Admission) -> Admission:
    return Admission.objects.select_for_update(of=("self",)).select_related("patient").get(pk=admission.pk)


def _lock_beds(pks: Iterable[int]) -> dict[int, Bed]:
    """Lock beds in primary-key order (the fixed order every service uses)."""
    beds = (
        Bed.objects.select_for_update(of=("self",))
        .select_related("room__ward__clinic", "room__ward__floor")
        .filter(pk__in=set(pks))
        .order_by("pk")
    )
    return {bed.pk: bed for bed in beds}


def _lock_bed_in_service(bed: Bed) -> Bed:
    """Lock one bed for a ward step (clean, block, unblock, release); a retired bed takes none."""
    locked = _lock_beds([bed.pk])[bed.pk]
    if locked.retired_at is not None:
        raise ValidationError(_("This bed is out of service."), code="bed_retired")
    return locked


def _set_state(
    bed: Bed,
    state: str,
    *,
    kind: str,
    by: User | None,
    at: datetime,
    admission: Admission | None = None,
    note: str = "",
    extra_fields: Sequence[str] = (),
) -> None:
    """Move a locked bed to ``state`` and write the step into its history."""
    BedEvent.objects.create(
        bed=bed, kind=kind, from_state=bed.state, to_state=state, admission=admission, note=note[:200], at=at, by=by
    )
    bed.state = state
    bed.changed_at = timezone.now()
    bed.save(update_fields=["state", "changed_at", *extra_fields])


def _lock_holds(admission: Admission, *, besides: Bed | None) -> tuple[dict[int, Bed], list[int]]:
    """Lock the beds reserved for ``admission`` (and ``besides``, when given), in the usual order.

    Precondition: the caller holds the admission's lock. Returns the locked beds and the held ones' keys;
    the holds were read before the lock, so ``_release`` checks each again.
    """
    held = Bed.objects.filter(reserved_for=admission)
    if besides is not None:
        held = held.exclude(pk=besides.pk)
    held_pks = list(held.values_list("pk", flat=True))
    return _lock_beds([*held_pks, *([besides.pk] if besides is not None else [])]), held_pks


def _release(beds: dict[int, Bed], held_pks: list[int], admission: Admission, *, by: User | None, at: datetime) -> None:
    """Release the holds of ``admission`` among the locked ``beds``; one may have run out and gone to another
    patient between reading the holds and locking them."""
    for pk in held_pks:
        if beds[pk].reserved_for_id == admission.pk:
            _clear_reservation(
                beds[pk], kind=BedEvent.Kind.RESERVATION_RELEASED, by=by, at=at, state=BedState.AVAILABLE
            )


def _claim(bed: Bed, admission: Admission, *, by: User | None, at: datetime) -> Bed:
    """``bed``, locked and checked free and fit for the requested ``admission``, whose other holds are released.

    Precondition: the caller holds the admission's lock.
    """
    beds, held_pks = _lock_holds(admission, besides=bed)
    target = beds[bed.pk]
    _require_free_for(target, admission, timezone.now())
    problems = _problems(target, admission)
    if problems:
        raise ValidationError(problems)
    _release(beds, held_pks, admission, by=by, at=at)
    return target


def _occupy(bed: Bed, admission: Admission, *, kind: str, by: User | None, at: datetime, note: str = "") -> BedStay:
    """Open ``admission``'s stay in the locked ``bed`` and mark it occupied (a hold on it is used up)."""
    stay = _open_stay(bed, admission, by=by, at=at)
    bed.reserved_for = None
    bed.reserved_until = None
    _set_state(
        bed,
        BedState.OCCUPIED,
        kind=kind,
        by=by,
        at=at,
        admission=admission,
        note=note,
        extra_fields=["reserved_for", "reserved_until"],
    )
    return stay


def _reservation_live(bed: Bed, now: datetime) -> bool:
    return bed.state == BedState.RESERVED and bed.reserved_until is not None and bed.reserved_until > now


def _require_free_for(bed: Bed, admission: Admission, now: datetime) -> None:
    """The bed may take ``admission``: free, reserved for it, or its reservation has run out."""
    if bed.retired_at is not None or not bed.room.ward.is_active:
        raise ValidationError(_("This bed is out of service."), code="bed_retired")
    if bed.state == BedState.AVAILABLE:
        return
    if bed.state == BedState.RESERVED and (bed.reserved_for_id == admission.pk or not _reservation_live(bed, now)):
        return
    if bed.state == BedState.OCCUPIED:
        raise _bed_taken()
    if bed.state == BedState.RESERVED:
        raise ValidationError(_("This bed is reserved for another patient."), code="bed_reserved")
    raise ValidationError(
        _("This bed is %(state)s and cannot take a patient.") % {"state": bed.get_state_display().lower()},
        code="bed_not_free",
    )


def _clear_reservation(bed: Bed, *, kind: str, by: User | None, at: datetime, state: str) -> None:
    admission = bed.reserved_for
    bed.reserved_for = None
    bed.reserved_until = None
    _set_state(
        bed, state, kind=kind, by=by, at=at, admission=admission, extra_fields=["reserved_for", "reserved_until"]
    )


def _open_stay(bed: Bed, admission: Admission, *, by: User | None, at: datetime) -> BedStay:
    stay = BedStay(admission=admission, bed=bed, started_at=at, started_by=by)
    try:
        with transaction.atomic():
            stay.save()
    except IntegrityError as error:
        if "bed_stay_no_overlap" in str(error):
            raise _bed_taken() from error
        if "bed_stay_one_open_per_admission" in str(error):
            raise ValidationError(_("This patient is already in a bed."), code="already_in_bed") from error
        raise
    return stay


def _move_patient_status(patient: Patient, status: str, *, by: User | None, reason: str, at: datetime) -> None:
    if patient.status != status:
        patient_set_status(patient=patient, status=status, by=by, reason=reason, at=at)


@transaction.atomic
def admission_request(
    *,
    patient: Patient,
    clinic: Clinic,
    by: User | None,
    source: str = AdmissionSource.DOCTOR,
    ward_kind: str,
    needs_isolation: bool = False,
    equipment: Iterable[str] = (),
    priority: str = Priority.ROUTINE,
    risk: str = "",
    reason: str = "",
    origin_floor: Floor | None = None,
    at: datetime | None = None,
) -> Admission:
    """Ask for a bed: what is needed, how urgently, and where the patient is now. Whoever asks works in
    ``clinic`` (clinic/access.py); ``by`` is None only for a request recorded by the system."""
    if by is not None:
        require_works_in(by, clinic.pk)
    admission = Admission(
        patient=patient,
        clinic=clinic,
        source=source,
        ward_kind=ward_kind,
        needs_isolation=needs_isolation,
        equipment=sorted(set(equipment)),
        priority=priority,
        risk=risk,
        reason=reason.strip(),
        origin_floor=origin_floor,
        requested_at=at or timezone.now(),
        requested_by=by,
    )
    admission.full_clean(exclude=["requested_by", "admitted_by", "discharged_by"])
    if origin_floor is not None and origin_floor.clinic_id != clinic.pk:
        raise ValidationError({"origin_floor": _("The floor belongs to another clinic.")})
    try:
        with transaction.atomic():
            admission.save()
    except IntegrityError as error:
        if "admission_one_open_per_patient" in str(error):
            raise _already_open() from error
        raise
    return admission


@transaction.atomic
def admission_cancel(*, admission: Admission, by: User | None, reason: str, at: datetime | None = None) -> Admission:
    """Withdraw a request that has not become an admission; its reserved bed is freed."""
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": _("Say why the request is cancelled.")})
    if len(reason) > 200:
        raise ValidationError({"reason": _("Keep the reason under 200 characters.")})
    if at is not None:
        require_past(at)
    locked = _lock_admission(admission)
    if locked.status != AdmissionStatus.REQUESTED:
        raise ValidationError(_("Only a request that is still waiting for a bed can be cancelled."))
    now = timezone.now()
    beds, held_pks = _lock_holds(locked, besides=None)
    _release(beds, held_pks, locked, by=by, at=now)
    locked.status = AdmissionStatus.CANCELLED
    locked.cancelled_at = at or now
    locked.cancelled_by = by
    locked.cancelled_reason = reason[:200]
    locked.save(update_fields=["status", "cancelled_reason", "cancelled_at", "cancelled_by"])
    return locked


@transaction.atomic
def bed_reserve(*, bed: Bed, admission: Admission, until: datetime, by: User | None) -> Bed:
    """Hold a free bed for an incoming patient until ``until``; an earlier hold of theirs is released."""
    now = timezone.now()
    if until <= now:
        raise ValidationError({"until": _("The reservation must end in the future.")})
    if until > now + MAX_RESERVATION:
        raise ValidationError({"until": _("A bed can be reserved for 24 hours at most.")})
    locked_admission = _lock_admission(admission)
    if locked_admission.status != AdmissionStatus.REQUESTED:
        raise ValidationError(_("Only a patient waiting for a bed can have one reserved."))
    target = _claim(bed, locked_admission, by=by, at=now)
    target.reserved_for = locked_admission
    target.reserved_until = until
    _set_state(
        target,
        BedState.RESERVED,
        kind=BedEvent.Kind.RESERVED,
        by=by,
        at=now,
        admission=locked_admission,
        extra_fields=["reserved_for", "reserved_until"],
    )
    return target


@transaction.atomic
def bed_release(*, bed: Bed, by: User | None) -> Bed:
    """Give a reserved bed back to the free beds."""
    locked = _lock_bed_in_service(bed)
    if locked.state != BedState.RESERVED:
        raise ValidationError(_("This bed is not reserved."))
    _clear_reservation(
        locked, kind=BedEvent.Kind.RESERVATION_RELEASED, by=by, at=timezone.now(), state=BedState.AVAILABLE
    )
    return locked


def reservations_expire(*, now: datetime | None = None) -> int:
    """Free the beds whose reservation has run out; beds another station holds are left for next time."""
    now = now or timezone.now()
    expired = 0
    with transaction.atomic():
        beds = (
            Bed.objects.select_for_update(of=("self",), skip_locked=True)
            .select_related("reserved_for")
            .filter(state=BedState.RESERVED, reserved_until__lte=now)
            .order_by("pk")
        )
        for bed in beds:
            _clear_reservation(bed, kind=BedEvent.Kind.RESERVATION_EXPIRED, by=None, at=now, state=BedState.AVAILABLE)
            expired += 1
    return expired


def _problems(bed: Bed, admission: Admission, *, ward_kind: str | None = None) -> list[str]:
    return fit_problems(
        bed,
        patient_sex=admission.patient.sex,
        needs_isolation=admission.needs_isolation,
        equipment=admission.equipment,
        ward_kind=admission.ward_kind if ward_kind is None else ward_kind,
    )


@transaction.atomic
def admission_admit(*, admission: Admission, bed: Bed, by: User | None, at: datetime | None = None) -> BedStay:
    """Put a requested admission into ``bed``: the stay opens, the bed is occupied, the patient admitted."""
    at = at or timezone.now()
    require_past(at)
    locked = _lock_admission(admission)
    if locked.status == AdmissionStatus.ADMITTED:
        raise ValidationError(_("This patient has just been admitted to another bed."), code="already_admitted")
    if locked.status != AdmissionStatus.REQUESTED:
        raise ValidationError(
            _("This admission is %(status)s.") % {"status": locked.get_status_display().lower()}, code="closed"
        )
    target = _claim(bed, locked, by=by, at=at)
    stay = _occupy(target, locked, kind=BedEvent.Kind.ADMITTED, by=by, at=at)
    locked.status = AdmissionStatus.ADMITTED
    locked.admitted_at = at
    locked.admitted_by = by
    locked.clinic = target.room.ward.clinic
    locked.save(update_fields=["status", "admitted_at", "admitted_by", "clinic"])
    _move_patient_status(
        locked.patient, PatientStatus.ADMITTED, by=by, reason=_("Admitted to bed %s") % target.code, at=at
    )
    return stay


def _close_current_stay(admission: Admission, *, by: User | None, at: datetime, reason: str) -> BedStay:
    stay = BedStay.objects.select_for_update(of=("self",)).filter(admission=admission, ended_at__isnull=True).first()
    if stay is None:
        raise ValidationError(_("This admission has no bed to leave."))
    if at <= stay.started_at:
        raise ValidationError(_("The time must be after the patient came to the bed."))
    stay.ended_at = at
    stay.ended_by = by
    stay.end_reason = reason
    stay.save(update_fields=["ended_at", "ended_by", "end_reason"])
    return stay


@transaction.atomic
def admission_transfer(
    *, admission: Admission, bed: Bed, by: User | None, note: str = "", at: datetime | None = None
) -> BedStay:
    """Move an admitted patient to another bed, in the same ward or another ward or clinic.

    The kind of ward follows the new bed (a move to the ICU is a transfer); isolation, equipment and the
    room's sex stay hard rules. The bed left goes to cleaning.
    """
    at = at or timezone.now()
    require_past(at)
    locked = _lock_admission(admission)
    if locked.status != AdmissionStatus.ADMITTED:
        raise ValidationError(_("Only an admitted patient can be transferred."), code="not_admitted")
    leaving = current_stay(locked)
    if leaving is None:
        raise ValidationError(_("This admission has no bed to leave."))
    if leaving.bed_id == bed.pk:
        raise ValidationError(_("The patient is already in this bed."))
    beds = _lock_beds([bed.pk, leaving.bed_id])
    target, old_bed = beds[bed.pk], beds[leaving.bed_id]
    _require_free_for(target, locked, timezone.now())
    problems = _problems(target, locked, ward_kind="")
    if problems:
        raise ValidationError(problems)
    _close_current_stay(locked, by=by, at=at, reason=StayEnd.TRANSFER)
    _set_state(
        old_bed,
        BedState.CLEANING,
        kind=BedEvent.Kind.TRANSFERRED_OUT,
        by=by,
        at=at,
        admission=locked,
        note=_("To bed %(bed)s") % {"bed": f"{target.room.ward.code} {target.code}"},
    )
    stay = _occupy(
        target,
        locked,
        kind=BedEvent.Kind.TRANSFERRED_IN,
        by=by,
        at=at,
        note=note or _("From bed %(bed)s") % {"bed": f"{old_bed.room.ward.code} {old_bed.code}"},
    )
    locked.ward_kind = target.room.ward.kind
    locked.clinic = target.room.ward.clinic
    locked.save(update_fields=["ward_kind", "clinic"])
    return stay


@transaction.atomic
def admission_discharge(
    *, admission: Admission, kind: str, by: User | None, notes: str = "", at: datetime | None = None
) -> Admission:
    """End an admission (home, transfer out, death, against advice); the bed goes to cleaning."""
    if kind not in DischargeKind.values:
        raise ValidationError({"kind": _("Choose how the patient leaves.")})
    at = at or timezone.now()
    require_past(at)
    locked = _lock_admission(admission)
    if locked.status != AdmissionStatus.ADMITTED:
        raise ValidationError(_("Only an admitted patient can be discharged."), code="not_admitted")
    leaving = current_stay(locked)
    if leaving is None:
        raise ValidationError(_("This admission has no bed to leave."))
    bed = _lock_beds([leaving.bed_id])[leaving.bed_id]
    _close_current_stay(locked, by=by, at=at, reason=StayEnd.DISCHARGE)
    _set_state(
        bed,
        BedState.CLEANING,
        kind=BedEvent.Kind.DISCHARGED,
        by=by,
        at=at,
        admission=locked,
        note=str(DischargeKind(kind).label),
    )
    locked.status = AdmissionStatus.DISCHARGED
    locked.discharged_at = at
    locked.discharged_by = by
    locked.discharge_kind = kind
    locked.discharge_notes = notes.strip()
    locked.save(update_fields=["status", "discharged_at", "discharged_by", "discharge_kind", "discharge_notes"])
    _move_patient_status(
        locked.patient, PatientStatus.OUTPATIENT, by=by, reason=_("Discharged: %s") % DischargeKind(kind).label, at=at
    )
    return locked


@transaction.atomic
def bed_mark_clean(*, bed: Bed, by: User | None, at: datetime | None = None) -> Bed:
    """Housekeeping is done: the bed is available again."""
    locked = _lock_bed_in_service(bed)
    if locked.state != BedState.CLEANING:
        raise ValidationError(_("Only a bed waiting for cleaning can be marked clean."), code="not_cleaning")
    _set_state(locked, BedState.AVAILABLE, kind=BedEvent.Kind.CLEANED, by=by, at=at or timezone.now())
    return locked


@transaction.atomic
def bed_block(*, bed: Bed, reason: str, by: User | None, at: datetime | None = None) -> Bed:
    """Take a free bed out of service (maintenance); it stops counting among the available beds."""
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": _("Say why the bed is blocked.")})
    if len(reason) > 200:
        raise ValidationError({"reason": _("Keep the reason under 200 characters.")})
    at = at or timezone.now()
    locked = _lock_bed_in_service(bed)
    if locked.state not in (BedState.AVAILABLE, BedState.CLEANING):
        raise ValidationError(
            _("Only a free bed can be blocked; this one is %(state)s.") % {"state": locked.get_state_display().lower()},
            code="not_free",
        )
    if BedBlock.objects.filter(Q(ended_at__isnull=True) | Q(ended_at__gt=at), bed=locked).exists():
        raise ValidationError({"at": _("The bed was already blocked at that time.")})
    BedBlock.objects.create(bed=locked, reason=reason, started_at=at, started_by=by)
    locked.blocked_reason = reason
    _set_state(
        locked, BedState.BLOCKED, kind=BedEvent.Kind.BLOCKED, by=by, at=at, note=reason, extra_fields=["blocked_reason"]
    )
    return locked


@transaction.atomic
def bed_unblock(*, bed: Bed, by: User | None, at: datetime | None = None) -> Bed:
    """Put a blocked bed back into service; its block ends at ``at``."""
    at = at or timezone.now()
    locked = _lock_bed_in_service(bed)
    if locked.state != BedState.BLOCKED:
        raise ValidationError(_("This bed is not blocked."), code="not_blocked")
    blocks = BedBlock.objects.filter(bed=locked, ended_at__isnull=True)
    if blocks.filter(started_at__gte=at).exists():
        raise ValidationError({"at": _("The bed cannot be unblocked before it was blocked.")})
    blocks.update(ended_at=at, ended_by=by)
    locked.blocked_reason = ""
    # A bed blocked while it waited for housekeeping still needs it afterwards.
    blocked_from = (
        locked.events.filter(kind=BedEvent.Kind.BLOCKED)
        .order_by("-at", "-pk")
        .values_list("from_state", flat=True)
        .first()
    )
    back_to = BedState.CLEANING if blocked_from == BedState.CLEANING else BedState.AVAILABLE
    _set_state(locked, back_to, kind=BedEvent.Kind.UNBLOCKED, by=by, at=at, extra_fields=["blocked_reason"])
    return locked
