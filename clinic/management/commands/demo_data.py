"""Load the demo network (idempotent): every installed app with a ``demo`` module adds its part."""

from __future__ import annotations

import importlib
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from clinic.models import Clinic


def _demo_modules() -> list[Any]:
    """The ``demo`` module of each project app, in INSTALLED_APPS order (dependencies first)."""
    modules = []
    for app_config in apps.get_app_configs():
        if not app_config.path.startswith(str(settings.BASE_DIR)):
            continue
        try:
            modules.append(importlib.import_module(f"{app_config.name}.demo"))
        except ModuleNotFoundError as error:
            if error.name != f"{app_config.name}.demo":
                raise
    return modules


class Command(BaseCommand):
    help = "Load the demo network: clinics, staff with known logins, patients. Safe to run again."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--if-empty", action="store_true", help="Do nothing if any clinic exists.")
        parser.add_argument("--print-logins", action="store_true", help="Only print the demo logins.")

    def handle(self, *args: Any, if_empty: bool, print_logins: bool, **options: Any) -> None:
        if settings.PRODUCTION:
            raise CommandError("Demo data is for development only (CLINIC_ENV=production is set).")
        from staff.demo import print_logins as print_demo_logins

        if print_logins:
            print_demo_logins(self.stdout)
            return
        if if_empty and Clinic.objects.exists():
            self.stdout.write("Demo data already loaded.")
            print_demo_logins(self.stdout)
            return
        for module in _demo_modules():
            module.load(self.stdout)
        print_demo_logins(self.stdout)
