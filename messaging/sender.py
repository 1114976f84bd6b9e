"""The sender: takes due messages from the outbox and hands each to its provider, once in effect.

How "never sent twice" holds
----------------------------
1. **Claiming.** A sender takes one due row at a time with ``SELECT ... FOR UPDATE SKIP LOCKED``
   and, in the same short transaction, marks it ``sending``, counts the attempt and moves
   ``next_attempt_at`` to the end of a lease. While one sender claims a row the others skip it;
   once the claim commits the row is no longer due for anyone until the lease ends. So a beat
   that fires twice, two workers, or the on-commit task racing the periodic sweep each find the
   message once.
2. **Fencing.** The provider is called outside any transaction, and the outcome is written only
   if the row is still this sender's claim (status ``sending`` and the same attempt number): a
   sender that lost its lease cannot overwrite what the next one recorded.
3. **Unclear outcomes.** After a timeout (or a 5xx, or a worker killed during the call, noticed
   when its lease ends) nobody knows whether the provider took the message. So every retry first
   asks the provider whether an earlier attempt reached it (``Provider.find_sent``); if one did,
   the message is recorded as sent with that provider id and not sent again. An SMTP server
   cannot be asked; e-mail gets the same Message-ID on every attempt instead.

Why a lease rather than holding the row lock during the call: a lock held across the network
call keeps a transaction open for up to the whole timeout, and a worker killed mid-call leaves
no trace that an attempt was made, so the next sender would send blindly. With the lease the
attempt is on record before the provider hears of it, and the retry knows to ask first.

Failures are retried with backoff (1, 5, 15, 60 and 240 minutes), then the message is failed;
a refusal that cannot change (a permanent error) fails it at once. The attempts and the last
error stay on the row, where the thing the message is about shows them.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from messaging.models import DUE_STATUSES, Message, MessageStatus
from messaging.providers import SendError, SendResult, provider_for

logger = logging.getLogger(__name__)

BACKOFF = (timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=15), timedelta(hours=1), timedelta(hours=4))
MAX_ATTEMPTS = len(BACKOFF) + 1
# Longer than any provider call can take (two requests within MESSAGING_TIMEOUT_SECONDS each).
LEASE = timedelta(minutes=5)


def backoff_after(attempts: int) -> timedelta | None:
    """How long to wait after ``attempts`` failed attempts; None when it is time to give up."""
    if attempts >= MAX_ATTEMPTS:
        return None
    return BACKOFF[attempts - 1]


@transaction.atomic
def message_claim(*, message_id: int | None = None) -> Message | None:
    """Claim the next due message (or message ``message_id`` if it is due) for this sender.

    Returns None when nothing is due or every due row is being claimed by another sender. A
    message that expired before its first attempt is given up here without a call.
    """
    now = timezone.now()
    while True:
        due = Message.objects.select_for_update(skip_locked=True).filter(
            status__in=DUE_STATUSES, next_attempt_at__lte=now
        )
        if message_id is not None:
            due = due.filter(pk=message_id)
        message = due.order_by("next_attempt_at", "pk").first()
        if message is None:
            return None
        if message.attempts == 0 and message.expires_at is not None and message.expires_at <= now:
            message.status = MessageStatus.FAILED
            message.last_error = _("Expired before it could be sent.")
            message.save(update_fields=["status", "last_error"])
            continue
        message.status = MessageStatus.SENDING
        message.attempts += 1
        message.first_attempt_at = message.first_attempt_at or now
        message.last_attempt_at = now
        message.next_attempt_at = now + LEASE
        message.save(update_fields=["status", "attempts", "first_attempt_at", "last_attempt_at", "next_attempt_at"])
        return message


def message_deliver(message: Message) -> Message:
    """Hand a claimed message to its provider and record what happened.

    Precondition: ``message`` was just returned by ``message_claim`` (this sender holds its lease).
    """
    try:
        provider = provider_for(message.channel)
        result = provider.find_sent(message) if message.attempts > 1 else None
        if result is None and message.expires_at is not None and message.expires_at <= timezone.now():
            return _record(message, status=MessageStatus.FAILED, last_error=_("Expired before it could be sent."))
        if result is None:
            result = provider.send(message)
    except SendError as error:
        return _record_failure(message, error.reason, permanent=not error.retryable)
    except Exception as error:  # a bug must not leave the row claimed until its lease ends
        logger.exception("message %s: unexpected error while sending", message.pk)
        return _record_failure(message, f"{type(error).__name__}", permanent=False)
    return _record_success(message, result)


def _record_success(message: Message, result: SendResult) -> Message:
    now = timezone.now()
    return _record(
        message,
        status=MessageStatus.DELIVERED if result.delivered else MessageStatus.SENT,
        sent_at=now,
        delivered_at=now if result.delivered else None,
        provider_id=result.provider_id[:200],
    )


def _record_failure(message: Message, reason: str, *, permanent: bool) -> Message:
    wait = None if permanent else backoff_after(message.attempts)
    logger.warning("message %s: attempt %s failed: %s", message.pk, message.attempts, reason)
    if wait is None:
        return _record(message, status=MessageStatus.FAILED, last_error=reason[:500])
    # Counted from the start of the attempt, so the schedule does not drift with slow providers.
    started = message.last_attempt_at or timezone.now()
    return _record(message, status=MessageStatus.PENDING, next_attempt_at=started + wait, last_error=reason[:500])


@transaction.atomic
def _record(message: Message, **changes: Any) -> Message:
    current = (
        Message.objects.select_for_update()
        .filter(pk=message.pk, status=MessageStatus.SENDING, attempts=message.attempts)
        .first()
    )
    if current is None:
        logger.warning(
            "message %s: attempt %s outlived its lease; its outcome is not recorded", message.pk, message.attempts
        )
        return message
    for field, value in changes.items():
        setattr(current, field, value)
    current.save(update_fields=list(changes))
    return current


def message_send_now(message_id: int) -> Message | None:
    """Send message ``message_id`` if it is due and no other sender has it."""
    message = message_claim(message_id=message_id)
    return message_deliver(message) if message is not None else None


def messages_send_due(*, limit: int = 500) -> int:
    """Send due messages, one claim at a time, until none is left or ``limit`` attempts were made."""
    attempts = 0
    while attempts < limit:
        message = message_claim()
        if message is None:
            break
        message_deliver(message)
        attempts += 1
    return attempts
