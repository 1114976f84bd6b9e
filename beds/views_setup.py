"""The manager's setup pages: a clinic's wards, a ward's rooms and beds, and the forms that change them.

Every object is fetched through beds/setup.py's ``*_for_setup`` (another clinic's ward is a 404);
every change goes through a service there. A refused change shows the form again with the reason
next to the field, and nothing is stored.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from beds import setup
from beds.forms_setup import BedForm, BedsAddForm, RoomForm, WardForm
from beds.models import Ward
from clinic.http import AuthenticatedRequest, form_errors_from


def _ward_url(ward: Ward) -> str:
    return reverse("beds:ward-setup", args=[ward.pk])


@login_required
@permission_required("beds.change_ward", raise_exception=True)
def setup_list(request: AuthenticatedRequest) -> HttpResponse:
    """The wards of one of the user's clinics (?clinic=), with how many rooms and beds each has."""
    clinic, clinics = setup.setup_clinic(request.user, request.GET.get("clinic", ""))
    wards = list(setup.setup_wards(clinic)) if clinic is not None else []
    return render(request, "beds/setup_list.html", {"clinic": clinic, "clinics": clinics, "wards": wards})


@login_required
@permission_required("beds.add_ward", raise_exception=True)
def ward_create(request: AuthenticatedRequest) -> HttpResponse:
    clinic, _clinics = setup.setup_clinic(request.user, request.GET.get("clinic", ""))
    if clinic is None:
        raise Http404(_("You are not attached to any clinic."))
    form = WardForm(request.POST or None, floors=setup.floors_of(clinic))
    if form.is_bound and form.is_valid():
        try:
            ward = setup.ward_create(clinic=clinic, **form.cleaned_data)
        except ValidationError as error:
            form_errors_from(error, form)
        else:
            messages.success(request, _("Ward %(ward)s created. Now add its rooms and beds.") % {"ward": ward})
            return redirect(_ward_url(ward))
    return render(request, "beds/setup_ward_form.html", {"form": form, "clinic": clinic, "ward": None})


@login_required
@permission_required("beds.change_ward", raise_exception=True)
def ward_edit(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    ward = setup.ward_for_setup(request.user, pk)
    form = WardForm(request.POST or None, floors=setup.floors_of(ward.clinic), initial=WardForm.initial_for(ward))
    if form.is_bound and form.is_valid():
        try:
            ward = setup.ward_update(ward=ward, **form.cleaned_data)
        except ValidationError as error:
            form_errors_from(error, form)
        else:
            messages.success(request, _("Ward %(ward)s saved.") % {"ward": ward})
            return redirect(_ward_url(ward))
    return render(request, "beds/setup_ward_form.html", {"form": form, "clinic": ward.clinic, "ward": ward})


def _render_ward(
    request: AuthenticatedRequest,
    ward: Ward,
    *,
    room_form: RoomForm | None = None,
    beds_form: BedsAddForm | None = None,
) -> HttpResponse:
    """The ward's setup page; a form that failed is shown in place of its blank one, with its errors."""
    rooms: list[dict[str, Any]] = []
    for layout in setup.ward_layout(ward):
        form = beds_form if beds_form is not None and beds_form.room.pk == layout.room.pk else None
        rooms.append({"layout": layout, "beds_form": form or BedsAddForm(room=layout.room)})
    context = {"ward": ward, "clinic": ward.clinic, "rooms": rooms, "room_form": room_form or RoomForm()}
    return render(request, "beds/setup_ward.html", context)


@login_required
@permission_required("beds.change_ward", raise_exception=True)
def ward_setup(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    return _render_ward(request, setup.ward_for_setup(request.user, pk))


@login_required
@permission_required("beds.add_wardroom", raise_exception=True)
@require_POST
def room_create(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    ward = setup.ward_for_setup(request.user, pk)
    form = RoomForm(request.POST)
    if form.is_valid():
        try:
            room = setup.room_create(ward=ward, **form.cleaned_data)
        except ValidationError as error:
            form_errors_from(error, form)
        else:
            messages.success(request, _("Room %(room)s added.") % {"room": room.code})
            return redirect(_ward_url(ward))
    return _render_ward(request, ward, room_form=form)


@login_required
@permission_required("beds.change_wardroom", raise_exception=True)
def room_edit(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    room = setup.room_for_setup(request.user, pk)
    form = RoomForm(request.POST or None, initial=RoomForm.initial_for(room))
    if form.is_bound and form.is_valid():
        try:
            room = setup.room_update(room=room, **form.cleaned_data)
        except ValidationError as error:
            form_errors_from(error, form)
        else:
            messages.success(request, _("Room %(room)s saved.") % {"room": room.code})
            return redirect(_ward_url(room.ward))
    return render(request, "beds/setup_room_form.html", {"form": form, "room": room, "ward": room.ward})


@login_required
@permission_required("beds.add_bed", raise_exception=True)
@require_POST
def beds_add(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    room = setup.room_for_setup(request.user, pk)
    form = BedsAddForm(request.POST, room=room)
    if form.is_valid():
        try:
            beds = setup.beds_add(room=room, **form.service_fields())
        except ValidationError as error:
            form_errors_from(error, form)
        else:
            codes = ", ".join(bed.code for bed in beds)
            messages.success(request, _("Beds added to room %(room)s: %(beds)s.") % {"room": room.code, "beds": codes})
            return redirect(_ward_url(room.ward))
    return _render_ward(request, room.ward, beds_form=form)


@login_required
@permission_required("beds.change_bed", raise_exception=True)
def bed_edit(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    bed = setup.bed_for_setup(request.user, pk)
    form = BedForm(request.POST or None, initial=BedForm.initial_for(bed))
    if form.is_bound and form.is_valid():
        try:
            saved = setup.bed_update(bed=bed, **form.cleaned_data)
        except ValidationError as error:
            form_errors_from(error, form)
        else:
            messages.success(request, _("Bed %(bed)s saved.") % {"bed": saved.code})
            return redirect(_ward_url(bed.room.ward))
    retirable = bed.retired_at is None and bed.state in setup.RETIRABLE_STATES
    context = {"form": form, "bed": bed, "ward": bed.room.ward, "retirable": retirable}
    return render(request, "beds/setup_bed_form.html", context)


@login_required
@permission_required("beds.change_bed", raise_exception=True)
@require_POST
def bed_retire(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    bed = setup.bed_for_setup(request.user, pk)
    try:
        setup.bed_retire(bed=bed)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("beds:bed-edit", pk=bed.pk)
    messages.success(request, _("Bed %(bed)s retired: it no longer appears on the board.") % {"bed": bed.code})
    return redirect(_ward_url(bed.room.ward))
