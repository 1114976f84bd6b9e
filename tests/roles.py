"""Re-create the roles exactly as the data migrations do (after a transactional test's flush)."""

from __future__ import annotations

import importlib

from django.apps import apps

# Every data migration that grants role permissions, in migration order.
ROLE_MIGRATIONS = ["staff.migrations.0002_roles", "patients.migrations.0003_roles_and_append_only_log"]


def recreate_roles() -> None:
    from staff.roles import grant_role_permissions

    for name in ROLE_MIGRATIONS:
        grant_role_permissions(apps, importlib.import_module(name).ROLE_PERMISSIONS)
