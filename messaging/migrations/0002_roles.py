"""Who reads the outbox: reception (what went to their patients), managers and administrators."""

from django.db import migrations

from staff.roles import ADMIN, MANAGER, RECEPTION, grant_role_permissions

ROLE_PERMISSIONS = {
    RECEPTION: ["messaging.view_message"],
    MANAGER: ["messaging.view_message"],
    ADMIN: ["messaging.view_message"],
}


def grant(apps, schema_editor):
    grant_role_permissions(apps, ROLE_PERMISSIONS)


class Migration(migrations.Migration):
    dependencies = [("messaging", "0001_initial"), ("staff", "0004_schedule_roles")]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
