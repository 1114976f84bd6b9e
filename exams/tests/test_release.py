"""Releasing a result: a second person does it, and the patient and the ordering doctor hear of it once.

The patient's message says only that a result is ready (no exam, no value); the doctor gets a note in
the site and an e-mail. Two releases at once end in one release and one set of messages.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
import time_machine
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

from clinic.models import Clinic
from exams import services
from exams.models import ExamOrder, OrderStatus
from exams.tests.test_services import NOW, Lab, assert_refused, events_of, lab_setting, ordered, resulted, world
from messaging.models import Audience, Channel, Message, Notification
from patients.models import Patient, ReminderChannel
from staff import roles
from staff.models import User
from tests.concurrency import all_at_once
from tests.factories import ClinicFactory, UserFactory

PATIENT_TEXT = "%(clinic)s: your exam result is ready. Ask for it at reception or call %(phone)s."
# What the values of ``Lab.values()`` look like however they might be written.
VALUE_STRINGS = ["14.2", "14,2", "7500", "7.500", "7 500"]


def in_site_language(text: str, **values: str) -> str:
    """``text`` as the site's default language says it (the stored texts are in it, whoever reads them)."""
    with translation.override(settings.LANGUAGE_CODE):
        return gettext(text) % values


@pytest.fixture
def lab(clinic: Clinic, make_user: Callable[..., User]) -> Iterator[Lab]:
    clinic.phone = "(11) 3456-1234"
    clinic.save()
    with time_machine.travel(NOW, tick=False), translation.override("en"):
        yield lab_setting(clinic, make_user)


def patient_messages() -> list[Message]:
    return list(Message.objects.filter(dedupe_key__endswith=":patient"))


def test_a_second_person_releases_and_the_patient_and_doctor_are_told(lab: Lab) -> None:
    order = resulted(lab)
    order_type = ContentType.objects.get_for_model(ExamOrder)

    services.result_release(order=order, by=lab.reviewer)

    stored = ExamOrder.objects.get()
    assert (stored.status, stored.released_by, stored.released_at) == (OrderStatus.RELEASED, lab.reviewer, NOW)
    assert events_of(order)[-1] == (OrderStatus.RESULTED, OrderStatus.RELEASED, lab.reviewer.pk, NOW, "")

    to_patient = Message.objects.get(dedupe_key=f"exam-result:{order.pk}:patient")
    assert (to_patient.channel, to_patient.to, to_patient.purpose) == (
        Channel.SMS,
        lab.patient.mobile_phone,
        "exam-result-ready",
    )
    assert (to_patient.clinic, to_patient.content_type, to_patient.object_id) == (lab.clinic, order_type, order.pk)
    assert to_patient.body == in_site_language(PATIENT_TEXT, clinic=lab.clinic.name, phone="(11) 3456-1234")
    for secret in ["Hemograma", "Hemoglobina", "Leucócitos", *VALUE_STRINGS]:
        assert secret not in to_patient.body and secret not in to_patient.subject

    note = Notification.objects.get()
    assert (note.recipient, note.dedupe_key, note.purpose) == (
        lab.doctor,
        f"exam-result:{order.pk}:doctor",
        "exam-result-ready",
    )
    assert note.title == in_site_language(
        "Result released: %(exam)s — %(patient)s", exam="Hemograma completo", patient=lab.patient.display_name
    )
    assert (note.url, note.content_type, note.object_id, note.read_at) == (
        reverse("exams:order", args=[order.pk]),
        order_type,
        order.pk,
        None,
    )

    # E-mail leaves the building: it says only that a result awaits, and where (issue 11, item 5).
    email = Message.objects.get(dedupe_key=f"exam-result:{order.pk}:doctor-email")
    assert (email.channel, email.to, email.audience) == (Channel.EMAIL, lab.doctor.email, Audience.STAFF)
    assert email.subject == in_site_language("An exam result awaits you")
    link = settings.SITE_URL + reverse("exams:order", args=[order.pk])
    assert email.body == in_site_language(
        "A result of an exam you ordered was released. Sign in to see it: %(link)s", link=link
    )
    names = [word for word in lab.patient.full_name.split() if len(word) > 3]
    names += ["Hemograma", "Hemoglobina", "Leucócitos", *VALUE_STRINGS]
    for secret in names:
        assert secret not in email.subject and secret not in email.body
    assert to_patient.audience == Audience.PATIENT
    assert Message.objects.count() == 2


