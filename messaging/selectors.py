"""Reads of the outbox (a thing's messages, the outbox as a member of staff may see it) and of
a user's notifications (the bell's count and list)."""

from __future__ import annotations

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.db import models
from django.db.models import QuerySet
from django.http import Http404

from clinic.selectors import clinics_for_user, user_sees_all_clinics
from messaging.models import Message, Notification
from staff.models import User


def messages_about(obj: models.Model, *, purpose: str | None = None) -> QuerySet[Message]:
    """The messages about ``obj`` (an appointment, an exam result...), in the order they are due."""
    messages = Message.objects.filter(content_type=ContentType.objects.get_for_model(obj), object_id=obj.pk)
    if purpose is not None:
        messages = messages.filter(purpose=purpose)
    return messages.order_by("send_after", "pk")


def message_exists(dedupe_key: str) -> bool:
    return Message.objects.filter(dedupe_key=dedupe_key).exists()


def _visible_to(user: User) -> QuerySet[Message]:
    """Messages of the user's clinics; those of no clinic only to people who see the whole network."""
    if not user.has_perm("messaging.view_message"):
        raise PermissionDenied
    messages = Message.objects.select_related("clinic")
    if user_sees_all_clinics(user):
        return messages
    return messages.filter(clinic__in=clinics_for_user(user))


def outbox_for_user(user: User, *, channel: str = "", status: str = "") -> QuerySet[Message]:
    """The outbox newest first, optionally of one channel and one status."""
    messages = _visible_to(user)
    if channel:
        messages = messages.filter(channel=channel)
    if status:
        messages = messages.filter(status=status)
    return messages.order_by("-created_at", "-id")


def message_for_user(user: User, pk: int) -> Message:
    try:
        return _visible_to(user).select_related("content_type").get(pk=pk)
    except Message.DoesNotExist as error:
        raise Http404 from error


def unread_count(user: User) -> int:
    """How many notes ``user`` has not read: the number on the bell (served by a partial index)."""
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()


def notifications_for(user: User, *, limit: int = 50) -> list[Notification]:
    """``user``'s latest notes, newest first, read or not; only ever their own."""
    return list(Notification.objects.filter(recipient=user).order_by("-created_at", "-id")[:limit])
