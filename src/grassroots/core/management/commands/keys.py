"""`grassroots keys`: the data key's fingerprint and state, a new key, and re-sealing with it."""

from __future__ import annotations

import base64
import secrets

from django.core.management.base import BaseCommand, CommandError

from grassroots.core import keys, pii


class Command(BaseCommand):
    help = (
        "The data key: `status` (does it match the data?), `new` (print a fresh key), "
        "`rotate` (re-seal every ID and phone number with GRASSROOTS_DATA_KEY while the keys in "
        "GRASSROOTS_RETIRED_DATA_KEYS still open the rest; resumable)."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("action", choices=["status", "new", "rotate"])
        parser.add_argument("--batch-size", type=int, default=keys.BATCH_SIZE)

    def handle(self, *args, action: str, batch_size: int, **options) -> None:
        getattr(self, f"_{action}")(batch_size=batch_size)

    def _status(self, **options) -> None:
        from grassroots.core.models import DataKey

        verdict = keys.check_data_key()
        self.stdout.write(f"Configured data key: {keys.configured_fingerprint()[:8]}")
        for key in DataKey.objects.all():
            retired = f", retired {key.retired_at:%Y-%m-%d}" if key.retired_at else ""
            self.stdout.write(
                f"  on record: {key.fingerprint[:8]} {key.state} since {key.recorded_at:%Y-%m-%d}{retired}"
            )
        for retired_key in pii.retired_keys():
            self.stdout.write(f"  retired key configured: {pii.key_fingerprint(retired_key)[:8]}")
        if not verdict.ok:
            raise CommandError(verdict.reason)
        self.stdout.write(self.style.SUCCESS("The data key matches the data."))

    def _new(self, **options) -> None:
        """A key in the same form as the one `grassroots` generates into var/data.key."""
        self.stdout.write(base64.urlsafe_b64encode(secrets.token_bytes(48)).decode())

    def _rotate(self, *, batch_size: int, **options) -> None:
        try:
            for progress in keys.rotate(batch_size=batch_size):
                self.stdout.write(f"{progress.column}: {progress.done}/{progress.total}")
        except keys.DataKeyMismatch as error:
            raise CommandError(str(error)) from None
        self.stdout.write(
            self.style.SUCCESS(
                f"Every value is sealed with {keys.configured_fingerprint()[:8]}, now the current key. "
                "Back it up now; keep the old key in GRASSROOTS_RETIRED_DATA_KEYS while backups made "
                "before today may be restored."
            )
        )
