"""Scheduling permissions for each role."""

from django.db import migrations

from staff.roles import ADMIN, DOCTOR, MANAGER, RECEPTION, TRIAGE_NURSE, grant_role_permissions

ROLE_PERMISSIONS = {
    RECEPTION: ["scheduling.view_appointment", "scheduling.add_appointment", "scheduling.change_appointment"],
    TRIAGE_NURSE: ["scheduling.view_appointment", "scheduling.add_appointment"],
    DOCTOR: ["scheduling.view_appointment", "scheduling.change_appointment", "scheduling.overbook_appointment"],
    MANAGER: ["scheduling.view_appointment"],
    ADMIN: ["scheduling.view_appointment", "scheduling.overbook_appointment"],
}


def grant(apps, schema_editor):
    grant_role_permissions(apps, ROLE_PERMISSIONS)


class Migration(migrations.Migration):
    dependencies = [("scheduling", "0001_initial"), ("staff", "0004_schedule_roles")]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
