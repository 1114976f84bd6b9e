"""Writes of the scheduling app: booking (more flows join in the next steps of issue 3)."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from patients.models import Patient
from scheduling.availability import Slot, free_slots
from scheduling.models import Appointment
from staff.models import Practitioner, Specialty, User


class SlotTaken(ValidationError):
    """The time was free when offered and was taken before this booking; ``fresh`` are free slots now."""

    def __init__(self, fresh: list[Slot]) -> None:
        super().__init__(_("This time was just taken. Choose another one."), code="slot_taken")
        self.fresh = fresh


def _slot_at(
    practitioner: Practitioner, specialty: Specialty, starts_at: datetime, *, include_booked: bool = False
) -> Slot | None:
    day = timezone.localdate(starts_at)  # a window in any Brazilian zone is within a day of this
    candidates = free_slots(
        practitioners=[practitioner],
        specialty=specialty,
        first=day - timedelta(days=1),
        last=day + timedelta(days=1),
        include_booked=include_booked,
    )
    return next((slot for slot in candidates if slot.starts_at == starts_at), None)


def appointment_book(
    *,
    patient: Patient,
    practitioner: Practitioner,
    specialty: Specialty,
    starts_at: datetime,
    by: User,
    overbooking_reason: str = "",
) -> Appointment:
    """Book ``patient`` into the free slot starting at ``starts_at``.

    The database decides between two people booking the same time at once: the exclusion
    constraints let exactly one insert through, and the others get ``SlotTaken`` with the slots
    still free. An overbooking (a second patient in a taken time) needs the permission and a reason.
    """
    overbook = bool(overbooking_reason.strip())
    if overbook and not by.has_perm("scheduling.overbook_appointment"):
        raise PermissionDenied(_("You may not overbook."))
    slot = _slot_at(practitioner, specialty, starts_at, include_booked=overbook)
    if slot is None and overbook:
        raise ValidationError(_("An overbooking must still fall in the practitioner's working hours."))
    if slot is None:
        raise SlotTaken(_fresh(practitioner, specialty, starts_at))
    appointment = Appointment(
        patient=patient,
        practitioner=practitioner,
        specialty=specialty,
        clinic_id=slot.clinic_id,
        room_id=slot.room_id,
        starts_at=slot.starts_at,
        ends_at=slot.ends_at,
        overbooked=overbook,
        overbooking_reason=overbooking_reason.strip(),
        booked_by=by,
    )
    appointment.full_clean(validate_constraints=False)
    try:
        with transaction.atomic():
            appointment.save()
    except IntegrityError as error:
        constraint = getattr(getattr(error.__cause__, "diag", None), "constraint_name", "") or ""
        if constraint == "appointment_patient_no_overlap":
            raise ValidationError(_("This patient already has an appointment at this time.")) from error
        if constraint.endswith("_no_overlap"):
            raise SlotTaken(_fresh(practitioner, specialty, starts_at)) from error
        raise
    return appointment


def _fresh(practitioner: Practitioner, specialty: Specialty, near: datetime) -> list[Slot]:
    day = timezone.localdate(near)
    return free_slots(practitioners=[practitioner], specialty=specialty, first=day, last=day + timedelta(days=7))[:10]
