from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from clinic.models import Clinic, Floor, Room


class FloorInline(admin.TabularInline):  # type: ignore[type-arg]
    model = Floor
    extra = 0


@admin.register(Clinic)
class ClinicAdmin(SimpleHistoryAdmin):  # type: ignore[type-arg]
    list_display = ["code", "name", "city", "uf", "time_zone", "reminder_hours", "is_active"]
    list_filter = ["uf", "is_active", "time_zone"]
    search_fields = ["code", "name", "city"]
    inlines = [FloorInline]


@admin.register(Floor)
class FloorAdmin(SimpleHistoryAdmin):  # type: ignore[type-arg]
    list_display = ["name", "clinic", "level"]
    list_filter = ["clinic"]
    list_select_related = ["clinic"]
    search_fields = ["name", "clinic__code", "clinic__name"]


@admin.register(Room)
class RoomAdmin(SimpleHistoryAdmin):  # type: ignore[type-arg]
    list_display = ["code", "name", "kind", "clinic", "floor", "is_active"]
    list_filter = ["kind", "clinic", "is_active"]
    list_select_related = ["clinic", "floor"]
    search_fields = ["code", "name"]
    autocomplete_fields = ["floor"]

    def save_model(self, request, obj, form, change):  # type: ignore[no-untyped-def]
        obj.clinic = obj.floor.clinic
        super().save_model(request, obj, form, change)
