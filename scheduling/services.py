"""Writes of the scheduling app: booking, status changes, rescheduling."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, OperationalError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from clinic.access import require_works_in
from clinic.models import Clinic, Room
from patients.models import Patient, PatientStatus
from patients.services import patient_set_status
from scheduling.availability import Slot, free_slots
from scheduling.models import TRANSITIONS, Appointment, AppointmentEvent, AppointmentStatus
from scheduling.reminders import reminders_cancel, reminders_plan
from scheduling.signals import appointment_transitioned
from staff.models import Practitioner, PractitionerSpecialty, Specialty, User, WorkingHours


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
    ``by`` must work in the slot's clinic (PermissionDenied otherwise: clinic/access.py), and a time
    beyond the clinic's booking horizon is refused.
    """
    overbook = bool(overbooking_reason.strip())
    if overbook and not by.has_perm("scheduling.overbook_appointment"):
        raise PermissionDenied(_("You may not overbook."))
    with transaction.atomic():
        # One booking of a practitioner at a time: the places of a group session are counted
        # here (the constraints leave them out), and a regular booking cannot slip beside them.
        Practitioner.objects.select_for_update(no_key=True).filter(pk=practitioner.pk).first()
        return _book_locked(
            patient=patient,
            practitioner=practitioner,
            specialty=specialty,
            starts_at=starts_at,
            by=by,
            overbook=overbook,
            overbooking_reason=overbooking_reason,
        )


def _book_locked(
    *,
    patient: Patient,
    practitioner: Practitioner,
    specialty: Specialty,
    starts_at: datetime,
    by: User,
    overbook: bool,
    overbooking_reason: str,
) -> Appointment:
    slot = _slot_at(practitioner, specialty, starts_at, include_booked=overbook)
    if slot is None:
        _refuse_beyond_horizon(practitioner, starts_at)
    if slot is None and overbook:
        raise ValidationError(_("An overbooking must still fall in the practitioner's working hours."))
    if slot is None:
        raise SlotTaken(_fresh(practitioner, specialty, starts_at))
    require_works_in(by, slot.clinic_id)
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
        group_session=specialty.patients_per_slot > 1 and not overbook,
        booked_by=by,
    )
    # The related rows were loaded by the caller or came from the slot: checking that each exists
    # would cost a query apiece and prove nothing the foreign keys do not.
    appointment.full_clean(exclude=_RELATIONS, validate_constraints=False)
    try:
        with transaction.atomic():
            appointment.save()
            reminders_plan(appointment)
    except OperationalError as error:
        # Two bookings racing for one time can wait on each other inside the no-overlap checks;
        # PostgreSQL then ends one of them (deadlock detected): that one lost the time.
        if getattr(error.__cause__, "sqlstate", None) == _DEADLOCK_DETECTED:
            raise SlotTaken(_fresh(practitioner, specialty, starts_at)) from error
        raise
    except IntegrityError as error:
        constraint = getattr(getattr(error.__cause__, "diag", None), "constraint_name", "") or ""
        if constraint == "appointment_patient_no_overlap":
            raise ValidationError(_("This patient already has an appointment at this time.")) from error
        if constraint.endswith("_no_overlap"):
            raise SlotTaken(_fresh(practitioner, specialty, starts_at)) from error
        raise
    return appointment


def _refuse_beyond_horizon(practitioner: Practitioner, starts_at: datetime) -> None:
    """A time beyond the booking horizon of every clinic where ``practitioner`` works is refused with
    that horizon, not as "just taken" (free slots never reach beyond a clinic's horizon)."""
    horizons = Clinic.objects.filter(
        pk__in=WorkingHours.objects.filter(practitioner=practitioner).values("clinic_id")
    ).values_list("booking_horizon_days", flat=True)
    longest = max(horizons, default=None)
    if longest is not None and starts_at >= timezone.now() + timedelta(days=longest):
        raise ValidationError(
            ngettext(
                "Appointments are booked at most %(days)s day ahead.",
                "Appointments are booked at most %(days)s days ahead.",
                longest,
            )
            % {"days": longest},
            code="beyond_horizon",
        )


_RELATIONS = ["patient", "practitioner", "specialty", "clinic", "room", "booked_by", "rescheduled_from"]
_DEADLOCK_DETECTED = "40P01"


def _fresh(practitioner: Practitioner, specialty: Specialty, near: datetime) -> list[Slot]:
    day = timezone.localdate(near)
    return free_slots(practitioners=[practitioner], specialty=specialty, first=day, last=day + timedelta(days=7))[:10]


_STAMPS: dict[str, str] = {
    AppointmentStatus.WAITING: "checked_in_at",
    AppointmentStatus.IN_PROGRESS: "started_at",
    AppointmentStatus.FINISHED: "finished_at",
}
# The patient's status follows the consultation.
_PATIENT_STATUS: dict[str, str] = {
    AppointmentStatus.IN_PROGRESS: PatientStatus.IN_CONSULTATION,
    AppointmentStatus.FINISHED: PatientStatus.OUTPATIENT,
}


