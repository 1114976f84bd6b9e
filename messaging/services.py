"""Writes of the outbox that any app calls: plan a message, cancel the ones still waiting; and the
notes to staff shown in the site (notify, open, mark all read).

Sending itself is in ``messaging/sender.py``; apps never send directly, they put a row here.
"""

from __future__ import annotations

import logging
from datetime import datetime

import phonenumbers
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.db import models, transaction
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

from clinic.brazil import phone_number
from clinic.models import Clinic
from messaging.models import Audience, Channel, Message, MessageStatus, Notification
from staff.models import User

logger = logging.getLogger(__name__)


def address_normal(*, channel: str, to: str) -> str:
    """The recipient as providers want it: E.164 for SMS and WhatsApp, the e-mail address as typed.

    Raises ``ValidationError`` when ``to`` cannot be an address of ``channel``: for a phone, the
    number must exist by the rule every stored phone follows (``clinic.brazil.phone_number``).
    """
    to = (to or "").strip()
    if channel == Channel.EMAIL:
        validate_email(to)
        return to
    if channel not in (Channel.SMS, Channel.WHATSAPP):
        raise ValidationError(_("Unknown channel."))
    number = phone_number(to, region=None) if to.startswith("+") else None
    if number is None:
        raise ValidationError(_("A phone number must be one that exists, in E.164 form, such as +5511987654321."))
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
    audience: str = Audience.PATIENT,
) -> Message:
    """Put a message in the outbox; the sender sends it once ``send_after`` has come.

    ``dedupe_key`` names the message (``"appointment-reminder:42:48h"``): planning it again returns
    the message already planned, whatever its state, and plans nothing new. A message due now is
    handed to a worker as soon as the caller's transaction commits; the periodic sender would
    find it anyway. ``expires_at``: a message still unsent then is given up (a reminder after the
    visit helps nobody). ``audience``: a message to a member of staff is kept apart from the
    patients' outbox, and says no more than that something awaits them in the site.
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
    if audience not in Audience.values:
        raise ValidationError(_("A message is for patients or for staff."))
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
            "audience": audience,
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


def _local_path(url: str) -> bool:
    """A path of this site ("/exams/orders/7/"): opening a notification must not lead anywhere else."""
    return url.startswith("/") and url_has_allowed_host_and_scheme(url, allowed_hosts=set())


@transaction.atomic
def notify(
    *,
    recipient: User,
    title: str,
    body: str = "",
    url: str = "",
    purpose: str,
    dedupe_key: str,
    about: models.Model | None = None,
) -> Notification:
    """Put a note in ``recipient``'s bell: ``title`` in the list, ``url`` (a path of this site) opens it.

    ``dedupe_key`` names the note (``"exam-result:42:doctor"``): notifying it again returns the first
    one, read or not, and creates nothing. The note is in the caller's transaction, so it exists only
    if what it tells of happened.
    """
    title = " ".join(title.split())
    url = url.strip()
    if not dedupe_key.strip() or not purpose.strip():
        raise ValidationError(_("A notification needs a purpose and a key that names it."))
    if not title:
        raise ValidationError({"title": _("A notification needs a title.")})
    if url and not _local_path(url):
        raise ValidationError({"url": _("A notification can only link to a page of this site.")})
    if about is not None and about.pk is None:
        raise ValidationError(_("A notification can only be about something already saved."))
    content_type, object_id = _about_reference(about)
    notification, _created = Notification.objects.get_or_create(
        dedupe_key=dedupe_key,
        defaults={
            "recipient": recipient,
            "title": title[:200],
            "body": body.strip(),
            "url": url[:300],
            "purpose": purpose,
            "content_type": content_type,
            "object_id": object_id,
        },
    )
    return notification


@transaction.atomic
def notification_open(*, notification: Notification, by: User) -> Notification:
    """Mark a note read as its recipient opens it; opening it again changes nothing.

    Only the recipient may: a note says what happened to their patient, and another person's
    "read" would hide it from them.
    """
    locked = Notification.objects.select_for_update().get(pk=notification.pk)
    if locked.recipient_id != by.pk:
        raise PermissionDenied(_("This notification is for someone else."))
    if locked.read_at is None:
        locked.read_at = timezone.now()
        locked.save(update_fields=["read_at"])
    return locked


@transaction.atomic
def notifications_read_all(*, recipient: User) -> int:
    """Mark every unread note of ``recipient`` read; returns how many were unread."""
    return Notification.objects.filter(recipient=recipient, read_at__isnull=True).update(read_at=timezone.now())
