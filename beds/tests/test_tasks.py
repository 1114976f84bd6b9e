"""The periodic task that frees beds whose reservation ran out: on time, once, and past beds another run holds."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from beds import services
from beds.models import Admission, Bed, BedEvent, BedState
from beds.tasks import expire_reservations
from clinic.celery import app
from clinic.models import Clinic
from staff import roles
from staff.models import User
from tests.factories import (
    BedFactory,
    ClinicFactory,
    FloorFactory,
    UserFactory,
    WardFactory,
    WardRoomFactory,
    make_request,
)

NOW = datetime(2026, 3, 10, 15, 0, tzinfo=UTC)


def _reserved_bed(clinic: Clinic, nurse: User, *, hours: int) -> tuple[Bed, Admission]:
    bed = BedFactory(room=WardRoomFactory(ward=WardFactory(floor=FloorFactory(clinic=clinic))))
    admission = make_request(clinic=clinic, by=nurse)
    services.bed_reserve(bed=bed, admission=admission, until=timezone.now() + timedelta(hours=hours), by=nurse)
    return bed, admission


def _states(*beds: Bed) -> list[tuple[str, int | None]]:
    return [(bed.state, bed.reserved_for_id) for bed in Bed.objects.filter(pk__in=[b.pk for b in beds]).order_by("pk")]


def test_beat_runs_the_task_every_minute() -> None:
    entry = settings.CELERY_BEAT_SCHEDULE["expire-bed-reservations"]

    assert entry == {"task": "beds.tasks.expire_reservations", "schedule": 60.0}
    assert expire_reservations.name == entry["task"]
    assert entry["task"] in app.tasks


def test_the_task_frees_the_beds_whose_time_is_up_and_only_those(
    clinic: Clinic, make_user: Callable[..., User]
) -> None:
    nurse = make_user(roles.WARD_NURSE)
    with time_machine.travel(NOW, tick=False):
        short, short_for = _reserved_bed(clinic, nurse, hours=1)
        longer, longer_for = _reserved_bed(clinic, nurse, hours=3)

    with time_machine.travel(NOW + timedelta(hours=1), tick=False):
        assert expire_reservations() == 1
        assert expire_reservations() == 0  # safe to run twice

    assert _states(short, longer) == [(BedState.AVAILABLE, None), (BedState.RESERVED, longer_for.pk)]
    expired = BedEvent.objects.get(kind=BedEvent.Kind.RESERVATION_EXPIRED)
    assert (expired.bed_id, expired.admission, expired.by, expired.at) == (
        short.pk,
        short_for,
        None,
        NOW + timedelta(hours=1),
    )

    with time_machine.travel(NOW + timedelta(hours=3), tick=False):
        assert expire_reservations.apply().get() == 1
    assert _states(short, longer) == [(BedState.AVAILABLE, None), (BedState.AVAILABLE, None)]


def test_a_bed_another_run_holds_is_left_for_the_next_run(transactional_db: None) -> None:
    clinic = ClinicFactory()
    nurse = UserFactory(role=roles.WARD_NURSE, clinics=[clinic])
    with time_machine.travel(timezone.now() - timedelta(hours=2)):
        held, held_for = _reserved_bed(clinic, nurse, hours=1)
        free, _free_for = _reserved_bed(clinic, nurse, hours=1)
    locked, release = threading.Event(), threading.Event()

    def other_station() -> None:
        try:
            with transaction.atomic():
                Bed.objects.select_for_update().get(pk=held.pk)
                locked.set()
                release.wait(timeout=30)
        finally:
            connection.close()

    thread = threading.Thread(target=other_station)
    thread.start()
    try:
        assert locked.wait(timeout=30)
        assert expire_reservations() == 1
        assert _states(held, free) == [(BedState.RESERVED, held_for.pk), (BedState.AVAILABLE, None)]
    finally:
        release.set()
        thread.join(timeout=30)

    assert expire_reservations() == 1
    assert _states(held, free) == [(BedState.AVAILABLE, None), (BedState.AVAILABLE, None)]


@pytest.mark.parametrize("state", [BedState.AVAILABLE, BedState.OCCUPIED, BedState.CLEANING, BedState.BLOCKED])
def test_beds_that_are_not_reserved_are_left_alone(clinic: Clinic, state: str) -> None:
    bed = BedFactory(room=WardRoomFactory(ward=WardFactory(floor=FloorFactory(clinic=clinic))), state=state)

    assert expire_reservations() == 0

    assert _states(bed) == [(state, None)]
    assert not BedEvent.objects.exists()
