"""Appointment reminders: planned at booking in the clinic's zone, by the patient's channel, with nothing
clinical in them; cancelled with the appointment; failures retried and shown with the appointment."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.template.loader import render_to_string
from django.utils import translation

from messaging.models import Channel, Message, MessageStatus
from messaging.selectors import messages_about
from messaging.sender import BACKOFF, messages_send_due
from messaging.tests.twilio_server import fake_twilio
from patients.models import Patient
from scheduling.models import Appointment, AppointmentLink, AppointmentStatus
from scheduling.reminders import reminders_plan
from scheduling.services import SlotTaken, appointment_reschedule, appointment_transition
from scheduling.tests.setup import SAO_PAULO, book, build
from tests.concurrency import all_at_once
from tests.factories import make_patient

pytestmark = pytest.mark.django_db

MANAUS = ZoneInfo("America/Manaus")
# A Wednesday; build() then offers next Monday, 8 March 2027, at 09:00 in São Paulo.
WEDNESDAY = datetime(2027, 3, 3, 10, 0, tzinfo=SAO_PAULO)


@pytest.fixture(autouse=True)
def _wednesday() -> Iterator[None]:
    with time_machine.travel(WEDNESDAY, tick=True):
        yield


@pytest.fixture
def setting() -> dict[str, Any]:
    return build()


def _due(appointment: Appointment) -> list[datetime]:
    return [message.send_after for message in messages_about(appointment)]


def test_booking_plans_reminders_48_and_2_hours_before(setting: dict[str, Any]) -> None:
    patient = make_patient(reminder_channel="sms")
    appointment = book(setting, patient)
    reminders = list(messages_about(appointment))
    assert _due(appointment) == [datetime(2027, 3, 6, 9, tzinfo=SAO_PAULO), datetime(2027, 3, 8, 7, tzinfo=SAO_PAULO)]
    assert {(m.channel, m.to, m.status, m.expires_at) for m in reminders} == {
        (Channel.SMS, patient.mobile_phone, MessageStatus.PENDING, appointment.starts_at)
    }
    assert {m.clinic_id for m in reminders} == {appointment.clinic_id}
    assert AppointmentLink.objects.filter(appointment=appointment).count() == 2


def test_times_are_the_clinics_own(setting: dict[str, Any]) -> None:
    clinic = setting["room"].clinic
    clinic.time_zone = "America/Manaus"  # one hour behind São Paulo
    clinic.save()
    appointment = book(setting, make_patient())
    reminders = list(messages_about(appointment))
    assert _due(appointment) == [datetime(2027, 3, 6, 8, tzinfo=MANAUS), datetime(2027, 3, 8, 6, tzinfo=MANAUS)]
    assert "08:00" in reminders[0].body and "09:00" not in reminders[0].body


def test_the_text_names_the_clinic_and_time_and_nothing_clinical(setting: dict[str, Any]) -> None:
    patient = make_patient(full_name="Teodoro Quintiliano Albuquerque", social_name="Valentina Quintiliano")
    practitioner = setting["practitioner"]
    practitioner.user.first_name, practitioner.user.last_name = "Hipócrates", "Esculápio"
    practitioner.user.save()
    setting["specialty"].name = "Psiquiatria"
    setting["specialty"].save()
    appointment = book(setting, patient)
    clinic = appointment.clinic
    body = messages_about(appointment).first().body  # type: ignore[union-attr]
    assert "Valentina" in body and "Teodoro" not in body and "Quintiliano" not in body
    assert clinic.name in body and clinic.street in body and clinic.city in body
    assert "segunda-feira, 08/03/2027" in body.lower() and "09:00" in body
    token = AppointmentLink.objects.filter(appointment=appointment).order_by("pk").first()
    assert "/r/" in body and token is not None and token.nonce in body
    for clinical in (
        setting["specialty"].name,
        practitioner.user.first_name,
        practitioner.user.last_name,
        practitioner.council_number,
    ):
        assert clinical not in body
    subject = messages_about(appointment).first().subject  # type: ignore[union-attr]
    assert clinic.name in subject and setting["specialty"].name not in subject


@pytest.mark.parametrize(
    ("channel", "missing", "expected"),
    [
        ("whatsapp", {}, Channel.WHATSAPP),
        ("email", {}, Channel.EMAIL),
        ("none", {}, None),  # opted out
        # Registered before the registry required the contact of the chosen channel:
        ("email", {"email": ""}, None),
        ("sms", {"mobile_phone": ""}, None),
        ("whatsapp", {"mobile_phone": "+55"}, None),
    ],
)
def test_the_patients_channel_decides_and_opting_out_means_none(
    setting: dict[str, Any], channel: str, missing: dict[str, str], expected: str | None
) -> None:
    patient = make_patient(reminder_channel=channel, email="ana@example.org")
    Patient.objects.filter(pk=patient.pk).update(**missing)
    patient.refresh_from_db()
    appointment = book(setting, patient)
    channels = set(messages_about(appointment).values_list("channel", flat=True))
    assert channels == ({expected} if expected else set())
    if expected == Channel.EMAIL:
        assert {m.to for m in messages_about(appointment)} == {"ana@example.org"}


def test_an_opted_out_patient_gets_nothing_even_when_the_sender_runs(setting: dict[str, Any]) -> None:
    appointment = book(setting, make_patient(reminder_channel="none"))
    with time_machine.travel(appointment.starts_at - timedelta(hours=1), tick=True):
        assert messages_send_due() == 0
    assert not Message.objects.exists()


def test_reminder_times_already_past_are_skipped(setting: dict[str, Any]) -> None:
    with time_machine.travel(datetime(2027, 3, 7, 10, 0, tzinfo=SAO_PAULO), tick=True):  # Sunday: 23 h before
        appointment = book(setting, make_patient())
    assert _due(appointment) == [datetime(2027, 3, 8, 7, tzinfo=SAO_PAULO)]


@pytest.mark.parametrize(("hours", "expected"), [([24], [datetime(2027, 3, 7, 9, tzinfo=SAO_PAULO)]), ([], [])])
def test_each_clinic_chooses_its_reminder_times(
    setting: dict[str, Any], hours: list[int], expected: list[datetime]
) -> None:
    clinic = setting["room"].clinic
    clinic.reminder_hours = hours
    clinic.save()
    appointment = book(setting, make_patient())
    assert _due(appointment) == expected


def test_planning_again_plans_nothing_new(setting: dict[str, Any]) -> None:
    appointment = book(setting, make_patient())
    assert reminders_plan(appointment) == []
    assert Message.objects.count() == 2
    assert AppointmentLink.objects.count() == 2


def test_a_booking_that_fails_plans_no_reminder(setting: dict[str, Any]) -> None:
    book(setting, make_patient())
    with pytest.raises(SlotTaken):
        book(setting, make_patient())
    assert Message.objects.count() == 2
    assert Appointment.objects.count() == 1


@pytest.mark.parametrize("status", [AppointmentStatus.CANCELLED, AppointmentStatus.NO_SHOW])
def test_cancelling_or_a_no_show_cancels_the_pending_reminders(setting: dict[str, Any], status: str) -> None:
    appointment = book(setting, make_patient())
    with time_machine.travel(datetime(2027, 3, 6, 9, 1, tzinfo=SAO_PAULO), tick=True):
        assert messages_send_due() == 1  # the 48 h reminder went
        appointment_transition(appointment=appointment, to=status, by=setting["by"], reason="Paciente viajou")
    assert list(messages_about(appointment).values_list("status", flat=True)) == [
        MessageStatus.DELIVERED,
        MessageStatus.CANCELLED,
    ]
    with time_machine.travel(appointment.starts_at - timedelta(hours=1), tick=True):
        assert messages_send_due() == 0


def test_rescheduling_cancels_the_old_reminders_and_plans_new_ones(setting: dict[str, Any]) -> None:
    old = book(setting, make_patient())
    new = appointment_reschedule(appointment=old, starts_at=setting["at"] + timedelta(hours=1), by=setting["by"])
    assert set(messages_about(old).values_list("status", flat=True)) == {MessageStatus.CANCELLED}
    assert _due(new) == [datetime(2027, 3, 6, 10, tzinfo=SAO_PAULO), datetime(2027, 3, 8, 8, tzinfo=SAO_PAULO)]
    assert "10:00" in messages_about(new).first().body  # type: ignore[union-attr]


@pytest.mark.django_db(transaction=True)
def test_the_reminder_job_run_twice_at_once_sends_one_reminder(settings: Any) -> None:
    appointment = book(build(), make_patient())
    with fake_twilio(settings) as twilio, time_machine.travel(datetime(2027, 3, 6, 9, 1, tzinfo=SAO_PAULO), tick=True):
        outcomes = all_at_once(2, lambda i: messages_send_due())
    assert sorted(outcomes) == [0, 1]  # type: ignore[type-var]
    assert twilio.posts == 1 and len(twilio.messages) == 1
    assert [m.status for m in messages_about(appointment)] == [MessageStatus.SENT, MessageStatus.PENDING]


def test_a_provider_failure_is_retried_and_shows_with_the_appointment(settings: Any, setting: dict[str, Any]) -> None:
    appointment = book(setting, make_patient())
    due = datetime(2027, 3, 6, 9, 0, 30, tzinfo=SAO_PAULO)

    def shown() -> str:
        context = {"outbound_messages": messages_about(appointment), "time_zone": appointment.clinic.time_zone}
        with translation.override("en"):
            return render_to_string("messaging/_messages_about.html", context)

    with fake_twilio(settings) as twilio:
        twilio.script = ["503"]
        with time_machine.travel(due, tick=True):
            messages_send_due()
        page = shown()
        assert "Service Unavailable" in page and "retry at 9:01 a.m." in page and ">Pending<" in page
        with time_machine.travel(due + BACKOFF[0] + timedelta(seconds=1), tick=True):
            messages_send_due()
        assert len(twilio.messages) == 1
    page = shown()
    assert ">Sent<" in page and ">Pending<" in page  # the 48 h reminder went on its 2nd attempt; the 2 h one waits
    first = messages_about(appointment).first()
    assert first is not None and (first.status, first.attempts) == (MessageStatus.SENT, 2)


@pytest.mark.parametrize(
    ("hours", "valid"), [([48, 2], True), ([], True), ([0], False), ([721], False), ([2, 2], False)]
)
def test_a_clinics_reminder_times_are_checked(setting: dict[str, Any], hours: list[int], valid: bool) -> None:
    clinic = setting["room"].clinic
    clinic.reminder_hours = hours
    if valid:
        clinic.full_clean()
    else:
        with pytest.raises(ValidationError) as refused:
            clinic.full_clean()
        assert set(refused.value.message_dict) == {"reminder_hours"}


def test_opting_out_after_booking_cancels_the_pending_reminders(setting: dict[str, Any]) -> None:
    from patients.services import patient_update

    patient = make_patient(reminder_channel="sms")
    appointment = book(setting, patient)
    patient_update(patient=patient, by=setting["by"], reminder_channel="none")
    assert set(messages_about(appointment).values_list("status", flat=True)) == {MessageStatus.CANCELLED}
    with time_machine.travel(appointment.starts_at - timedelta(hours=1), tick=True):
        assert messages_send_due() == 0


def test_a_new_mobile_number_gets_the_reminders_instead_of_the_old_one(setting: dict[str, Any]) -> None:
    from patients.services import patient_update

    patient = make_patient(reminder_channel="sms", mobile_phone="+5511987654321")
    appointment = book(setting, patient)
    patient_update(patient=patient, by=setting["by"], mobile_phone="+5511912345678")
    pending = messages_about(appointment).filter(status=MessageStatus.PENDING)
    assert sorted(m.to for m in pending) == ["+5511912345678", "+5511912345678"]
    assert messages_about(appointment).filter(status=MessageStatus.CANCELLED).count() == 2


def test_saving_the_patient_unchanged_keeps_the_reminders(setting: dict[str, Any]) -> None:
    from patients.services import patient_update

    patient = make_patient(reminder_channel="sms")
    appointment = book(setting, patient)
    patient_update(patient=patient, by=setting["by"], city="Campinas")
    assert set(messages_about(appointment).values_list("status", flat=True)) == {MessageStatus.PENDING}
    assert Message.objects.count() == 2
