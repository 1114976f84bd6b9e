"""The waiting list: patients waiting for a time with a specialty, and the freed times to offer them.

Writes (``waiting_list_add``, ``waiting_list_remove``, ``waiting_list_mark_booked``) and reads (the
queue, the candidates for a free time, the times that cancellations freed) of one small area.
An entry bound to a clinic is seen only by the staff of that clinic; an entry with no clinic is
the whole network's.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from urllib.parse import urlencode

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import DateField, Exists, F, Func, OuterRef, Q, QuerySet, Value
from django.db.models.functions import Cast
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from clinic.access import one_or_404, require, visible_clinic_ids, works_in
from clinic.models import Clinic
from patients.models import Patient
from scheduling.models import ACTIVE_STATUSES, Appointment, AppointmentStatus, WaitingListEntry
from staff.models import (
    ExtraHours,
    Leave,
    Practitioner,
    PractitionerSpecialty,
    ScheduleBlock,
    Specialty,
    User,
    WorkingHours,
)

CANDIDATES_PER_SLOT = 5
# How far ahead the waiting-list page looks for times that cancellations freed, and how many
# cancellations it examines at most (the soonest first).
FREED_SLOT_DAYS = 14
FREED_SLOT_SCAN = 200

Waiting = WaitingListEntry.Status.WAITING


# Writes ----------------------------------------------------------------------------------------


def _works_in(practitioner: Practitioner, clinic: Clinic) -> bool:
    """The clinic is one of the practitioner's, or they have current hours or coming extra hours there."""
    now = timezone.now()
    return (
        practitioner.user.clinics.filter(pk=clinic.pk).exists()
        or WorkingHours.objects.filter(practitioner=practitioner, clinic=clinic)
        .filter(Q(valid_until__isnull=True) | Q(valid_until__gte=timezone.localdate(now)))
        .exists()
        or ExtraHours.objects.filter(practitioner=practitioner, clinic=clinic, ends_at__gt=now).exists()
    )


def _already_waiting(entry: WaitingListEntry) -> str:
    return _(
        "%(patient)s is already on the waiting list for %(specialty)s, since %(since)s (priority: %(priority)s). "
        "Change or remove that entry instead."
    ) % {
        "patient": entry.patient.display_name,
        "specialty": entry.specialty.name,
        "since": formats.date_format(timezone.localdate(entry.created_at), "SHORT_DATE_FORMAT"),
        "priority": entry.get_priority_display().lower(),
    }


def _waiting_entry_of(patient: Patient, specialty: Specialty) -> WaitingListEntry | None:
    return (
        WaitingListEntry.objects.select_related("patient", "specialty")
        .filter(patient=patient, specialty=specialty, status=Waiting)
        .first()
    )


@transaction.atomic
def waiting_list_add(
    *,
    patient: Patient,
    specialty: Specialty,
    by: User,
    practitioner: Practitioner | None = None,
    clinic: Clinic | None = None,
    priority: int,
    notes: str = "",
) -> WaitingListEntry:
    """Put ``patient`` on the waiting list for ``specialty``, optionally for one practitioner or clinic.

    A patient waits once per specialty (the database keeps it so, even for two people adding at
    once); the second attempt is told which entry already exists.
    """
    errors: dict[str, list[str]] = defaultdict(list)
    if not specialty.is_active:
        errors["specialty"].append(_("This specialty is no longer offered."))
    if priority not in WaitingListEntry.Priority.values:
        errors["priority"].append(_("Choose a valid priority."))
    if practitioner is not None:
        if not practitioner.is_active:
            errors["practitioner"].append(_("This practitioner no longer attends."))
        elif not PractitionerSpecialty.objects.filter(practitioner=practitioner, specialty=specialty).exists():
            errors["practitioner"].append(
                _("%(practitioner)s does not attend %(specialty)s.")
                % {"practitioner": practitioner.user, "specialty": specialty.name}
            )
    if clinic is not None:
        if not works_in(by, clinic.pk):
            errors["clinic"].append(_("You can only add entries for the clinics you work in."))
        elif practitioner is not None and not _works_in(practitioner, clinic):
            errors["clinic"].append(
                _("%(practitioner)s does not work in %(clinic)s.")
                % {"practitioner": practitioner.user, "clinic": clinic.name}
            )
    if errors:
        raise ValidationError(dict(errors))
    existing = _waiting_entry_of(patient, specialty)
    if existing is not None:
        raise ValidationError({"specialty": ValidationError(_already_waiting(existing), code="duplicate")})
    entry = WaitingListEntry(
        patient=patient,
        specialty=specialty,
        practitioner=practitioner,
        clinic=clinic,
        priority=priority,
        notes=notes.strip(),
        created_by=by,
    )
    entry.full_clean(validate_constraints=False)
    entry._history_user = by  # type: ignore[attr-defined]
    try:
        with transaction.atomic():
            entry.save()
    except IntegrityError as error:
        constraint = getattr(getattr(error.__cause__, "diag", None), "constraint_name", "") or ""
        if constraint != "waiting_list_once_per_specialty":
            raise
        # Someone added the same patient and specialty a moment ago: name their entry.
        existing = _waiting_entry_of(patient, specialty)
        message = _already_waiting(existing) if existing else _("This patient is already waiting for this specialty.")
        raise ValidationError({"specialty": ValidationError(message, code="duplicate")}) from error
    return entry


