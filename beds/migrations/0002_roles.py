"""Beds permissions for each role: nurses run the beds, doctors and triage ask for them, managers set them up."""

from django.db import migrations

from staff.roles import ADMIN, DOCTOR, MANAGER, TRIAGE_NURSE, WARD_NURSE, grant_role_permissions

SEE_BEDS = ["beds.view_ward", "beds.view_wardroom", "beds.view_bed", "beds.view_admission"]
HISTORY = ["beds.view_bedstay", "beds.view_bedevent"]
SET_UP = [
    "beds.add_ward",
    "beds.change_ward",
    "beds.add_wardroom",
    "beds.change_wardroom",
    "beds.add_bed",
    "beds.change_bed",
]
RUN_BEDS = ["beds.operate_bed", "beds.add_admission", "beds.change_admission"]

ROLE_PERMISSIONS = {
    WARD_NURSE: [*SEE_BEDS, *HISTORY, *RUN_BEDS],
    TRIAGE_NURSE: [*SEE_BEDS, "beds.add_admission"],
    DOCTOR: [*SEE_BEDS, *HISTORY, "beds.add_admission"],
    MANAGER: [*SEE_BEDS, *HISTORY, *SET_UP],
    ADMIN: [*SEE_BEDS, *HISTORY, *SET_UP, *RUN_BEDS],
}


def grant(apps, schema_editor):
    grant_role_permissions(apps, ROLE_PERMISSIONS)


class Migration(migrations.Migration):
    dependencies = [("beds", "0001_initial"), ("staff", "0007_specialty_patients_per_slot")]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
