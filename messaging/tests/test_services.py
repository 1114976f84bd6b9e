"""Planning and cancelling messages: one row per key, valid addresses only, cancel only what waits."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.utils import timezone, translation

from clinic.models import Clinic
from messaging.models import Channel, Message, MessageStatus
from messaging.selectors import messages_about
from messaging.sender import messages_send_due
from messaging.services import messages_cancel
from tests.factories import ClinicFactory

pytestmark = pytest.mark.django_db


def test_planning_the_same_key_twice_keeps_one_message(make_message: Callable[..., Message]) -> None:
    first = make_message(dedupe_key="reminder:1:48h")
    again = make_message(dedupe_key="reminder:1:48h", body="Outro texto")
    assert again.pk == first.pk
    assert Message.objects.count() == 1
    assert Message.objects.get().body == first.body


def test_recipient_and_text_are_encrypted_at_rest(make_message: Callable[..., Message]) -> None:
    from django.db import connection

    message = make_message(to="+5511987650003", body="Texto secreto")
    with connection.cursor() as cursor:
        cursor.execute('SELECT "to", body FROM messaging_message WHERE id = %s', [message.pk])
        to, body = cursor.fetchone()
    assert to.startswith("fernet:") and body.startswith("fernet:")
    assert "987650003" not in to and "secreto" not in body


@pytest.mark.parametrize(
    ("channel", "to"),
    [
        (Channel.SMS, "11987654321"),  # not E.164
        (Channel.SMS, "+55 11"),
        # E.164 and a plausible length, but numbers that cannot exist:
        (Channel.SMS, "+550912345678"),  # area code 00
        (Channel.WHATSAPP, "+5511000000000"),
        (Channel.WHATSAPP, "+5599999999999"),  # one repeated digit: a filler, not a patient's number
        (Channel.WHATSAPP, "<script>alert(1)</script>"),
        (Channel.EMAIL, "not-an-address"),
        (Channel.EMAIL, ""),
        ("fax", "+5511987654321"),
    ],
)
def test_an_address_the_channel_cannot_use_is_refused(
    make_message: Callable[..., Message], channel: str, to: str
) -> None:
    with translation.override("en"), pytest.raises(ValidationError):
        make_message(channel=channel, to=to)
    assert not Message.objects.exists()


def test_phone_numbers_are_stored_in_e164(make_message: Callable[..., Message]) -> None:
    assert make_message(to="+55 (11) 98765-0004").to == "+5511987650004"


def test_a_message_cannot_expire_before_it_is_due(make_message: Callable[..., Message]) -> None:
    now = timezone.now()
    with pytest.raises(ValidationError):
        make_message(send_after=now + timedelta(hours=2), expires_at=now + timedelta(hours=1))
    assert not Message.objects.exists()


def test_cancel_stops_only_the_waiting_messages_about_a_thing(
    clinic: Clinic, make_message: Callable[..., Message]
) -> None:
    other_clinic = ClinicFactory()
    soon = timezone.now() + timedelta(hours=1)
    sent = make_message(about=clinic, purpose="reminder")
    messages_send_due()
    waiting = make_message(about=clinic, purpose="reminder", send_after=soon)
    other_purpose = make_message(about=clinic, purpose="result", send_after=soon)
    other_thing = make_message(about=other_clinic, purpose="reminder", send_after=soon)
    assert messages_cancel(about=clinic, purpose="reminder") == 1
    statuses = dict(Message.objects.values_list("pk", "status"))
    assert statuses == {
        sent.pk: MessageStatus.DELIVERED,
        waiting.pk: MessageStatus.CANCELLED,
        other_purpose.pk: MessageStatus.PENDING,
        other_thing.pk: MessageStatus.PENDING,
    }
    with time_machine.travel(soon + timedelta(minutes=1), tick=True):
        assert messages_send_due() == 2  # the two still pending; the cancelled one stays unsent
    waiting.refresh_from_db()
    assert (waiting.status, waiting.attempts) == (MessageStatus.CANCELLED, 0)
    assert [m.pk for m in messages_about(clinic)] == [sent.pk, waiting.pk, other_purpose.pk]


def test_messages_about_lists_a_things_messages_in_due_order(
    clinic: Clinic, make_message: Callable[..., Message]
) -> None:
    now = timezone.now()
    later_one = make_message(about=clinic, send_after=now + timedelta(hours=2))
    sooner = make_message(about=clinic, send_after=now + timedelta(hours=1))
    make_message(about=ClinicFactory(), send_after=now + timedelta(minutes=30))
    make_message(send_after=now + timedelta(minutes=10))
    assert list(messages_about(clinic)) == [sooner, later_one]


@pytest.mark.parametrize(
    "overrides",
    [{"purpose": " "}, {"dedupe_key": ""}, {"body": "   "}, {"about": Clinic(name="unsaved")}],
)
def test_a_message_without_purpose_key_text_or_saved_subject_is_refused(
    make_message: Callable[..., Message], overrides: dict[str, object]
) -> None:
    with pytest.raises(ValidationError):
        make_message(**overrides)
    assert not Message.objects.exists()
