"""Only the chart access log is in the admin. Patients are opened through the site, where every
view of a chart is logged; an admin page of patients would show their data without that log."""

from django.contrib import admin
from django.http import HttpRequest

from patients.models import ChartAccess


@admin.register(ChartAccess)
class ChartAccessAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """Who opened which chart or document, when and from where. Read-only: the log is append-only."""

    list_display = ["at", "user", "patient", "action", "document", "ip_address"]
    list_filter = ["action", ("at", admin.DateFieldListFilter)]
    list_select_related = ["user", "patient", "document"]
    search_fields = ["user__username", "patient__search_name"]
    date_hierarchy = "at"
    show_full_result_count = False

    def get_readonly_fields(self, request: HttpRequest, obj: object = None) -> list[str]:
        return [f.name for f in ChartAccess._meta.concrete_fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
