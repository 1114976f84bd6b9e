"""Re-create the roles exactly as the data migrations grant them (after a transactional test's flush)."""

from __future__ import annotations

import importlib

from django.apps import apps
from django.db.migrations.loader import MigrationLoader

from staff.roles import grant_role_permissions


def recreate_roles() -> None:
    """Apply every migration's ``ROLE_PERMISSIONS`` table, so new apps' grants are found by themselves."""
    for migration in MigrationLoader(None, ignore_no_migrations=True).disk_migrations.values():
        table = getattr(importlib.import_module(type(migration).__module__), "ROLE_PERMISSIONS", None)
        if table:
            grant_role_permissions(apps, table)
