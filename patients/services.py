"""Writes to the patient registry. Every function here is one atomic change, made by a user."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.core.validators import validate_email
from django.db import DatabaseError, IntegrityError, transaction
from django.db.models import Model
from django.utils import timezone
from django.utils.translation import gettext as _

from clinic.brazil import only_digits, validate_cep, validate_cns, validate_cpf
from clinic.crypto import blind_index
from clinic.models import Clinic
from patients.documents import check_upload
from patients.icd10 import icd10_entry
from patients.models import (
    Allergy,
    ChartAccess,
    Condition,
    EmergencyContact,
    Medication,
    Patient,
    PatientDocument,
    PatientStatus,
    PatientStatusChange,
    ReminderChannel,
)
from patients.normalize import email_normal, phone_e164, search_text
from patients.signals import reminder_contact_changed
from staff.models import User

# Fields a caller may give when registering or editing a patient.
PATIENT_FIELDS = (
    "full_name",
    "social_name",
    "birth_date",
    "sex",
    "cpf",
    "cns",
    "mobile_phone",
    "home_phone",
    "email",
    "cep",
    "street",
    "number",
    "complement",
    "district",
    "city",
    "uf",
    "reminder_channel",
    "home_clinic",
)


@dataclass(frozen=True)
class ContactData:
    name: str
    relationship: str
    phone: str


def _apply_patient_fields(patient: Patient, fields: dict[str, Any]) -> dict[str, list[str]]:
    """Set and normalise the given fields; return errors for values that have no normal form.

    A value that cannot be normalised (a phone that is not a phone, a malformed CEP) is reported,
    never silently dropped.
    """
    unknown = set(fields) - set(PATIENT_FIELDS)
    if unknown:
        raise TypeError(f"unknown patient fields: {sorted(unknown)}")
    for name, value in fields.items():
        setattr(patient, name, value)
    errors: dict[str, list[str]] = {}
    if patient.cep:
        try:
            validate_cep(patient.cep)
        except ValidationError as error:
            errors["cep"] = error.messages
    for field in ("mobile_phone", "home_phone"):
        typed = getattr(patient, field)
        normal = phone_e164(typed) if typed else ""
        if typed and not normal:
            errors[field] = [_("This is not a valid phone number; include the area code (DDD).")]
        setattr(patient, field, normal)
    # The numbers are checked as typed, before punctuation is dropped: "206a108b86517" is no CPF, and
    # dropping its letters would store one nobody typed. Any caller, not only the form, is held to it.
    for field, validate in (("cpf", validate_cpf), ("cns", validate_cns)):
        typed = getattr(patient, field)
        if typed:
            try:
                validate(typed)
            except ValidationError as error:
                errors[field] = error.messages
    patient.full_name = " ".join(patient.full_name.split())
    patient.social_name = " ".join(patient.social_name.split())
    patient.cpf = only_digits(patient.cpf)
    patient.cns = only_digits(patient.cns)
    patient.cep = only_digits(patient.cep)
    patient.email = email_normal(patient.email)
    patient.search_name = search_text(f"{patient.full_name} {patient.social_name}")
    patient.cpf_hash = blind_index(patient.cpf)
    patient.cns_hash = blind_index(patient.cns)
    patient.mobile_phone_hash = blind_index(patient.mobile_phone)
    patient.home_phone_hash = blind_index(patient.home_phone)
    patient.email_hash = blind_index(patient.email)
    return errors


def _validate_patient(patient: Patient, errors: dict[str, list[str]]) -> None:
    if patient.email:
        try:
            validate_email(patient.email)
        except ValidationError as error:
            errors.setdefault("email", []).extend(error.messages)
    channel = patient.reminder_channel
    if channel in (ReminderChannel.SMS, ReminderChannel.WHATSAPP) and not patient.mobile_phone:
        errors.setdefault("mobile_phone", []).append(_("Reminders by SMS or WhatsApp need a mobile phone."))
    if channel == ReminderChannel.EMAIL and not patient.email:
        errors.setdefault("email", []).append(_("Reminders by e-mail need an e-mail address."))
    if patient.birth_date and patient.birth_date > timezone.localdate():
        errors.setdefault("birth_date", []).append(_("The birth date cannot be in the future."))
    if patient.birth_date and patient.birth_date.year < 1880:
        errors.setdefault("birth_date", []).append(_("Check the birth date: the year is too far back."))
    if patient.registration_complete and not patient.cpf:
        errors.setdefault("cpf", []).append(_("The CPF is required to complete the registration."))
    try:
        patient.full_clean(exclude=["cpf_hash", "cns_hash", "created_by"], validate_unique=False)
    except ValidationError as error:
        for field, messages in error.message_dict.items():
            errors.setdefault(field, []).extend(messages)
    if errors:
        raise ValidationError(errors)


def _save_contacts(patient: Patient, contacts: list[ContactData]) -> None:
    patient.emergency_contacts.all().delete()
    for contact in contacts:
        phone = phone_e164(contact.phone)
        if not phone:
            raise ValidationError(
                {"emergency_contacts": _("The phone of %(name)s is not a valid number.") % {"name": contact.name}}
            )
        row = EmergencyContact(
            patient=patient, name=contact.name.strip(), relationship=contact.relationship.strip(), phone=phone
        )
        row.full_clean(exclude=["patient"])
        row.save()


def _save_checking_identity(patient: Patient, **save_kwargs: Any) -> None:
    """Save, turning a clash on the CPF or CNS unique index into a message for the form.

    The unique indexes, not a look-up beforehand, decide: two receptionists registering the
    same CPF at the same moment end with one patient and one clear error.
    """
    try:
        with transaction.atomic():
            patient.save(**save_kwargs)
    except IntegrityError as error:
        constraint = getattr(getattr(error.__cause__, "diag", None), "constraint_name", "") or ""
        if "cpf" in constraint:
            raise ValidationError({"cpf": _("A patient with this CPF is already registered.")}) from error
        if "cns" in constraint:
            raise ValidationError({"cns": _("A patient with this CNS is already registered.")}) from error
        raise


@transaction.atomic
def patient_register(*, by: User, contacts: list[ContactData] | None = None, **fields: Any) -> Patient:
    patient = Patient(created_by=by)
    _validate_patient(patient, _apply_patient_fields(patient, fields))
    _save_checking_identity(patient)
    _save_contacts(patient, contacts or [])
    return patient


@transaction.atomic
def patient_update(*, patient: Patient, by: User, contacts: list[ContactData] | None = None, **fields: Any) -> Patient:
    locked = Patient.objects.select_for_update().get(pk=patient.pk)
    reached_by = _reminder_contact(locked)
    applied = _apply_patient_fields(locked, fields)
    # Saving the full registration form of a provisional patient completes it (the CPF is then required).
    locked.registration_complete = True
    _validate_patient(locked, applied)
    _save_checking_identity(locked)
    if contacts is not None:
        _save_contacts(locked, contacts)
    if _reminder_contact(locked) != reached_by:
        reminder_contact_changed.send(sender=Patient, patient=locked)
    return locked


@transaction.atomic
def patient_register_provisional(
    *, by: User, full_name: str, sex: str, birth_date: date, home_clinic: Clinic | None = None
) -> Patient:
    """Register a walk-in with the little that is known (no CPF, perhaps an estimated birth date).

    The emergency door cannot wait for documents: the patient gets a chart at once, and the
    registration stays marked incomplete until reception saves the full form with the CPF.
    """
    patient = Patient(created_by=by, registration_complete=False, reminder_channel=ReminderChannel.NONE)
    fields = {"full_name": full_name, "sex": sex, "birth_date": birth_date, "home_clinic": home_clinic}
    errors = _apply_patient_fields(patient, fields)
    if not patient.full_name:
        errors.setdefault("full_name", []).append(_("Give a name, even a provisional one (e.g. Unknown man)."))
    _validate_patient(patient, errors)
    patient.save()
    return patient


def _reminder_contact(patient: Patient) -> tuple[str, str, str]:
    return patient.reminder_channel, patient.mobile_phone_hash, patient.email_hash


@transaction.atomic
def patient_set_status(
    *, patient: Patient, status: str, by: User | None, reason: str = "", at: datetime | None = None
) -> Patient:
    """Set the status; later apps (scheduling, beds) call this as their flows move the patient.

    ``at`` is when it happened, for a step recorded after the fact (now by default).
    """
    if status not in PatientStatus.values:
        raise ValidationError({"status": _("Unknown status.")})
    locked = Patient.objects.select_for_update().get(pk=patient.pk)
    if locked.status == status:
        raise ValidationError({"status": _("The patient already has this status.")})
    PatientStatusChange.objects.create(
        patient=locked,
        from_status=locked.status,
        to_status=status,
        reason=reason.strip()[:255],
        changed_by=by,
        changed_at=at or timezone.now(),
    )
    locked.status = status
    locked.save(update_fields=["status", "updated_at"])
    return locked


def _add_history_row(row: Model) -> Model:
    row.full_clean(exclude=["patient", "recorded_by"])
    row.save()
    return row


@transaction.atomic
def condition_add(*, patient: Patient, by: User, **fields: Any) -> Condition:
    """Record a condition; its code must be one of the ICD-10 catalog's that may be coded."""
    row = Condition(patient=patient, recorded_by=by, **fields)
    row.icd10_code = row.icd10_code.strip().upper()
    row.full_clean(exclude=["patient", "recorded_by"])
    try:
        icd10_entry(row.icd10_code)
    except ValidationError as error:
        raise ValidationError({"icd10_code": error.messages}) from error
    row.save()
    return row


