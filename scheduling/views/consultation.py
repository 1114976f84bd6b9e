"""The consultation page (start, notes and treatment, ICD-10 diagnoses, finish) and the chart's appointments panel."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from clinic.http import AuthenticatedRequest, client_ip, form_errors_from, user_agent
from patients.forms import ICD10CodeField
from patients.models import ChartAccess
from patients.selectors import patient_allergies, patient_for_user
from patients.services import chart_access_record
from scheduling import consultation as services
from scheduling import consultation_selectors as selectors
from scheduling.models import Appointment, AppointmentStatus


class ConsultationForm(forms.Form):
    notes = forms.CharField(
        label=gettext_lazy("Notes"),
        required=False,
        max_length=services.MAX_TEXT_LENGTH,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=gettext_lazy("Complaint, history, examination."),
    )
    treatment = forms.CharField(
        label=gettext_lazy("Treatment"),
        required=False,
        max_length=services.MAX_TEXT_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=gettext_lazy("Prescriptions, advice, follow-up."),
    )


class DiagnosisForm(forms.Form):
    icd10_code = ICD10CodeField(label=gettext_lazy("Diagnosis (ICD-10)"))
    primary = forms.BooleanField(label=gettext_lazy("Primary diagnosis"), required=False)


def _context(
    request: AuthenticatedRequest,
    appointment: Appointment,
    *,
    consultation_form: ConsultationForm | None = None,
    diagnosis_form: DiagnosisForm | None = None,
) -> dict[str, Any]:
    consultation = selectors.consultation_of(appointment)
    can_record = services.may_record(appointment, request.user)
    if consultation_form is None:
        initial = {"notes": consultation.notes, "treatment": consultation.treatment} if consultation else {}
        consultation_form = ConsultationForm(initial=initial)
    notice = ""
    if not can_record and appointment.status in (AppointmentStatus.WAITING, AppointmentStatus.IN_PROGRESS):
        notice = "not_recorder"
    elif can_record and appointment.status in (AppointmentStatus.SCHEDULED, AppointmentStatus.CONFIRMED):
        notice = "not_checked_in"
    return {
        "appointment": appointment,
        "patient": appointment.patient,
        "notice": notice,
        "consultation": consultation,
        "diagnoses": selectors.consultation_diagnoses(consultation),
        "can_record": can_record,
        "can_start": can_record and appointment.status == AppointmentStatus.WAITING,
        "editable": can_record and appointment.status == AppointmentStatus.IN_PROGRESS,
        "consultation_form": consultation_form,
        "diagnosis_form": diagnosis_form or DiagnosisForm(),
    }


def _page(request: AuthenticatedRequest, appointment: Appointment, **forms_: Any) -> HttpResponse:
    """The whole page: it shows the patient's clinical data, so it is written to the chart access log."""
    patient = appointment.patient
    chart_access_record(
        user=request.user,
        patient=patient,
        action=ChartAccess.Action.VIEW_CHART,
        ip_address=client_ip(request),
        user_agent=user_agent(request),
    )
    context = _context(request, appointment, **forms_)
    context["allergies"] = patient_allergies(request.user, patient)
    if request.user.has_perm("patients.view_clinical_history"):
        context["history"] = selectors.patient_recent_history(user=request.user, appointment=appointment)
    return render(request, "scheduling/consultation.html", context)


def _back(appointment: Appointment) -> HttpResponse:
    return redirect("scheduling:consultation", pk=appointment.pk)


