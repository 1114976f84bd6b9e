"""Wards, rooms and beds in Django admin, stored through the same services as the setup pages.

A bed's state, reservation and block are the ward's business (beds/services.py) and are read-only
here; admissions, stays, events and blocks are history, changed only by the services, and shown
read-only. The admission's clinical free text (reason, discharge notes) is left out: the admin is not
the patient's chart, whose every view is logged.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db import transaction
from django.forms.models import construct_instance
from django.http import HttpRequest
from simple_history.admin import SimpleHistoryAdmin

from beds import setup
from beds.models import Admission, Bed, BedBlock, BedEvent, BedStay, Equipment, Ward, WardRoom


class _ThroughServiceForm(forms.ModelForm):  # type: ignore[type-arg]
    """Runs the service in a rolled-back transaction during ``clean`` so that its refusals appear on the form.

    ``save_model`` of the admin then stores through the same service.
    """

    # The service's name of a field, where it differs from the form's.
    field_aliases: dict[str, str] = {}

    def store(self, cleaned: dict[str, Any]) -> Any:
        raise NotImplementedError

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if self.errors:
            return cleaned
        try:
            with transaction.atomic():
                self.store(cleaned)
                transaction.set_rollback(True)
        except ValidationError as error:
            if hasattr(error, "error_dict"):
                for name, texts in error.message_dict.items():
                    field = self.field_aliases.get(name, name)
                    self.add_error(field if field in self.fields else None, texts)
            else:
                self.add_error(None, error)
        return cleaned

    def _post_clean(self) -> None:
        """The service has validated everything in ``clean``; only copy the values onto the instance.

        The model's own checks would repeat the service's refusals (a duplicate code twice).
        """
        try:
            self.instance = construct_instance(self, self.instance, self._meta.fields, self._meta.exclude)
        except ValidationError as error:
            self.add_error(None, error)


class WardForm(_ThroughServiceForm):
    class Meta:
        model = Ward
        fields = ["clinic", "floor", "code", "name", "kind", "is_active"]

    def store(self, cleaned: dict[str, Any]) -> Ward:
        fields = {name: cleaned[name] for name in ["floor", "code", "name", "kind", "is_active"]}
        if self.instance.pk:
            return setup.ward_update(ward=self.instance, **fields)
        return setup.ward_create(clinic=cleaned["clinic"], **fields)


class WardRoomForm(_ThroughServiceForm):
    class Meta:
        model = WardRoom
        fields = ["ward", "code", "sex"]

    def store(self, cleaned: dict[str, Any]) -> WardRoom:
        if self.instance.pk:
            return setup.room_update(room=self.instance, code=cleaned["code"], sex=cleaned["sex"])
        return setup.room_create(ward=cleaned["ward"], code=cleaned["code"], sex=cleaned["sex"])


class BedForm(_ThroughServiceForm):
    field_aliases = {"codes": "code"}
    equipment = forms.MultipleChoiceField(
        choices=Equipment.choices, required=False, widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = Bed
        fields = ["room", "code", "isolation_capable", "equipment", "in_service_since"]

    def store(self, cleaned: dict[str, Any]) -> Bed:
        fields = {name: cleaned[name] for name in ["isolation_capable", "equipment"]}
        if self.instance.pk:
            return setup.bed_update(bed=self.instance, code=cleaned["code"], **fields)
        beds = setup.beds_add(
            room=cleaned["room"], codes=[cleaned["code"]], in_service_since=cleaned["in_service_since"], **fields
        )
        return beds[0]


class _ServiceAdmin(SimpleHistoryAdmin):  # type: ignore[type-arg]
    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        saved = form.store(form.cleaned_data)
        obj.pk = saved.pk


class WardRoomInline(admin.TabularInline):  # type: ignore[type-arg]
    """Shown for reading; a room is added and changed on its own page (or on the setup pages)."""

    model = WardRoom
    extra = 0
    fields = readonly_fields = ("code", "sex")
    show_change_link = True
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Ward)
class WardAdmin(_ServiceAdmin):
    form = WardForm
    list_display = ["code", "name", "clinic", "floor", "kind", "is_active"]
    list_filter = ["kind", "is_active", "clinic"]
    list_select_related = ["clinic", "floor"]
    search_fields = ["code", "name", "clinic__code", "clinic__name"]
    autocomplete_fields = ["clinic", "floor"]
    inlines = [WardRoomInline]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        # A ward stays in its clinic: moving it would move its patients' admissions.
        return ["clinic"] if obj is not None else []


class BedInline(admin.TabularInline):  # type: ignore[type-arg]
    """Shown for reading; beds are added and changed on their own page (or on the setup pages)."""

    model = Bed
    extra = 0
    fields = readonly_fields = ("code", "state", "isolation_capable", "equipment", "retired_at")
    show_change_link = True
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(WardRoom)
class WardRoomAdmin(_ServiceAdmin):
    form = WardRoomForm
    list_display = ["code", "ward", "sex"]
    list_filter = ["sex", "ward__kind", "ward__clinic"]
    list_select_related = ["ward"]
    search_fields = ["code", "ward__code", "ward__name"]
    autocomplete_fields = ["ward"]
    inlines = [BedInline]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return ["ward"] if obj is not None else []


@admin.register(Bed)
class BedAdmin(_ServiceAdmin):
    """Beds are retired on the setup page, which checks that nobody is in them."""

    form = BedForm
    list_display = ["code", "room", "state", "isolation_capable", "in_service_since", "retired_at"]
    list_filter = ["state", "room__ward__kind", "room__ward__clinic"]
    list_select_related = ["room__ward"]
    search_fields = ["code"]
    autocomplete_fields = ["room"]
    STATE_FIELDS = ["state", "changed_at", "reserved_for", "reserved_until", "blocked_reason", "retired_at"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        if obj is None:
            return []
        return ["room", "in_service_since", *self.STATE_FIELDS]


class _ReadOnlyAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """History written by the services: looked up here, never changed."""

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [name for name in self.get_fields(request, obj) if isinstance(name, str)]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Admission)
class AdmissionAdmin(_ReadOnlyAdmin):
    fields = [
        "patient",
        "clinic",
        "status",
        "source",
        "ward_kind",
        "needs_isolation",
        "equipment",
        "priority",
        "risk",
        "origin_floor",
        "requested_at",
        "requested_by",
        "admitted_at",
        "admitted_by",
        "discharged_at",
        "discharged_by",
        "discharge_kind",
        "cancelled_reason",
    ]
    list_display = ["requested_at", "patient", "clinic", "status", "ward_kind", "priority"]
    list_filter = ["status", "ward_kind", "priority", "clinic"]
    list_select_related = ["patient", "clinic"]
    date_hierarchy = "requested_at"
    show_full_result_count = False


@admin.register(BedStay)
class BedStayAdmin(_ReadOnlyAdmin):
    fields = ["admission", "bed", "started_at", "ended_at", "end_reason", "started_by", "ended_by"]
    list_display = ["bed", "started_at", "ended_at", "end_reason"]
    list_filter = ["end_reason", "bed__room__ward__clinic"]
    list_select_related = ["bed"]
    search_fields = ["bed__code"]
    date_hierarchy = "started_at"
    show_full_result_count = False


@admin.register(BedEvent)
class BedEventAdmin(_ReadOnlyAdmin):
    fields = ["bed", "kind", "from_state", "to_state", "admission", "note", "at", "by"]
    list_display = ["at", "bed", "kind", "from_state", "to_state", "by"]
    list_filter = ["kind", "bed__room__ward__clinic"]
    list_select_related = ["bed", "by"]
    search_fields = ["bed__code"]
    date_hierarchy = "at"
    show_full_result_count = False


@admin.register(BedBlock)
class BedBlockAdmin(_ReadOnlyAdmin):
    fields = ["bed", "reason", "started_at", "ended_at", "started_by", "ended_by"]
    list_display = ["bed", "reason", "started_at", "ended_at"]
    list_filter = ["bed__room__ward__clinic"]
    list_select_related = ["bed"]
    search_fields = ["bed__code", "reason"]
    date_hierarchy = "started_at"
