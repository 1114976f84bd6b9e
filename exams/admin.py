"""The exam catalog in Django admin: exams with their analytes, analytes with their reference ranges.

Orders are the patients' records, moved only by the services (exams/services.py): they are shown
read-only, without the clinical indication and the report, which belong to the chart whose every
view is logged.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from exams.models import Analyte, Exam, ExamOrder, ReferenceRange


class AnalyteInline(admin.TabularInline):  # type: ignore[type-arg]
    """The analytes of an exam; their reference ranges are kept on each analyte's own page."""

    model = Analyte
    extra = 0
    fields = ["position", "code", "name", "value_kind", "unit", "decimals"]
    show_change_link = True


@admin.register(Exam)
class ExamAdmin(SimpleHistoryAdmin):  # type: ignore[type-arg]
    list_display = ["code", "name", "kind", "specimen", "turnaround_hours", "needs_scheduling", "is_active"]
    list_filter = ["kind", "is_active", "needs_scheduling", "specimen"]
    search_fields = ["code", "name"]
    autocomplete_fields = ["specialty"]
    inlines = [AnalyteInline]
    fieldsets = [
        (None, {"fields": ["code", "name", "kind", "specimen", "is_active"]}),
        (_("For the patient and the lab"), {"fields": ["preparation", "turnaround_hours"]}),
        (_("Booked exams"), {"fields": ["needs_scheduling", "specialty"]}),
    ]


class ReferenceRangeInline(admin.TabularInline):  # type: ignore[type-arg]
    model = ReferenceRange
    extra = 1
    fields = ["sex", "age_from", "age_to", "low", "high", "critical_low", "critical_high"]


@admin.register(Analyte)
class AnalyteAdmin(SimpleHistoryAdmin):  # type: ignore[type-arg]
    list_display = ["name", "code", "exam", "value_kind", "unit", "position"]
    list_filter = ["value_kind", "exam__kind", "exam__is_active"]
    list_select_related = ["exam"]
    search_fields = ["code", "name", "exam__code", "exam__name"]
    autocomplete_fields = ["exam"]
    inlines = [ReferenceRangeInline]


# Everything of an order but its clinical text (indication, report).
ORDER_FIELDS = (
    "patient",
    "exam",
    "clinic",
    "unit",
    "status",
    "priority",
    "origin",
    "ordered_at",
    "ordered_by",
    "appointment",
    "collected_at",
    "collected_by",
    "resulted_at",
    "resulted_by",
    "released_at",
    "released_by",
    "cancelled_at",
    "cancelled_by",
    "cancel_reason",
)


@admin.register(ExamOrder)
class ExamOrderAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """History written by the services: looked up here, never changed."""

    fields = readonly_fields = ORDER_FIELDS
    list_display = ["ordered_at", "exam", "patient", "clinic", "priority", "status"]
    list_filter = ["status", "priority", "origin", "exam__kind", "clinic"]
    list_select_related = ["exam", "patient", "clinic"]
    search_fields = ["exam__code", "exam__name"]
    date_hierarchy = "ordered_at"
    show_full_result_count = False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
