"""Pages of the patient registry. Each view parses, calls a selector or service, and renders."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.forms import BaseForm
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from clinic.access import clinics_for_user, one_or_404
from clinic.http import AuthenticatedRequest, client_ip, form_errors_from, safe_next, user_agent
from patients import icd10, selectors, services
from patients.forms import (
    AllergyForm,
    ConditionForm,
    DocumentForm,
    EmergencyContactFormSet,
    MedicationForm,
    PatientForm,
    PatientSearchForm,
    StatusForm,
)
from patients.models import Allergy, ChartAccess, Condition, Medication, Patient
from patients.normalize import phone_display
from patients.panels import panels_for


def _patient_context(request: AuthenticatedRequest, patient: Patient, **extra: Any) -> dict[str, Any]:
    """What every page of one patient shows: the header with the allergy banner."""
    return {"patient": patient, "allergies": selectors.patient_allergies(request.user, patient), **extra}


@login_required
@permission_required("patients.view_patient", raise_exception=True)
def patient_search(request: AuthenticatedRequest) -> HttpResponse:
    form = PatientSearchForm(request.GET or None)
    page = None
    query = None
    capped = False
    patients: list[Patient] = []
    if form.is_valid() and (form.cleaned_data["q"] or form.cleaned_data["birth_date"]):
        query = selectors.parse_search(form.cleaned_data["q"])
        ids, capped = selectors.patient_search_ids(
            text=form.cleaned_data["q"], birth_date=form.cleaned_data["birth_date"]
        )
        page = Paginator(ids, settings.PAGE_SIZE).get_page(request.GET.get("page"))
        patients = selectors.patients_in_order(list(page.object_list))
    context = {"form": form, "page": page, "patients": patients, "query": query, "capped": capped}
    template = "patients/search.html#results" if request.htmx else "patients/search.html"  # type: ignore[attr-defined]
    return render(request, template, context)


def _contact_formset(request: AuthenticatedRequest, patient: Patient | None = None) -> Any:
    if request.method == "POST":
        return EmergencyContactFormSet(request.POST, prefix="contacts")
    initial = []
    if patient is not None:
        initial = [
            {"name": c.name, "relationship": c.relationship, "phone": phone_display(c.phone)}
            for c in patient.emergency_contacts.all()
        ]
    return EmergencyContactFormSet(initial=initial, prefix="contacts")


@login_required
@permission_required("patients.add_patient", raise_exception=True)
def patient_create(request: AuthenticatedRequest) -> HttpResponse:
    clinics = clinics_for_user(request.user)
    own = list(request.user.clinics.values_list("pk", flat=True)[:2])
    # Someone who works in one clinic registers there unless they choose otherwise.
    form = PatientForm(request.POST or None, clinics=clinics, initial={"home_clinic": own[0]} if len(own) == 1 else {})
    contacts = _contact_formset(request)
    duplicates: list[Patient] = []
    if request.method == "POST" and form.is_valid() and contacts.is_valid():
        data = form.cleaned_data
        duplicates = list(
            selectors.patient_possible_duplicates(
                full_name=data["full_name"],
                birth_date=data["birth_date"],
                phones=[data["mobile_phone"], data["home_phone"]],
            )
        )
        if duplicates and not data["confirm_not_duplicate"]:
            messages.warning(request, _("Possible duplicates found. Check them before registering."))
        else:
            try:
                patient = services.patient_register(
                    by=request.user,
                    contacts=contacts.contacts(),
                    **form.service_fields(),
                )
            except ValidationError as error:
                form_errors_from(error, form)
            else:
                messages.success(request, _("Patient %(name)s registered.") % {"name": patient.display_name})
                return redirect(_after_registration(request, patient))
    return render(
        request,
        "patients/patient_form.html",
        {"form": form, "contacts": contacts, "duplicates": duplicates, "creating": True},
    )


def _after_registration(request: AuthenticatedRequest, patient: Patient) -> str:
    """The chart, or the page that sent reception here (booking), with the new patient chosen."""
    target = safe_next(request, request.GET.get("next", ""))
    if target:
        separator = "&" if "?" in target else "?"
        return f"{target}{separator}patient={patient.pk}"
    return reverse("patients:detail", args=[patient.pk])


@login_required
@permission_required("patients.change_patient", raise_exception=True)
def patient_edit(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    patient = selectors.patient_for_user(request.user, pk)
    form = PatientForm(request.POST or None, instance=patient, clinics=clinics_for_user(request.user))
    contacts = _contact_formset(request, patient)
    if request.method == "POST" and form.is_valid() and contacts.is_valid():
        try:
            services.patient_update(
                patient=patient,
                by=request.user,
                contacts=contacts.contacts(),
                **form.service_fields(),
            )
        except ValidationError as error:
            form_errors_from(error, form)
        else:
            messages.success(request, _("Changes saved."))
            return redirect("patients:detail", pk=patient.pk)
    # The form re-renders with what the user typed; the header shows the stored record.
    patient.refresh_from_db()
    return render(
        request,
        "patients/patient_form.html",
        _patient_context(request, patient, form=form, contacts=contacts, duplicates=[], creating=False),
    )


@login_required
def patient_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    patient = selectors.patient_for_user(request.user, pk)
    services.chart_access_record(
        user=request.user,
        patient=patient,
        action=ChartAccess.Action.VIEW_CHART,
        ip_address=client_ip(request),
        user_agent=user_agent(request),
    )
    return render(
        request,
        "patients/patient_detail.html",
        _patient_context(
            request,
            patient,
            panels=[(panel, panel.url(patient.pk)) for panel in panels_for(request.user)],
            contacts=list(patient.emergency_contacts.all()),
            status_form=StatusForm(initial={"status": patient.status}),
        ),
    )


@login_required
@permission_required("patients.set_patient_status", raise_exception=True)
@require_POST
def patient_status(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    patient = selectors.patient_for_user(request.user, pk)
    form = StatusForm(request.POST)
    if form.is_valid():
        try:
            services.patient_set_status(
                patient=patient,
                status=form.cleaned_data["status"],
                reason=form.cleaned_data["reason"],
                by=request.user,
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("Status changed."))
    else:
        messages.error(request, _("Choose a valid status."))
    return redirect("patients:detail", pk=patient.pk)


# Panels -------------------------------------------------------------------------------------


@login_required
@permission_required("patients.view_clinical_history", raise_exception=True)
def panel_history(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    patient = selectors.patient_for_user(request.user, pk)
    return render(request, "patients/panels/history.html", {"patient": patient, **selectors.patient_history(patient)})


@login_required
@permission_required("patients.view_patientdocument", raise_exception=True)
def panel_documents(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    patient = selectors.patient_for_user(request.user, pk)
    return render(
        request,
        "patients/panels/documents.html",
        {"patient": patient, "documents": selectors.patient_documents(patient)},
    )


@login_required
def panel_status(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    patient = selectors.patient_for_user(request.user, pk)
    return render(
        request,
        "patients/panels/status.html",
        {"patient": patient, "changes": selectors.patient_status_changes(patient)},
    )


# History entries ----------------------------------------------------------------------------


def _history_create(
    request: AuthenticatedRequest, pk: int, form_class: type[BaseForm], create: Callable[..., Any], title: str
) -> HttpResponse:
    patient = selectors.patient_for_user(request.user, pk)
    form = form_class(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            create(patient=patient, by=request.user, **form.cleaned_data)
        except ValidationError as error:
            form_errors_from(error, form)
        else:
            messages.success(request, _("Saved to the patient's history."))
            return redirect("patients:detail", pk=patient.pk)
    return render(request, "patients/history_form.html", _patient_context(request, patient, form=form, title=title))


@login_required
@permission_required("patients.change_clinical_history", raise_exception=True)
def condition_create(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    return _history_create(request, pk, ConditionForm, services.condition_add, _("New condition"))


@login_required
@permission_required("patients.change_clinical_history", raise_exception=True)
def medication_create(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    return _history_create(request, pk, MedicationForm, services.medication_add, _("New medication"))


@login_required
@permission_required("patients.change_clinical_history", raise_exception=True)
def allergy_create(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    return _history_create(request, pk, AllergyForm, services.allergy_add, _("New allergy"))


def _history_item(request: AuthenticatedRequest, pk: int, model: type[Any], item: int) -> Any:
    """An entry of this patient's history (the chart's, across the network: clinic/access.py)."""
    patient = selectors.patient_for_user(request.user, pk)
    return one_or_404(model.objects.filter(patient=patient), item)


@login_required
@permission_required("patients.change_clinical_history", raise_exception=True)
@require_POST
def condition_resolve(request: AuthenticatedRequest, pk: int, item: int) -> HttpResponse:
    condition = _history_item(request, pk, Condition, item)
    services.condition_set_status(condition=condition, status=Condition.Status.RESOLVED, by=request.user)
    messages.success(request, _("Condition marked as resolved."))
    return redirect("patients:detail", pk=pk)


@login_required
@permission_required("patients.change_clinical_history", raise_exception=True)
@require_POST
def medication_stop(request: AuthenticatedRequest, pk: int, item: int) -> HttpResponse:
    medication = _history_item(request, pk, Medication, item)
    services.medication_stop(medication=medication, by=request.user)
    messages.success(request, _("Medication marked as no longer in use."))
    return redirect("patients:detail", pk=pk)


@login_required
@permission_required("patients.change_clinical_history", raise_exception=True)
@require_POST
def allergy_deactivate(request: AuthenticatedRequest, pk: int, item: int) -> HttpResponse:
    allergy = _history_item(request, pk, Allergy, item)
    services.allergy_deactivate(allergy=allergy, by=request.user)
    messages.success(request, _("Allergy marked as inactive."))
    return redirect("patients:detail", pk=pk)


# Documents ----------------------------------------------------------------------------------


@login_required
@permission_required("patients.add_patientdocument", raise_exception=True)
def document_create(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    patient = selectors.patient_for_user(request.user, pk)
    form = DocumentForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.document_upload(
                patient=patient,
                uploaded=form.cleaned_data["file"],
                kind=form.cleaned_data["kind"],
                title=form.cleaned_data["title"],
                by=request.user,
            )
        except ValidationError as error:
            form_errors_from(error, form)
        else:
            messages.success(request, _("Document uploaded."))
            return redirect("patients:detail", pk=patient.pk)
    return render(request, "patients/document_form.html", _patient_context(request, patient, form=form))


@login_required
def document_download(request: AuthenticatedRequest, pk: int) -> FileResponse:
    document = selectors.document_for_user(request.user, pk)
    try:
        handle = document.file.open("rb")
    except FileNotFoundError as error:
        raise Http404 from error
    services.chart_access_record(
        user=request.user,
        patient=document.patient,
        action=ChartAccess.Action.DOWNLOAD_DOCUMENT,
        document=document,
        ip_address=client_ip(request),
        user_agent=user_agent(request),
    )
    filename = f"{document.kind}-{document.pk}.{document.extension}"
    response = FileResponse(handle, as_attachment=True, filename=filename, content_type=document.content_type)
    response["Cache-Control"] = "private, no-store"
    return response


# ICD-10 catalog -----------------------------------------------------------------------------

_PICKER_FIELD = re.compile(r"^[a-z][a-z0-9_-]{0,59}$")  # a form field's name, with its prefix


@login_required
def icd10_search(request: AuthenticatedRequest) -> HttpResponse:
    """The choices of an ICD-10 picker: the codes matching what was typed, the chosen one first.

    ``field`` names the picker's form field: its radio buttons carry that name, the search box is
    ``<field>_search`` (or ``q``) and the chosen code, sent along, stays chosen.
    """
    field = request.GET.get("field", "")
    if not _PICKER_FIELD.match(field):
        field = "icd10_code"
    text = (request.GET.get(f"{field}_search") or request.GET.get("q") or "")[:120]
    chosen = icd10.icd10_lookup(request.GET.get(field, "")[:20])
    context = {"field": field, "chosen": chosen, "choices": icd10.icd10_search(text), "searched": bool(text.strip())}
    return render(request, "patients/icd10_choices.html", context)
