"""The patient's signed link: GET shows, POST confirms or cancels once; anything wrong gets a clear page
and changes nothing."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.core import signing
from django.test import Client

from messaging.models import MessageStatus
from messaging.selectors import messages_about
from messaging.sender import messages_send_due
from scheduling.links import SALT, LinkRefused, link_create, link_use
from scheduling.models import Appointment, AppointmentLink, AppointmentStatus
from scheduling.services import appointment_transition
from scheduling.tests.setup import SAO_PAULO, book, build
from tests.concurrency import all_at_once
from tests.factories import make_patient

pytestmark = pytest.mark.django_db

WEDNESDAY = datetime(2027, 3, 3, 10, 0, tzinfo=SAO_PAULO)  # the appointment is on Monday 8 March, 09:00


@pytest.fixture(autouse=True)
def _wednesday() -> Iterator[None]:
    with time_machine.travel(WEDNESDAY, tick=True):
        yield


@pytest.fixture
def booked() -> tuple[Appointment, dict[str, Any]]:
    setting = build()
    return book(setting, make_patient()), setting


@pytest.fixture
def patient_client() -> Client:
    return Client(HTTP_ACCEPT_LANGUAGE="en")


def _path(token: str) -> str:
    return f"/r/{token}/"


def _link(token: str) -> AppointmentLink:
    return AppointmentLink.objects.get(nonce=signing.Signer(salt=SALT).unsign(token))


def _unchanged(appointment: Appointment) -> None:
    before = appointment.status
    appointment.refresh_from_db()
    assert appointment.status == before
    assert not appointment.events.exists()


def test_the_link_shows_the_clinic_date_and_time_and_changes_nothing(
    booked: tuple[Appointment, Any], patient_client: Client
) -> None:
    appointment, setting = booked
    token = link_create(appointment)
    response = patient_client.get(_path(token))
    page = response.content.decode()
    assert response.status_code == 200
    assert appointment.clinic.name in page and appointment.clinic.street in page
    assert "Monday" in page and "09:00" in page
    assert 'value="confirm"' in page and 'value="cancel"' in page and "csrfmiddlewaretoken" in page
    assert setting["specialty"].name not in page
    assert 'name="robots" content="noindex' in page
    assert "no-cache" in response["Cache-Control"] or "no-store" in response["Cache-Control"]
    _unchanged(appointment)
    assert _link(token).used_at is None  # a link scanner's GET spends nothing


def test_confirming_confirms_as_the_patient_once(booked: tuple[Appointment, Any], patient_client: Client) -> None:
    appointment, _setting = booked
    token = link_create(appointment)
    response = patient_client.post(_path(token), {"action": "confirm"})
    assert response.status_code == 200
    assert "Appointment confirmed" in response.content.decode()
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.CONFIRMED
    assert list(appointment.events.values_list("from_status", "to_status", "by")) == [("scheduled", "confirmed", None)]
    link = _link(token)
    assert link.used_at is not None and link.action == "confirm"

    again = patient_client.post(_path(token), {"action": "cancel"})
    assert again.status_code == 410
    assert "already been used" in again.content.decode()
    assert patient_client.get(_path(token)).status_code == 410
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.CONFIRMED
    assert appointment.events.count() == 1


def test_cancelling_cancels_with_the_patients_reason_and_stops_the_reminders(
    booked: tuple[Appointment, Any], patient_client: Client
) -> None:
    appointment, _setting = booked
    token = link_create(appointment)
    response = patient_client.post(_path(token), {"action": "cancel"})
    assert response.status_code == 200
    assert "Appointment cancelled" in response.content.decode()
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.CANCELLED
    event = appointment.events.get()
    assert (event.by, event.reason) == (None, "Cancelled by the patient")
    assert set(messages_about(appointment).values_list("status", flat=True)) == {MessageStatus.CANCELLED}


def _tampered(token: str) -> list[str]:
    nonce, signature = token.split(":")
    flipped = ("A" if signature[5] != "A" else "B").join((signature[:5], signature[6:]))
    other_nonce = ("x" if nonce[0] != "x" else "y") + nonce[1:]
    return [
        f"{nonce}:{flipped}",  # signature changed
        f"{other_nonce}:{signature}",  # nonce changed
        nonce,  # signature removed
        signing.Signer().sign(nonce),  # signed without this purpose's salt
        signing.Signer(salt=SALT).sign("no-such-link-anywhere"),  # signed right, names nothing
        "%3Cscript%3Ealert(1)%3C%5Cscript%3E",
        "x" * 3000,
    ]


def test_a_tampered_or_unknown_link_is_refused_with_a_clear_page(
    booked: tuple[Appointment, Any], patient_client: Client
) -> None:
    appointment, _setting = booked
    token = link_create(appointment)
    for bad in _tampered(token):
        for response in (
            patient_client.get(_path(bad)),
            patient_client.post(_path(bad), {"action": "confirm"}),
        ):
            page = response.content.decode()
            assert response.status_code == 400, bad
            assert "This link is not valid" in page
            assert "<script>" not in page
    _unchanged(appointment)
    assert _link(token).used_at is None


def test_a_link_expires_when_the_appointment_starts(booked: tuple[Appointment, Any], patient_client: Client) -> None:
    appointment, _setting = booked
    token = link_create(appointment)
    with time_machine.travel(appointment.starts_at + timedelta(seconds=1), tick=True):
        shown = patient_client.get(_path(token))
        posted = patient_client.post(_path(token), {"action": "cancel"})
    for response in (shown, posted):
        assert response.status_code == 410
        assert "This link has expired" in response.content.decode()
    _unchanged(appointment)


def test_a_link_to_an_appointment_no_longer_open_is_refused(
    booked: tuple[Appointment, Any], patient_client: Client
) -> None:
    appointment, setting = booked
    token = link_create(appointment)
    appointment = appointment_transition(
        appointment=appointment, to=AppointmentStatus.CANCELLED, by=setting["by"], reason="Paciente ligou"
    )
    response = patient_client.post(_path(token), {"action": "confirm"})
    assert response.status_code == 410
    assert "can no longer be changed here" in response.content.decode()
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.CANCELLED
    assert appointment.events.count() == 1


def test_an_appointment_reception_confirmed_can_still_be_cancelled_not_confirmed_again(
    booked: tuple[Appointment, Any], patient_client: Client
) -> None:
    appointment, setting = booked
    token = link_create(appointment)
    appointment_transition(appointment=appointment, to=AppointmentStatus.CONFIRMED, by=setting["by"])
    page = patient_client.get(_path(token)).content.decode()
    assert 'value="confirm"' not in page and 'value="cancel"' in page
    again = patient_client.post(_path(token), {"action": "confirm"})
    assert again.status_code == 410 and "already confirmed" in again.content.decode()
    assert _link(token).used_at is None  # nothing happened, so the link still works
    assert patient_client.post(_path(token), {"action": "cancel"}).status_code == 200
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.CANCELLED


@pytest.mark.parametrize("action", ["", "delete", "<b>confirm</b>", "confirm" * 100])
def test_an_unknown_action_is_refused(booked: tuple[Appointment, Any], patient_client: Client, action: str) -> None:
    appointment, _setting = booked
    token = link_create(appointment)
    response = patient_client.post(_path(token), {"action": action})
    assert response.status_code == 400
    assert "Choose Confirm or Cancel" in response.content.decode()
    _unchanged(appointment)


def test_a_post_without_the_pages_csrf_token_is_refused(booked: tuple[Appointment, Any]) -> None:
    appointment, _setting = booked
    token = link_create(appointment)
    client = Client(enforce_csrf_checks=True)
    assert client.post(_path(token), {"action": "cancel"}).status_code == 403
    _unchanged(appointment)


def test_the_link_in_a_sent_reminder_lets_the_patient_confirm(
    booked: tuple[Appointment, Any], patient_client: Client
) -> None:
    appointment, _setting = booked
    with time_machine.travel(appointment.starts_at - timedelta(hours=47), tick=True):
        assert messages_send_due() == 1
        reminder = messages_about(appointment).first()
        assert reminder is not None and reminder.status == MessageStatus.DELIVERED
        link = reminder.body.rsplit(" ", 1)[-1]
        assert link.startswith("http://127.0.0.1:8000/r/")
        path = link.removeprefix("http://127.0.0.1:8000")
        assert patient_client.get(path).status_code == 200
        assert patient_client.post(path, {"action": "confirm"}).status_code == 200
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.CONFIRMED


@pytest.mark.django_db(transaction=True)
def test_one_link_pressed_twice_at_once_acts_once() -> None:
    with time_machine.travel(WEDNESDAY, tick=True):
        appointment = book(build(), make_patient())
        token = link_create(appointment)
        outcomes = all_at_once(4, lambda i: link_use(token=token, action="confirm" if i % 2 else "cancel"))
    won = [o for o in outcomes if isinstance(o, Appointment)]
    refused = [o for o in outcomes if isinstance(o, LinkRefused)]
    assert len(won) == 1 and len(refused) == 3, outcomes
    assert {r.status for r in refused} == {410}
    appointment.refresh_from_db()
    assert appointment.status == won[0].status
    assert appointment.events.count() == 1
