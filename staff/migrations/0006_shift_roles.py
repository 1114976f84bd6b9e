"""Who reads the rotas and who draws them up.

Everyone who works on shifts (triage and ward nurses, doctors, reception) and those who run the
clinic (managers, admins) see the rota; managers and admins add, change and remove shifts. Ward
nurses do not: the role is held by every ward nurse, and a rota decides colleagues' hours (doctors'
and receptionists' included). A head nurse who draws up the nursing rota is given the shift
permissions on her own account in Django admin, or the Manager role.
"""

from django.db import migrations

from staff.roles import ADMIN, DOCTOR, MANAGER, RECEPTION, TRIAGE_NURSE, WARD_NURSE, grant_role_permissions

READ = ["staff.view_careunit", "staff.view_shift"]
WRITE = [f"staff.{action}_shift" for action in ("add", "change", "delete")]

ROLE_PERMISSIONS = {
    TRIAGE_NURSE: READ,
    WARD_NURSE: READ,
    DOCTOR: READ,
    RECEPTION: READ,
    MANAGER: [*READ, *WRITE],
    ADMIN: [*READ, *WRITE, *(f"staff.{action}_careunit" for action in ("add", "change", "delete"))],
}


def grant(apps, schema_editor):
    grant_role_permissions(apps, ROLE_PERMISSIONS)


class Migration(migrations.Migration):
    dependencies = [("staff", "0005_care_units_shifts")]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
