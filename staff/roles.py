"""The roles of the system. Each is a Django Group; its permissions are granted by data migrations
of the app that owns them (an app grants its own permissions, so dependencies point one way)."""

from typing import Any

from django.utils.translation import gettext_lazy as _

RECEPTION = "Reception"
TRIAGE_NURSE = "Triage nurse"
WARD_NURSE = "Ward nurse"
DOCTOR = "Doctor"
LAB = "Lab"
BILLING = "Billing"
MANAGER = "Manager"
ADMIN = "Admin"

ALL_ROLES = [RECEPTION, TRIAGE_NURSE, WARD_NURSE, DOCTOR, LAB, BILLING, MANAGER, ADMIN]

# Shown in the interface; the Group names above stay stable identifiers.
ROLE_LABELS = {
    RECEPTION: _("Reception"),
    TRIAGE_NURSE: _("Triage nurse"),
    WARD_NURSE: _("Ward nurse"),
    DOCTOR: _("Doctor"),
    LAB: _("Lab"),
    BILLING: _("Billing"),
    MANAGER: _("Manager"),
    ADMIN: _("Admin"),
}


def grant_role_permissions(apps: Any, role_permissions: dict[str, list[str]]) -> None:
    """For data migrations: create the roles if needed and give each the listed permissions.

    Permissions are named "app_label.codename". They are created first, since Django otherwise
    creates them only after the whole migrate run.
    """
    from django.contrib.auth.management import create_permissions

    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for role, names in role_permissions.items():
        group, _created = Group.objects.get_or_create(name=role)
        for name in names:
            app_label, codename = name.split(".")
            group.permissions.add(Permission.objects.get(content_type__app_label=app_label, codename=codename))
