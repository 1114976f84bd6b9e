"""Writes of the exams app: an order's steps from the request to the released result.

requested -> scheduled -> collected (or performed) -> resulted -> released, or cancelled. Every step
locks the order's row, checks its status, records who and when on the order and writes an
``OrderEvent``. A refused step raises ``ValidationError`` before it writes anything. The release is
the one step that tells people: the patient (that a result is ready, nothing more) and the doctor
who ordered it, in the same transaction, each at most once.
"""

from __future__ import annotations

import logging
import os
import re
from datetime import datetime
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import DatabaseError, IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from beds.models import Admission
from clinic.access import require_works_in
from clinic.models import Clinic
from clinic.recorded import require_past
from exams.models import (
    ORDER_TRANSITIONS,
    PRIORITY_RANK,
    UNIT_KIND,
    Analyte,
    Exam,
    ExamKind,
    ExamOrder,
    Flag,
    OrderEvent,
    OrderOrigin,
    OrderPriority,
    OrderStatus,
    ResultAttachment,
    ResultValue,
    ValueKind,
)
from exams.ranges import flag_for, range_for
from messaging.models import Audience, Channel
from messaging.services import message_enqueue, notify
from patients.documents import check_upload
from patients.models import Patient
from patients.selectors import message_address
from scheduling.models import TRANSITIONS as APPOINTMENT_TRANSITIONS
from scheduling.models import AppointmentStatus, Consultation
from scheduling.services import appointment_book, appointment_transition
from staff.models import CareUnit, Practitioner, PractitionerSpecialty, User

logger = logging.getLogger(__name__)

RESULT_READY = "exam-result-ready"
# The stations' clocks and the server's differ a little; a time further ahead than this is a mistake.
MAX_INDICATION = 2000
MAX_REPORT = 20000
MAX_REASON = 200
# ResultValue.number holds 12 digits, 4 of them after the point.
_LARGEST_NUMBER = Decimal(10) ** 8
# Digits with at most one decimal separator, comma or dot: "12", "12,5", "-0.75", ",5".
_NUMBER = re.compile(r"^[+-]?(\d+([.,]\d*)?|[.,]\d+)$")


# Steps ------------------------------------------------------------------------------------------


def _lock(order: ExamOrder) -> ExamOrder:
    return (
        ExamOrder.objects.select_for_update(of=("self",))
        .select_related("exam", "patient", "clinic", "appointment", "ordered_by")
        .get(pk=order.pk)
    )


def _record(order: ExamOrder, to: str, *, by: User | None, at: datetime, note: str = "", fields: list[str]) -> None:
    """Move the locked ``order`` to ``to``, save ``fields`` besides the status, and write the step down."""
    OrderEvent.objects.create(order=order, from_status=order.status, to_status=to, at=at, by=by, note=note[:200])
    order.status = to
    order.save(update_fields=["status", *fields])


def _cancelled(order: ExamOrder) -> ValidationError:
    return ValidationError(_("This order is cancelled."), code="cancelled")


def _cancel_appointment(order: ExamOrder, *, by: User, reason: str) -> None:
    """Free the time booked for ``order``, unless it is already over (done, cancelled, missed)."""
    appointment = order.appointment
    if appointment is not None and AppointmentStatus.CANCELLED in APPOINTMENT_TRANSITIONS.get(appointment.status, ()):
        appointment_transition(appointment=appointment, to=AppointmentStatus.CANCELLED, by=by, reason=reason)


def _default_unit(clinic: Clinic, exam: Exam) -> CareUnit:
    unit = (
        CareUnit.objects.filter(clinic=clinic, kind=UNIT_KIND[ExamKind(exam.kind)], is_active=True)
        .order_by("name", "pk")
        .first()
    )
    if unit is None:
        if exam.kind == ExamKind.IMAGING:
            raise ValidationError(_("This clinic has no imaging unit to do this exam."), code="no_unit")
        raise ValidationError(_("This clinic has no laboratory to do this exam."), code="no_unit")
    return unit


