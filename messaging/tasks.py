"""Celery tasks of the outbox. Both are safe to run twice or at once: each message is claimed once
(see ``messaging/sender.py``). Messages are rows, never tasks with a far ETA: the broker would
redeliver such a task after its visibility timeout, and a restart could lose it."""

from __future__ import annotations

from celery import shared_task

from messaging.sender import message_send_now, messages_send_due


@shared_task(ignore_result=True)
def send_due_messages() -> int:
    """Run by Celery beat every ~30 s (``CELERY_BEAT_SCHEDULE``): send what has come due."""
    return messages_send_due()


@shared_task(ignore_result=True)
def send_message(message_id: int) -> None:
    """Queued when a message due now is committed, so it leaves without waiting for the beat."""
    message_send_now(message_id)
