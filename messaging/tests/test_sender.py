"""The sender: due messages go out once, whatever runs at the same time, and failures retry with backoff."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.core import mail
from django.utils import timezone

from clinic.celery import app as celery_app
from messaging.models import Channel, Message, MessageStatus
from messaging.sender import BACKOFF, LEASE, MAX_ATTEMPTS, message_claim, messages_send_due
from messaging.tasks import send_due_messages, send_message
from messaging.tests.twilio_server import SMS_FROM, FakeTwilio, fake_twilio
from tests.concurrency import all_at_once

pytestmark = pytest.mark.django_db


def later(delta: timedelta) -> Any:
    """Travel to now + ``delta``, the clock still running (no sleeping in tests)."""
    return time_machine.travel(timezone.now() + delta, tick=True)


@pytest.mark.django_db(transaction=True)
def test_senders_running_at_once_send_each_due_message_once(
    settings: Any, make_message: Callable[..., Message]
) -> None:
    with fake_twilio(settings) as twilio:
        messages = [make_message() for _ in range(6)]
        # Two beats fired at once, plus the on-commit tasks of two of the messages.
        runs: list[Callable[[], object]] = [
            send_due_messages,
            send_due_messages,
            lambda: send_message(messages[0].pk),
            lambda: send_message(messages[1].pk),
        ]
        outcomes = all_at_once(len(runs), lambda i: runs[i]())
        assert not [o for o in outcomes if isinstance(o, Exception)], outcomes
        assert twilio.posts == 6
        assert sorted(m["body"] for m in twilio.messages) == sorted(m.body for m in messages)
    assert set(Message.objects.values_list("status", "attempts")) == {(MessageStatus.SENT, 1)}


@pytest.mark.django_db(transaction=True)
def test_the_due_job_run_twice_at_once_sends_one_message(settings: Any, make_message: Callable[..., Message]) -> None:
    with fake_twilio(settings) as twilio:
        message = make_message()
        outcomes = all_at_once(2, lambda i: messages_send_due())
        assert sorted(outcomes) == [0, 1]  # type: ignore[type-var]
        assert twilio.posts == 1
    message.refresh_from_db()
    assert (message.status, message.attempts, message.provider_id) == (
        MessageStatus.SENT,
        1,
        twilio.messages[0]["sid"],
    )


def test_a_message_goes_out_only_once_it_is_due(twilio: FakeTwilio, make_message: Callable[..., Message]) -> None:
    message = make_message(send_after=timezone.now() + timedelta(hours=2))
    assert messages_send_due() == 0
    with later(timedelta(hours=2, seconds=1)):
        assert messages_send_due() == 1
    message.refresh_from_db()
    assert message.status == MessageStatus.SENT
    assert twilio.messages[0]["to"] == message.to and twilio.messages[0]["from"] == SMS_FROM


def test_a_provider_failure_is_retried_with_backoff_then_sent(
    twilio: FakeTwilio, make_message: Callable[..., Message]
) -> None:
    message = make_message()
    twilio.script = ["503"]
    assert messages_send_due() == 1
    message.refresh_from_db()
    assert (message.status, message.attempts) == (MessageStatus.PENDING, 1)
    assert "503" in message.last_error
    assert message.next_attempt_at - message.last_attempt_at == BACKOFF[0]  # type: ignore[operator]
    assert messages_send_due() == 0  # still waiting out its backoff
    with later(BACKOFF[0] + timedelta(seconds=1)):
        assert messages_send_due() == 1
    message.refresh_from_db()
    assert (message.status, message.attempts) == (MessageStatus.SENT, 2)
    assert twilio.posts == 2 and len(twilio.messages) == 1
    assert [h.status for h in message.history.order_by("history_id")] == [
        MessageStatus.PENDING,
        MessageStatus.SENDING,
        MessageStatus.PENDING,
        MessageStatus.SENDING,
        MessageStatus.SENT,
    ]


def test_failures_back_off_longer_each_time_then_fail(twilio: FakeTwilio, make_message: Callable[..., Message]) -> None:
    message = make_message()
    twilio.script = ["503"] * MAX_ATTEMPTS
    waits = []
    elapsed = timedelta(0)
    for _attempt in range(MAX_ATTEMPTS):
        with later(elapsed):
            assert messages_send_due() == 1
        message.refresh_from_db()
        if message.status == MessageStatus.PENDING:
            wait = message.next_attempt_at - message.last_attempt_at  # type: ignore[operator]
            waits.append(wait)
            elapsed += wait + timedelta(seconds=1)
    assert waits == list(BACKOFF)
    assert (message.status, message.attempts) == (MessageStatus.FAILED, MAX_ATTEMPTS)
    assert "503" in message.last_error
    with later(elapsed + timedelta(days=1)):
        assert messages_send_due() == 0  # failed is final
    assert twilio.posts == MAX_ATTEMPTS and twilio.messages == []


def test_a_timeout_does_not_cause_a_second_send(settings: Any, make_message: Callable[..., Message]) -> None:
    with fake_twilio(settings, timeout=0.5) as twilio:
        message = make_message()
        twilio.script = ["stall"]  # the provider takes the message but answers too late
        assert messages_send_due() == 1
        message.refresh_from_db()
        assert (message.status, message.attempts) == (MessageStatus.PENDING, 1)
        assert "no answer" in message.last_error
        twilio.release()
        with later(BACKOFF[0] + timedelta(seconds=1)):
            assert messages_send_due() == 1
        message.refresh_from_db()
        assert twilio.posts == 1  # the retry asked first, found the message, and did not post it again
        assert len(twilio.messages) == 1
        assert (message.status, message.attempts, message.provider_id) == (
            MessageStatus.SENT,
            2,
            twilio.messages[0]["sid"],
        )


def test_a_sender_that_died_mid_send_is_taken_over_without_a_second_send(
    twilio: FakeTwilio, make_message: Callable[..., Message]
) -> None:
    message = make_message()
    claimed = message_claim()
    assert claimed is not None and claimed.pk == message.pk
    from messaging.providers import provider_for

    provider_for(claimed.channel).send(claimed)  # the provider took it; then the worker was killed
    assert messages_send_due() == 0  # its lease still holds
    with later(LEASE + timedelta(seconds=1)):
        assert messages_send_due() == 1
    message.refresh_from_db()
    assert (message.status, message.attempts) == (MessageStatus.SENT, 2)
    assert twilio.posts == 1


def test_a_retry_that_finds_nothing_sent_sends(twilio: FakeTwilio, make_message: Callable[..., Message]) -> None:
    message = make_message()
    # Other messages to the same number: an older identical one, and a recent different one.
    twilio.add_message(to=message.to, sender=SMS_FROM, body=message.body, created=timezone.now() - timedelta(days=2))
    twilio.add_message(to=message.to, sender=SMS_FROM, body="Outra mensagem")
    twilio.script = ["500"]
    messages_send_due()
    with later(BACKOFF[0] + timedelta(seconds=1)):
        messages_send_due()
    message.refresh_from_db()
    assert message.status == MessageStatus.SENT
    assert twilio.posts == 2 and twilio.gets == 1
    assert message.provider_id == twilio.messages[-1]["sid"]


def test_a_permanent_refusal_fails_at_once(twilio: FakeTwilio, make_message: Callable[..., Message]) -> None:
    message = make_message()
    twilio.script = ["400"]
    messages_send_due()
    message.refresh_from_db()
    assert (message.status, message.attempts) == (MessageStatus.FAILED, 1)
    assert "21610" in message.last_error
    assert "987654321" not in message.last_error  # the number the provider quoted is masked
    with later(timedelta(days=1)):
        assert messages_send_due() == 0


def test_a_message_not_sent_before_it_expires_is_given_up(
    twilio: FakeTwilio, make_message: Callable[..., Message]
) -> None:
    now = timezone.now()
    message = make_message(send_after=now + timedelta(hours=1), expires_at=now + timedelta(hours=2))
    with later(timedelta(hours=3)):
        assert messages_send_due() == 0
    message.refresh_from_db()
    assert message.status == MessageStatus.FAILED
    assert message.attempts == 0
    assert twilio.posts == 0


def test_the_development_channel_delivers_into_the_outbox(make_message: Callable[..., Message]) -> None:
    message = make_message(channel=Channel.WHATSAPP)
    assert messages_send_due() == 1
    message.refresh_from_db()
    assert message.status == MessageStatus.DELIVERED
    assert message.sent_at is not None and message.delivered_at is not None


def test_email_goes_through_django_mail_with_a_stable_message_id(make_message: Callable[..., Message]) -> None:
    message = make_message(channel=Channel.EMAIL, to="paciente@example.org", subject="Lembrete de consulta")
    messages_send_due()
    message.refresh_from_db()
    assert message.status == MessageStatus.SENT
    assert len(mail.outbox) == 1
    sent = mail.outbox[0]
    assert (sent.to, sent.subject, sent.body) == (["paciente@example.org"], "Lembrete de consulta", message.body)
    assert sent.extra_headers["Message-ID"] == message.provider_id
    assert str(message.key) in message.provider_id


@pytest.mark.django_db(transaction=True)
def test_a_message_due_now_is_queued_when_its_transaction_commits(
    eager_celery: None, make_message: Callable[..., Message]
) -> None:
    later_one = make_message(send_after=timezone.now() + timedelta(hours=1))
    now_one = make_message()
    now_one.refresh_from_db()
    later_one.refresh_from_db()
    assert now_one.status == MessageStatus.DELIVERED  # sent by the task queued on commit, no beat needed
    assert later_one.status == MessageStatus.PENDING


def test_only_a_message_due_now_queues_a_task_on_commit(
    django_capture_on_commit_callbacks: Any, make_message: Callable[..., Message]
) -> None:
    with django_capture_on_commit_callbacks() as callbacks:
        make_message(send_after=timezone.now() + timedelta(hours=1))
    assert callbacks == []  # a later message waits for the periodic sender
    with django_capture_on_commit_callbacks() as callbacks:
        make_message()
    assert len(callbacks) == 1


def test_beat_runs_the_sender_every_half_minute(settings: Any) -> None:
    entry = settings.CELERY_BEAT_SCHEDULE["send-due-messages"]
    assert entry["task"] == send_due_messages.name
    assert entry["task"] in celery_app.tasks
    assert entry["schedule"] <= 60
