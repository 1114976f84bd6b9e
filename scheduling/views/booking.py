"""Booking for reception: specialty, clinic, practitioner or any, day, a free slot, the patient, confirm."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from clinic.access import clinics_for_user
from clinic.http import AuthenticatedRequest
from clinic.models import Clinic, Room
from patients import selectors as patient_selectors
from patients.models import Patient
from scheduling import selectors
from scheduling.availability import Slot, free_slots
from scheduling.forms import BOOKING_DAYS, BookingConfirmForm, BookingSearchForm, SlotForm
from scheduling.models import WaitingListEntry
from scheduling.services import SlotTaken, appointment_book
from staff.models import Practitioner

# "Any available" shows this many of the earliest slots; one practitioner's whole week is shown.
ANY_LIMIT = 60
ONE_LIMIT = 400


def slot_query(slot: Slot, specialty_pk: int, **extra: Any) -> str:
    """The query string that names a slot for the confirm page."""
    params = {
        "practitioner": slot.practitioner_id,
        "specialty": specialty_pk,
        "starts_at": slot.starts_at.isoformat(),
        **{k: v for k, v in extra.items() if v not in (None, "")},
    }
    return urlencode(params)


def describe_slots(slots: list[Slot]) -> list[dict[str, Any]]:
    """Slots with their practitioner, clinic and room loaded (three queries for any number)."""
    practitioners = Practitioner.objects.select_related("user").in_bulk({s.practitioner_id for s in slots})
    clinics = Clinic.objects.in_bulk({s.clinic_id for s in slots})
    rooms = Room.objects.in_bulk({s.room_id for s in slots})
    described = []
    for slot in slots:
        clinic = clinics[slot.clinic_id]
        local = timezone.localtime(slot.starts_at, clinic.zone)
        described.append(
            {
                "slot": slot,
                "local": local,
                "practitioner": practitioners[slot.practitioner_id],
                "clinic": clinic,
                "room": rooms[slot.room_id],
            }
        )
    return described


def _by_day(described: list[dict[str, Any]]) -> list[tuple[date, list[dict[str, Any]]]]:
    days: dict[date, list[dict[str, Any]]] = defaultdict(list)
    for item in described:
        days[item["local"].date()].append(item)
    return sorted(days.items())


def _patient_from(request: AuthenticatedRequest, raw: str | None) -> Patient | None:
    if not raw:
        return None
    try:
        return patient_selectors.patient_for_user(request.user, int(raw))
    except (ValueError, Http404):
        return None


@login_required
@permission_required("scheduling.add_appointment", raise_exception=True)
def book(request: AuthenticatedRequest) -> HttpResponse:
    clinics = clinics_for_user(request.user)
    form = BookingSearchForm(request.GET if "specialty" in request.GET else None, clinics=clinics)
    patient = _patient_from(request, request.GET.get("patient"))
    waiting = request.GET.get("waiting", "")
    days: list[tuple[date, list[dict[str, Any]]]] = []
    next_day = None
    searched = form.is_bound and form.is_valid()
    context_extra: dict[str, Any] = {"nobody": False}
    if searched:
        data = form.cleaned_data
        clinic = data["clinic"]
        start: date = data["date"]
        limit = ONE_LIMIT if data["practitioner"] else ANY_LIMIT
        slots = selectors.first_available(
            specialty=data["specialty"],
            clinics=[clinic] if clinic else list(clinics),
            practitioner=data["practitioner"],
            start=start,
            days=BOOKING_DAYS,
            limit=limit,
        )
        if not slots:
            context_extra["nobody"] = not selectors.bookable_practitioners(
                specialty=data["specialty"], clinics=[clinic] if clinic else list(clinics)
            ).exists()
        described = describe_slots(slots)
        for item in described:
            item["query"] = slot_query(
                item["slot"], data["specialty"].pk, patient=patient.pk if patient else None, waiting=waiting
            )
        days = _by_day(described)
        last_shown = days[-1][0] if days else start + timedelta(days=BOOKING_DAYS - 1)
        next_day = last_shown + timedelta(days=1)
    context = {
        "form": form,
        "days": days,
        "searched": searched,
        "patient": patient,
        "waiting": waiting,
        "next_query": _next_query(request, next_day) if next_day else "",
        **context_extra,
    }
    if request.htmx:  # type: ignore[attr-defined]
        return render(request, "scheduling/book_update.html", context)
    return render(request, "scheduling/book.html", context)


def _next_query(request: AuthenticatedRequest, day: date) -> str:
    params = request.GET.copy()
    params["date"] = day.isoformat()
    return params.urlencode()


def _slot_params(source: Any) -> str:
    """The parameters that carry a chosen slot (and waiting-list entry) from page to page."""
    return urlencode({k: v for k, v in source.items() if k in {"practitioner", "specialty", "starts_at", "waiting"}})


def _confirm_context(request: AuthenticatedRequest, slot_form: SlotForm) -> dict[str, Any]:
    data = slot_form.cleaned_data
    practitioner: Practitioner = data["practitioner"]
    starts_at = data["starts_at"]
    day = timezone.localdate(starts_at)
    nearby = free_slots(
        practitioners=[practitioner],
        specialty=data["specialty"],
        first=day - timedelta(days=1),
        last=day + timedelta(days=1),
    )
    match = next((s for s in nearby if s.starts_at == starts_at), None)
    return {
        "practitioner": practitioner,
        "specialty": data["specialty"],
        "starts_at": starts_at,
        "described": describe_slots([match])[0] if match else None,
    }


@login_required
@permission_required("scheduling.add_appointment", raise_exception=True)
def book_confirm(request: AuthenticatedRequest) -> HttpResponse:
    """GET: the chosen slot, and the patient to choose; POST: book it."""
    source = request.POST if request.method == "POST" else request.GET
    slot_form = SlotForm(source, practitioners=selectors.practitioners_for_user(request.user))
    if not slot_form.is_valid():
        if slot_form.has_error("starts_at", code="naive"):
            messages.error(request, str(slot_form.errors["starts_at"][0]))
        else:
            messages.error(request, _("Choose a free time from the list."))
        return redirect("scheduling:book")
    patient = _patient_from(request, source.get("patient"))
    waiting_pk = source.get("waiting", "")
    keep = _slot_params(source)
    here = reverse("scheduling:book-confirm") + "?" + keep
    context: dict[str, Any] = {
        "slot_form": slot_form,
        "patient": patient,
        "waiting": waiting_pk,
        "can_overbook": request.user.has_perm("scheduling.overbook_appointment"),
        "fresh": [],
        "keep": keep,
        "register_url": reverse("patients:create") + "?" + urlencode({"next": here}),
    }
    if request.method == "POST":
        form = BookingConfirmForm(request.POST, practitioners=selectors.practitioners_for_user(request.user))
        if patient is None or not form.is_valid():
            messages.error(request, _("Choose the patient."))
        else:
            data = form.cleaned_data
            try:
                appointment = appointment_book(
                    patient=patient,
                    practitioner=data["practitioner"],
                    specialty=data["specialty"],
                    starts_at=data["starts_at"],
                    by=request.user,
                    overbooking_reason=data["overbooking_reason"],
                )
            except SlotTaken as taken:
                messages.error(request, taken.messages[0])
                fresh = describe_slots(taken.fresh)
                for item in fresh:
                    item["query"] = slot_query(
                        item["slot"], data["specialty"].pk, patient=patient.pk, waiting=waiting_pk
                    )
                context["fresh"] = fresh
                context["taken"] = True
            except PermissionDenied as denied:
                messages.error(request, str(denied))
            except ValidationError as error:
                for message in error.messages:
                    messages.error(request, message)
            else:
                _close_waiting_entry(request, waiting_pk, appointment)
                messages.success(
                    request,
                    _("Appointment booked for %(name)s.") % {"name": patient.display_name},
                )
                return redirect("scheduling:appointment", pk=appointment.pk)
    context.update(_confirm_context(request, slot_form))
    if context["described"] is None and request.method == "GET":
        messages.warning(request, _("This time is no longer free. Choose another one."))
        data = slot_form.cleaned_data
        params = {
            "specialty": data["specialty"].pk,
            "practitioner": data["practitioner"].pk,
            "date": timezone.localdate(data["starts_at"]).isoformat(),
            **({"patient": patient.pk} if patient else {}),
        }
        return redirect(reverse("scheduling:book") + "?" + urlencode(params))
    return render(request, "scheduling/book_confirm.html", context)


def _close_waiting_entry(request: AuthenticatedRequest, waiting_pk: str, appointment: Any) -> None:
    """A booking made from the waiting list takes the patient off it."""
    if not waiting_pk.isdigit():
        return
    from scheduling.waiting_list import waiting_entry_for_user, waiting_list_mark_booked

    try:
        entry = waiting_entry_for_user(request.user, int(waiting_pk))
    except (Http404, PermissionDenied):
        return
    if entry.status != WaitingListEntry.Status.WAITING:
        return
    try:
        waiting_list_mark_booked(entry=entry, appointment=appointment, by=request.user)
    except ValidationError as error:
        messages.warning(request, " ".join(error.messages))


@login_required
@permission_required("scheduling.add_appointment", raise_exception=True)
@permission_required("patients.view_patient", raise_exception=True)
def book_patients(request: AuthenticatedRequest) -> HttpResponse:
    """Patients matching what reception types, each a link to the confirm page with them chosen."""
    text = request.GET.get("q", "").strip()
    patients: list[Patient] = []
    query = patient_selectors.parse_search(text)
    if text and query.kind != "too_short":
        ids, _capped = patient_selectors.patient_search_ids(text=text)
        patients = patient_selectors.patients_in_order(ids[:10])
    keep = _slot_params(request.GET)
    return render(
        request,
        "scheduling/book_confirm.html#patients",
        {"patients": patients, "text": text, "too_short": query.kind == "too_short", "keep": keep},
    )
