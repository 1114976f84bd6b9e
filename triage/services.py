"""Writes of the triage app: arrival, triage, classification, routing, and leaving before being seen.

Every step locks the visit's row first, checks that the visit's state allows it, and records who
and when; two nurses pressing buttons at once see one change and a clear refusal. The database
keeps a patient at one emergency door at a time (``visit_one_open_per_patient``) even if a check
were missed.

The patient's own status (``patients.services.patient_set_status``) is left to the apps that own
each destination: the doctor's start of the urgent appointment sets "in consultation" (scheduling),
the bed makes them "admitted" (beds; a request alone changes nothing), and exams or a discharge from
the door leave it as it was. Triage itself never changes it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from beds.models import Admission, AdmissionSource, AdmissionStatus, Priority
from beds.services import admission_request
from clinic.access import require_works_in
from clinic.models import Clinic, Room
from clinic.recorded import require_past
from exams.models import Exam, OrderOrigin, OrderPriority
from exams.services import order_create
from patients.models import Patient, RiskColour
from patients.services import patient_register_provisional
from scheduling.models import Appointment, AppointmentStatus
from scheduling.services import appointment_transition, appointment_urgent
from staff.models import Practitioner, Specialty, User
from triage import rules
from triage.models import RISK_RANK, Assessment, Destination, Visit, VisitStatus

# The free texts kept on a visit or an assessment: a paragraph, not a pasted file.
MAX_NOTE = 200
MAX_TEXT = 2000
# A walk-in's age when only that is known (the birth date is then 1 January of the year).
MAX_AGE_YEARS = 130
# The thermometer's step: a temperature is kept to a tenth of a degree.
TENTH = Decimal("0.1")


def _lock(visit: Visit) -> Visit:
    return Visit.objects.select_for_update(of=("self",)).select_related("clinic", "patient").get(pk=visit.pk)


def _not_in_queue(visit: Visit) -> ValidationError:
    """Why a step that needs the walk-in at the door cannot be taken: where they went instead."""
    if visit.status == VisitStatus.LEFT:
        return ValidationError(_("This walk-in has left the emergency."), code="left")
    if visit.doctor_started_at is not None:
        return ValidationError(_("The doctor has already started with this walk-in."), code="with_doctor")
    return ValidationError(_("This walk-in is already routed."), code="routed")


def _short_text(text: str, field: str, limit: int = MAX_NOTE) -> str:
    text = (text or "").strip()
    if len(text) > limit:
        raise ValidationError({field: _("Keep it under %(limit)s characters.") % {"limit": limit}})
    return text


# Arrival -------------------------------------------------------------------------------------------


@transaction.atomic
def visit_arrive(*, clinic: Clinic, patient: Patient, by: User, note: str = "", at: datetime | None = None) -> Visit:
    """The patient is at the emergency door of ``clinic`` and waits for triage.

    The partial unique index decides between two arrivals of one patient at once: exactly one
    insert goes through, and the other gets the same message as an arrival of someone already
    waiting (at this door or another one).
    """
    require_works_in(by, clinic.pk)
    note = _short_text(note, "note", MAX_TEXT)
    if at is not None:
        require_past(at, "arrived_at")
    _refuse_if_with_a_doctor(patient)
    visit = Visit(clinic=clinic, patient=patient, arrival_note=note, arrived_at=at or timezone.now(), arrived_by=by)
    try:
        with transaction.atomic():
            visit.save()
    except IntegrityError as error:
        constraint = getattr(getattr(error.__cause__, "diag", None), "constraint_name", "") or ""
        if constraint == "visit_one_open_per_patient":
            raise ValidationError(
                _("This patient is already in the emergency queue."), code="already_in_queue"
            ) from error
        raise
    return visit


def _refuse_if_with_a_doctor(patient: Patient) -> None:
    """A patient in a consultation is with a doctor already, who sees to them: routing them to another
    from the door would be refused at the end (``appointment_urgent``), so the arrival is refused at
    once. A patient only checked in for a later consultation may still come to the door."""
    current = (
        Appointment.objects.filter(patient=patient, status=AppointmentStatus.IN_PROGRESS)
        .select_related("clinic")
        .order_by("-starts_at")
        .first()
    )
    if current is not None:
        raise ValidationError(
            _("This patient is in a consultation at %(clinic)s: the doctor there sees to them.")
            % {"clinic": current.clinic.name},
            code="in_consultation",
        )


@transaction.atomic
def walk_in_register(
    *,
    clinic: Clinic,
    by: User,
    full_name: str,
    sex: str,
    birth_date: date | None = None,
    age_years: int | None = None,
    note: str = "",
) -> Visit:
    """Register someone who arrives without documents (a provisional patient) and put them in the queue.

    Either the birth date or the age is needed; with only the age, the birth date is 1 January of
    the year it gives (in the clinic's calendar), which reception corrects when completing the
    registration. A birth date, when given, wins over the age.
    """
    if birth_date is None:
        if age_years is None:
            raise ValidationError({"birth_date": _("Give the birth date or the approximate age.")})
        if not 0 <= age_years <= MAX_AGE_YEARS:
            raise ValidationError({"age_years": _("Give an age between 0 and %(max)s years.") % {"max": MAX_AGE_YEARS}})
        birth_date = date(timezone.localdate(timezone=clinic.zone).year - age_years, 1, 1)
    patient = patient_register_provisional(
        by=by, full_name=full_name, sex=sex, birth_date=birth_date, home_clinic=clinic
    )
    return visit_arrive(clinic=clinic, patient=patient, by=by, note=note)


# Triage ----------------------------------------------------------------------------------------------


@transaction.atomic
def triage_start(*, visit: Visit, by: User) -> Visit:
    """The nurse calls the walk-in in: arrived -> in triage, with the time (kept through re-triages)."""
    locked = _lock(visit)
    if not locked.in_queue:
        raise _not_in_queue(locked)
    if locked.status == VisitStatus.IN_TRIAGE:
        raise ValidationError(_("The triage of this walk-in has already started."), code="in_triage")
    if locked.status != VisitStatus.ARRIVED:
        raise ValidationError(
            _("This walk-in is already classified: record a new assessment to re-triage."), code="classified"
        )
    locked.status = VisitStatus.IN_TRIAGE
    locked.triage_started_at = timezone.now()
    locked.save(update_fields=["status", "triage_started_at"])
    return locked


def _vital_errors(vitals: Mapping[str, int | Decimal | None]) -> dict[str, str]:
    unknown = set(vitals) - set(rules.VITAL_FIELDS)
    if unknown:
        raise TypeError(f"unknown vital signs: {sorted(unknown)}")
    errors = rules.check_possible(vitals)
    temperature = vitals.get("temperature")
    if temperature is not None and Decimal(temperature) != Decimal(temperature).quantize(TENTH):
        errors.setdefault("temperature", _("Give the temperature with one decimal place, e.g. 37.5."))
    return errors


@transaction.atomic
def assessment_record(
    *,
    visit: Visit,
    by: User,
    complaint: str,
    vitals: dict[str, int | Decimal | None],
    signs: list[str],
    risk: str = "",
    override_reason: str = "",
    started_at: datetime | None = None,
) -> Assessment:
    """Classify the walk-in (or re-classify them while they still wait): complaint, vitals, signs, colour.

    Impossible vital signs are refused per field; the suggested colour comes from ``rules.suggest``,
    and ``risk`` "" takes it. Another colour needs ``override_reason``, which is kept only then.
    The visit's colour (and so its place in the queue) follows the latest assessment; the first
    one ends the triage. ``started_at`` defaults to the triage's start for the first assessment
    and to now for a re-triage.

    When an admission was requested for the visit and still waits for a bed, its colour follows
    too: beds has no service to change a request's colour, so it is a queryset update here, in
    the same transaction (the bed board reads it from the row).
    """
    locked = _lock(visit)
    if not locked.in_queue:
        raise _not_in_queue(locked)
    errors: dict[str, list[str]] = {field: [message] for field, message in _vital_errors(vitals).items()}
    complaint = (complaint or "").strip()
    if not complaint:
        errors["complaint"] = [_("Write the chief complaint.")]
    elif len(complaint) > MAX_TEXT:
        errors["complaint"] = [_("Keep it under %(limit)s characters.") % {"limit": MAX_TEXT}]
    unknown_signs = [code for code in signs if code not in rules.DISCRIMINATOR_BY_CODE]
    if unknown_signs:
        errors["signs"] = [_("Unknown sign: %(code)s.") % {"code": ", ".join(unknown_signs)}]
    if risk and risk not in RiskColour.values:
        errors["risk"] = [_("Choose one of the colours.")]
    if errors:
        raise ValidationError(errors)

    signs = list(dict.fromkeys(signs))  # a sign ticked twice is one sign
    temperature = vitals.get("temperature")
    if temperature is not None:  # 37.50 is 37.5: the column keeps three digits
        vitals = {**vitals, "temperature": Decimal(temperature).quantize(TENTH)}
    suggested, _reasons = rules.suggest(vitals, signs)
    risk = risk or suggested
    override_reason = (override_reason or "").strip() if risk != suggested else ""
    if risk != suggested and not override_reason:
        raise ValidationError({"override_reason": _("Say why the colour differs from the suggested one.")})
    if len(override_reason) > MAX_NOTE:
        raise ValidationError({"override_reason": _("Keep it under %(limit)s characters.") % {"limit": MAX_NOTE}})

    now = timezone.now()
    first = locked.triage_ended_at is None
    if started_at is not None:
        require_past(started_at, "started_at")
    else:
        started_at = (locked.triage_started_at or now) if first else now
    assessment = Assessment(
        visit=locked,
        patient=locked.patient,
        started_at=started_at,
        finished_at=now,
        by=by,
        complaint=complaint,
        discriminators=signs,
        flags=rules.flags(vitals),
        suggested_risk=suggested,
        risk=risk,
        override_reason=override_reason,
        **{field: vitals.get(field) for field in rules.VITAL_FIELDS},
    )
    # Catches anything the checks above do not; the constraints were checked above (validating
    # them here would cost a query apiece).
    assessment.full_clean(exclude=["visit", "patient", "by"], validate_constraints=False)
    assessment.save()

    locked.risk, locked.risk_rank = risk, RISK_RANK[risk]
    fields = ["risk", "risk_rank"]
    if first:
        locked.triage_started_at = locked.triage_started_at or started_at
        locked.triage_ended_at = now
        locked.status = VisitStatus.CLASSIFIED
        fields += ["triage_started_at", "triage_ended_at", "status"]
    locked.save(update_fields=fields)
    if locked.admission_id is not None:
        Admission.objects.filter(pk=locked.admission_id, status=AdmissionStatus.REQUESTED).update(risk=risk)
    return assessment


# Routing ---------------------------------------------------------------------------------------------


def _lock_classified(visit: Visit) -> Visit:
    """The visit's row, locked, if it is classified and still waits to be routed."""
    locked = _lock(visit)
    if not locked.in_queue or locked.status == VisitStatus.ROUTED:
        raise _not_in_queue(locked)
    if locked.status != VisitStatus.CLASSIFIED:
        raise ValidationError(_("Classify the walk-in's risk before routing them."), code="unclassified")
    return locked


def _routed(visit: Visit, destination: str, *, by: User, note: str = "", in_queue: bool = False) -> Visit:
    """Record the routing on the locked ``visit`` (whose link to the destination is already set)."""
    visit.status = VisitStatus.ROUTED
    visit.destination = destination
    visit.routed_at = timezone.now()
    visit.routed_by = by
    visit.routing_note = note
    visit.in_queue = in_queue
    visit.save(
        update_fields=[
            *("status", "destination", "routed_at", "routed_by", "routing_note", "in_queue"),
            *("appointment", "admission"),
        ]
    )
    return visit


@transaction.atomic
def route_consultation(
    *, visit: Visit, practitioner: Practitioner, specialty: Specialty, room: Room, by: User, note: str = ""
) -> Visit:
    """Send the walk-in to a doctor: an urgent appointment, now, checked in, in the doctor's queue.

    The visit stays in the door's queue (routed, waiting for the doctor) until the doctor starts
    the appointment; ``triage.receivers`` takes it out then, with the doctor's start time.
    """
    note = _short_text(note, "note")
    locked = _lock_classified(visit)
    if room.clinic_id != locked.clinic_id:
        raise ValidationError({"room": _("Choose a room of this clinic.")})
    if not practitioner.is_active:
        raise ValidationError({"practitioner": _("This practitioner is no longer active.")})
    locked.appointment = appointment_urgent(
        patient=locked.patient,
        practitioner=practitioner,
        specialty=specialty,
        room=room,
        by=by,
        reason=_("Emergency · %(colour)s") % {"colour": RiskColour(locked.risk).label},
    )
    return _routed(locked, Destination.CONSULTATION, by=by, note=note, in_queue=True)


@transaction.atomic
def route_exams(
    *,
    visit: Visit,
    exams: list[Exam],
    by: User,
    priority: str = OrderPriority.URGENT,
    indication: str = "",
) -> Visit:
    """Send the walk-in for exams: one order per exam (origin triage), linked to the visit."""
    locked = _lock_classified(visit)
    chosen = list({exam.pk: exam for exam in exams}.values())
    if not chosen:
        raise ValidationError({"exams": _("Choose at least one exam.")})
    orders = [
        order_create(
            patient=locked.patient,
            exam=exam,
            clinic=locked.clinic,
            by=by,
            priority=priority,
            indication=indication,
            origin=OrderOrigin.TRIAGE,
        )
        for exam in chosen
    ]
    locked.exam_orders.add(*orders)
    return _routed(locked, Destination.EXAMS, by=by)


@transaction.atomic
def route_admission(
    *,
    visit: Visit,
    by: User,
    ward_kind: str,
    needs_isolation: bool = False,
    equipment: Iterable[str] = (),
    reason: str = "",
    priority: str = Priority.URGENT,
) -> Visit:
    """Ask for a bed for the walk-in: an admission request from triage with the visit's colour.

    The request shows on the clinic's bed board with the suggested beds; the patient's status
    changes when a bed is assigned (beds), not here.
    """
    locked = _lock_classified(visit)
    locked.admission = admission_request(
        patient=locked.patient,
        clinic=locked.clinic,
        by=by,
        source=AdmissionSource.TRIAGE,
        ward_kind=ward_kind,
        needs_isolation=needs_isolation,
        equipment=equipment,
        priority=priority,
        risk=locked.risk,
        reason=reason,
    )
    return _routed(locked, Destination.ADMISSION, by=by)


@transaction.atomic
def route_discharge(*, visit: Visit, by: User, note: str) -> Visit:
    """Send the walk-in home from the door; the note (advice given, why no doctor) is required."""
    note = _short_text(note, "note")
    if not note:
        raise ValidationError({"note": _("Write the advice given to the patient.")})
    locked = _lock_classified(visit)
    return _routed(locked, Destination.DISCHARGED, by=by, note=note)


# Leaving ---------------------------------------------------------------------------------------------


@transaction.atomic
def visit_left(*, visit: Visit, by: User, note: str = "") -> Visit:
    """The walk-in left before a doctor saw them; an urgent appointment still waiting is cancelled.

    Locks the urgent appointment (if any) before the visit: the doctor's start locks the
    appointment and then updates the visit (``triage.receivers``), and the same order here keeps
    the two from waiting on each other.
    """
    note = _short_text(note, "note")
    appointment_pk = Visit.objects.filter(pk=visit.pk).values_list("appointment", flat=True).first()
    appointment = Appointment.objects.select_for_update(of=("self",)).get(pk=appointment_pk) if appointment_pk else None
    locked = _lock(visit)
    if not locked.in_queue:
        raise _not_in_queue(locked)
    if appointment is not None and appointment.status == AppointmentStatus.WAITING:
        appointment_transition(
            appointment=appointment,
            to=AppointmentStatus.CANCELLED,
            by=by,
            reason=_("The patient left the emergency before being seen."),
        )
    locked.status = VisitStatus.LEFT
    locked.left_at = timezone.now()
    locked.in_queue = False
    locked.routing_note = note or locked.routing_note
    locked.save(update_fields=["status", "left_at", "in_queue", "routing_note"])
    return locked
