"""The rota page: a unit's week of shifts, and adding, removing and copying them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST
from django_htmx.http import push_url

from clinic.http import AuthenticatedRequest, form_errors_from
from staff import selectors, services
from staff.forms import IsoWeekField, RotaFilterForm, ShiftForm
from staff.models import CareUnit, Shift


@dataclass(frozen=True)
class Notice:
    """The outcome of an action, shown above the rota (inline after an HTMX request, else as a message)."""

    level: str  # a Bootstrap alert colour: success, warning, danger, info
    text: str
    details: list[str] = field(default_factory=list)


_MESSAGE_LEVELS = {
    "success": messages.SUCCESS,
    "warning": messages.WARNING,
    "danger": messages.ERROR,
    "info": messages.INFO,
}


def rota_url(unit: CareUnit, week_start: date) -> str:
    return f"{reverse('staff:rota')}?{urlencode({'unit': unit.pk, 'week': selectors.iso_week(week_start)})}"


def _week_of(moment: datetime, unit: CareUnit) -> date:
    return selectors.week_monday(timezone.localtime(moment, unit.clinic.zone).date())


def _shift_text(shift: Shift) -> str:
    zone = shift.unit.clinic.zone
    starts, ends = timezone.localtime(shift.starts_at, zone), timezone.localtime(shift.ends_at, zone)
    return _("%(name)s, %(day)s %(start)s-%(end)s") % {
        "name": shift.user,
        "day": date_format(starts, "D d/m"),
        "start": f"{starts:%H:%M}",
        "end": f"{ends:%H:%M}",
    }


def _render_rota(
    request: AuthenticatedRequest,
    *,
    units: QuerySet[CareUnit],
    unit: CareUnit,
    week_start: date,
    filter_form: RotaFilterForm | None = None,
    shift_form: ShiftForm | None = None,
    notice: Notice | None = None,
) -> HttpResponse:
    """The rota page, or only its ``rota`` partial for an HTMX request (whose address follows the week shown)."""
    if shift_form is None:
        shift_form = ShiftForm(unit=unit, initial={"day": week_start, "week": week_start})
    context = {
        "units": units,
        "unit": unit,
        "week_start": week_start,
        "week_label": selectors.iso_week(week_start),
        "previous_url": rota_url(unit, week_start - timedelta(days=7)),
        "next_url": rota_url(unit, week_start + timedelta(days=7)),
        "this_week_url": rota_url(unit, selectors.current_week(unit.clinic)),
        "filter_form": filter_form or RotaFilterForm(initial={"unit": unit, "week": week_start}, units=units),
        "rota": selectors.rota_week(unit, week_start),
        "form": shift_form,
        "notice": notice,
    }
    if request.htmx:  # type: ignore[attr-defined]
        return push_url(render(request, "staff/rota.html#rota", context), rota_url(unit, week_start))
    return render(request, "staff/rota.html", context)


def _answer(request: AuthenticatedRequest, unit: CareUnit, week_start: date, notice: Notice) -> HttpResponse:
    """After an action: the refreshed rota for HTMX, else a message and the rota page again."""
    if request.htmx:  # type: ignore[attr-defined]
        return _render_rota(
            request, units=selectors.care_units_for_user(request.user), unit=unit, week_start=week_start, notice=notice
        )
    text = " ".join([notice.text, *notice.details])
    messages.add_message(request, _MESSAGE_LEVELS[notice.level], text)
    return redirect(rota_url(unit, week_start))


@login_required
@permission_required("staff.view_shift", raise_exception=True)
def rota(request: AuthenticatedRequest) -> HttpResponse:
    units = selectors.care_units_for_user(request.user)
    filter_form = RotaFilterForm(request.GET or None, units=units)
    unit: CareUnit | None = None
    week_start: date | None = None
    if filter_form.is_bound and filter_form.is_valid():
        unit, week_start = filter_form.cleaned_data["unit"], filter_form.cleaned_data["week"]
    unit = unit or units.first()
    if unit is None:
        return render(request, "staff/rota.html", {"units": units, "unit": None})
    week_start = week_start or selectors.current_week(unit.clinic)
    shown_form = filter_form if filter_form.is_bound and not filter_form.is_valid() else None
    return _render_rota(request, units=units, unit=unit, week_start=week_start, filter_form=shown_form)


@login_required
@permission_required("staff.add_shift", raise_exception=True)
@require_POST
def shift_add(request: AuthenticatedRequest, unit: int) -> HttpResponse:
    care_unit = selectors.care_unit_for_user(request.user, unit)
    form = ShiftForm(request.POST, unit=care_unit)
    if form.is_valid():
        try:
            shift = services.shift_add(by=request.user, **form.service_fields())
        except ValidationError as error:
            form_errors_from(error, form)
        else:
            week_start = _week_of(shift.starts_at, care_unit)
            notice = Notice("success", _("Shift added: %(shift)s.") % {"shift": _shift_text(shift)})
            if not request.htmx:  # type: ignore[attr-defined]
                return _answer(request, care_unit, week_start, notice)
            # The next person of the same shift is the likeliest next entry: keep all but the person.
            keep = {name: form.cleaned_data[name] for name in ("day", "start_time", "end_time", "function")}
            fresh = ShiftForm(unit=care_unit, initial={**keep, "week": week_start})
            return _render_rota(
                request,
                units=selectors.care_units_for_user(request.user),
                unit=care_unit,
                week_start=week_start,
                shift_form=fresh,
                notice=notice,
            )
    week_start = form.cleaned_data.get("week") or (
        selectors.week_monday(form.cleaned_data["day"])
        if "day" in form.cleaned_data
        else selectors.current_week(care_unit.clinic)
    )
    return _render_rota(
        request,
        units=selectors.care_units_for_user(request.user),
        unit=care_unit,
        week_start=week_start,
        shift_form=form,
    )


@login_required
@permission_required("staff.delete_shift", raise_exception=True)
@require_POST
def shift_remove(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    shift = selectors.shift_for_user(request.user, pk)
    week_start = _week_of(shift.starts_at, shift.unit)
    description = _shift_text(shift)
    try:
        services.shift_remove(shift=shift, by=request.user)
    except ValidationError as error:
        notice = Notice("danger", " ".join(error.messages))
    else:
        notice = Notice("success", _("Shift removed: %(shift)s.") % {"shift": description})
    return _answer(request, shift.unit, week_start, notice)


@login_required
@permission_required("staff.add_shift", raise_exception=True)
@require_POST
def rota_copy(request: AuthenticatedRequest, unit: int) -> HttpResponse:
    care_unit = selectors.care_unit_for_user(request.user, unit)
    try:
        week_start = IsoWeekField().clean(request.POST.get("week"))
        result = services.rota_copy_week(unit=care_unit, week_start=week_start, by=request.user)
    except ValidationError as error:
        return _answer(
            request, care_unit, selectors.current_week(care_unit.clinic), Notice("danger", " ".join(error.messages))
        )
    next_week = week_start + timedelta(days=7)
    if not result.created and not result.skipped:
        return _answer(request, care_unit, week_start, Notice("info", _("This week has no shifts to copy.")))
    text = ngettext(
        "%(count)d shift copied to the week of %(day)s.",
        "%(count)d shifts copied to the week of %(day)s.",
        len(result.created),
    ) % {"count": len(result.created), "day": date_format(next_week, "SHORT_DATE_FORMAT")}
    if not result.skipped:
        return _answer(request, care_unit, next_week, Notice("success", text))
    details = [f"{_shift_text(shift)}: {reason}" for shift, reason in result.skipped]
    skipped = ngettext("%(count)d shift was not copied:", "%(count)d shifts were not copied:", len(details)) % {
        "count": len(details)
    }
    return _answer(request, care_unit, next_week, Notice("warning", f"{text} {skipped}", details))
