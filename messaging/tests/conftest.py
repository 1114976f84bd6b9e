from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

import pytest

from clinic.models import Clinic
from messaging.models import Channel, Message
from messaging.services import message_enqueue
from messaging.tests.twilio_server import FakeTwilio, fake_twilio


@pytest.fixture
def twilio(settings: Any) -> Iterator[FakeTwilio]:
    """SMS and WhatsApp go to a local server that speaks Twilio's API."""
    with fake_twilio(settings) as server:
        yield server


@pytest.fixture
def eager_celery() -> Iterator[None]:
    """Tasks run in the test's process when queued (this test says so; others only queue them)."""
    from clinic.celery import app

    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = previous


@pytest.fixture
def make_message(clinic: Clinic) -> Callable[..., Message]:
    counter = iter(range(1, 10_000))

    def make(*, send_after: datetime | None = None, **overrides: Any) -> Message:
        number = next(counter)
        fields: dict[str, Any] = {
            "channel": Channel.SMS,
            "to": f"+55119876{number:05d}",
            "body": f"Lembrete {number}: sua consulta. Confirme em http://127.0.0.1:8000/r/token-{number}/",
            "purpose": "test",
            "dedupe_key": f"test:{number}",
            "clinic": clinic,
            "send_after": send_after,
            **overrides,
        }
        return message_enqueue(**fields)

    return make
