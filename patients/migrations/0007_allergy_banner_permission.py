"""Who sees a patient's allergies (the banner on every page of the patient): those who touch the
patient, clinical roles and the lab; not reception, billing or administrators (clinic/access.py)."""

from django.db import migrations

from staff.roles import DOCTOR, LAB, TRIAGE_NURSE, WARD_NURSE, grant_role_permissions

ROLE_PERMISSIONS = {role: ["patients.view_allergies"] for role in (TRIAGE_NURSE, WARD_NURSE, DOCTOR, LAB)}


def grant(apps, schema_editor):
    grant_role_permissions(apps, ROLE_PERMISSIONS)


class Migration(migrations.Migration):
    dependencies = [
        ("patients", "0006_provisional_registration"),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="patient",
            options={
                "ordering": ["full_name"],
                "permissions": [
                    ("set_patient_status", "Can set a patient's status"),
                    ("view_clinical_history", "Can see a patient's conditions, medications and allergies"),
                    ("change_clinical_history", "Can record conditions, medications and allergies"),
                    ("view_allergies", "Can see a patient's allergies (the banner on every page of the patient)"),
                ],
                "verbose_name": "patient",
                "verbose_name_plural": "patients",
            },
        ),
        migrations.RunPython(grant, migrations.RunPython.noop),
    ]
