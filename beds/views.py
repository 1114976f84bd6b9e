"""The ward pages: the live bed board, a bed and its history, admission requests with suggested beds,
admit, transfer and discharge. Views parse, call a service or selector, and render."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from beds import selectors, services
from beds.forms import (
    AdmissionRequestForm,
    BedChoiceForm,
    BlockForm,
    BoardFilterForm,
    CancelRequestForm,
    DischargeForm,
    ReserveForm,
    TransferFilterForm,
)
from beds.models import Admission, AdmissionSource, AdmissionStatus, Bed
from clinic.access import chosen_clinic, clinics_for_user
from clinic.http import AuthenticatedRequest, form_errors_from
from clinic.models import Clinic
from patients.selectors import patient_for_user
from staff import roles

# How often an open board asks whether anything changed, in seconds. An unchanged board answers
# 204 after two small queries, so a ward full of tablets costs the server little.
BOARD_REFRESH_SECONDS = 3


def _user_clinics(request: AuthenticatedRequest) -> QuerySet[Clinic]:
    return clinics_for_user(request.user).order_by("name")


@login_required
@permission_required("beds.view_bed", raise_exception=True)
def board(request: AuthenticatedRequest) -> HttpResponse:
    """Every bed of a clinic or ward, coloured by state; it refreshes itself while nothing else moves."""
    clinics = _user_clinics(request)
    form = BoardFilterForm(
        request.GET or None, clinics=clinics, wards=selectors.wards_for_user(request.user).filter(is_active=True)
    )
    filters: dict[str, Any] = form.cleaned_data if form.is_bound and form.is_valid() else {}
    ward = filters.get("ward")
    clinic = ward.clinic if ward is not None else filters.get("clinic") or clinics.first()
    if clinic is None:
        raise Http404(_("You are not attached to any clinic."))
    kind, state = filters.get("kind", ""), filters.get("state", "")
    scope = selectors.board_scope(user=request.user, clinic=clinic, ward=ward, kind=kind)
    summary = selectors.board_summary(scope)
    request_ids = selectors.open_request_ids(user=request.user, clinic=clinic)
    # What the grid shows depends on the beds, the state filter and the requests waiting.
    version = hashlib.sha256(f"{summary[2]}|{state}|{request_ids}".encode()).hexdigest()[:16]
    if request.htmx and request.GET.get("since") == version:  # type: ignore[attr-defined]
        return HttpResponse(status=204)
    board = selectors.ward_board(user=request.user, clinic=clinic, ward=ward, kind=kind, state=state, summary=summary)
    context = {
        "form": form,
        "clinic": clinic,
        "ward": ward,
        "kind": kind,
        "state": state,
        "board": board,
        "requests": selectors.open_requests(user=request.user, clinic=clinic),
        "version": version,
        "refresh_seconds": BOARD_REFRESH_SECONDS,
        "now": timezone.now(),
        "wards": selectors.wards_for_user(request.user).filter(clinic=clinic, is_active=True).order_by("code"),
    }
    template = "beds/ward_board.html#bed-grid" if request.htmx else "beds/ward_board.html"  # type: ignore[attr-defined]
    return render(request, template, context)


@login_required
@permission_required("beds.view_bed", raise_exception=True)
def bed_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    bed = selectors.bed_for_user(request.user, pk)
    events, stays = selectors.bed_history(bed)
    context = {
        "bed": bed,
        "events": events,
        "stays": stays,
        "current": next((stay for stay in stays if stay.ended_at is None), None),
        "block_form": BlockForm(),
        "clinic": bed.room.ward.clinic,
    }
    return render(request, "beds/bed_detail.html", context)


def _bed_step(request: AuthenticatedRequest, pk: int, step: Any, success: str, **kwargs: Any) -> HttpResponse:
    bed = selectors.bed_for_user(request.user, pk)
    try:
        step(bed=bed, by=request.user, **kwargs)
    except ValidationError as error:
        for text in error.messages:
            messages.error(request, text)
    else:
        messages.success(request, success % {"bed": bed.code})
    return redirect("beds:bed", pk=bed.pk)


@login_required
@permission_required("beds.operate_bed", raise_exception=True)
@require_POST
def bed_clean(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    return _bed_step(request, pk, services.bed_mark_clean, _("Bed %(bed)s is clean and available."))


@login_required
@permission_required("beds.operate_bed", raise_exception=True)
@require_POST
def bed_block(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    form = BlockForm(request.POST)
    if not form.is_valid():
        bed = selectors.bed_for_user(request.user, pk)
        messages.error(request, _("Say why the bed is blocked (200 characters at most)."))
        return redirect("beds:bed", pk=bed.pk)
    return _bed_step(request, pk, services.bed_block, _("Bed %(bed)s is blocked."), reason=form.cleaned_data["reason"])


@login_required
@permission_required("beds.operate_bed", raise_exception=True)
@require_POST
def bed_unblock(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    return _bed_step(request, pk, services.bed_unblock, _("Bed %(bed)s is back in service."))


@login_required
@permission_required("beds.operate_bed", raise_exception=True)
@require_POST
def bed_release(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    return _bed_step(request, pk, services.bed_release, _("The reservation of bed %(bed)s is released."))


# Requests and admissions ---------------------------------------------------------------------------


@login_required
@permission_required("beds.view_admission", raise_exception=True)
def request_list(request: AuthenticatedRequest) -> HttpResponse:
    clinic, clinics = chosen_clinic(request.user, request.GET.get("clinic", ""))
    context = {
        "requests": selectors.open_requests(user=request.user, clinic=clinic),
        "clinics": clinics,
        "clinic": clinic,
    }
    return render(request, "beds/request_list.html", context)


def _default_source(request: AuthenticatedRequest) -> str:
    if request.user.groups.filter(name=roles.TRIAGE_NURSE).exists():
        return AdmissionSource.TRIAGE
    return AdmissionSource.DOCTOR


@login_required
@permission_required("beds.add_admission", raise_exception=True)
def request_create(request: AuthenticatedRequest, patient_pk: int) -> HttpResponse:
    """A doctor or triage asks for a bed: what is needed and how urgently."""
    patient = patient_for_user(request.user, patient_pk)
    clinics = _user_clinics(request)
    open_admission = selectors.patient_open_admission(patient)
    initial = {"clinic": clinics.first(), "source": _default_source(request)}
    form = AdmissionRequestForm(request.POST or None, clinics=clinics, initial=initial)
    if request.method == "POST" and open_admission is None and form.is_valid():
        try:
            admission = services.admission_request(patient=patient, by=request.user, **form.cleaned_data)
        except ValidationError as error:
            form_errors_from(error, form)
        else:
            messages.success(request, _("Admission requested for %(patient)s.") % {"patient": patient.display_name})
            if request.user.has_perm("beds.view_admission") and admission.clinic in clinics:
                return redirect("beds:admission", pk=admission.pk)
            return redirect("patients:detail", pk=patient.pk)
    context = {"form": form, "patient": patient, "open_admission": open_admission}
    return render(request, "beds/request_form.html", context)


@login_required
@permission_required("beds.view_admission", raise_exception=True)
def admission_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """A request with its suggested beds, or an admission with its stays, transfer and discharge."""
    admission = selectors.admission_for_user(request.user, pk)
    context: dict[str, Any] = {
        "admission": admission,
        "patient": admission.patient,
        "stays": selectors.admission_stays(admission),
        "can_run": request.user.has_perm("beds.change_admission"),
    }
    if admission.status == AdmissionStatus.REQUESTED:
        context["suggestions"] = selectors.bed_suggestions(admission, user=request.user)
        context["cancel_form"] = CancelRequestForm()
        context["reserve_hours"] = ReserveForm.base_fields["hours"].initial
    elif admission.status == AdmissionStatus.ADMITTED:
        context["discharge_form"] = DischargeForm()
    context["current"] = next((s for s in context["stays"] if s.ended_at is None), None)
    return render(request, "beds/admission_detail.html", context)


def _picked_bed(request: AuthenticatedRequest, form: BedChoiceForm) -> Bed | None:
    if not form.is_valid():
        messages.error(request, _("Choose a bed from the list."))
        return None
    return selectors.bed_for_user(request.user, form.cleaned_data["bed"])


def _report(request: AuthenticatedRequest, error: ValidationError) -> None:
    for text in error.messages:
        messages.error(request, text)


@login_required
@permission_required("beds.change_admission", raise_exception=True)
@require_POST
def admit(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    admission = selectors.admission_for_user(request.user, pk)
    bed = _picked_bed(request, BedChoiceForm(request.POST))
    if bed is not None:
        try:
            services.admission_admit(admission=admission, bed=bed, by=request.user)
        except ValidationError as error:
            _report(request, error)
        else:
            messages.success(
                request,
                _("%(patient)s admitted to bed %(bed)s.")
                % {"patient": admission.patient.display_name, "bed": bed.code},
            )
    return redirect("beds:admission", pk=admission.pk)


@login_required
@permission_required("beds.change_admission", raise_exception=True)
@require_POST
def reserve(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    admission = selectors.admission_for_user(request.user, pk)
    form = ReserveForm(request.POST)
    bed = _picked_bed(request, form)
    if bed is not None:
        until = timezone.now() + timedelta(hours=form.cleaned_data["hours"])
        try:
            services.bed_reserve(bed=bed, admission=admission, until=until, by=request.user)
        except ValidationError as error:
            _report(request, error)
        else:
            messages.success(request, _("Bed %(bed)s is reserved for this patient.") % {"bed": bed.code})
    return redirect("beds:admission", pk=admission.pk)


@login_required
@permission_required("beds.change_admission", raise_exception=True)
@require_POST
def cancel(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    admission = selectors.admission_for_user(request.user, pk)
    form = CancelRequestForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Say why the request is cancelled."))
        return redirect("beds:admission", pk=admission.pk)
    try:
        services.admission_cancel(admission=admission, by=request.user, reason=form.cleaned_data["reason"])
    except ValidationError as error:
        _report(request, error)
    else:
        messages.success(request, _("The admission request is cancelled."))
    return redirect("beds:admission", pk=admission.pk)


@login_required
@permission_required("beds.change_admission", raise_exception=True)
def transfer(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """Beds to move an admitted patient to: the same ward or another, this clinic or another."""
    admission = selectors.admission_for_user(request.user, pk)
    if admission.status != AdmissionStatus.ADMITTED:
        messages.error(request, _("Only an admitted patient can be transferred."))
        return redirect("beds:admission", pk=admission.pk)
    current = selectors.current_stay(admission)
    if request.method == "POST":
        bed = _picked_bed(request, BedChoiceForm(request.POST))
        if bed is not None:
            try:
                services.admission_transfer(admission=admission, bed=bed, by=request.user)
            except ValidationError as error:
                _report(request, error)
            else:
                messages.success(request, _("Transferred to bed %(bed)s.") % {"bed": bed.code})
                return redirect("beds:admission", pk=admission.pk)
        return redirect("beds:transfer", pk=admission.pk)
    clinics = _user_clinics(request)
    form = TransferFilterForm(request.GET or None, clinics=clinics, initial={"kind": admission.ward_kind})
    filters = form.cleaned_data if form.is_bound and form.is_valid() else {}
    kind = filters.get("kind", admission.ward_kind) if form.is_bound else admission.ward_kind
    bed_ward = current.bed.room.ward if current else None
    near_clinic = filters.get("clinic") or (bed_ward.clinic if bed_ward else admission.clinic)
    suggestions = selectors.bed_suggestions(
        admission,
        user=request.user,
        ward_kind=kind,
        near_clinic=near_clinic,
        near_floor=bed_ward.floor if bed_ward and near_clinic == bed_ward.clinic else None,
    )
    context: dict[str, Any] = {"admission": admission, "patient": admission.patient, "current": current}
    context.update(form=form, suggestions=suggestions)
    return render(request, "beds/transfer.html", context)


@login_required
@permission_required("beds.change_admission", raise_exception=True)
def discharge(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    admission = selectors.admission_for_user(request.user, pk)
    form = DischargeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.admission_discharge(
                admission=admission, kind=form.cleaned_data["kind"], notes=form.cleaned_data["notes"], by=request.user
            )
        except ValidationError as error:
            form_errors_from(error, form)
        else:
            messages.success(request, _("%(patient)s is discharged.") % {"patient": admission.patient.display_name})
            return redirect("beds:admission", pk=admission.pk)
    context = {"admission": admission, "patient": admission.patient, "form": form}
    return render(request, "beds/discharge.html", context, status=400 if form.errors else 200)


@login_required
@permission_required("beds.view_admission", raise_exception=True)
def panel_admissions(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """The chart's admissions panel: every admission with its beds and length of stay."""
    patient = patient_for_user(request.user, pk)
    admissions: list[Admission] = selectors.patient_admissions(patient, user=request.user)
    open_admission = next(
        (a for a in admissions if a.status in (AdmissionStatus.REQUESTED, AdmissionStatus.ADMITTED)), None
    )
    context = {"patient": patient, "admissions": admissions, "open_admission": open_admission, "now": timezone.now()}
    return render(request, "beds/admissions_panel.html", context)
