"""Emergency visits and their assessments in Django admin, read-only.

They are written only by the triage services (each step locked, checked and recorded); here an
administrator looks them up. The clinical free text (reason for coming, complaint) is left out:
the admin is not the patient's chart, whose every view is logged.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from triage.models import Assessment, Visit


class _ReadOnlyAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [name for name in self.get_fields(request, obj) if isinstance(name, str)]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Visit)
class VisitAdmin(_ReadOnlyAdmin):
    fields = [
        "clinic",
        "patient",
        "status",
        "risk",
        "arrived_at",
        "arrived_by",
        "triage_started_at",
        "triage_ended_at",
        "destination",
        "routed_at",
        "routed_by",
        "routing_note",
        "appointment",
        "admission",
        "doctor_started_at",
        "left_at",
    ]
    list_display = ["arrived_at", "patient", "clinic", "status", "risk", "destination"]
    list_filter = ["clinic", "status", "risk", "destination"]
    list_select_related = ["patient", "clinic"]
    date_hierarchy = "arrived_at"
    show_full_result_count = False


@admin.register(Assessment)
class AssessmentAdmin(_ReadOnlyAdmin):
    fields = [
        "visit",
        "patient",
        "started_at",
        "finished_at",
        "by",
        "systolic",
        "diastolic",
        "heart_rate",
        "respiratory_rate",
        "temperature",
        "spo2",
        "glucose",
        "pain",
        "glasgow",
        "discriminators",
        "flags",
        "suggested_risk",
        "risk",
        "override_reason",
    ]
    list_display = ["finished_at", "patient", "suggested_risk", "risk", "by"]
    list_filter = ["visit__clinic", "visit__status", "risk", "suggested_risk"]
    list_select_related = ["patient", "by"]
    date_hierarchy = "finished_at"
    show_full_result_count = False
