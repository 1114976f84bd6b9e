"""The HTTP provider against a local server that speaks Twilio's API: what it sends and how it reads answers."""

from __future__ import annotations

import socket
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from messaging.models import Channel, Message
from messaging.providers import PermanentError, RetryableError, TwilioProvider, provider_for
from messaging.tests.twilio_server import SMS_FROM, WHATSAPP_FROM, FakeTwilio, fake_twilio

pytestmark = pytest.mark.django_db


def test_an_sms_is_posted_form_encoded_with_basic_auth(
    twilio: FakeTwilio, make_message: Callable[..., Message]
) -> None:
    message = make_message(to="+5511987650001", body="Olá, Ana! Consulta amanhã às 09:00. Confirme: http://x/r/a:b/")
    result = provider_for(Channel.SMS).send(message)
    assert twilio.messages == [
        {
            **twilio.messages[0],
            "to": "+5511987650001",
            "from": SMS_FROM,
            "body": "Olá, Ana! Consulta amanhã às 09:00. Confirme: http://x/r/a:b/",
        }
    ]
    assert result.provider_id == twilio.messages[0]["sid"] and result.provider_id.startswith("SM")
    assert not result.delivered  # queued at the provider; delivery is the provider's to report


def test_whatsapp_addresses_carry_the_whatsapp_prefix(twilio: FakeTwilio, make_message: Callable[..., Message]) -> None:
    message = make_message(channel=Channel.WHATSAPP, to="+5521987650002")
    provider_for(Channel.WHATSAPP).send(message)
    assert (twilio.messages[0]["to"], twilio.messages[0]["from"]) == (
        "whatsapp:+5521987650002",
        f"whatsapp:{WHATSAPP_FROM}",
    )


@pytest.mark.parametrize("status", ["500", "503", "429"])
def test_server_errors_and_rate_limits_are_retryable(
    twilio: FakeTwilio, make_message: Callable[..., Message], status: str
) -> None:
    twilio.script = [status]
    with pytest.raises(RetryableError, match=f"HTTP {status}"):
        provider_for(Channel.SMS).send(make_message())
    assert twilio.messages == []


def test_a_refused_number_is_permanent_and_its_digits_are_masked(
    twilio: FakeTwilio, make_message: Callable[..., Message]
) -> None:
    twilio.script = ["400"]
    with pytest.raises(PermanentError) as refused:
        provider_for(Channel.SMS).send(make_message())
    assert "21610" in refused.value.reason and "unsubscribed" in refused.value.reason
    assert "987654321" not in refused.value.reason and "[number]" in refused.value.reason


def test_wrong_credentials_are_refused_permanently(
    settings: Any, twilio: FakeTwilio, make_message: Callable[..., Message]
) -> None:
    settings.TWILIO_AUTH_TOKEN = "wrong"
    with pytest.raises(PermanentError, match="HTTP 401: 20003"):
        provider_for(Channel.SMS).send(make_message())
    assert twilio.messages == []


def test_a_provider_that_does_not_answer_in_time_is_retryable(
    settings: Any, make_message: Callable[..., Message]
) -> None:
    with fake_twilio(settings, timeout=0.3) as twilio:
        twilio.script = ["stall"]
        with pytest.raises(RetryableError, match="no answer"):
            provider_for(Channel.SMS).send(make_message())


def test_a_provider_that_is_down_is_retryable(settings: Any, make_message: Callable[..., Message]) -> None:
    with socket.socket() as unused:  # a port nobody listens on
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]
    with fake_twilio(settings):
        settings.TWILIO_API_URL = f"http://127.0.0.1:{port}"
        with pytest.raises(RetryableError, match="no answer"):
            provider_for(Channel.SMS).send(make_message())


def test_find_sent_finds_the_message_by_recipient_and_text_since_the_first_attempt(
    twilio: FakeTwilio, make_message: Callable[..., Message]
) -> None:
    message = make_message()
    message.first_attempt_at = timezone.now()
    provider = TwilioProvider(Channel.SMS)
    assert provider.find_sent(message) is None
    sent = provider.send(message)
    assert provider.find_sent(message) == sent


def test_find_sent_follows_the_pages_to_the_message(settings: Any, make_message: Callable[..., Message]) -> None:
    with fake_twilio(settings) as twilio:
        twilio.page_size_limit = 2
        message = make_message()
        message.first_attempt_at = timezone.now()
        old = timezone.now() - timedelta(days=3)
        twilio.add_message(to=message.to, sender=SMS_FROM, body=message.body, created=old)
        provider = TwilioProvider(Channel.SMS)
        sent = provider.send(message)
        for number in range(5):  # newer messages to the same number push ours to the third page
            twilio.add_message(to=message.to, sender=SMS_FROM, body=f"Outra {number}")
        assert provider.find_sent(message) == sent
        assert twilio.gets == 3


def test_the_development_provider_keeps_sms_in_the_site(make_message: Callable[..., Message]) -> None:
    message = make_message()
    result = provider_for(Channel.SMS).send(message)
    assert result.delivered and str(message.key) in result.provider_id


def test_a_missing_sender_number_is_a_clear_permanent_error(
    settings: Any, twilio: FakeTwilio, make_message: Callable[..., Message]
) -> None:
    settings.TWILIO_WHATSAPP_FROM = ""
    with pytest.raises(PermanentError, match="TWILIO_WHATSAPP_FROM"):
        provider_for(Channel.WHATSAPP)
    assert twilio.posts == 0
