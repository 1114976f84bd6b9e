"""Who records consultations and who works the waiting list."""

from django.db import migrations

from staff.roles import ADMIN, DOCTOR, MANAGER, RECEPTION, TRIAGE_NURSE, WARD_NURSE, grant_role_permissions

WAITING_LIST = [
    "scheduling.view_waitinglistentry",
    "scheduling.add_waitinglistentry",
    "scheduling.change_waitinglistentry",
]
ROLE_PERMISSIONS = {
    RECEPTION: WAITING_LIST,
    TRIAGE_NURSE: ["scheduling.view_consultation", "scheduling.view_waitinglistentry", "scheduling.add_waitinglistentry"],
    WARD_NURSE: ["scheduling.view_appointment", "scheduling.view_consultation"],
    DOCTOR: [
        "scheduling.view_consultation",
        "scheduling.add_consultation",
        "scheduling.change_consultation",
        "scheduling.view_waitinglistentry",
        "scheduling.add_waitinglistentry",
    ],
    MANAGER: ["scheduling.view_waitinglistentry"],
    ADMIN: ["scheduling.view_waitinglistentry"],
}


def grant(apps, schema_editor):
    grant_role_permissions(apps, ROLE_PERMISSIONS)


class Migration(migrations.Migration):
    dependencies = [("scheduling", "0003_consultation_waiting_list")]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
