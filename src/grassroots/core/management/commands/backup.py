"""`grassroots backup`: the database and the uploads in one archive, with their key's fingerprint."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from grassroots.core.backup import BackupError, backup


class Command(BaseCommand):
    help = (
        "Write the database (a consistent copy, while the server runs) and the uploaded files into one "
        "archive. The data key is not in it: keep the key apart, in the secret store."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--to", type=Path, default=None, help="Folder for the archive (default: var/backups)."
        )

    def handle(self, *args, to: Path | None, **options) -> None:
        folder = to or Path(settings.VAR_DIR) / "backups"
        try:
            result = backup(folder)
        except BackupError as error:
            raise CommandError(str(error)) from None
        size = result.path.stat().st_size
        self.stdout.write(self.style.SUCCESS(f"Backup written: {result.path} ({size / 1_048_576:.1f} MB)"))
        fingerprint = result.manifest["data_key_fingerprint"][:8]
        self.stdout.write(
            f"The data key is NOT in the backup (its fingerprint: {fingerprint}). "
            "Keep GRASSROOTS_DATA_KEY (or var/data.key) in the secret store: without it nobody can read the "
            "backup's ID and phone numbers. Restore with: grassroots restore " + str(result.path)
        )
