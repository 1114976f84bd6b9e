"""The outbox: every message the system sends (e-mail, SMS, WhatsApp) is a row here first.

A message is about something of another app (an appointment, an exam result) only through a
generic reference, so messaging depends on no app above the clinics network.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from clinic.crypto import EncryptedTextField
from clinic.models import Clinic


class Channel(models.TextChoices):
    EMAIL = "email", _("E-mail")
    SMS = "sms", _("SMS")
    WHATSAPP = "whatsapp", _("WhatsApp")


class MessageStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    DELIVERED = "delivered", _("Delivered")
    FAILED = "failed", _("Failed")
    CANCELLED = "cancelled", _("Cancelled")


class Audience(models.TextChoices):
    """Who a message is for: the outbox is the patients' (reminders, "your result is ready"); what
    goes to staff (an e-mail that a result awaits them in the site) is kept apart from it."""

    PATIENT = "patient", _("Patients")
    STAFF = "staff", _("Staff")


# The rows the sender looks at: waiting for their time, or claimed by a sender whose lease may run out.
DUE_STATUSES = [MessageStatus.PENDING, MessageStatus.SENDING]


class Message(models.Model):
    """One outbound message and what became of it: pending -> sent -> delivered | failed.

    ``next_attempt_at`` is when the sender should next look at the row: the planned time at
    first, after a failure the time its backoff ends, and while a sender holds it (status
    ``sending``) the end of that sender's lease.
    """

    # Stable identity of the message towards providers (the e-mail's Message-ID), whatever the attempt.
    key = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    to = EncryptedTextField(_("recipient"))
    subject = models.CharField(_("subject"), max_length=200, blank=True)
    body = EncryptedTextField(_("text"))
    purpose = models.CharField(_("purpose"), max_length=60, help_text=_("What kind of message, e.g. a reminder."))
    audience = models.CharField(
        _("recipients"), max_length=10, choices=Audience.choices, default=Audience.PATIENT, db_default=Audience.PATIENT
    )
    # Whoever plans a message names it, so planning the same message twice finds the first one.
    dedupe_key = models.CharField(max_length=200, unique=True)
    clinic = models.ForeignKey(
        Clinic, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("clinic")
    )
    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    object_id = models.PositiveBigIntegerField(null=True, blank=True)
    about = GenericForeignKey("content_type", "object_id")

    status = models.CharField(_("status"), max_length=10, choices=MessageStatus.choices, default=MessageStatus.PENDING)
    send_after = models.DateTimeField(_("send after"))
    expires_at = models.DateTimeField(
        _("expires at"), null=True, blank=True, help_text=_("Not sent after this time (a reminder after the visit).")
    )
    next_attempt_at = models.DateTimeField(_("next attempt"))
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    first_attempt_at = models.DateTimeField(null=True, blank=True)
    last_attempt_at = models.DateTimeField(_("last attempt"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    provider_id = models.CharField(_("provider's id"), max_length=200, blank=True)
    last_error = models.CharField(_("last error"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    # The recipient and the text never change after the message is made; history keeps the rest.
    history = HistoricalRecords(excluded_fields=["to", "body"])

    class Meta:
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(channel__in=Channel.values), name="message_channel_known"),
            models.CheckConstraint(condition=models.Q(status__in=MessageStatus.values), name="message_status_known"),
            models.CheckConstraint(condition=models.Q(audience__in=Audience.values), name="message_audience_known"),
            models.CheckConstraint(
                condition=models.Q(content_type__isnull=True, object_id__isnull=True)
                | models.Q(content_type__isnull=False, object_id__isnull=False),
                name="message_about_whole",
            ),
            models.CheckConstraint(
                condition=~models.Q(status__in=[MessageStatus.SENT, MessageStatus.DELIVERED])
                | models.Q(sent_at__isnull=False),
                name="message_sent_has_time",
            ),
        ]
        indexes = [
            # The sender's scan: only the rows still to send, by when they are due.
            models.Index(
                fields=["next_attempt_at"], condition=models.Q(status__in=DUE_STATUSES), name="message_due_idx"
            ),
            models.Index(fields=["content_type", "object_id"], name="message_about_idx"),
            models.Index(fields=["clinic", "-created_at"], name="message_outbox_idx"),
            models.Index(fields=["-created_at"], name="message_newest_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} · {self.purpose} · {self.get_status_display()}"

    @property
    def is_final(self) -> bool:
        return self.status not in DUE_STATUSES


class Notification(models.Model):
    """A note to a member of staff, shown in the site (the bell in the top bar) until read.

    Like a message, it is about something of another app only through a generic reference; the
    ``url`` takes the reader to it. ``dedupe_key`` makes notifying the same thing twice a no-op.
    """

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications", verbose_name=_("recipient")
    )
    title = models.CharField(_("title"), max_length=200)
    body = EncryptedTextField(_("text"), blank=True)
    url = models.CharField(_("address"), max_length=300, blank=True)
    purpose = models.CharField(_("purpose"), max_length=60)
    dedupe_key = models.CharField(max_length=200, unique=True)
    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    object_id = models.PositiveBigIntegerField(null=True, blank=True)
    about = GenericForeignKey("content_type", "object_id")
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(content_type__isnull=True, object_id__isnull=True)
                | models.Q(content_type__isnull=False, object_id__isnull=False),
                name="notification_about_whole",
            ),
        ]
        indexes = [
            models.Index(fields=["recipient", "-created_at"], name="notification_recipient_idx"),
            # The bell's count: only the unread ones.
            models.Index(
                fields=["recipient"], condition=models.Q(read_at__isnull=True), name="notification_unread_idx"
            ),
        ]

    def __str__(self) -> str:
        return self.title
