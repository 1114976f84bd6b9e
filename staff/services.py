"""Writes about staff: accounts, and practitioners' schedules."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from allauth.mfa.models import Authenticator
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from clinic import crypto
from clinic.models import Clinic, Room
from staff.models import SHIFT_MAX_LENGTH, CareUnit, Leave, Practitioner, ScheduleBlock, Shift, User, WorkingHours
from staff.selectors import week_bounds


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


# Care units' rotas ----------------------------------------------------------------------------


def _period_text(starts_at: datetime, ends_at: datetime, zone: ZoneInfo) -> str:
    """``12/03/2026 19:00 - 13/03/2026 07:00``, or ``12/03/2026 07:00 - 19:00`` within a day, in ``zone``.

    Times are on the 24-hour clock everywhere (rotas are written so in Brazil whatever the language).
    """
    starts, ends = timezone.localtime(starts_at, zone), timezone.localtime(ends_at, zone)
    start = f"{date_format(starts, 'SHORT_DATE_FORMAT')} {starts:%H:%M}"
    end = f"{ends:%H:%M}" if ends.date() == starts.date() else f"{date_format(ends, 'SHORT_DATE_FORMAT')} {ends:%H:%M}"
    return f"{start} - {end}"


def _leave_during(user: User, starts_at: datetime, ends_at: datetime, zone: ZoneInfo) -> Leave | None:
    """A leave of ``user`` that covers part of the period. Leave days are whole days in ``zone``.

    Only practitioners have leave; anyone else has none.
    """
    first = timezone.localtime(starts_at, zone).date()
    last = timezone.localtime(ends_at - timedelta(microseconds=1), zone).date()
    return (
        Leave.objects.filter(practitioner__user=user, start_date__lte=last, end_date__gte=first)
        .order_by("start_date")
        .first()
    )


def _clash_message(user: User, starts_at: datetime, ends_at: datetime) -> str:
    clash = (
        Shift.objects.filter(user=user, starts_at__lt=ends_at, ends_at__gt=starts_at)
        .select_related("unit__clinic")
        .order_by("starts_at")
        .first()
    )
    if clash is None:  # the other shift was removed in the meantime
        return _("%(name)s already has a shift at this time.") % {"name": user}
    return _("%(name)s already has a shift then: %(function)s at %(unit)s, %(period)s.") % {
        "name": user,
        "function": clash.get_function_display().lower(),
        "unit": clash.unit,
        "period": _period_text(clash.starts_at, clash.ends_at, clash.unit.clinic.zone),
    }


@transaction.atomic
def shift_add(
    *,
    user: User,
    unit: CareUnit,
    starts_at: datetime,
    ends_at: datetime,
    function: str,
    by: User | None,
    notes: str = "",
) -> Shift:
    """Put ``user`` on the rota of ``unit`` from ``starts_at`` to ``ends_at`` (aware datetimes).

    Refuses a shift that is empty or longer than 24 hours, in a closed unit, of someone who does
    not work in the unit's clinic, during their leave, or at the same time as another of their
    shifts. The last is decided by the database (``shift_user_no_overlap``), so two people adding
    clashing shifts at once get one shift and a clear refusal.
    """
    if timezone.is_naive(starts_at) or timezone.is_naive(ends_at):
        raise ValueError("shift_add takes aware datetimes")
    shift = Shift(
        user=user,
        unit=unit,
        starts_at=starts_at,
        ends_at=ends_at,
        function=function,
        notes=notes.strip(),
        created_by=by,
    )
    shift.full_clean(validate_constraints=False)
    if ends_at <= starts_at:
        raise ValidationError(_("A shift must end after it starts."))
    if ends_at - starts_at > SHIFT_MAX_LENGTH:
        raise ValidationError(_("A shift lasts at most 24 hours."))
    if not unit.is_active:
        raise ValidationError(_("%(unit)s is closed; shifts cannot be added to it.") % {"unit": unit})
    if not user.is_active:
        raise ValidationError({"user": _("%(name)s's account is disabled.") % {"name": user}})
    if not user.clinics.filter(pk=unit.clinic_id).exists():
        raise ValidationError(
            {"user": _("%(name)s does not work in %(clinic)s.") % {"name": user, "clinic": unit.clinic.name}}
        )
    zone = unit.clinic.zone
    leave = _leave_during(user, starts_at, ends_at, zone)
    if leave is not None:
        raise ValidationError(
            {
                "user": _("%(name)s is on leave (%(kind)s) from %(first)s to %(last)s.")
                % {
                    "name": user,
                    "kind": leave.get_kind_display().lower(),
                    "first": date_format(leave.start_date, "SHORT_DATE_FORMAT"),
                    "last": date_format(leave.end_date, "SHORT_DATE_FORMAT"),
                }
            }
        )
    shift._history_user = by  # type: ignore[attr-defined]
    try:
        with transaction.atomic():
            shift.save()
    except IntegrityError as error:
        constraint = getattr(getattr(error.__cause__, "diag", None), "constraint_name", "") or ""
        if constraint == "shift_user_no_overlap":
            raise ValidationError(_clash_message(user, starts_at, ends_at), code="shift_clash") from error
        raise
    return shift


@transaction.atomic
def shift_remove(*, shift: Shift, by: User | None) -> None:
    """Take a shift off the rota; its history (who added and who removed it) is kept."""
    locked = Shift.objects.select_for_update().filter(pk=shift.pk).first()
    if locked is None:
        raise ValidationError(_("This shift has already been removed."))
    locked._history_user = by  # type: ignore[attr-defined]
    locked.delete()


@dataclass(frozen=True)
class RotaCopy:
    """What ``rota_copy_week`` did: the new shifts, and each shift not copied with the reason."""

    created: list[Shift]
    skipped: list[tuple[Shift, str]]


def _next_week(moment: datetime, zone: ZoneInfo) -> datetime:
    """The same wall-clock time seven days later in ``zone``."""
    local = timezone.localtime(moment, zone).replace(tzinfo=None)
    return timezone.make_aware(local + timedelta(days=7), zone)


@transaction.atomic
def rota_copy_week(*, unit: CareUnit, week_start: date, by: User | None) -> RotaCopy:
    """Copy the shifts of ``unit`` starting in the week of ``week_start`` (a Monday) to the next week.

    Each copy goes through ``shift_add``: the ones it refuses (a clash with a shift already there,
    leave, someone who left the clinic) are skipped and reported, and the others are kept.
    """
    if week_start.weekday() != 0:
        raise ValidationError(_("A week starts on a Monday."))
    zone = unit.clinic.zone
    first, after = week_bounds(week_start, zone)
    created: list[Shift] = []
    skipped: list[tuple[Shift, str]] = []
    originals = (
        Shift.objects.filter(unit=unit, starts_at__gte=first, starts_at__lt=after)
        .select_related("user", "unit__clinic")
        .order_by("starts_at", "pk")
    )
    for original in originals:
        try:
            copy = shift_add(
                user=original.user,
                unit=unit,
                starts_at=_next_week(original.starts_at, zone),
                ends_at=_next_week(original.ends_at, zone),
                function=original.function,
                notes=original.notes,
                by=by,
            )
        except ValidationError as error:
            skipped.append((original, " ".join(error.messages)))
        else:
            created.append(copy)
    return RotaCopy(created=created, skipped=skipped)
