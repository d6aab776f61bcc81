"""`grassroots restore ARCHIVE`: a backup put back, after checking that its key is configured."""

from __future__ import annotations

from pathlib import Path

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from grassroots.core.backup import BackupError, restore
from grassroots.core.keys import check_data_key


class Command(BaseCommand):
    help = (
        "Put a backup made by `grassroots backup` in place of the configured database and uploads. "
        "Stop the server first. Refuses an archive sealed with another data key, and a database that "
        "holds data unless --replace."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("archive", type=Path)
        parser.add_argument("--replace", action="store_true", help="Overwrite a database that holds data.")

    def handle(self, *args, archive: Path, replace: bool, **options) -> None:
        try:
            manifest = restore(archive, replace=replace)
        except BackupError as error:
            raise CommandError(str(error)) from None
        call_command("migrate", interactive=False, verbosity=0)  # a backup older than this version
        verdict = check_data_key()
        if not verdict.ok:
            raise CommandError(verdict.reason)
        self.stdout.write(
            self.style.SUCCESS(f"Restored the backup of {manifest['created_at'][:19]}; the data key matches.")
        )