def test_the_doctors_note_counts_the_values_outside_the_range_and_names_none(lab: Lab) -> None:
    order = services.results_enter(order=resulted(lab), by=lab.technician, values=lab.values(hgb="9.1", wbc="12000"))

    services.result_release(order=order, by=lab.reviewer)

    note = Notification.objects.get()
    with translation.override(settings.LANGUAGE_CODE):
        expected = translation.ngettext(
            "%(count)s value is outside the reference range.",
            "%(count)s values are outside the reference range.",
            2,
        ) % {"count": 2}
    assert note.body == expected
    assert "9.1" not in note.body and "12000" not in note.body


def test_a_release_by_the_person_who_entered_the_result_is_refused(lab: Lab) -> None:
    order = resulted(lab)

    assert_refused(
        lambda: services.result_release(order=order, by=lab.technician),
        "A result must be released by someone other than who entered it.",
    )
    assert ExamOrder.objects.get().status == OrderStatus.RESULTED
    assert not Message.objects.exists() and not Notification.objects.exists()


def test_whoever_corrected_the_result_last_may_not_release_it(lab: Lab) -> None:
    order = resulted(lab)
    services.results_enter(order=order, by=lab.reviewer, values=lab.values(hgb="14.3"))

    assert_refused(
        lambda: services.result_release(order=order, by=lab.reviewer),
        "A result must be released by someone other than who entered it.",
    )
    services.result_release(order=order, by=lab.technician)
    assert ExamOrder.objects.get().released_by == lab.technician


def test_the_database_refuses_a_release_by_the_person_who_entered_it(lab: Lab) -> None:
    order = resulted(lab)

    with pytest.raises(IntegrityError, match="exam_order_released_by_another"), transaction.atomic():
        ExamOrder.objects.filter(pk=order.pk).update(
            status=OrderStatus.RELEASED, released_at=NOW, released_by=lab.technician
        )

    assert ExamOrder.objects.get().status == OrderStatus.RESULTED


def test_a_release_the_database_refuses_gets_the_same_message(lab: Lab, monkeypatch: pytest.MonkeyPatch) -> None:
    """Were the service's own check ever bypassed (here: it reads no author), the constraint says the same."""
    order = resulted(lab)
    lock = services._lock

    def lock_forgetting_the_author(order: ExamOrder) -> ExamOrder:
        locked = lock(order)
        locked.resulted_by_id = None
        return locked

    monkeypatch.setattr(services, "_lock", lock_forgetting_the_author)

    assert_refused(
        lambda: services.result_release(order=order, by=lab.technician),
        "A result must be released by someone other than who entered it.",
    )
    assert not Message.objects.exists() and not Notification.objects.exists()


def test_only_an_entered_result_is_released(lab: Lab) -> None:
    waiting = ordered(lab)
    released = services.result_release(order=resulted(lab), by=lab.reviewer)
    cancelled = services.order_cancel(order=resulted(lab), by=lab.doctor, reason="Amostra trocada")

    assert_refused(
        lambda: services.result_release(order=waiting, by=lab.reviewer), "There is no result to release yet."
    )
    assert_refused(
        lambda: services.result_release(order=released, by=lab.reviewer), "This result was already released."
    )
    assert_refused(lambda: services.result_release(order=cancelled, by=lab.reviewer), "This order is cancelled.")
    assert Notification.objects.count() == 1


def test_someone_without_the_permission_cannot_release(lab: Lab) -> None:
    order = resulted(lab)
    before = world()

    with pytest.raises(PermissionDenied):
        services.result_release(order=order, by=lab.doctor)

    assert world() == before


def test_telling_again_about_a_release_makes_nothing_new(lab: Lab) -> None:
    order = services.result_release(order=resulted(lab), by=lab.reviewer)
    before = world()

    services.result_release_notify(order=order)
    services.result_release_notify(order=ExamOrder.objects.get(pk=order.pk))

    assert world() == before
    assert (Message.objects.count(), Notification.objects.count()) == (2, 1)


