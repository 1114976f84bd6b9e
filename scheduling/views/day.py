"""The day: a practitioner's agenda, the clinic's calendar, and the reception board."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.contrib.auth.decorators import login_required, permission_required
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from clinic.access import chosen_clinic
from clinic.http import AuthenticatedRequest
from clinic.models import Clinic
from scheduling import selectors
from scheduling.forms import DayForm
from staff.models import Practitioner

# How often the board asks for fresh data, in seconds.
BOARD_REFRESH_SECONDS = 15


def _day(request: AuthenticatedRequest, default: date) -> date:
    form = DayForm(request.GET or None)
    if form.is_valid() and form.cleaned_data["date"]:
        return form.cleaned_data["date"]
    return default


def _clinic(request: AuthenticatedRequest) -> tuple[Clinic, list[Clinic]]:
    """The clinic named by ?clinic= among the user's, or the first of theirs."""
    chosen, clinics = chosen_clinic(request.user, request.GET.get("clinic", ""))
    if not clinics:
        raise Http404
    return chosen or clinics[0], clinics


def _agenda_practitioners(request: AuthenticatedRequest) -> list[Practitioner]:
    """Practitioners who work in the user's clinics (everyone's agenda is open to their colleagues)."""
    return list(selectors.practitioners_for_user(request.user).order_by("user__first_name", "user__last_name"))


@login_required
@permission_required("scheduling.view_appointment", raise_exception=True)
def agenda(request: AuthenticatedRequest) -> HttpResponse:
    practitioners = _agenda_practitioners(request)
    own = getattr(request.user, "practitioner", None)
    raw = request.GET.get("practitioner", "")
    chosen = next((p for p in practitioners if str(p.pk) == raw), None)
    if raw and chosen is None:
        raise Http404
    practitioner = chosen or (own if own in practitioners else None) or (practitioners[0] if practitioners else None)
    week = request.GET.get("view") == "week"
    day = _day(request, timezone.localdate())
    first = day - timedelta(days=day.weekday()) if week else day
    last = first + timedelta(days=6) if week else day
    days = selectors.practitioner_agenda(practitioner=practitioner, first=first, last=last) if practitioner else []
    step = timedelta(days=7 if week else 1)
    context: dict[str, Any] = {
        "practitioners": practitioners,
        "practitioner": practitioner,
        "days": days,
        "day": day,
        "week": week,
        "previous": first - step,
        "next": first + step,
        "today": timezone.localdate(),
    }
    return render(request, "scheduling/agenda.html", context)


@login_required
@permission_required("scheduling.view_appointment", raise_exception=True)
def clinic_day(request: AuthenticatedRequest) -> HttpResponse:
    clinic, clinics = _clinic(request)
    today = timezone.localdate(timezone=clinic.zone)
    day = _day(request, today)
    by_room = request.GET.get("by") == "room"
    columns = selectors.clinic_day(clinic=clinic, day=day, by_room=by_room)
    return render(
        request,
        "scheduling/clinic_day.html",
        {
            "clinic": clinic,
            "clinics": clinics,
            "day": day,
            "columns": list(columns.items()),
            "by_room": by_room,
            "previous": day - timedelta(days=1),
            "next": day + timedelta(days=1),
            "today": today,
        },
    )


@login_required
@permission_required("scheduling.view_appointment", raise_exception=True)
def board(request: AuthenticatedRequest) -> HttpResponse:
    clinic, clinics = _clinic(request)
    today = timezone.localdate(timezone=clinic.zone)
    day = _day(request, today)
    context = {
        "clinic": clinic,
        "clinics": clinics,
        "day": day,
        "today": today,
        "board": selectors.reception_board(clinic=clinic, day=day),
        "refresh_seconds": BOARD_REFRESH_SECONDS,
        "can_change": request.user.has_perm("scheduling.change_appointment"),
        "now": timezone.now(),
    }
    template = "scheduling/board.html#board" if request.htmx else "scheduling/board.html"  # type: ignore[attr-defined]
    return render(request, template, context)
