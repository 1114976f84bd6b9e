from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.auth.admin import GroupAdmin as DjangoGroupAdmin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.models import Group, Permission
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from staff import services
from staff.models import (
    CareUnit,
    Leave,
    Practitioner,
    PractitionerSpecialty,
    ScheduleBlock,
    Shift,
    Specialty,
    User,
    WorkingHours,
)
from staff.roles import ROLE_LABELS

# Roles and permissions are rows of the database named in English, once: the Group names are stable
# identifiers (staff/roles.py), and Django stores the names of permissions as they were when the
# permission was created. The admin shows them in the reader's language without renaming the rows.

# Django names its default permissions "Can add <model>" and so on, in English.
DEFAULT_PERMISSION_NAMES = {
    "add": _("Can add %(model)s"),
    "change": _("Can change %(model)s"),
    "delete": _("Can delete %(model)s"),
    "view": _("Can view %(model)s"),
}


def role_label(group: Group) -> str:
    """A role's name in the reader's language; a group that is not one of the roles, as it is named."""
    return str(ROLE_LABELS.get(group.name, group.name))


def permission_label(permission: Permission) -> str:
    """The permission as "app | model | what it allows", in the reader's language.

    Precondition: ``permission.content_type`` is loaded with it (``select_related``), as the admin's
    permission fields do. A custom permission's stored name is the msgid of its ``Meta.permissions``.
    """
    model = permission.content_type.model_class()
    if model is None:  # a model that no longer exists
        return str(permission)
    action, _underscore, model_name = permission.codename.partition("_")
    if action in DEFAULT_PERMISSION_NAMES and model_name == model._meta.model_name:
        name = DEFAULT_PERMISSION_NAMES[action] % {"model": model._meta.verbose_name}
    else:
        name = gettext(permission.name)
    return f"{model._meta.app_config.verbose_name} | {model._meta.verbose_name} | {name}"


class PermissionChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Permission) -> str:  # type: ignore[override]
        return permission_label(obj)


class RoleChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Group) -> str:  # type: ignore[override]
        return role_label(obj)


class TranslatedChoicesAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """Roles and permissions offered by their names in the reader's language."""

    def formfield_for_manytomany(self, db_field, request=None, **kwargs):  # type: ignore[no-untyped-def]
        if db_field.remote_field.model is Permission:
            kwargs["form_class"] = PermissionChoiceField
            kwargs["queryset"] = kwargs.get("queryset", Permission.objects).select_related("content_type")
        elif db_field.remote_field.model is Group:
            kwargs["form_class"] = RoleChoiceField
        return super().formfield_for_manytomany(db_field, request=request, **kwargs)


