"""The bell in the top bar and the notifications list, as the member of staff who reads them."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client
from django.urls import reverse

from messaging.models import Notification
from messaging.services import notify
from staff import roles
from staff.models import User

pytestmark = pytest.mark.django_db


@pytest.fixture
def english(client_for: Callable[[User], Client]) -> Callable[[User], Client]:
    def make(user: User) -> Client:
        client = client_for(user)
        client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
        return client

    return make


@pytest.fixture
def doctor_client(doctor: User, english: Callable[[User], Client]) -> Client:
    return english(doctor)


def _note(
    recipient: User, key: str, *, title: str = "Result released: Hemograma — João", url: str = ""
) -> Notification:
    return notify(recipient=recipient, title=title, url=url, purpose="test", dedupe_key=key)


def test_every_page_of_a_signed_in_user_loads_the_bell(doctor_client: Client) -> None:
    html = doctor_client.get(reverse("home")).content.decode()
    assert f'hx-get="{reverse("messaging:notification-bell")}" hx-trigger="load"' in html
    assert 'aria-live="polite"' in html


def test_the_bell_counts_the_unread_notes_of_its_user_only(
    doctor: User, doctor_client: Client, make_user: Callable[..., User]
) -> None:
    _note(doctor, "a")
    _note(doctor, "b")
    Notification.objects.filter(pk=_note(doctor, "c").pk).update(read_at="2026-03-10T12:00:00Z")
    _note(make_user(roles.DOCTOR), "someone-else")

    html = doctor_client.get(reverse("messaging:notification-bell")).content.decode()

    assert 'data-unread="2"' in html
    assert 'data-testid="unread-count">2<' in html
    assert "Notifications: 2 unread" in html
    assert 'hx-trigger="every 30s"' in html and "?shown=2" in html


def test_the_bell_answers_204_when_nothing_changed_or_the_session_ended(doctor: User, doctor_client: Client) -> None:
    _note(doctor, "a")
    url = reverse("messaging:notification-bell")

    assert doctor_client.get(url, {"shown": "1"}).status_code == 204
    assert doctor_client.get(url, {"shown": "0"}).status_code == 200
    assert Client().get(url).status_code == 204


def test_the_list_shows_unread_notes_first(doctor: User, doctor_client: Client) -> None:
    older_unread = _note(doctor, "a", title="Primeiro")
    read = _note(doctor, "b", title="Lido")
    newer_unread = _note(doctor, "c", title="Terceiro")
    Notification.objects.filter(pk=read.pk).update(read_at="2026-03-10T12:00:00Z")

    page = doctor_client.get(reverse("messaging:notifications"))

    assert [note.pk for note in page.context["notifications"]] == [newer_unread.pk, older_unread.pk, read.pk]
    assert "2 unread" in page.content.decode()


def test_opening_a_note_marks_it_read_and_goes_where_it_points(doctor: User, doctor_client: Client) -> None:
    note = _note(doctor, "a", url="/patients/")

    response = doctor_client.post(reverse("messaging:notification-open", args=[note.pk]))

    assert response.status_code == 302
    assert response["Location"] == "/patients/"
    note.refresh_from_db()
    assert note.read_at is not None
    assert 'data-unread="0"' in doctor_client.get(reverse("messaging:notification-bell")).content.decode()


def test_a_note_pointing_off_the_site_opens_the_list_instead(doctor: User, doctor_client: Client) -> None:
    note = Notification.objects.create(
        recipient=doctor, title="x", url="https://evil.example/", purpose="test", dedupe_key="hostile"
    )

    response = doctor_client.post(reverse("messaging:notification-open", args=[note.pk]))

    assert response["Location"] == reverse("messaging:notifications")


def test_another_users_note_is_not_found_and_stays_unread(
    doctor: User, english: Callable[[User], Client], make_user: Callable[..., User]
) -> None:
    note = _note(doctor, "a", url="/patients/")
    nosy = english(make_user(roles.DOCTOR))

    assert nosy.post(reverse("messaging:notification-open", args=[note.pk])).status_code == 404
    assert nosy.get(reverse("messaging:notification-open", args=[note.pk])).status_code == 405
    note.refresh_from_db()
    assert note.read_at is None


def test_mark_all_read(doctor: User, doctor_client: Client, make_user: Callable[..., User]) -> None:
    _note(doctor, "a")
    _note(doctor, "b")
    others = _note(make_user(roles.DOCTOR), "c")

    response = doctor_client.post(reverse("messaging:notifications-read-all"), follow=True)

    assert "2 notifications marked read." in response.content.decode()
    assert not Notification.objects.filter(recipient=doctor, read_at__isnull=True).exists()
    others.refresh_from_db()
    assert others.read_at is None
