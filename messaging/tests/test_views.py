"""The outbox pages, as the staff who read them: filters, newest first, their clinics only, full text."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from clinic.models import Clinic
from messaging.models import Channel, Message, MessageStatus
from messaging.sender import messages_send_due
from messaging.tests.twilio_server import FakeTwilio
from staff import roles
from staff.models import User
from tests.factories import ClinicFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def reception_client(reception: User, client_for: Callable[[User], Client]) -> Client:
    client = client_for(reception)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def _rows(response: Any) -> list[int]:
    return [message.pk for message in response.context["page"]]


def test_the_outbox_lists_newest_first_and_filters(
    reception_client: Client, make_message: Callable[..., Message]
) -> None:
    soon = timezone.now() + timedelta(hours=1)
    sms = make_message(send_after=soon)
    whatsapp = make_message(channel=Channel.WHATSAPP, send_after=soon)
    email = make_message(channel=Channel.EMAIL, to="ana@example.org", send_after=soon)
    response = reception_client.get("/messages/")
    assert response.status_code == 200
    assert _rows(response) == [email.pk, whatsapp.pk, sms.pk]
    assert _rows(reception_client.get("/messages/?channel=whatsapp")) == [whatsapp.pk]
    Message.objects.filter(pk=sms.pk).update(status=MessageStatus.FAILED)
    assert _rows(reception_client.get("/messages/?status=failed")) == [sms.pk]
    assert _rows(reception_client.get("/messages/?channel=sms&status=pending")) == []


def test_a_bad_filter_shows_everything_with_the_error(
    reception_client: Client, make_message: Callable[..., Message]
) -> None:
    message = make_message()
    response = reception_client.get("/messages/?channel=<script>&status=nonsense")
    assert response.status_code == 200
    assert _rows(response) == [message.pk]
    assert "<script>" not in response.content.decode()
    assert "Select a valid choice" in response.content.decode()


def test_the_outbox_shows_only_the_users_clinics(
    reception_client: Client, make_message: Callable[..., Message], make_user: Callable[..., User], client_for: Any
) -> None:
    ours = make_message()
    theirs = make_message(clinic=ClinicFactory())
    assert _rows(reception_client.get("/messages/")) == [ours.pk]
    assert reception_client.get(f"/messages/{theirs.pk}/").status_code == 404
    manager = client_for(make_user(roles.MANAGER, clinics=[]))
    assert set(_rows(manager.get("/messages/"))) == {ours.pk, theirs.pk}


def test_the_outbox_page_costs_the_same_queries_for_many_messages(
    reception_client: Client,
    make_message: Callable[..., Message],
    django_assert_max_num_queries: Any,
) -> None:
    for _ in range(30):
        make_message()
    with django_assert_max_num_queries(8):
        response = reception_client.get("/messages/")
    assert len(response.context["page"]) == 25
    assert "Page 1 of 2" in response.content.decode()


def test_a_message_page_shows_the_whole_text_with_its_link_clickable(
    reception_client: Client, make_message: Callable[..., Message]
) -> None:
    message = make_message(body="Olá, Ana! <b>Confirme</b> em http://127.0.0.1:8000/r/abc:def/")
    messages_send_due()
    page = reception_client.get(f"/messages/{message.pk}/").content.decode()
    assert '<a href="http://127.0.0.1:8000/r/abc:def/"' in page
    assert "&lt;b&gt;Confirme&lt;/b&gt;" in page  # the text is shown, never interpreted
    assert message.to in page
    assert "Delivered" in page


def test_a_failed_attempt_shows_with_its_error_and_history(
    twilio: FakeTwilio, reception_client: Client, make_message: Callable[..., Message]
) -> None:
    message = make_message()
    twilio.script = ["503"]
    messages_send_due()
    page = reception_client.get(f"/messages/{message.pk}/").content.decode()
    assert "Service Unavailable" in page
    assert "Next attempt" in page
    assert page.count('data-testid="message-status"') == 4  # now, and three steps of its history


def test_staff_without_the_permission_are_refused(
    make_user: Callable[..., User], client_for: Callable[[User], Client], clinic: Clinic
) -> None:
    doctor = client_for(make_user(roles.DOCTOR))
    assert doctor.get("/messages/").status_code == 403
