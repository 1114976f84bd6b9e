"""Report permissions for each role."""

from django.db import migrations

from staff.roles import ADMIN, MANAGER, grant_role_permissions

ROLE_PERMISSIONS = {MANAGER: ["reports.view_occupancy_report"], ADMIN: ["reports.view_occupancy_report"]}


def grant(apps, schema_editor):
    grant_role_permissions(apps, ROLE_PERMISSIONS)


class Migration(migrations.Migration):
    dependencies = [("reports", "0001_initial"), ("staff", "0007_specialty_patients_per_slot")]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
