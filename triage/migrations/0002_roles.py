"""Triage permissions: reception and triage nurses receive walk-ins, nurses classify and route them,
doctors see the queue and the vital signs, managers watch it."""

from django.db import migrations

from staff.roles import ADMIN, DOCTOR, MANAGER, RECEPTION, TRIAGE_NURSE, WARD_NURSE, grant_role_permissions

SEE = ["triage.view_visit", "triage.view_assessment"]
ARRIVE = ["triage.add_visit"]
CLASSIFY = ["triage.triage_visit", "triage.route_visit", "triage.add_assessment"]

ROLE_PERMISSIONS = {
    RECEPTION: ["triage.view_visit", *ARRIVE],
    TRIAGE_NURSE: [*SEE, *ARRIVE, *CLASSIFY],
    WARD_NURSE: SEE,
    DOCTOR: SEE,
    MANAGER: SEE,
    ADMIN: [*SEE, *ARRIVE, *CLASSIFY],
}


def grant(apps, schema_editor):
    grant_role_permissions(apps, ROLE_PERMISSIONS)


class Migration(migrations.Migration):
    dependencies = [("triage", "0001_initial"), ("staff", "0007_specialty_patients_per_slot")]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
