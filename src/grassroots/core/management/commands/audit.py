"""`grassroots audit`: check the audit trail's hash chain, export it for an inspector, prune old rows."""

from __future__ import annotations

import sys
from datetime import datetime, time

from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from grassroots.core import audit


def _moment(value: str | None, option: str) -> datetime | None:
    """A date (its midnight, in the server's time zone) or a date and time."""
    if not value:
        return None
    moment = parse_datetime(value)
    if moment is None:
        day = parse_date(value)
        if day is None:
            raise CommandError(f"{option}: {value!r} is not a date (YYYY-MM-DD) or a date and time.")
        moment = datetime.combine(day, time.min)
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return moment


class Command(BaseCommand):
    help = (
        "The audit trail: `verify` (walk the hash chain; exits non-zero naming the first row that "
        "was changed or deleted), `export --since --until --format csv|jsonl [--output FILE]` (for an "
        "inspector; the export is itself recorded), `prune` (remove rows older than "
        "GRASSROOTS_AUDIT_RETENTION_DAYS, leaving a checkpoint)."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("action", choices=["verify", "export", "prune"])
        parser.add_argument("--since", help="export rows from this date or time on (inclusive)")
        parser.add_argument("--until", help="export rows before this date or time (exclusive)")
        parser.add_argument("--format", choices=["csv", "jsonl"], default="csv")
        parser.add_argument("--output", help="write the export to this file instead of standard output")

    def handle(self, *args, action: str, **options) -> None:
        getattr(self, f"_{action}")(**options)

    def _verify(self, **options) -> None:
        verdict = audit.verify()
        if not verdict.ok:
            raise CommandError(
                f"The audit trail is broken at row {verdict.broken_seq}: {verdict.problem}. "
                f"{verdict.checked} rows before it are intact."
            )
        if not verdict.checked:
            self.stdout.write(self.style.SUCCESS("The audit trail is empty."))
            return
        self.stdout.write(
            self.style.SUCCESS(
                f"The audit trail is intact: {verdict.checked} rows, {verdict.first_seq} to "
                f"{verdict.last_seq}; the last row's hash is {verdict.head_hash}."
            )
        )

    def _export(self, *, since, until, format: str, output, **options) -> None:
        start, end = _moment(since, "--since"), _moment(until, "--until")
        if start and end and end <= start:
            raise CommandError("--until must be after --since.")
        rows = audit.export_rows(since=start, until=end)
        if output:
            with open(output, "w", encoding="utf-8", newline="") as out:
                count = audit.write_export(rows, out, format)
        else:
            self.stdout.ending = ""  # the rows bring their own line ends
            count = audit.write_export(rows, self.stdout, format)
        audit.record(
            audit.EXPORTED,
            subject_type="core.auditevent",
            detail={
                "what": "audit trail",
                "format": format,
                "since": since or "",
                "until": until or "",
                "rows": count,
                "via": "grassroots audit export",
            },
        )
        if output:
            self.stdout.write(self.style.SUCCESS(f"{count} rows written to {output}."))
        else:
            sys.stderr.write(f"{count} rows exported.\n")

    def _prune(self, **options) -> None:
        try:
            pruned = audit.prune()
        except ImproperlyConfigured as error:
            raise CommandError(str(error)) from None
        if not pruned.rows:
            self.stdout.write(f"Nothing older than {pruned.cutoff:%Y-%m-%d} to prune.")
            return
        self.stdout.write(
            self.style.SUCCESS(
                f"Pruned {pruned.rows} rows older than {pruned.cutoff:%Y-%m-%d} (through row "
                f"{pruned.through_seq}); a checkpoint row keeps the chain verifiable."
            )
        )
