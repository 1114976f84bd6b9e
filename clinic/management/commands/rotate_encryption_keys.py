"""Re-encrypt every encrypted value under the first key of FIELD_ENCRYPTION_KEYS.

Rotation: put a new key first in FIELD_ENCRYPTION_KEYS (the old keys after it), restart, run this
command, then drop the old keys. Blind indexes are recomputed in the same pass, so after changing
BLIND_INDEX_KEY this command also brings every look-up hash up to date.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from clinic.rotation import rotate_all


class Command(BaseCommand):
    help = "Re-encrypt all encrypted columns with the current primary key and refresh blind indexes."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--batch-size", type=int, default=2000)

    def handle(self, *args: Any, batch_size: int, **options: Any) -> None:
        for label, count in rotate_all(batch_size=batch_size):
            self.stdout.write(f"{label}: {count} rows re-encrypted")
        self.stdout.write(self.style.SUCCESS("All encrypted values now use the primary key."))
