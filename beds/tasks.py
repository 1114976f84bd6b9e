"""Celery tasks of the beds app; safe to run twice or at once (beds another run holds are skipped)."""

from __future__ import annotations

from celery import shared_task

from beds.services import reservations_expire


@shared_task(ignore_result=True)
def expire_reservations() -> int:
    """Run by Celery beat every minute (``CELERY_BEAT_SCHEDULE``)."""
    return reservations_expire()