def _check_unit(unit: CareUnit, clinic: Clinic, exam: Exam) -> None:
    if unit.clinic_id != clinic.pk or not unit.is_active:
        raise ValidationError({"unit": _("Choose an active unit of this clinic.")})
    if unit.kind != UNIT_KIND[ExamKind(exam.kind)]:
        raise ValidationError({"unit": _("This unit does not do this kind of exam.")})


@transaction.atomic
def order_create(
    *,
    patient: Patient,
    exam: Exam,
    clinic: Clinic,
    by: User,
    priority: str = OrderPriority.ROUTINE,
    indication: str = "",
    origin: str = OrderOrigin.CHART,
    consultation: Consultation | None = None,
    admission: Admission | None = None,
    unit: CareUnit | None = None,
) -> ExamOrder:
    """Ask for ``exam`` for ``patient``; the order lands on the worklist of ``unit``.

    ``unit`` defaults to the clinic's active laboratory (or imaging unit, for an imaging exam), the
    first by name. The consultation or admission it comes from, when given, must be the patient's.
    """
    errors: dict[str, str] = {}
    if not exam.is_active:
        errors["exam"] = _("This exam is no longer offered.")
    if priority not in OrderPriority.values:
        errors["priority"] = _("Choose a priority from the list.")
    if origin not in OrderOrigin.values:
        errors["origin"] = _("Choose where the order comes from.")
    indication = indication.strip()
    if len(indication) > MAX_INDICATION:
        errors["indication"] = _("Keep the indication under %(limit)s characters.") % {"limit": MAX_INDICATION}
    if consultation is not None and consultation.appointment.patient_id != patient.pk:
        errors["consultation"] = _("This consultation is of another patient.")
    if admission is not None and admission.patient_id != patient.pk:
        errors["admission"] = _("This admission is of another patient.")
    if errors:
        raise ValidationError(errors)
    if not clinic.is_active:
        raise ValidationError(_("This clinic is closed."))
    require_works_in(by, clinic.pk)
    if unit is None:
        unit = _default_unit(clinic, exam)
    else:
        _check_unit(unit, clinic, exam)
    now = timezone.now()
    order = ExamOrder.objects.create(
        patient=patient,
        exam=exam,
        clinic=clinic,
        unit=unit,
        priority=priority,
        priority_rank=PRIORITY_RANK[OrderPriority(priority)],
        origin=origin,
        consultation=consultation,
        admission=admission,
        indication=indication,
        ordered_at=now,
        ordered_by=by,
    )
    OrderEvent.objects.create(order=order, from_status="", to_status=OrderStatus.REQUESTED, at=now, by=by)
    return order


@transaction.atomic
def order_schedule(*, order: ExamOrder, practitioner: Practitioner, starts_at: datetime, by: User) -> ExamOrder:
    """Book the time of an exam done in a room or on a device, through the practitioners' free slots.

    The booking follows the same rules as an appointment (``appointment_book``): a time taken in
    the meantime raises ``SlotTaken`` and leaves the order as it was. Rescheduling a scheduled
    order cancels its earlier appointment in the same transaction, so a refused new time keeps it.
    """
    locked = _lock(order)
    exam = locked.exam
    if locked.status == OrderStatus.CANCELLED:
        raise _cancelled(locked)
    if not exam.needs_scheduling or exam.specialty is None:
        raise ValidationError(_("This exam needs no booked time."), code="no_scheduling")
    if locked.status not in (OrderStatus.REQUESTED, OrderStatus.SCHEDULED):
        raise ValidationError(_("Only an order still to be done can be scheduled."), code="not_requested")
    if not PractitionerSpecialty.objects.filter(practitioner=practitioner, specialty=exam.specialty).exists():
        raise ValidationError(
            {"practitioner": _("%(name)s does not perform this exam.") % {"name": practitioner.user.get_full_name()}}
        )
    rescheduling = locked.status == OrderStatus.SCHEDULED
    if rescheduling:
        _cancel_appointment(locked, by=by, reason=_("Exam rescheduled"))
    appointment = appointment_book(
        patient=locked.patient, practitioner=practitioner, specialty=exam.specialty, starts_at=starts_at, by=by
    )
    if appointment.clinic_id != locked.clinic_id:
        raise ValidationError(
            {
                "starts_at": _("This time is in another clinic; choose a time at %(clinic)s.")
                % {"clinic": locked.clinic.name}
            }
        )
    locked.appointment = appointment
    local = timezone.localtime(appointment.starts_at, locked.clinic.zone)
    note = _("Rescheduled to %(when)s") if rescheduling else _("Booked for %(when)s")
    _record(
        locked,
        OrderStatus.SCHEDULED,
        by=by,
        at=timezone.now(),
        note=note % {"when": local.strftime("%Y-%m-%d %H:%M")},
        fields=["appointment"],
    )
    return locked


