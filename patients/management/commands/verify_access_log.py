from typing import Any

from django.core.management.base import BaseCommand, CommandError

from patients.audit import verify_chain


class Command(BaseCommand):
    help = "Check the hash chain of the chart access log; name the first broken entry."

    def handle(self, *args: Any, **options: Any) -> None:
        result = verify_chain()
        if result.first_broken_id is not None:
            raise CommandError(
                f"The chart access log is broken at entry {result.first_broken_id}: {result.reason} "
                f"({result.checked} entries checked before it)."
            )
        self.stdout.write(self.style.SUCCESS(f"The chart access log is intact: {result.checked} entries."))