class RoleListFilter(admin.SimpleListFilter):
    title = _("role")
    parameter_name = "role"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [(str(group.pk), role_label(group)) for group in Group.objects.order_by("name")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        return queryset.filter(groups=self.value()) if self.value() else queryset


admin.site.unregister(Group)


@admin.register(Group)
class GroupAdmin(TranslatedChoicesAdmin, DjangoGroupAdmin):
    """A role: its name stays the identifier the code knows; the list and the form show its label."""

    list_display = ["label", "name"]
    fields = ["name", "label", "permissions"]
    readonly_fields = ["label"]

    @admin.display(description=_("role"), ordering="name")
    def label(self, group: Group) -> str:
        return role_label(group)


@admin.register(User)
class UserAdmin(SimpleHistoryAdmin, TranslatedChoicesAdmin, DjangoUserAdmin):  # type: ignore[misc]
    list_display = ["username", "first_name", "last_name", "email", "roles", "is_active"]
    list_filter = [RoleListFilter, "clinics", "is_active", "is_staff"]
    filter_horizontal = ["groups", "user_permissions", "clinics"]
    fieldsets = (
        *DjangoUserAdmin.fieldsets,  # type: ignore[misc]
        (_("Clinics"), {"fields": ["clinics"]}),
    )

    def get_queryset(self, request):  # type: ignore[no-untyped-def]
        return super().get_queryset(request).prefetch_related("groups")

    @admin.display(description=_("roles"))
    def roles(self, user: User) -> str:
        return ", ".join(role_label(group) for group in user.groups.all())


@admin.register(Specialty)
class SpecialtyAdmin(SimpleHistoryAdmin):  # type: ignore[type-arg]
    list_display = ["name", "code", "default_duration", "patients_per_slot", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["name", "code"]
    prepopulated_fields = {"code": ["name"]}


class PractitionerSpecialtyInline(admin.TabularInline):  # type: ignore[type-arg]
    model = PractitionerSpecialty
    extra = 0
    autocomplete_fields = ["specialty"]


class WorkingHoursInline(admin.TabularInline):  # type: ignore[type-arg]
    """Shown for reading; hours are added through the form below, which checks for overlaps."""

    model = WorkingHours
    extra = 0
    fields = readonly_fields = ("weekday", "start_time", "end_time", "clinic", "room", "valid_from", "valid_until")
    can_delete = True

    def has_add_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


class LeaveInline(admin.TabularInline):  # type: ignore[type-arg]
    model = Leave
    extra = 0


class ScheduleBlockInline(admin.TabularInline):  # type: ignore[type-arg]
    model = ScheduleBlock
    extra = 0
    fields = ["starts_at", "ends_at", "reason"]


@admin.register(Practitioner)
class PractitionerAdmin(SimpleHistoryAdmin):  # type: ignore[type-arg]
    list_display = ["user", "council_registration", "is_active"]
    list_filter = ["council", "council_uf", "is_active", "specialties"]
    list_select_related = ["user"]
    search_fields = ["user__first_name", "user__last_name", "council_number"]
    autocomplete_fields = ["user"]
    inlines = [PractitionerSpecialtyInline, WorkingHoursInline, LeaveInline, ScheduleBlockInline]

    @admin.display(description=_("registration"), ordering="council_number")
    def council_registration(self, practitioner: Practitioner) -> str:
        return practitioner.registration


class WorkingHoursForm(forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = WorkingHours
        fields = ["practitioner", "clinic", "room", "weekday", "start_time", "end_time", "valid_from", "valid_until"]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if self.errors or self.instance.pk:
            return cleaned
        # The service's checks (room of the clinic, overlaps) run here so that the admin shows them
        # next to the form; save_model then stores through the same service.
        try:
            with transaction.atomic():
                services.working_hours_add(**cleaned)
                transaction.set_rollback(True)
        except ValidationError as error:
            self.add_error(None, error)
        return cleaned


@admin.register(WorkingHours)
class WorkingHoursAdmin(SimpleHistoryAdmin):  # type: ignore[type-arg]
    form = WorkingHoursForm
    list_display = ["practitioner", "weekday", "start_time", "end_time", "clinic", "room", "valid_from", "valid_until"]
    list_filter = ["weekday", "clinic"]
    list_select_related = ["practitioner__user", "clinic", "room"]
    autocomplete_fields = ["practitioner", "room"]

    def save_model(self, request, obj, form, change):  # type: ignore[no-untyped-def]
        if change:
            super().save_model(request, obj, form, change)
            return
        saved = services.working_hours_add(**{f: form.cleaned_data[f] for f in WorkingHoursForm.Meta.fields})
        obj.pk = saved.pk


@admin.register(CareUnit)
class CareUnitAdmin(SimpleHistoryAdmin):  # type: ignore[type-arg]
    list_display = ["name", "clinic", "kind", "is_active"]
    list_filter = ["kind", "is_active", "clinic"]
    list_select_related = ["clinic"]
    search_fields = ["name", "clinic__name", "clinic__code"]


class ShiftForm(forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = Shift
        fields = ["user", "unit", "starts_at", "ends_at", "function", "notes"]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if self.errors or self.instance.pk:
            return cleaned
        # The service's checks (clinic, leave, overlaps) run here so that the admin shows them next
        # to the form; save_model then stores through the same service.
        try:
            with transaction.atomic():
                services.shift_add(by=None, **cleaned)
                transaction.set_rollback(True)
        except ValidationError as error:
            self.add_error(None, error)
        return cleaned


@admin.register(Shift)
class ShiftAdmin(SimpleHistoryAdmin):  # type: ignore[type-arg]
    """Shifts are usually drawn up on the rota page; here they can be looked up, added and removed.

    Once stored, who, where and when are fixed (a changed time would skip the service's checks):
    remove the shift and add it again.
    """

    form = ShiftForm
    list_display = ["starts_at", "ends_at", "user", "unit", "function"]
    list_filter = ["function", "unit__kind", "unit__clinic"]
    list_select_related = ["user", "unit__clinic"]
    search_fields = ["user__first_name", "user__last_name", "user__username", "unit__name"]
    autocomplete_fields = ["user", "unit"]
    date_hierarchy = "starts_at"

    def get_readonly_fields(self, request, obj=None):  # type: ignore[no-untyped-def]
        return ["user", "unit", "starts_at", "ends_at"] if obj is not None else []

    def save_model(self, request, obj, form, change):  # type: ignore[no-untyped-def]
        if change:
            super().save_model(request, obj, form, change)
            return
        saved = services.shift_add(by=request.user, **{f: form.cleaned_data[f] for f in ShiftForm.Meta.fields})
        obj.pk = saved.pk
