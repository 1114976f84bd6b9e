"""Waiting list pages: the queue with the freed times to offer, adding a patient, removing an entry."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from clinic.access import clinics_for_user
from clinic.http import AuthenticatedRequest, safe_next
from patients.selectors import patient_allergies, patient_for_user
from scheduling import waiting_list as wl
from scheduling.forms_waiting_list import WaitingListAddForm, WaitingListFilterForm, WaitingListRemoveForm
from scheduling.selectors import practitioners_for_user


@login_required
@permission_required("scheduling.view_waitinglistentry", raise_exception=True)
def waiting_list(request: AuthenticatedRequest) -> HttpResponse:
    clinics = clinics_for_user(request.user)
    form = WaitingListFilterForm(request.GET or None, clinics=clinics)
    specialty = clinic = None
    if form.is_valid():
        specialty, clinic = form.cleaned_data["specialty"], form.cleaned_data["clinic"]
    entries = wl.waiting_list(clinics=clinics, specialty=specialty, clinic=clinic)
    page = Paginator(entries, settings.PAGE_SIZE).get_page(request.GET.get("page"))
    freed = wl.freed_slots(clinics=[clinic] if clinic else clinics, now=timezone.now(), specialty=specialty)
    filters = request.GET.copy()
    filters.pop("page", None)
    context = {"form": form, "page": page, "freed": freed, "query_string": filters.urlencode()}
    template = "scheduling/waiting_list.html#results" if request.htmx else "scheduling/waiting_list.html"  # type: ignore[attr-defined]
    return render(request, template, context)


@login_required
@permission_required("scheduling.add_waitinglistentry", raise_exception=True)
def waiting_list_add(request: AuthenticatedRequest) -> HttpResponse:
    """Reception arrives here from the patient's chart: ``?patient=<pk>`` names the patient."""
    raw = request.GET.get("patient", "").strip()
    if not raw:
        return render(request, "scheduling/waiting_list_choose_patient.html")
    if not raw.isdigit():
        raise Http404
    patient = patient_for_user(request.user, int(raw))
    form = WaitingListAddForm(
        request.POST or None,
        clinics=clinics_for_user(request.user),
        practitioners=practitioners_for_user(request.user),
    )
    if request.method == "POST" and form.is_valid():
        try:
            entry = wl.waiting_list_add(patient=patient, by=request.user, **form.cleaned_data)
        except ValidationError as error:
            for field, errors in error.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            messages.success(
                request,
                _("%(patient)s is on the waiting list for %(specialty)s.")
                % {"patient": patient.display_name, "specialty": entry.specialty.name},
            )
            return redirect("patients:detail", pk=patient.pk)
    context = {
        "patient": patient,
        "allergies": patient_allergies(request.user, patient),
        "form": form,
        "waiting": wl.patient_waiting_entries(patient),
    }
    return render(request, "scheduling/waiting_list_form.html", context)


@login_required
@permission_required("scheduling.change_waitinglistentry", raise_exception=True)
@require_POST
def waiting_list_remove(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    entry = wl.waiting_entry_for_user(request.user, pk)
    form = WaitingListRemoveForm(request.POST)
    if form.is_valid():
        try:
            wl.waiting_list_remove(entry=entry, by=request.user, reason=form.cleaned_data["reason"])
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(
                request,
                _("%(patient)s was taken off the waiting list for %(specialty)s.")
                % {"patient": entry.patient.display_name, "specialty": entry.specialty.name},
            )
    else:
        messages.error(request, " ".join(str(message) for errors in form.errors.values() for message in errors))
    return redirect(safe_next(request, request.POST.get("next", "")) or reverse("scheduling:waiting-list"))
