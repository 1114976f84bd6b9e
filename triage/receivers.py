"""Triage follows the urgent appointments it made: the doctor's start takes the walk-in out of the queue."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.dispatch import receiver

from scheduling.models import Appointment, AppointmentStatus
from scheduling.signals import appointment_transitioned
from triage.models import Visit

# Once the urgent appointment is in one of these, nobody at the door waits for the doctor any more.
_OUT_OF_QUEUE = {
    AppointmentStatus.IN_PROGRESS,
    AppointmentStatus.FINISHED,
    AppointmentStatus.CANCELLED,
    AppointmentStatus.NO_SHOW,
}


@receiver(appointment_transitioned, sender=Appointment, dispatch_uid="triage-visit-follows-appointment")
def visit_follows_appointment(
    sender: type[Appointment], appointment: Appointment, to_status: str, at: datetime, **kwargs: Any
) -> None:
    if to_status not in _OUT_OF_QUEUE:
        return
    changes: dict[str, Any] = {"in_queue": False}
    if to_status == AppointmentStatus.IN_PROGRESS:
        changes["doctor_started_at"] = at
    Visit.objects.filter(appointment=appointment, in_queue=True).update(**changes)
