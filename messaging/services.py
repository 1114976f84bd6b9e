"""Writes of the outbox that any app calls: plan a message, cancel the ones still waiting.

Sending itself is in ``messaging/sender.py``; apps never send directly, they put a row here.
"""

from __future__ import annotations

import logging
from datetime import datetime

import phonenumbers
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from clinic.models import Clinic
from messaging.models import Channel, Message, MessageStatus

logger = logging.getLogger(__name__)


def address_normal(*, channel: str, to: str) -> str:
    """The recipient as providers want it: E.164 for SMS and WhatsApp, the e-mail address as typed.

    Raises ``ValidationError`` when ``to`` cannot be an address of ``channel``.
    """
    to = (to or "").strip()
    if channel == Channel.EMAIL:
        validate_email(to)
        return to
    if channel not in (Channel.SMS, Channel.WHATSAPP):
        raise ValidationError(_("Unknown channel."))
    try:
        number = phonenumbers.parse(to, None)
    except phonenumbers.NumberParseException as error:
        raise ValidationError(_("A phone number must be in E.164 form, such as +5511987654321.")) from error
    if not to.startswith("+") or not phonenumbers.is_possible_number(number):
        raise ValidationError(_("A phone number must be in E.164 form, such as +5511987654321."))
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _about_reference(about: models.Model | None) -> tuple[ContentType | None, int | None]:
    if about is None:
        return None, None
    return ContentType.objects.get_for_model(about), about.pk


@transaction.atomic
def message_enqueue(
    *,
    channel: str,
    to: str,
    body: str,
    purpose: str,
    dedupe_key: str,
    subject: str = "",
    about: models.Model | None = None,
    clinic: Clinic | None = None,
    send_after: datetime | None = None,
    expires_at: datetime | None = None,
) -> Message:
    """Put a message in the outbox; the sender sends it once ``send_after`` has come.

    ``dedupe_key`` names the message (``"appointment-reminder:42:48h"``): planning it again returns
    the message already planned, whatever its state, and plans nothing new. A message due now is
    handed to a worker as soon as the caller's transaction commits; the periodic sender would
    find it anyway. ``expires_at``: a message still unsent then is given up (a reminder after the
    visit helps nobody).
    """
    now = timezone.now()
    send_after = send_after or now
    if not dedupe_key.strip() or not purpose.strip():
        raise ValidationError(_("A message needs a purpose and a key that names it."))
    if about is not None and about.pk is None:
        raise ValidationError(_("A message can only be about something already saved."))
    if not body.strip():
        raise ValidationError({"body": _("A message needs a text.")})
    if expires_at is not None and expires_at <= send_after:
        raise ValidationError(_("A message cannot expire before it is due."))
    address = address_normal(channel=channel, to=to)
    content_type, object_id = _about_reference(about)
    message, created = Message.objects.get_or_create(
        dedupe_key=dedupe_key,
        defaults={
            "channel": channel,
            "to": address,
            "subject": subject.strip()[:200],
            "body": body,
            "purpose": purpose,
            "clinic": clinic,
            "content_type": content_type,
            "object_id": object_id,
            "send_after": send_after,
            "next_attempt_at": send_after,
            "expires_at": expires_at,
        },
    )
    if created and send_after <= now:
        from messaging.tasks import send_message

        # robust: if the broker is down the booking still stands; the periodic sender finds the row.
        transaction.on_commit(lambda: send_message.delay(message.pk), robust=True)
    return message


@transaction.atomic
def messages_cancel(*, about: models.Model, purpose: str | None = None) -> int:
    """Cancel the messages about ``about`` (of ``purpose``, if given) that are still waiting.

    A message a sender holds at this moment (``sending``) is already on its way and is left to
    finish. Returns how many were cancelled.
    """
    content_type, object_id = _about_reference(about)
    waiting = Message.objects.select_for_update().filter(
        content_type=content_type, object_id=object_id, status=MessageStatus.PENDING
    )
    if purpose is not None:
        waiting = waiting.filter(purpose=purpose)
    cancelled = 0
    for message in waiting.order_by("pk"):
        message.status = MessageStatus.CANCELLED
        message.save(update_fields=["status"])
        cancelled += 1
    return cancelled