@transaction.atomic
def order_collect(*, order: ExamOrder, by: User, at: datetime | None = None) -> ExamOrder:
    """The specimen was collected (or the exam performed): the order waits for its result.

    A scheduled order's appointment is left alone; the agenda follows its own flow.
    """
    at = at or timezone.now()
    require_past(at)
    locked = _lock(order)
    if locked.status == OrderStatus.CANCELLED:
        raise _cancelled(locked)
    if OrderStatus.COLLECTED not in ORDER_TRANSITIONS[locked.status]:
        raise ValidationError(_("This order was already collected or performed."), code="collected")
    if at < locked.ordered_at:
        raise ValidationError({"at": _("The collection cannot be before the order.")})
    locked.collected_at = at
    locked.collected_by = by
    _record(locked, OrderStatus.COLLECTED, by=by, at=at, fields=["collected_at", "collected_by"])
    return locked


# Results ----------------------------------------------------------------------------------------


def parse_number(typed: str) -> Decimal | None:
    """``typed`` as a number, with a comma or a dot as decimal separator; None if it is not one.

    Only digits, a sign and one separator: no thousands separators (is "7.500" seven and a half or
    seven thousand five hundred?), no exponents, no NaN or Infinity.
    """
    text = typed.strip()
    if not _NUMBER.match(text):
        return None
    try:
        return Decimal(text.replace(",", "."))
    except InvalidOperation:
        return None


def _places(number: Decimal) -> int:
    exponent = number.as_tuple().exponent
    return -exponent if isinstance(exponent, int) and exponent < 0 else 0


def _typed_number(analyte: Analyte, typed: str) -> Decimal | str:
    """The typed number of ``analyte`` quantised to its decimals, or the message saying what is wrong.

    More decimal places than the analyte keeps are refused rather than rounded away: for a whole
    number such as leukocytes they are most likely a thousands separator ("7.500").
    """
    number = parse_number(typed)
    if number is None:
        return _("'%(value)s' is not a number.") % {"value": typed}
    if _places(number) > analyte.decimals:
        if analyte.decimals == 0:
            return _("%(analyte)s is a whole number: write it without a decimal or thousands separator.") % {
                "analyte": analyte.name
            }
        message = ngettext(
            "%(analyte)s takes at most %(places)s decimal place.",
            "%(analyte)s takes at most %(places)s decimal places.",
            analyte.decimals,
        )
        return message % {"analyte": analyte.name, "places": analyte.decimals}
    number = number.quantize(Decimal(1).scaleb(-analyte.decimals))
    if abs(number) >= _LARGEST_NUMBER:
        return _("%(value)s is too large for %(analyte)s.") % {"value": typed, "analyte": analyte.name}
    return number


