"""One appointment: its page, its steps (confirm, check in, no-show, cancel) and rescheduling."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from clinic.http import AuthenticatedRequest, safe_next
from scheduling import selectors
from scheduling.availability import free_slots
from scheduling.forms import BOOKING_DAYS, DayForm, ReasonForm, RescheduleForm
from scheduling.models import TRANSITIONS, Appointment, AppointmentStatus
from scheduling.services import SlotTaken, appointment_reschedule, appointment_transition
from scheduling.views.booking import describe_slots

# The steps reception takes from an appointment's page or the board; the doctor's (start,
# finish) are on the consultation page.
ACTIONS: dict[str, str] = {
    "confirm": AppointmentStatus.CONFIRMED,
    "check-in": AppointmentStatus.WAITING,
    "no-show": AppointmentStatus.NO_SHOW,
    "cancel": AppointmentStatus.CANCELLED,
}


def available_actions(appointment: Appointment) -> list[str]:
    allowed = TRANSITIONS.get(appointment.status, set())
    return [action for action, status in ACTIONS.items() if status in allowed]


@login_required
@permission_required("scheduling.view_appointment", raise_exception=True)
def appointment_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    appointment = selectors.appointment_for_user(request.user, pk)
    zone = appointment.clinic.zone
    context: dict[str, Any] = {
        "appointment": appointment,
        "local_start": timezone.localtime(appointment.starts_at, zone),
        "local_end": timezone.localtime(appointment.ends_at, zone),
        "events": appointment.events.select_related("by").order_by("at", "id"),
        "actions": available_actions(appointment) if request.user.has_perm("scheduling.change_appointment") else [],
        "cancel_form": ReasonForm(),
        "can_reschedule": request.user.has_perm("scheduling.change_appointment")
        and appointment.status in (AppointmentStatus.SCHEDULED, AppointmentStatus.CONFIRMED),
        "rescheduled_to": Appointment.objects.filter(rescheduled_from=appointment).first(),
        "zone": zone,
    }
    context.update(_extras(request, appointment))
    return render(request, "scheduling/appointment_detail.html", context)


def _extras(request: AuthenticatedRequest, appointment: Appointment) -> dict[str, Any]:
    """What other parts of the system show on the appointment: its messages, the waiting list."""
    extras: dict[str, Any] = {}
    if request.user.has_perm("messaging.view_message"):
        from messaging.models import Audience
        from messaging.selectors import messages_about

        extras["outbox"] = messages_about(appointment, audience=Audience.PATIENT)
    if appointment.status == AppointmentStatus.CANCELLED and request.user.has_perm("scheduling.view_waitinglistentry"):
        from scheduling.waiting_list import candidates_for_appointment

        extras["candidates"] = candidates_for_appointment(appointment)
    return extras


def _back(request: AuthenticatedRequest, appointment: Appointment) -> HttpResponse:
    target = safe_next(request, request.POST.get("next", ""))
    return redirect(target) if target else redirect("scheduling:appointment", pk=appointment.pk)


@login_required
@permission_required("scheduling.change_appointment", raise_exception=True)
@require_POST
def appointment_step(request: AuthenticatedRequest, pk: int, action: str) -> HttpResponse:
    appointment = selectors.appointment_for_user(request.user, pk)
    if action not in ACTIONS:
        raise Http404
    form = ReasonForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    try:
        appointment_transition(appointment=appointment, to=ACTIONS[action], by=request.user, reason=reason)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(
            request,
            _("%(name)s: %(status)s.")
            % {"name": appointment.patient.display_name, "status": AppointmentStatus(ACTIONS[action]).label},
        )
    return _back(request, appointment)


@login_required
@permission_required("scheduling.change_appointment", raise_exception=True)
def appointment_reschedule_view(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """The same practitioner's free times; choosing one moves the appointment there."""
    appointment = selectors.appointment_for_user(request.user, pk)
    if request.method == "POST":
        form = RescheduleForm(request.POST)
        if form.is_valid():
            try:
                new = appointment_reschedule(
                    appointment=appointment,
                    starts_at=form.cleaned_data["starts_at"],
                    by=request.user,
                    reason=form.cleaned_data["reason"],
                )
            except SlotTaken as taken:
                messages.error(request, taken.messages[0])
            except ValidationError as error:
                for message in error.messages:
                    messages.error(request, message)
            else:
                messages.success(request, _("Appointment moved."))
                return redirect("scheduling:appointment", pk=new.pk)
        else:
            messages.error(request, _("Choose a free time from the list."))
    day_form = DayForm(request.GET or None)
    today = timezone.localdate()
    start = max(day_form.cleaned_data["date"] or today, today) if day_form.is_valid() else today
    slots = free_slots(
        practitioners=[appointment.practitioner],
        specialty=appointment.specialty,
        first=start,
        last=start + timedelta(days=BOOKING_DAYS - 1),
    )
    described = describe_slots(slots)
    return render(
        request,
        "scheduling/appointment_reschedule.html",
        {
            "appointment": appointment,
            "described": described,
            "start": start,
            "next_start": start + timedelta(days=BOOKING_DAYS),
            "previous_start": start - timedelta(days=BOOKING_DAYS) if start > today else None,
        },
    )