def _ensure_waiting(locked: WaitingListEntry) -> None:
    if locked.status != Waiting:
        raise ValidationError(
            _("This entry is no longer waiting: it is %(status)s.") % {"status": locked.get_status_display().lower()}
        )


@transaction.atomic
def waiting_list_remove(*, entry: WaitingListEntry, by: User, reason: str) -> WaitingListEntry:
    """Take a waiting entry off the list, saying why. Locks the entry's row."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say why the patient leaves the waiting list.")})
    max_length = WaitingListEntry._meta.get_field("closed_reason").max_length or 200
    if len(reason) > max_length:
        raise ValidationError(
            {"reason": _("Keep the reason within %(limit)s characters.") % {"limit": max_length}},
        )
    locked = WaitingListEntry.objects.select_for_update().get(pk=entry.pk)
    _ensure_waiting(locked)
    locked.status = WaitingListEntry.Status.REMOVED
    locked.closed_reason = reason
    locked.closed_at = timezone.now()
    locked._history_user = by  # type: ignore[attr-defined]
    locked.save(update_fields=["status", "closed_reason", "closed_at"])
    return locked


@transaction.atomic
def waiting_list_mark_booked(*, entry: WaitingListEntry, appointment: Appointment, by: User) -> WaitingListEntry:
    """Close a waiting entry because ``appointment`` gives the patient the time they waited for.

    The appointment must be the entry's patient's, in the entry's specialty, and still active.
    Marking the same entry booked into the same appointment twice is harmless (a form sent twice).
    """
    locked = WaitingListEntry.objects.select_for_update().get(pk=entry.pk)
    if locked.status == WaitingListEntry.Status.BOOKED and locked.appointment_id == appointment.pk:
        return locked
    _ensure_waiting(locked)
    if appointment.patient_id != locked.patient_id:
        raise ValidationError(_("This appointment is for another patient than the waiting list entry."))
    if appointment.specialty_id != locked.specialty_id:
        raise ValidationError(_("This appointment is in another specialty than the waiting list entry."))
    if appointment.status not in ACTIVE_STATUSES:
        raise ValidationError(_("A cancelled or missed appointment cannot close a waiting list entry."))
    locked.status = WaitingListEntry.Status.BOOKED
    locked.appointment = appointment
    locked.closed_at = timezone.now()
    locked._history_user = by  # type: ignore[attr-defined]
    locked.save(update_fields=["status", "appointment", "closed_at"])
    return locked


# Reads -----------------------------------------------------------------------------------------


def _visible(clinics: QuerySet[Clinic] | Iterable[Clinic]) -> Q:
    """Entries of the network (no clinic) and entries of the given clinics."""
    return Q(clinic__isnull=True) | Q(clinic__in=clinics)


def waiting_list(
    *,
    clinics: QuerySet[Clinic] | Iterable[Clinic],
    specialty: Specialty | None = None,
    clinic: Clinic | None = None,
) -> QuerySet[WaitingListEntry]:
    """The waiting entries that staff of ``clinics`` see, the most urgent first, then the longest waiting.

    ``clinic`` narrows the queue to the entries that clinic can serve (its own and the network's);
    the caller checks that it is one of ``clinics``.
    """
    entries = WaitingListEntry.objects.filter(_visible(clinics), status=Waiting)
    if specialty is not None:
        entries = entries.filter(specialty=specialty)
    if clinic is not None:
        entries = entries.filter(Q(clinic__isnull=True) | Q(clinic=clinic))
    return entries.select_related("patient", "specialty", "practitioner__user", "clinic", "created_by").order_by(
        "-priority", "created_at", "pk"
    )


def waiting_entry_for_user(user: User, pk: int) -> WaitingListEntry:
    """The entry ``pk`` if ``user`` may see the waiting list and the entry's clinic: one of theirs,
    or none (an entry any clinic of the network may serve)."""
    require(user, "scheduling.view_waitinglistentry")
    entries = WaitingListEntry.objects.filter(Q(clinic__isnull=True) | Q(clinic_id__in=visible_clinic_ids(user)))
    return one_or_404(entries.select_related("patient", "specialty"), pk)


def patient_waiting_entries(patient: Patient) -> list[WaitingListEntry]:
    """What ``patient`` is waiting for now (shown where someone is about to add another entry)."""
    return list(
        patient.waiting_list.filter(status=Waiting)
        .select_related("specialty", "practitioner__user", "clinic")
        .order_by("-priority", "created_at")
    )


def _matching(specialty_id: int, practitioner_id: int, clinic_id: int) -> QuerySet[WaitingListEntry]:
    """Waiting entries a free time of this practitioner in this clinic and specialty can serve."""
    return (
        WaitingListEntry.objects.filter(status=Waiting, specialty_id=specialty_id)
        .filter(Q(practitioner__isnull=True) | Q(practitioner_id=practitioner_id))
        .filter(Q(clinic__isnull=True) | Q(clinic_id=clinic_id))
        .order_by("-priority", "created_at", "pk")
    )


def candidates_for_slot(
    *, specialty: Specialty, practitioner: Practitioner, clinic: Clinic, limit: int = CANDIDATES_PER_SLOT
) -> list[WaitingListEntry]:
    """Who to offer a free time to: same specialty; no practitioner or this one; no clinic or this one.

    The most urgent first, then the longest waiting.
    """
    return list(
        _matching(specialty.pk, practitioner.pk, clinic.pk).select_related("patient", "practitioner__user", "clinic")[
            :limit
        ]
    )


@dataclass(frozen=True)
class Candidate:
    """A waiting entry offered one free time; ``offer_url`` opens the booking page prefilled."""

    entry: WaitingListEntry
    offer_url: str


@dataclass(frozen=True)
class FreedSlot:
    """A future time that a cancellation freed and that nobody has taken since."""

    starts_at: datetime
    ends_at: datetime
    practitioner: Practitioner
    specialty: Specialty
    clinic: Clinic
    cancelled: Appointment
    candidates: list[Candidate]


def offer_url(*, entry: WaitingListEntry, practitioner_id: int, day: date) -> str:
    """The booking page, prefilled for ``entry``'s patient with this practitioner on ``day``."""
    query = {
        "patient": entry.patient_id,
        "specialty": entry.specialty_id,
        "practitioner": practitioner_id,
        "date": day.isoformat(),
        "waiting": entry.pk,
    }
    return f"{reverse('scheduling:book')}?{urlencode(query)}"


def _local(moment: datetime, clinic: Clinic) -> datetime:
    return moment.astimezone(clinic.zone)


def _candidates_by_key(
    keys: list[tuple[int, int, int]], limit: int
) -> dict[tuple[int, int, int], list[WaitingListEntry]]:
    """The best ``limit`` candidates of each (specialty, practitioner, clinic), in two queries whatever their number.

    One UNION ALL of a small ordered, limited query per key (each walks the queue's index) gives the
    ids; one more query loads those entries.
    """
    if not keys:
        return {}
    parts = [
        _matching(*key).annotate(key_index=Value(index)).values_list("key_index", "pk")[:limit]
        for index, key in enumerate(keys)
    ]
    rows = list(parts[0].union(*parts[1:], all=True)) if len(parts) > 1 else list(parts[0])
    entries = WaitingListEntry.objects.select_related("patient", "practitioner__user", "clinic").in_bulk(
        {pk for _index, pk in rows}
    )
    found: dict[tuple[int, int, int], list[WaitingListEntry]] = {key: [] for key in keys}
    for index, pk in rows:
        found[keys[index]].append(entries[pk])
    for candidates in found.values():
        candidates.sort(key=lambda e: (-e.priority, e.created_at, e.pk))
    return found


def _still_free(appointments: list[Appointment], now: datetime) -> list[Appointment]:
    """The cancelled appointments whose time is free again: one query for any number of them.

    A time is free again when it is still ahead and no active appointment, blocked hours or leave
    of the practitioner covers it. (The practitioner's weekly hours are not looked at again: the
    booking service checks them when the time is offered and taken.)
    """
    if not appointments:
        return []
    period = {"starts_at__lt": OuterRef("ends_at"), "ends_at__gt": OuterRef("starts_at")}
    retaken = Appointment.objects.filter(
        practitioner=OuterRef("practitioner"),
        status__in=ACTIVE_STATUSES,
        # No appointment is longer than a day: the bound lets (practitioner, starts_at) serve it.
        starts_at__gt=OuterRef("starts_at") - timedelta(days=1),
        **period,
    )
    blocked = ScheduleBlock.objects.filter(practitioner=OuterRef("practitioner"), **period)
    on_leave = Leave.objects.filter(
        practitioner=OuterRef("practitioner"),
        start_date__lte=OuterRef("local_day"),
        end_date__gte=OuterRef("local_day"),
    )
    free = set(
        Appointment.objects.filter(pk__in=[a.pk for a in appointments], starts_at__gt=now)
        .annotate(local_day=Cast(Func(F("clinic__time_zone"), F("starts_at"), function="timezone"), DateField()))
        .filter(~Exists(retaken), ~Exists(blocked), ~Exists(on_leave))
        .values_list("pk", flat=True)
    )
    return [a for a in appointments if a.pk in free]


def freed_slots(
    *,
    clinics: QuerySet[Clinic] | Iterable[Clinic],
    now: datetime,
    specialty: Specialty | None = None,
    days: int = FREED_SLOT_DAYS,
    with_candidates_only: bool = True,
    limit: int = CANDIDATES_PER_SLOT,
) -> list[FreedSlot]:
    """Future times in ``clinics`` that a cancellation freed and that are still free, soonest first.

    Each comes with its best candidates from the waiting list; times nobody on the list can take
    are left out unless ``with_candidates_only`` is false. A time cancelled twice is listed once.
    The query count does not depend on the number of cancellations or entries (see ``_still_free``).
    """
    cancelled = Appointment.objects.filter(
        clinic__in=clinics,
        status=AppointmentStatus.CANCELLED,
        overbooked=False,
        starts_at__gt=now,
        starts_at__lt=now + timedelta(days=days),
    )
    if specialty is not None:
        cancelled = cancelled.filter(specialty=specialty)
    unique: dict[tuple[int, datetime], Appointment] = {}
    for appointment in cancelled.select_related("clinic", "specialty", "practitioner__user").order_by(
        "starts_at", "pk"
    )[:FREED_SLOT_SCAN]:
        unique.setdefault((appointment.practitioner_id, appointment.starts_at), appointment)
    free = _still_free(list(unique.values()), now)
    keys = list(dict.fromkeys((a.specialty_id, a.practitioner_id, a.clinic_id) for a in free))
    candidates = _candidates_by_key(keys, limit)
    slots = []
    for appointment in free:
        day = _local(appointment.starts_at, appointment.clinic).date()
        offers = [
            Candidate(entry, offer_url(entry=entry, practitioner_id=appointment.practitioner_id, day=day))
            for entry in candidates[(appointment.specialty_id, appointment.practitioner_id, appointment.clinic_id)]
        ]
        if offers or not with_candidates_only:
            slots.append(
                FreedSlot(
                    starts_at=appointment.starts_at,
                    ends_at=appointment.ends_at,
                    practitioner=appointment.practitioner,
                    specialty=appointment.specialty,
                    clinic=appointment.clinic,
                    cancelled=appointment,
                    candidates=offers,
                )
            )
    return slots


def candidates_for_appointment(
    appointment: Appointment, *, now: datetime | None = None, limit: int = CANDIDATES_PER_SLOT
) -> list[Candidate]:
    """Who to offer a cancelled appointment's time to, if that time is still ahead and still free.

    For the appointment's page once it is cancelled; an appointment that is not cancelled, or
    whose time has passed or been taken again, has no candidates.
    """
    now = now or timezone.now()
    if appointment.status != AppointmentStatus.CANCELLED or appointment.starts_at <= now:
        return []
    if not _still_free([appointment], now):
        return []
    day = _local(appointment.starts_at, appointment.clinic).date()
    return [
        Candidate(entry, offer_url(entry=entry, practitioner_id=appointment.practitioner_id, day=day))
        for entry in candidates_for_slot(
            specialty=appointment.specialty,
            practitioner=appointment.practitioner,
            clinic=appointment.clinic,
            limit=limit,
        )
    ]
