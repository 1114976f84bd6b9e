"""Appointment reminders: rows in the outbox, planned at booking and cancelled with the appointment.

Each clinic says when its patients are reminded (``Clinic.reminder_hours``, 48 and 2 hours
before by default). A reminder goes by the patient's preferred channel, in Portuguese, with the
clinic, its address, the date and time in the clinic's time zone and a single-use link to
confirm or cancel; never the specialty, the practitioner or anything clinical.
"""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone, translation
from django.utils.formats import date_format, time_format
from django.utils.translation import gettext as _

from clinic.crypto import blind_index
from clinic.models import Clinic
from messaging.models import Message
from messaging.selectors import message_exists
from messaging.services import message_enqueue, messages_cancel
from patients.models import Patient
from patients.selectors import message_address
from scheduling.links import link_create, link_url
from scheduling.models import Appointment, AppointmentStatus

PURPOSE = "appointment_reminder"
LANGUAGE = "pt-br"


def _first_name(patient: Patient) -> str:
    words = (patient.social_name or patient.full_name).split()
    return words[0] if words else ""


def _clinic_address(clinic: Clinic) -> str:
    street = ", ".join(part for part in (clinic.street, clinic.number) if part)
    place = f"{clinic.city}/{clinic.uf}" if clinic.uf else clinic.city
    return " - ".join(part for part in (street, clinic.district, place) if part)


def reminder_text(appointment: Appointment, url: str) -> tuple[str, str]:
    """Subject and text of a reminder, in the active language. Nothing clinical goes in them."""
    clinic = appointment.clinic
    local = timezone.localtime(appointment.starts_at, clinic.zone)
    values = {
        "name": _first_name(appointment.patient),
        "clinic": clinic.name,
        "address": _clinic_address(clinic),
        "day": f"{date_format(local, 'l')}, {date_format(local, 'SHORT_DATE_FORMAT')}",
        "time": time_format(local, "H:i"),
        "link": url,
    }
    subject = _("Appointment reminder: %(clinic)s, %(day)s at %(time)s") % values
    body = (
        _(
            "Hello, %(name)s! This is a reminder of your appointment at %(clinic)s (%(address)s) "
            "on %(day)s at %(time)s. To confirm or cancel, open %(link)s"
        )
        % values
    )
    return subject, body


def reminders_plan(appointment: Appointment) -> list[Message]:
    """Put the clinic's reminders of ``appointment`` in the outbox; returns the ones planned now.

    Skips reminder times already past, patients who opted out or lack the contact of their
    channel, and reminders already planned (planning twice plans nothing new). Call it in the
    transaction that books the appointment, so that both stand or fall together.
    """
    recipient = message_address(appointment.patient)
    if recipient is None:
        return []
    channel, to = recipient
    clinic = appointment.clinic
    now = timezone.now()
    planned = []
    for hours in sorted(set(clinic.reminder_hours), reverse=True):
        send_after = appointment.starts_at - timedelta(hours=hours)
        # The recipient is part of the key: a patient who changes number or channel is planned
        # afresh, and planning again for the same recipient plans nothing new.
        key = f"{PURPOSE}:{appointment.pk}:{hours}h:{blind_index(f'{channel}:{to}')[:16]}"
        if send_after <= now or message_exists(key):
            continue
        url = link_url(link_create(appointment))
        with translation.override(LANGUAGE):
            subject, body = reminder_text(appointment, url)
        planned.append(
            message_enqueue(
                channel=channel,
                to=to,
                subject=subject,
                body=body,
                purpose=PURPOSE,
                dedupe_key=key,
                about=appointment,
                clinic=clinic,
                send_after=send_after,
                expires_at=appointment.starts_at,
            )
        )
    return planned


def reminders_cancel(appointment: Appointment) -> int:
    """Cancel the reminders of ``appointment`` not yet sent; returns how many."""
    return messages_cancel(about=appointment, purpose=PURPOSE)


def reminders_replan_for_patient(*, patient: Patient) -> None:
    """The patient changed how they are reminded: cancel what is pending and plan again.

    An opt-out ends with nothing planned; a new number or channel gets its own reminders.
    """
    upcoming = Appointment.objects.filter(
        patient=patient,
        status__in=[AppointmentStatus.SCHEDULED, AppointmentStatus.CONFIRMED],
        starts_at__gt=timezone.now(),
    ).select_related("clinic", "patient")
    for appointment in upcoming:
        reminders_cancel(appointment)
        reminders_plan(appointment)


def on_reminder_contact_changed(sender: object, *, patient: Patient, **kwargs: object) -> None:
    reminders_replan_for_patient(patient=patient)
