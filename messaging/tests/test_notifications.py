"""Notes to staff in the site: one per key, links inside the site only, read by their recipient alone."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import translation

from clinic.models import Clinic
from messaging.models import Notification
from messaging.selectors import notifications_for, unread_count
from messaging.services import notification_open, notifications_read_all, notify
from staff import roles
from staff.models import User

NOW = datetime(2026, 3, 10, 15, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _frozen_in_english() -> Iterator[None]:
    with time_machine.travel(NOW, tick=False), translation.override("en"):
        yield


@pytest.fixture
def nurse(make_user: Callable[..., User]) -> User:
    return make_user(roles.WARD_NURSE)


@pytest.fixture
def make_note(doctor: User) -> Callable[..., Notification]:
    counter = iter(range(1, 10_000))

    def make(**overrides: Any) -> Notification:
        number = next(counter)
        fields: dict[str, Any] = {
            "recipient": doctor,
            "title": f"Resultado liberado {number}",
            "url": f"/exams/orders/{number}/",
            "purpose": "test",
            "dedupe_key": f"test:{number}",
            **overrides,
        }
        return notify(**fields)

    return make


def rows() -> list[tuple[Any, ...]]:
    return list(Notification.objects.order_by("pk").values_list("pk", "recipient", "title", "url", "read_at"))


def test_a_note_records_what_it_is_about(doctor: User, clinic: Clinic) -> None:
    note = notify(
        recipient=doctor,
        title="  Result released:   Hemograma  ",
        body=" 2 values are outside the reference range. ",
        url="/exams/orders/7/",
        purpose="exam-result-ready",
        dedupe_key="exam-result:7:doctor",
        about=clinic,
    )

    stored = Notification.objects.get()
    assert stored.pk == note.pk
    assert (stored.recipient, stored.title, stored.body, stored.url) == (
        doctor,
        "Result released: Hemograma",
        "2 values are outside the reference range.",
        "/exams/orders/7/",
    )
    assert (stored.purpose, stored.dedupe_key, stored.created_at, stored.read_at) == (
        "exam-result-ready",
        "exam-result:7:doctor",
        NOW,
        None,
    )
    assert (stored.content_type, stored.object_id) == (ContentType.objects.get_for_model(Clinic), clinic.pk)


def test_notifying_the_same_key_twice_keeps_the_first_note(make_note: Callable[..., Notification], nurse: User) -> None:
    first = make_note(dedupe_key="exam-result:7:doctor")
    notification_open(notification=first, by=first.recipient)
    before = rows()

    again = make_note(dedupe_key="exam-result:7:doctor", title="Another title", recipient=nurse)

    assert again.pk == first.pk
    assert rows() == before


@pytest.mark.parametrize(
    ("overrides", "message", "field"),
    [
        ({"title": "   "}, "A notification needs a title.", "title"),
        ({"url": "https://evil.example/phish"}, "A notification can only link to a page of this site.", "url"),
        ({"url": "//evil.example/phish"}, "A notification can only link to a page of this site.", "url"),
        ({"url": "/\\evil.example"}, "A notification can only link to a page of this site.", "url"),
        ({"url": "javascript:alert(1)"}, "A notification can only link to a page of this site.", "url"),
        ({"dedupe_key": " "}, "A notification needs a purpose and a key that names it.", None),
        ({"purpose": ""}, "A notification needs a purpose and a key that names it.", None),
        ({"about": Clinic()}, "A notification can only be about something already saved.", None),
    ],
)
def test_a_note_that_is_incomplete_or_links_elsewhere_is_refused(
    make_note: Callable[..., Notification], overrides: dict[str, Any], message: str, field: str | None
) -> None:
    with pytest.raises(ValidationError) as refused:
        make_note(**overrides)

    if field is None:
        assert refused.value.messages == [message]
    else:
        assert refused.value.message_dict == {field: [message]}
    assert not Notification.objects.exists()


def test_opening_a_note_marks_it_read_once(make_note: Callable[..., Notification], doctor: User) -> None:
    note = make_note()

    opened = notification_open(notification=note, by=doctor)
    with time_machine.travel(NOW + timedelta(hours=1), tick=False):
        again = notification_open(notification=note, by=doctor)

    assert opened.read_at == NOW
    assert again.read_at == NOW
    assert Notification.objects.get().read_at == NOW


def test_someone_else_cannot_open_a_note(make_note: Callable[..., Notification], nurse: User) -> None:
    note = make_note()
    before = rows()

    with pytest.raises(PermissionDenied):
        notification_open(notification=note, by=nurse)

    assert rows() == before


def test_reading_all_marks_only_the_recipients_unread_notes(
    make_note: Callable[..., Notification], doctor: User, nurse: User
) -> None:
    already = make_note()
    notification_open(notification=already, by=doctor)
    make_note()
    make_note()
    theirs = make_note(recipient=nurse)

    with time_machine.travel(NOW + timedelta(hours=1), tick=False):
        assert notifications_read_all(recipient=doctor) == 2
        assert notifications_read_all(recipient=doctor) == 0

    assert unread_count(doctor) == 0
    assert Notification.objects.get(pk=already.pk).read_at == NOW
    assert set(Notification.objects.filter(recipient=doctor).values_list("read_at", flat=True)) == {
        NOW,
        NOW + timedelta(hours=1),
    }
    assert Notification.objects.get(pk=theirs.pk).read_at is None
    assert unread_count(nurse) == 1


def test_the_bell_counts_and_lists_only_the_users_own_notes_newest_first(
    make_note: Callable[..., Notification], doctor: User, nurse: User
) -> None:
    older = make_note()
    with time_machine.travel(NOW + timedelta(minutes=5), tick=False):
        newer = make_note()
    make_note(recipient=nurse)
    notification_open(notification=older, by=doctor)

    assert unread_count(doctor) == 1
    assert notifications_for(doctor) == [newer, older]
    assert notifications_for(doctor, limit=1) == [newer]
    assert [note.recipient for note in notifications_for(nurse)] == [nurse]