def _judged_values(
    order: ExamOrder, analytes: list[Analyte], values: dict[int, tuple[str, str]]
) -> tuple[list[ResultValue], dict[str, str]]:
    """The rows to store for ``values`` (analyte pk -> typed value and unit), or the errors by form field.

    Fields are ``value_<analyte pk>`` and ``unit_<analyte pk>``. A lab exam needs every analyte; an
    imaging exam's values are optional. Each number is judged against the range for the patient's
    sex and age (in whole years) on the day of collection. A text analyte takes the text as typed
    and its own unit, whatever unit was typed.
    """
    by_pk = {analyte.pk: analyte for analyte in analytes}
    errors: dict[str, str] = {}
    unknown = set(values) - set(by_pk)
    if unknown:
        errors["__all__"] = _("A value was given for something this exam does not measure.")
    collected_on = timezone.localtime(order.collected_at or timezone.now(), order.clinic.zone).date()
    patient = order.patient
    age = patient.age(on=collected_on)
    rows: list[ResultValue] = []
    for analyte in analytes:
        typed_value, typed_unit = values.get(analyte.pk, ("", ""))
        typed_value, typed_unit = (typed_value or "").strip(), (typed_unit or "").strip()
        value_field, unit_field = f"value_{analyte.pk}", f"unit_{analyte.pk}"
        if not typed_value:
            if order.exam.kind == ExamKind.LAB:
                errors[value_field] = _("Give the value of %(analyte)s.") % {"analyte": analyte.name}
            continue
        row = ResultValue(order=order, analyte=analyte, patient=patient, unit=analyte.unit)
        if analyte.value_kind == ValueKind.TEXT:
            if len(typed_value) > 200:
                errors[value_field] = _("Keep the value of %(analyte)s under 200 characters.") % {
                    "analyte": analyte.name
                }
                continue
            row.text = typed_value
            rows.append(row)
            continue
        if typed_unit != analyte.unit and not analyte.unit:
            errors[unit_field] = _("%(analyte)s has no unit.") % {"analyte": analyte.name}
        elif typed_unit != analyte.unit:
            errors[unit_field] = (
                _("The unit of %(analyte)s is %(unit)s, not %(typed)s.")
                % {"analyte": analyte.name, "unit": analyte.unit, "typed": typed_unit}
                if typed_unit
                else _("Give the unit of %(analyte)s: %(unit)s.") % {"analyte": analyte.name, "unit": analyte.unit}
            )
        number = _typed_number(analyte, typed_value)
        if isinstance(number, str):
            errors[value_field] = number
            continue
        reference = range_for(analyte.ranges.all(), sex=patient.sex, age_years=age)
        row.number = number
        row.flag = flag_for(number, reference)
        if reference is not None:
            row.reference_low, row.reference_high = reference.low, reference.high
        rows.append(row)
    return rows, errors


@transaction.atomic
def results_enter(*, order: ExamOrder, by: User, values: dict[int, tuple[str, str]], report: str = "") -> ExamOrder:
    """Record the result of a collected order: a value per analyte (flagged against its range) and a report.

    ``values`` maps an analyte's pk to the value and unit as typed. Entering again before the
    release corrects the result: the values are replaced, and whoever entered last is the one who
    may not release it. Everything is checked before anything is written; errors come keyed by
    form field (``value_<pk>``, ``unit_<pk>``, ``report``).
    """
    locked = _lock(order)
    if locked.status == OrderStatus.CANCELLED:
        raise ValidationError(_("This order is cancelled: no result can be entered."), code="cancelled")
    if locked.status == OrderStatus.RELEASED:
        raise ValidationError(
            _("This result was already released: it can no longer be changed."), code="already_released"
        )
    if OrderStatus.RESULTED not in ORDER_TRANSITIONS[locked.status]:
        raise ValidationError(
            _("The specimen must be collected (or the exam performed) before its result is entered."),
            code="not_collected",
        )
    analytes = list(Analyte.objects.filter(exam=locked.exam).prefetch_related("ranges").order_by("position", "pk"))
    rows, errors = _judged_values(locked, analytes, values)
    report = report.strip()
    if len(report) > MAX_REPORT:
        errors["report"] = _("Keep the report under %(limit)s characters.") % {"limit": MAX_REPORT}
    elif locked.exam.kind == ExamKind.IMAGING and not report:
        errors["report"] = _("Write the report of this exam.")
    if errors:
        raise ValidationError(errors)
    correcting = locked.status == OrderStatus.RESULTED
    if correcting:
        for stale in ResultValue.objects.filter(order=locked).order_by("pk"):
            stale.delete()
    for row in rows:
        row.save()
    now = timezone.now()
    locked.resulted_at = now
    locked.resulted_by = by
    locked.report = report
    _record(
        locked,
        OrderStatus.RESULTED,
        by=by,
        at=now,
        note=_("Result corrected") if correcting else "",
        fields=["resulted_at", "resulted_by", "report"],
    )
    return locked


