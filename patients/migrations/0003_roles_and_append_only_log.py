"""Patient permissions for each role, and the database rule that the chart access log is append-only."""

from django.db import migrations

from staff.roles import ADMIN, BILLING, DOCTOR, LAB, RECEPTION, TRIAGE_NURSE, WARD_NURSE, grant_role_permissions

REGISTRY = ["patients.view_patient", "patients.add_patient", "patients.change_patient"]
DOCUMENTS = ["patients.view_patientdocument", "patients.add_patientdocument", "patients.download_patientdocument"]
CLINICAL = ["patients.view_clinical_history", "patients.change_clinical_history", "patients.set_patient_status"]

ROLE_PERMISSIONS = {
    RECEPTION: [*REGISTRY, *DOCUMENTS],
    TRIAGE_NURSE: [*REGISTRY, *CLINICAL, *DOCUMENTS],
    WARD_NURSE: ["patients.view_patient", *CLINICAL, *DOCUMENTS],
    DOCTOR: ["patients.view_patient", "patients.change_patient", *CLINICAL, *DOCUMENTS],
    LAB: ["patients.view_patient", *DOCUMENTS],
    BILLING: ["patients.view_patient"],
    ADMIN: ["patients.view_patient", "patients.view_chartaccess"],
}


def grant(apps, schema_editor):
    grant_role_permissions(apps, ROLE_PERMISSIONS)


APPEND_ONLY = """
CREATE FUNCTION patients_chartaccess_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the chart access log is append-only (% refused)', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$;
CREATE TRIGGER chartaccess_append_only BEFORE UPDATE OR DELETE ON patients_chartaccess
    FOR EACH ROW EXECUTE FUNCTION patients_chartaccess_append_only();
"""

DROP_APPEND_ONLY = """
DROP TRIGGER chartaccess_append_only ON patients_chartaccess;
DROP FUNCTION patients_chartaccess_append_only();
"""


class Migration(migrations.Migration):
    dependencies = [
        ("patients", "0002_initial"),
        ("staff", "0002_roles"),
    ]

    operations = [
        migrations.RunPython(grant, migrations.RunPython.noop),
        migrations.RunSQL(APPEND_ONLY, DROP_APPEND_ONLY),
    ]
