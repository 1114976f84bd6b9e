"""The roles of the system as Groups, with the permissions of the clinic and staff apps."""

from django.db import migrations

from staff.roles import ADMIN, ALL_ROLES, MANAGER, grant_role_permissions

CLINIC_VIEW = ["clinic.view_clinic", "clinic.view_floor", "clinic.view_room"]

ROLE_PERMISSIONS = {role: list(CLINIC_VIEW) for role in ALL_ROLES}
ROLE_PERMISSIONS[MANAGER] += ["clinic.view_all_clinics"]
ROLE_PERMISSIONS[ADMIN] += [
    "clinic.view_all_clinics",
    *(f"clinic.{action}_{model}" for action in ("add", "change", "delete") for model in ("clinic", "floor", "room")),
    *(f"staff.{action}_user" for action in ("view", "add", "change")),
    "staff.require_two_factor",
    *(f"auth.{action}_group" for action in ("view", "add", "change")),
    "auth.view_permission",
]


def create_roles(apps, schema_editor):
    grant_role_permissions(apps, ROLE_PERMISSIONS)


class Migration(migrations.Migration):
    dependencies = [
        ("staff", "0001_initial"),
        ("clinic", "0002_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_roles, migrations.RunPython.noop)]
