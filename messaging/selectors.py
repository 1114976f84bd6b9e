"""Reads of the outbox (a thing's messages, the outbox as a member of staff may see it) and of
a user's notifications (the bell's count and list)."""

from __future__ import annotations

from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import QuerySet

from clinic.access import in_clinics, one_or_404, require, sees_whole_network
from messaging.models import Audience, Message, Notification
from staff.models import User


def messages_about(obj: models.Model, *, purpose: str | None = None, audience: str | None = None) -> QuerySet[Message]:
    """The messages about ``obj`` (an appointment, an exam result...), in the order they are due;
    only those to patients, or to staff, when ``audience`` says so."""
    messages = Message.objects.filter(content_type=ContentType.objects.get_for_model(obj), object_id=obj.pk)
    if audience is not None:
        messages = messages.filter(audience=audience)
    if purpose is not None:
        messages = messages.filter(purpose=purpose)
    return messages.order_by("send_after", "pk")


def message_exists(dedupe_key: str) -> bool:
    return Message.objects.filter(dedupe_key=dedupe_key).exists()


def _visible_to(user: User) -> QuerySet[Message]:
    """Messages of the user's clinics (those of no clinic are the network's: clinic.view_all_clinics)."""
    require(user, "messaging.view_message")
    messages = Message.objects.select_related("clinic")
    if sees_whole_network(user):
        return messages
    return in_clinics(messages, user)


def outbox_for_user(
    user: User, *, channel: str = "", status: str = "", audience: str = Audience.PATIENT
) -> QuerySet[Message]:
    """The outbox newest first: the messages to patients (or, asked for, those to staff), optionally
    of one channel and one status."""
    messages = _visible_to(user).filter(audience=audience)
    if channel:
        messages = messages.filter(channel=channel)
    if status:
        messages = messages.filter(status=status)
    return messages.order_by("-created_at", "-id")


def message_for_user(user: User, pk: int) -> Message:
    return one_or_404(_visible_to(user).select_related("content_type"), pk)


def unread_count(user: User) -> int:
    """How many notes ``user`` has not read: the number on the bell (served by a partial index)."""
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()


def notifications_for(user: User, *, limit: int = 50) -> list[Notification]:
    """``user``'s latest notes, newest first, read or not; only ever their own."""
    return list(Notification.objects.filter(recipient=user).order_by("-created_at", "-id")[:limit])


def notification_for_user(user: User, pk: int) -> Notification:
    """One of ``user``'s own notes; another user's is not found, not refused (whether it exists is
    none of this user's business)."""
    return one_or_404(Notification.objects.filter(recipient=user), pk)
