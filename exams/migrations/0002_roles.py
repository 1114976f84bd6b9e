"""Exam permissions: doctors (and triage nurses, by protocol) order; the lab collects, enters and
releases results; everyone who cares for the patient sees them; admins keep the catalog."""

from django.db import migrations

from staff.roles import ADMIN, DOCTOR, LAB, MANAGER, TRIAGE_NURSE, WARD_NURSE, grant_role_permissions

SEE = ["exams.view_examorder", "exams.view_exam"]
ORDER = ["exams.add_examorder", "exams.change_examorder"]
LAB_WORK = ["exams.enter_result", "exams.release_result"]
CATALOG = [
    f"exams.{action}_{model}"
    for model in ("exam", "analyte", "referencerange")
    for action in ("add", "change", "view")
]

ROLE_PERMISSIONS = {
    DOCTOR: [*SEE, *ORDER],
    TRIAGE_NURSE: [*SEE, *ORDER],
    WARD_NURSE: SEE,
    LAB: [*SEE, *LAB_WORK, "exams.change_examorder"],
    MANAGER: SEE,
    ADMIN: [*SEE, *CATALOG],
}


def grant(apps, schema_editor):
    grant_role_permissions(apps, ROLE_PERMISSIONS)


class Migration(migrations.Migration):
    dependencies = [("exams", "0001_initial"), ("staff", "0007_specialty_patients_per_slot")]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
