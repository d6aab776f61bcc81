"""`grassroots retention`: how long each kind of record is kept, what is due, and ending it now."""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand

from grassroots.core import retention


class Command(BaseCommand):
    help = (
        "Records kept for a limited time (PIPL art. 19, 47): `status` lists each kind, its period "
        "(GRASSROOTS_RETENTION_DAYS) and how many rows are past it; `apply` ends them now, batch by "
        "batch (the worker's sweep does the same every round)."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("action", choices=["status", "apply"], nargs="?", default="status")

    def handle(self, *args, action: str, **options) -> None:
        if action == "apply":
            self._apply()
        self._status()

    def _status(self) -> None:
        self.stdout.write(f"{'kind':<18} {'days':>6} {'due':>6}  what happens")
        for rule in retention.status():
            due = f">{retention.BATCH}" if rule.due > retention.BATCH else str(rule.due)
            self.stdout.write(f"{rule.kind:<18} {rule.days:>6} {due:>6}  {rule.description}")
        audit_days = settings.GRASSROOTS_AUDIT_RETENTION_DAYS
        self.stdout.write(f"{'audit trail, logs':<18} {audit_days:>6} {'':>6}  `grassroots audit prune`")

    def _apply(self) -> None:
        total: dict[str, int] = {}
        while True:
            ended = retention.enforce()
            for kind, rows in ended.items():
                total[kind] = total.get(kind, 0) + rows
            if not any(ended.values()):
                break
        for kind, rows in total.items():
            self.stdout.write(self.style.SUCCESS(f"{kind}: {rows} ended"))