def _describe(appointment: Appointment) -> str:
    """The appointment as the patient's status history names it: specialty, clinic, local time."""
    local = timezone.localtime(appointment.starts_at, appointment.clinic.zone)
    return _("Appointment: %(specialty)s, %(clinic)s, %(when)s") % {
        "specialty": appointment.specialty.name,
        "clinic": appointment.clinic.name,
        "when": local.strftime("%Y-%m-%d %H:%M"),
    }


@transaction.atomic
def appointment_transition(*, appointment: Appointment, to: str, by: User | None, reason: str = "") -> Appointment:
    """Move an appointment to ``to`` if its flow allows it, recording who, when and why.

    ``by`` is None when the patient acts through their link (``scheduling/links.py``).

    Locks the appointment's row, so two people pressing buttons at once see one change and a
    clear refusal.
    """
    locked = (
        Appointment.objects.select_for_update(of=("self", "patient"))
        .select_related("patient", "clinic", "specialty")
        .get(pk=appointment.pk)
    )
    if to not in TRANSITIONS.get(locked.status, set()):
        raise ValidationError(
            _("An appointment that is %(current)s cannot become %(new)s.")
            % {"current": locked.get_status_display().lower(), "new": AppointmentStatus(to).label.lower()}
        )
    reason = reason.strip()
    if to == AppointmentStatus.CANCELLED and not reason:
        raise ValidationError({"reason": _("Say why the appointment is cancelled.")})
    now = timezone.now()
    from_status = locked.status
    AppointmentEvent.objects.create(
        appointment=locked, from_status=from_status, to_status=to, at=now, by=by, reason=reason
    )
    locked.status = to
    fields = ["status"]
    if to == AppointmentStatus.CANCELLED:
        locked.cancellation_reason = reason[:200]
        fields.append("cancellation_reason")
    if to in _STAMPS:
        setattr(locked, _STAMPS[to], now)
        fields.append(_STAMPS[to])
    locked.save(update_fields=fields)
    if to in (AppointmentStatus.CANCELLED, AppointmentStatus.NO_SHOW):
        reminders_cancel(locked)
    patient_status = _PATIENT_STATUS.get(to)
    if patient_status and locked.patient.status != patient_status:
        patient_set_status(patient=locked.patient, status=patient_status, by=by, reason=_describe(locked))
    appointment_transitioned.send(sender=Appointment, appointment=locked, from_status=from_status, to_status=to, at=now)
    return locked


@transaction.atomic
def appointment_urgent(
    *, patient: Patient, practitioner: Practitioner, specialty: Specialty, room: Room, by: User, reason: str
) -> Appointment:
    """An urgent appointment from the emergency door: now, checked in, in the doctor's queue.

    It needs no free slot: like an overbooking (with the reason, e.g. the risk colour) it stands
    beside the doctor's booked patients, and the no-overlap constraints leave it out. A patient
    already waiting for or in a consultation is refused; it plans no reminders.
    """
    reason = reason.strip()
    if not reason:
        raise ValidationError(_("Say why the appointment is urgent."))
    if room.clinic_id is None or not room.is_active:
        raise ValidationError({"room": _("Choose an active room.")})
    require_works_in(by, room.clinic_id)
    link = PractitionerSpecialty.objects.filter(practitioner=practitioner, specialty=specialty).first()
    if link is None:
        raise ValidationError(
            {"specialty": _("%(name)s does not practise this specialty.") % {"name": practitioner.user.get_full_name()}}
        )
    # The no-overlap constraints leave overbookings out, the patient's included: the patient's row
    # lock makes "already with a doctor" a question nobody else can change while it is answered.
    Patient.objects.select_for_update(no_key=True).filter(pk=patient.pk).first()
    if Appointment.objects.filter(
        patient=patient, status__in=[AppointmentStatus.WAITING, AppointmentStatus.IN_PROGRESS]
    ).exists():
        raise ValidationError(_("This patient is already waiting for or in a consultation."))
    now = timezone.now()
    appointment = Appointment.objects.create(
        patient=patient,
        practitioner=practitioner,
        specialty=specialty,
        clinic_id=room.clinic_id,
        room=room,
        starts_at=now,
        ends_at=now + timedelta(minutes=link.duration or specialty.default_duration),
        status=AppointmentStatus.WAITING,
        overbooked=True,
        overbooking_reason=reason[:200],
        booked_by=by,
        checked_in_at=now,
    )
    AppointmentEvent.objects.create(
        appointment=appointment,
        from_status=AppointmentStatus.SCHEDULED,
        to_status=AppointmentStatus.WAITING,
        at=now,
        by=by,
        reason=reason[:200],
    )
    return appointment


@transaction.atomic
def appointment_reschedule(*, appointment: Appointment, starts_at: datetime, by: User, reason: str = "") -> Appointment:
    """Cancel ``appointment`` and book the same patient, practitioner and specialty at ``starts_at``.

    One transaction: if the new time cannot be booked, the old appointment stays as it was. The
    old one is cancelled first so that a move by less than its own length is possible.
    """
    old = appointment_transition(
        appointment=appointment, to=AppointmentStatus.CANCELLED, by=by, reason=reason.strip() or _("Rescheduled")
    )
    new = appointment_book(
        patient=old.patient, practitioner=old.practitioner, specialty=old.specialty, starts_at=starts_at, by=by
    )
    new.rescheduled_from = old
    new.save(update_fields=["rescheduled_from"])
    return new
