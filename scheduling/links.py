"""Signed links that let a patient confirm or cancel an appointment without an account.

A link is ``/r/<token>/`` where the token is a random nonce signed with ``django.core.signing``
under this module's own salt. The nonce names an ``AppointmentLink`` row, which makes the link
single-use (``used_at``); the link works until the appointment starts. A tampered token fails
its signature before any database look-up.
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from scheduling.models import Appointment, AppointmentLink, AppointmentStatus

SALT = "scheduling.appointment-link"
# What a link can still do for an appointment in each status.
OPEN_STATUSES = (AppointmentStatus.SCHEDULED, AppointmentStatus.CONFIRMED)


class LinkRefused(Exception):
    """The link cannot be used. ``title`` and ``reason`` are for the patient; ``status`` is the HTTP answer."""

    def __init__(self, title: str, reason: str, status: int) -> None:
        super().__init__(reason)
        self.title = title
        self.reason = reason
        self.status = status


def _signer() -> signing.Signer:
    return signing.Signer(salt=SALT)


def link_create(appointment: Appointment) -> str:
    """A new single-use link for ``appointment``; returns its token."""
    nonce = secrets.token_urlsafe(16)
    AppointmentLink.objects.create(appointment=appointment, nonce=nonce)
    return _signer().sign(nonce)


def link_url(token: str) -> str:
    """The link as the patient receives it, absolute (``SITE_URL``)."""
    return settings.SITE_URL + reverse("public:appointment-link", args=[token])


def _nonce(token: str) -> str:
    try:
        return _signer().unsign(token)
    except signing.BadSignature as error:
        raise _invalid() from error


def _invalid() -> LinkRefused:
    return LinkRefused(
        _("This link is not valid"),
        _("The address may be incomplete or mistyped. Open the link exactly as you received it, or call the clinic."),
        400,
    )


def _check(link: AppointmentLink) -> None:
    """Refuse a link that was used, whose appointment has started, or whose appointment is closed."""
    if link.used_at is not None:
        raise LinkRefused(
            _("This link has already been used"),
            _("Each link works once. To change your appointment again, please call the clinic."),
            410,
        )
    appointment = link.appointment
    if timezone.now() >= appointment.starts_at:
        raise LinkRefused(
            _("This link has expired"),
            _("The link worked until the time of the appointment. Please call the clinic."),
            410,
        )
    if appointment.status not in OPEN_STATUSES:
        raise LinkRefused(
            _("This appointment can no longer be changed here"),
            _("It was cancelled or has already taken place. Please call the clinic."),
            410,
        )


def link_open(token: str) -> AppointmentLink:
    """The link of ``token`` with its appointment and clinic, if it can still be used."""
    link = AppointmentLink.objects.select_related("appointment__clinic").filter(nonce=_nonce(token)).first()
    if link is None:
        raise _invalid()
    _check(link)
    return link


@transaction.atomic
def link_use(*, token: str, action: str) -> Appointment:
    """Confirm or cancel the appointment of ``token`` for the patient, and spend the link.

    The link's row is locked first, so the same link pressed twice at once acts once; the change
    itself goes through ``appointment_transition`` (its rules, its event with ``by`` empty: the
    patient). Anything refused raises ``LinkRefused`` and changes nothing.
    """
    # Imported here: scheduling.services imports the reminders, which import this module.
    from scheduling.services import appointment_transition

    if action not in AppointmentLink.Action.values:
        raise LinkRefused(_("Unknown request"), _("Choose Confirm or Cancel on the page of the link."), 400)
    nonce = _nonce(token)
    link = AppointmentLink.objects.select_for_update().select_related("appointment__clinic").filter(nonce=nonce).first()
    if link is None:
        raise _invalid()
    _check(link)
    appointment = link.appointment
    if action == AppointmentLink.Action.CONFIRM and appointment.status == AppointmentStatus.CONFIRMED:
        raise LinkRefused(
            _("Your appointment is already confirmed"),
            _("Nothing needed changing. We look forward to seeing you."),
            410,
        )
    try:
        if action == AppointmentLink.Action.CONFIRM:
            appointment = appointment_transition(appointment=appointment, to=AppointmentStatus.CONFIRMED, by=None)
        else:
            appointment = appointment_transition(
                appointment=appointment,
                to=AppointmentStatus.CANCELLED,
                by=None,
                reason=_("Cancelled by the patient"),
            )
    except ValidationError as error:  # the appointment changed between the look and the lock
        raise LinkRefused(_("This appointment can no longer be changed here"), " ".join(error.messages), 410) from error
    link.used_at = timezone.now()
    link.action = action
    link.save(update_fields=["used_at", "action"])
    return appointment