@transaction.atomic
def attachment_add(*, order: ExamOrder, uploaded: UploadedFile, by: User) -> ResultAttachment:
    """Attach a PDF, JPEG or PNG to an order's result; the type is read from the content, as for chart documents."""
    locked = _lock(order)
    if locked.status == OrderStatus.CANCELLED:
        raise ValidationError(_("This order is cancelled: nothing can be attached to it."), code="cancelled")
    if locked.status == OrderStatus.RELEASED:
        raise ValidationError(
            _("This result was already released: nothing can be attached to it."), code="already_released"
        )
    checked = check_upload(uploaded)
    # The name shown is the uploader's (without any folder); the stored name is ours.
    shown = " ".join(os.path.basename((uploaded.name or "").replace("\\", "/")).split())[:200]
    attachment = ResultAttachment(
        order=locked,
        name=shown or f"{locked.exam.code}.{checked.extension}",
        content_type=checked.content_type,
        size=checked.size,
        sha256=checked.sha256,
        uploaded_by=by,
    )
    attachment.file.save(checked.stored_name, uploaded, save=False)
    try:
        attachment.save()
    except DatabaseError:
        attachment.file.delete(save=False)
        raise
    return attachment


# Release ----------------------------------------------------------------------------------------


def _four_eyes() -> ValidationError:
    return ValidationError(_("A result must be released by someone other than who entered it."), code="same_person")


@transaction.atomic
def result_release(*, order: ExamOrder, by: User) -> ExamOrder:
    """Release an entered result: it reaches the chart, the patient is told it is ready, the doctor notified.

    A second person releases (the database holds that rule too). Two releases at once: the row
    lock lets one through and the other finds the result released.
    """
    if not by.has_perm("exams.release_result"):
        raise PermissionDenied(_("You may not release exam results."))
    locked = _lock(order)
    if locked.status == OrderStatus.RELEASED:
        raise ValidationError(_("This result was already released."), code="already_released")
    if locked.status == OrderStatus.CANCELLED:
        raise _cancelled(locked)
    if locked.status != OrderStatus.RESULTED:
        raise ValidationError(_("There is no result to release yet."), code="not_resulted")
    if locked.resulted_by_id == by.pk:
        raise _four_eyes()
    now = timezone.now()
    locked.released_at = now
    locked.released_by = by
    try:
        with transaction.atomic():
            _record(locked, OrderStatus.RELEASED, by=by, at=now, fields=["released_at", "released_by"])
    except IntegrityError as error:
        if "exam_order_released_by_another" in str(error):
            raise _four_eyes() from error
        raise
    result_release_notify(order=locked)
    return locked


def _patient_text(clinic: Clinic) -> tuple[str, str]:
    """Subject and text for the patient: the clinic and how to get the result; no exam, no value."""
    values = {"clinic": clinic.name, "phone": clinic.phone}
    subject = _("%(clinic)s: your exam result is ready") % values
    if clinic.phone:
        body = _("%(clinic)s: your exam result is ready. Ask for it at reception or call %(phone)s.") % values
    else:
        body = _("%(clinic)s: your exam result is ready. Ask for it at reception.") % values
    return subject, body


def _doctor_note(order: ExamOrder) -> tuple[str, str]:
    """Title and text of the note in the site (behind sign-in): the exam and the patient, never a value."""
    title = _("Result released: %(exam)s — %(patient)s") % {
        "exam": order.exam.name,
        "patient": order.patient.display_name,
    }
    abnormal = order.values.exclude(flag=Flag.NORMAL).count()
    if not abnormal:
        return title, ""
    return title, ngettext(
        "%(count)s value is outside the reference range.",
        "%(count)s values are outside the reference range.",
        abnormal,
    ) % {"count": abnormal}