@transaction.atomic
def condition_set_status(*, condition: Condition, status: str, by: User) -> Condition:
    if status not in Condition.Status.values:
        raise ValidationError({"status": _("Unknown status.")})
    condition.status = status
    condition.save(update_fields=["status"])
    return condition


@transaction.atomic
def medication_add(*, patient: Patient, by: User, **fields: Any) -> Medication:
    return _add_history_row(Medication(patient=patient, recorded_by=by, **fields))  # type: ignore[return-value]


@transaction.atomic
def medication_stop(*, medication: Medication, by: User) -> Medication:
    medication.active = False
    medication.save(update_fields=["active"])
    return medication


@transaction.atomic
def allergy_add(*, patient: Patient, by: User, **fields: Any) -> Allergy:
    return _add_history_row(Allergy(patient=patient, recorded_by=by, **fields))  # type: ignore[return-value]


@transaction.atomic
def allergy_deactivate(*, allergy: Allergy, by: User) -> Allergy:
    allergy.active = False
    allergy.save(update_fields=["active"])
    return allergy


@transaction.atomic
def document_upload(*, patient: Patient, uploaded: UploadedFile, kind: str, title: str, by: User) -> PatientDocument:
    """Store a PDF, JPEG or PNG for a patient; the type is read from the content."""
    checked = check_upload(uploaded)
    document = PatientDocument(
        patient=patient,
        kind=kind,
        title=title.strip(),
        content_type=checked.content_type,
        size=checked.size,
        sha256=checked.sha256,
        uploaded_by=by,
    )
    document.full_clean(exclude=["file", "patient", "uploaded_by"])
    document.file.save(checked.stored_name, uploaded, save=False)
    try:
        document.save()
    except DatabaseError:
        document.file.delete(save=False)
        raise
    return document


# Serialises appends to the chart access log so each entry chains to the one before it.
_ACCESS_LOG_LOCK = 0x636C696E69630001


@transaction.atomic
def chart_access_record(
    *,
    user: User,
    patient: Patient,
    action: str,
    document: PatientDocument | None = None,
    ip_address: str | None = None,
    user_agent: str = "",
) -> ChartAccess:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_ACCESS_LOG_LOCK])
    last = ChartAccess.objects.order_by("-id").values_list("entry_hash", flat=True).first()
    entry = ChartAccess(
        at=timezone.now(),
        user=user,
        patient=patient,
        action=action,
        document=document,
        ip_address=ip_address,
        user_agent=user_agent[:255],
        previous_hash=last or "",
    )
    entry.entry_hash = entry.compute_hash()
    entry.save()
    return entry
