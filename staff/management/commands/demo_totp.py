from typing import Any

from django.core.management.base import BaseCommand, CommandError

from staff.demo import admin_totp_secret, current_totp_code


class Command(BaseCommand):
    help = "Print the demo admin's current two-factor code (development only)."

    def handle(self, *args: Any, **options: Any) -> None:
        from django.conf import settings

        if settings.PRODUCTION:
            raise CommandError("Development only.")
        self.stdout.write(current_totp_code(admin_totp_secret()))