def test_nobody_is_told_about_a_result_not_released(lab: Lab) -> None:
    order = resulted(lab)

    assert_refused(
        lambda: services.result_release_notify(order=order), "There is no released result to tell anyone about."
    )


def _reached_by(patient: Patient, channel: str, **fields: Any) -> None:
    Patient.objects.filter(pk=patient.pk).update(reminder_channel=channel, **fields)


@pytest.mark.parametrize(
    ("channel", "fields", "expected"),
    [
        (ReminderChannel.EMAIL, {}, (Channel.EMAIL, "email")),
        (ReminderChannel.WHATSAPP, {}, (Channel.WHATSAPP, "mobile_phone")),
        (ReminderChannel.NONE, {}, None),
        (ReminderChannel.SMS, {"mobile_phone": ""}, None),
        (ReminderChannel.EMAIL, {"email": "not-an-address"}, None),
    ],
    ids=["email", "whatsapp", "opted-out", "no-phone", "broken-address"],
)
def test_the_patient_is_told_by_their_own_channel_or_not_at_all(
    lab: Lab, channel: str, fields: dict[str, str], expected: tuple[str, str] | None
) -> None:
    order = resulted(lab)
    _reached_by(lab.patient, channel, **fields)
    patient = Patient.objects.get(pk=lab.patient.pk)

    services.result_release(order=order, by=lab.reviewer)

    messages = patient_messages()
    if expected is None:
        assert messages == []
    else:
        assert [(m.channel, m.to) for m in messages] == [(expected[0], getattr(patient, expected[1]))]
    assert Notification.objects.filter(recipient=lab.doctor).count() == 1
    assert ExamOrder.objects.get().status == OrderStatus.RELEASED


def test_without_a_clinic_phone_the_patient_is_sent_to_reception(lab: Lab) -> None:
    Clinic.objects.filter(pk=lab.clinic.pk).update(phone="")
    order = resulted(lab)

    services.result_release(order=order, by=lab.reviewer)

    expected = in_site_language(
        "%(clinic)s: your exam result is ready. Ask for it at reception.", clinic=lab.clinic.name
    )
    assert [m.body for m in patient_messages()] == [expected]


def test_a_doctor_without_an_e_mail_gets_the_note_only(lab: Lab) -> None:
    User.objects.filter(pk=lab.doctor.pk).update(email="")
    order = resulted(lab)

    services.result_release(order=order, by=lab.reviewer)

    assert not Message.objects.filter(dedupe_key__endswith=":doctor-email").exists()
    assert Notification.objects.filter(recipient=lab.doctor).count() == 1


# Two releases at once --------------------------------------------------------------------------------


def test_two_releases_at_once_release_once_and_tell_once(transactional_db: None) -> None:
    clinic = ClinicFactory(phone="(11) 3456-1234")
    lab = lab_setting(clinic, lambda role: UserFactory(role=role, clinics=[clinic]))
    order = services.order_create(patient=lab.patient, exam=lab.exam, clinic=clinic, by=lab.doctor)
    services.order_collect(order=order, by=lab.technician)
    services.results_enter(order=order, by=lab.technician, values=lab.values())
    other_reviewer = UserFactory(role=roles.LAB, clinics=[clinic])
    reviewers = [lab.reviewer, other_reviewer]

    outcomes = all_at_once(2, lambda i: services.result_release(order=order, by=reviewers[i]))

    released = [o for o in outcomes if isinstance(o, ExamOrder)]
    refused = [o for o in outcomes if isinstance(o, ValidationError)]
    assert (len(released), len(refused)) == (1, 1), outcomes
    assert refused[0].code == "already_released"
    assert refused[0].messages == [in_site_language("This result was already released.")]
    stored = ExamOrder.objects.get()
    assert (stored.status, stored.released_by) == (OrderStatus.RELEASED, released[0].released_by)
    assert list(Message.objects.order_by("dedupe_key").values_list("dedupe_key", flat=True)) == [
        f"exam-result:{order.pk}:doctor-email",
        f"exam-result:{order.pk}:patient",
    ]
    assert list(Notification.objects.values_list("recipient", "dedupe_key")) == [
        (lab.doctor.pk, f"exam-result:{order.pk}:doctor")
    ]
    assert [event[1] for event in events_of(order)].count(OrderStatus.RELEASED) == 1
