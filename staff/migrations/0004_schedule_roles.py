"""Admins set up practitioners, specialties and schedules; managers and reception can read them."""

from django.db import migrations

from staff.roles import ADMIN, MANAGER, RECEPTION, grant_role_permissions

MODELS = ["specialty", "practitioner", "practitionerspecialty", "workinghours", "extrahours", "scheduleblock", "leave"]

ROLE_PERMISSIONS = {
    ADMIN: [f"staff.{action}_{model}" for model in MODELS for action in ("view", "add", "change", "delete")],
    MANAGER: [f"staff.view_{model}" for model in MODELS],
    RECEPTION: [f"staff.view_{model}" for model in MODELS],
}


def grant(apps, schema_editor):
    grant_role_permissions(apps, ROLE_PERMISSIONS)


class Migration(migrations.Migration):
    dependencies = [("staff", "0003_practitioners")]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
