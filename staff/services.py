"""Writes about staff: accounts, and practitioners' schedules."""

from __future__ import annotations

from datetime import date, datetime, time

from allauth.mfa.models import Authenticator
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from clinic import crypto
from clinic.models import Clinic, Room
from staff.models import Leave, Practitioner, ScheduleBlock, User, WorkingHours


@transaction.atomic
def totp_secrets_reencrypt() -> int:
    """Re-encrypt every stored TOTP secret under the current primary key (key rotation)."""
    count = 0
    for authenticator in Authenticator.objects.select_for_update().filter(type=Authenticator.Type.TOTP).order_by("pk"):
        authenticator.data["secret"] = crypto.reencrypt(authenticator.data["secret"])
        authenticator.save(update_fields=["data"])
        count += 1
    return count


# Practitioners' schedules ------------------------------------------------------------------

MINUTES_PER_DAY = 24 * 60
MINUTES_PER_WEEK = 7 * MINUTES_PER_DAY


def week_intervals(weekday: int, start: time, end: time) -> list[tuple[int, int]]:
    """A weekly period as minute intervals within the week, [start, end).

    An end at or before the start means the next day; a period running past Sunday midnight
    continues on Monday, so it comes back as two intervals.
    """
    begin = weekday * MINUTES_PER_DAY + start.hour * 60 + start.minute
    length = (end.hour * 60 + end.minute - start.hour * 60 - start.minute) % MINUTES_PER_DAY or MINUTES_PER_DAY
    finish = begin + length
    if finish <= MINUTES_PER_WEEK:
        return [(begin, finish)]
    return [(begin, MINUTES_PER_WEEK), (0, finish - MINUTES_PER_WEEK)]


def _weekly_overlap(a: WorkingHours, b: WorkingHours) -> bool:
    if a.valid_until is not None and b.valid_from > a.valid_until:
        return False
    if b.valid_until is not None and a.valid_from > b.valid_until:
        return False
    return any(
        x_start < y_end and y_start < x_end
        for x_start, x_end in week_intervals(a.weekday, a.start_time, a.end_time)
        for y_start, y_end in week_intervals(b.weekday, b.start_time, b.end_time)
    )


@transaction.atomic
def working_hours_add(
    *,
    practitioner: Practitioner,
    clinic: Clinic,
    room: Room,
    weekday: int,
    start_time: time,
    end_time: time,
    valid_from: date,
    valid_until: date | None = None,
) -> WorkingHours:
    """Add weekly hours, refusing ones that overlap the practitioner's or the room's other hours.

    Locks the practitioner's row and the room's row (in that order) so that two concurrent
    additions cannot both pass the overlap check.
    """
    hours = WorkingHours(
        practitioner=practitioner,
        clinic=clinic,
        room=room,
        weekday=weekday,
        start_time=start_time,
        end_time=end_time,
        valid_from=valid_from,
        valid_until=valid_until,
    )
    hours.full_clean()
    if room.clinic_id != clinic.pk:
        raise ValidationError({"room": _("This room belongs to another clinic.")})
    if room.kind not in (Room.Kind.CONSULTING, Room.Kind.EXAM):
        raise ValidationError({"room": _("Appointments take place in consulting or exam rooms.")})
    if not practitioner.user.clinics.filter(pk=clinic.pk).exists():
        raise ValidationError({"clinic": _("%(name)s does not work in this clinic.") % {"name": practitioner.user}})
    Practitioner.objects.select_for_update().get(pk=practitioner.pk)
    Room.objects.select_for_update().get(pk=room.pk)
    for other in WorkingHours.objects.filter(practitioner=practitioner).select_related("clinic"):
        if _weekly_overlap(hours, other):
            raise ValidationError(
                _("These hours overlap %(practitioner)s's hours on %(other)s at %(clinic)s.")
                % {"practitioner": practitioner.user, "other": other, "clinic": other.clinic.code}
            )
    for other in (
        WorkingHours.objects.filter(room=room).exclude(practitioner=practitioner).select_related("practitioner__user")
    ):
        if _weekly_overlap(hours, other):
            raise ValidationError(
                {
                    "room": _("Room %(room)s is taken by %(other)s then.")
                    % {"room": room, "other": other.practitioner.user}
                }
            )
    hours.save()
    return hours


@transaction.atomic
def leave_add(*, practitioner: Practitioner, kind: str, start_date: date, end_date: date, reason: str = "") -> Leave:
    leave = Leave(practitioner=practitioner, kind=kind, start_date=start_date, end_date=end_date, reason=reason)
    leave.full_clean(validate_constraints=False)
    if end_date < start_date:
        raise ValidationError({"end_date": _("The last day cannot come before the first.")})
    try:
        with transaction.atomic():
            leave.save()
    except IntegrityError as error:
        raise ValidationError(_("This leave overlaps another leave of the same person.")) from error
    return leave


@transaction.atomic
def schedule_block_add(
    *, practitioner: Practitioner, starts_at: datetime, ends_at: datetime, reason: str, by: User | None
) -> ScheduleBlock:
    block = ScheduleBlock(practitioner=practitioner, starts_at=starts_at, ends_at=ends_at, reason=reason, created_by=by)
    if ends_at <= starts_at:
        raise ValidationError({"ends_at": _("The end must come after the start.")})
    block.full_clean()
    block.save()
    return block
