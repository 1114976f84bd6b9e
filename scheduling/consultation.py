"""Writes of the consultation: the doctor starts it, records notes, treatment and ICD-10 diagnoses, and finishes it.

Only the appointment's own practitioner records. Every write locks the appointment's row first,
so the steps of one consultation happen one after another; a finished consultation is read-only.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from patients.icd10 import icd10_entry
from scheduling.models import Appointment, AppointmentStatus, Consultation, Diagnosis
from scheduling.services import appointment_transition
from staff.models import User

# Notes and treatment are free text; this is pages of it, and keeps a pasted file out.
MAX_TEXT_LENGTH = 20_000


def may_record(appointment: Appointment, user: User) -> bool:
    """Whether ``user`` records this appointment's consultation: its practitioner, with the permission."""
    return appointment.practitioner.user_id == user.pk and user.has_perm("scheduling.change_consultation")


def _check_recorder(appointment: Appointment, by: User) -> None:
    if not may_record(appointment, by):
        raise PermissionDenied(_("Only the practitioner of the appointment records its consultation."))


def _lock_in_progress(appointment_pk: int, by: User) -> Appointment:
    """The appointment's row, locked, if ``by`` may record and the consultation is under way."""
    locked = Appointment.objects.select_for_update(of=("self",)).select_related("practitioner").get(pk=appointment_pk)
    _check_recorder(locked, by)
    if locked.status == AppointmentStatus.FINISHED:
        raise ValidationError(_("This consultation is finished and can no longer be changed."))
    if locked.status != AppointmentStatus.IN_PROGRESS:
        raise ValidationError(_("Start the consultation first."))
    return locked


def _consultation(appointment: Appointment, by: User) -> Consultation:
    consultation, _created = Consultation.objects.get_or_create(appointment=appointment, defaults={"recorded_by": by})
    return consultation


@transaction.atomic
def consultation_start(*, appointment: Appointment, by: User) -> Consultation:
    """Call the checked-in patient in: the appointment is in progress, the patient in consultation."""
    locked = Appointment.objects.select_for_update(of=("self",)).select_related("practitioner").get(pk=appointment.pk)
    _check_recorder(locked, by)
    if locked.status in (AppointmentStatus.SCHEDULED, AppointmentStatus.CONFIRMED):
        raise ValidationError(_("The patient has not checked in yet."))
    if locked.status == AppointmentStatus.IN_PROGRESS:
        raise ValidationError(_("This consultation has already started."))
    if locked.status == AppointmentStatus.FINISHED:
        raise ValidationError(_("This consultation is finished and can no longer be changed."))
    started = appointment_transition(appointment=locked, to=AppointmentStatus.IN_PROGRESS, by=by)
    return _consultation(started, by)


@transaction.atomic
def consultation_save(*, appointment: Appointment, notes: str, treatment: str, by: User) -> Consultation:
    """Record the notes and the treatment as they read now."""
    locked = _lock_in_progress(appointment.pk, by)
    notes, treatment = (notes or "").strip(), (treatment or "").strip()
    errors = {
        field: _("Keep it under %(limit)s characters.") % {"limit": MAX_TEXT_LENGTH}
        for field, text in (("notes", notes), ("treatment", treatment))
        if len(text) > MAX_TEXT_LENGTH
    }
    if errors:
        raise ValidationError(errors)
    consultation = _consultation(locked, by)
    consultation.notes, consultation.treatment, consultation.recorded_by = notes, treatment, by
    consultation.save(update_fields=["notes", "treatment", "recorded_by", "updated_at"])
    return consultation


@transaction.atomic
def diagnosis_add(*, appointment: Appointment, icd10_code: str, primary: bool, by: User) -> Diagnosis:
    """Add an ICD-10 diagnosis, its description copied from the catalog.

    The first diagnosis of a consultation is its primary one; a later one marked primary takes
    that place, so a consultation with diagnoses always has exactly one primary.
    """
    locked = _lock_in_progress(appointment.pk, by)
    try:
        entry = icd10_entry(icd10_code)
    except ValidationError as error:
        raise ValidationError({"icd10_code": error.messages}) from error
    consultation = _consultation(locked, by)
    recorded = consultation.diagnoses.all()
    if recorded.filter(icd10_code=entry.code).exists():
        raise ValidationError(
            {"icd10_code": _("%(code)s is already a diagnosis of this consultation.") % {"code": entry.code}}
        )
    primary = primary or not recorded.exists()
    if primary:
        for previous in recorded.filter(primary=True):  # saved one by one, so their history keeps the change
            previous.primary = False
            previous.save(update_fields=["primary"])
    diagnosis = Diagnosis(
        consultation=consultation, icd10_code=entry.code, description=entry.description, primary=primary, recorded_by=by
    )
    diagnosis.full_clean(exclude=["consultation", "recorded_by"], validate_constraints=False)
    try:
        with transaction.atomic():
            diagnosis.save()
    except IntegrityError as error:  # the lock makes this unreachable; the constraints still decide
        raise ValidationError({"icd10_code": _("This diagnosis changed meanwhile. Try again.")}) from error
    return diagnosis


@transaction.atomic
def diagnosis_remove(*, diagnosis: Diagnosis, by: User) -> None:
    """Remove a diagnosis; if it was the primary one, the earliest of the others becomes primary."""
    _lock_in_progress(diagnosis.consultation.appointment_id, by)
    try:
        current = Diagnosis.objects.select_for_update().get(pk=diagnosis.pk)
    except Diagnosis.DoesNotExist as error:
        raise ValidationError(_("This diagnosis was already removed.")) from error
    current.delete()
    if current.primary:
        successor = Diagnosis.objects.filter(consultation_id=current.consultation_id).order_by("recorded_at", "id")
        first = successor.first()
        if first is not None:
            first.primary = True
            first.save(update_fields=["primary"])


@transaction.atomic
def consultation_finish(*, appointment: Appointment, by: User) -> Appointment:
    """Finish the consultation (at least one diagnosis): the appointment is finished, the patient an outpatient."""
    locked = _lock_in_progress(appointment.pk, by)
    if not Diagnosis.objects.filter(consultation__appointment=locked).exists():
        raise ValidationError(_("Record at least one diagnosis before finishing the consultation."))
    return appointment_transition(appointment=locked, to=AppointmentStatus.FINISHED, by=by)