def doctor_email_texts(url: str) -> tuple[str, str]:
    """Subject and body of the e-mail to the ordering doctor: only that a result awaits them in the
    site. E-mail leaves the building and sits in mailboxes and servers we do not control, so it
    names neither the patient nor the exam (the note in the site, behind sign-in, does)."""
    subject = _("An exam result awaits you")
    body = _("A result of an exam you ordered was released. Sign in to see it: %(link)s") % {
        "link": settings.SITE_URL + url
    }
    return subject, body


def result_release_notify(*, order: ExamOrder) -> None:
    """Tell the patient and the ordering doctor that ``order``'s result is out; at most once each.

    Each message and note is keyed (``exam-result:<pk>:patient``, ``:doctor``, ``:doctor-email``),
    so calling this again, or after a retry, adds nothing. The patient hears by their preferred
    channel only that a result is ready (no exam, no value: it may be read by anyone holding the
    phone); the doctor gets a note in the site naming exam and patient, and an e-mail saying only
    that a result awaits them there (it names neither). Texts are in
    the site's language: they are stored, and read later by whoever opens them. Call it in the
    releasing transaction; the outbox sends after commit.
    """
    if order.status != OrderStatus.RELEASED:
        raise ValidationError(_("There is no released result to tell anyone about."), code="not_released")
    key = f"exam-result:{order.pk}"
    url = reverse("exams:order", args=[order.pk])
    with translation.override(settings.LANGUAGE_CODE):
        recipient = message_address(order.patient)
        if recipient is not None:
            subject, body = _patient_text(order.clinic)
            message_enqueue(
                channel=recipient[0],
                to=recipient[1],
                subject=subject,
                body=body,
                purpose=RESULT_READY,
                dedupe_key=f"{key}:patient",
                about=order,
                clinic=order.clinic,
            )
        doctor = order.ordered_by
        title, note = _doctor_note(order)
        notify(
            recipient=doctor,
            title=title,
            body=note,
            url=url,
            purpose=RESULT_READY,
            dedupe_key=f"{key}:doctor",
            about=order,
        )
        if doctor.email:
            subject, email_body = doctor_email_texts(url)
            try:
                message_enqueue(
                    channel=Channel.EMAIL,
                    to=doctor.email,
                    subject=subject,
                    body=email_body,
                    purpose=RESULT_READY,
                    dedupe_key=f"{key}:doctor-email",
                    about=order,
                    clinic=order.clinic,
                    audience=Audience.STAFF,
                )
            except ValidationError:
                # A malformed staff address must not undo the release; the note in the site still tells them.
                logger.warning("exam order %s: the ordering doctor's e-mail address is not usable", order.pk)


# Cancelling -------------------------------------------------------------------------------------


@transaction.atomic
def order_cancel(*, order: ExamOrder, by: User, reason: str) -> ExamOrder:
    """Withdraw an order that has no released result; a time booked for it is cancelled too."""
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": _("Say why the order is cancelled.")})
    if len(reason) > MAX_REASON:
        raise ValidationError({"reason": _("Keep the reason under %(limit)s characters.") % {"limit": MAX_REASON}})
    locked = _lock(order)
    if locked.status == OrderStatus.CANCELLED:
        raise ValidationError(_("This order is already cancelled."), code="cancelled")
    if locked.status == OrderStatus.RELEASED:
        raise ValidationError(_("A released result cannot be cancelled."), code="already_released")
    _cancel_appointment(locked, by=by, reason=reason)
    now = timezone.now()
    locked.cancelled_at = now
    locked.cancelled_by = by
    locked.cancel_reason = reason
    _record(
        locked,
        OrderStatus.CANCELLED,
        by=by,
        at=now,
        note=reason,
        fields=["cancelled_at", "cancelled_by", "cancel_reason"],
    )
    return locked