@login_required
@permission_required("scheduling.view_consultation", raise_exception=True)
def consultation_page(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    return _page(request, selectors.appointment_for_consultation(request.user, pk))


@login_required
@permission_required("scheduling.add_consultation", raise_exception=True)
@require_POST
def consultation_start(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    appointment = selectors.appointment_for_consultation(request.user, pk)
    try:
        services.consultation_start(appointment=appointment, by=request.user)
    except ValidationError as error:
        for text in error.messages:
            messages.error(request, text)
    else:
        messages.success(request, _("Consultation started."))
    return _back(appointment)


@login_required
@permission_required("scheduling.change_consultation", raise_exception=True)
@require_POST
def consultation_save(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    appointment = selectors.appointment_for_consultation(request.user, pk)
    form = ConsultationForm(request.POST)
    if form.is_valid():
        try:
            services.consultation_save(appointment=appointment, by=request.user, **form.cleaned_data)
        except ValidationError as error:
            form_errors_from(error, form)
        else:
            messages.success(request, _("Notes and treatment saved."))
            return _back(appointment)
    return _page(request, appointment, consultation_form=form)


@login_required
@permission_required("scheduling.change_consultation", raise_exception=True)
@require_POST
def consultation_finish(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """Save what the notes form holds and finish, together: a refusal keeps both as they were."""
    appointment = selectors.appointment_for_consultation(request.user, pk)
    form = ConsultationForm(request.POST)
    if form.is_valid():
        try:
            with transaction.atomic():
                if {"notes", "treatment"} & set(request.POST):
                    services.consultation_save(appointment=appointment, by=request.user, **form.cleaned_data)
                services.consultation_finish(appointment=appointment, by=request.user)
        except ValidationError as error:
            form_errors_from(error, form)
        else:
            messages.success(request, _("Consultation finished."))
            return _back(appointment)
    return _page(request, appointment, consultation_form=form)


def _diagnoses(request: AuthenticatedRequest, appointment: Appointment, form: DiagnosisForm | None) -> HttpResponse:
    """After a change to the diagnoses: the list again (HTMX), or the whole page."""
    if request.htmx:  # type: ignore[attr-defined]
        context = _context(request, appointment, diagnosis_form=form)
        return render(request, "scheduling/consultation.html#diagnoses", context)
    if form is not None:
        return _page(request, appointment, diagnosis_form=form)
    return _back(appointment)


def _refused(request: AuthenticatedRequest, appointment: Appointment, error: ValidationError) -> HttpResponse:
    """A step the consultation's state refuses (finished meanwhile, not started): the page as it is now."""
    for text in error.messages:
        messages.error(request, text)
    if request.htmx:  # type: ignore[attr-defined]
        return HttpResponse(headers={"HX-Refresh": "true"})
    return _back(appointment)


@login_required
@permission_required("scheduling.change_consultation", raise_exception=True)
@require_POST
def diagnosis_add(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    appointment = selectors.appointment_for_consultation(request.user, pk)
    form = DiagnosisForm(request.POST)
    if form.is_valid():
        try:
            services.diagnosis_add(appointment=appointment, by=request.user, **form.cleaned_data)
        except ValidationError as error:
            if not hasattr(error, "error_dict"):
                return _refused(request, appointment, error)
            form_errors_from(error, form)
        else:
            return _diagnoses(request, appointment, None)  # a fresh form for the next diagnosis
    return _diagnoses(request, appointment, form)


@login_required
@permission_required("scheduling.change_consultation", raise_exception=True)
@require_POST
def diagnosis_remove(request: AuthenticatedRequest, pk: int, item: int) -> HttpResponse:
    appointment = selectors.appointment_for_consultation(request.user, pk)
    diagnosis = selectors.diagnosis_of(appointment, item)
    try:
        services.diagnosis_remove(diagnosis=diagnosis, by=request.user)
    except ValidationError as error:
        return _refused(request, appointment, error)
    return _diagnoses(request, appointment, None)


# The chart's appointments panel ------------------------------------------------------------------

_SECTIONS = {"upcoming": True, "past": False}
_MAX_OFFSET = 100_000


def _offset(value: str | None) -> int:
    try:
        return min(max(int(value or 0), 0), _MAX_OFFSET)
    except ValueError:
        return 0


@login_required
@permission_required("scheduling.view_appointment", raise_exception=True)
def panel_appointments(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """The patient's appointments in the user's clinics, to come and past; "show more" asks for the next lines."""
    patient = patient_for_user(request.user, pk)
    now = timezone.now()
    section = request.GET.get("section", "")
    if section in _SECTIONS:
        listing = selectors.patient_appointments(
            user=request.user,
            patient=patient,
            upcoming=_SECTIONS[section],
            offset=_offset(request.GET.get("offset")),
            now=now,
        )
        context = {"patient": patient, "listing": listing, "section": section}
        return render(request, "scheduling/consultation_panel.html#lines", context)
    context = {
        "patient": patient,
        "upcoming": selectors.patient_appointments(user=request.user, patient=patient, upcoming=True, now=now),
        "past": selectors.patient_appointments(user=request.user, patient=patient, upcoming=False, now=now),
    }
    return render(request, "scheduling/consultation_panel.html", context)
