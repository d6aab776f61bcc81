"""`grassroots import FILE [--kind KIND]`: bring a community's Excel ledger (台账) into the register.

Without --commit it only checks and prints the preview (new, changed, unchanged, rejected). With
--commit it writes all of it or nothing: one bad row and nothing is written, each bad row is
named by its row number and column, and the command exits with status 1; --good-rows writes the
good rows and returns the rest. Either way an error report (the file with an error column) is
written beside the file when some rows are bad.
"""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from grassroots.ledger import runs
from grassroots.ledger.models import ImportKind, ImportStatus
from grassroots.ledger.progress import ProgressBar
from grassroots.places.models import Community


class Command(BaseCommand):
    help = (
        "Check (and with --commit, import) a ledger from an .xlsx or .csv file: residents, households, "
        "party members, volunteers or member units (--kind)."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument(
            "--kind",
            choices=ImportKind.values,
            default=ImportKind.RESIDENTS,
            help="what the file lists (default: residents); party members and volunteers must be registered",
        )
        parser.add_argument("--community", help="the community's code (needed when there are several)")
        parser.add_argument(
            "--commit", action="store_true", help="write to the register (default: only check)"
        )
        parser.add_argument(
            "--good-rows", action="store_true", help="write the good rows and return the rest in the report"
        )
        parser.add_argument(
            "--create-households",
            action="store_true",
            help="residents: create households missing at known buildings",
        )
        parser.add_argument(
            "--errors", type=Path, help="where to write the error report (default: beside FILE)"
        )
        parser.add_argument(
            "--user", help="the account the import is recorded as (default: the system actor)"
        )
        parser.add_argument(
            "--progress", action="store_true", help="show the progress bar even when not on a terminal"
        )

    def handle(self, *args, **options) -> None:
        if options["kind"] not in runs.SUPPORTED_KINDS:
            raise CommandError(f"importing {options['kind']} is not supported")
        path: Path = options["file"]
        if not path.is_file():
            raise CommandError(f"no such file: {path}")
        run = runs.open_run(
            actor=self._actor(options["user"]),
            community=self._community(options["community"]),
            kind=options["kind"],
            file_name=path.name,
            content=path.read_bytes(),
            via="cli",
            create_households=options["create_households"],
            good_rows_only=options["good_rows"],
        )
        bar = ProgressBar("checking", stream=self.stderr._out, force=options["progress"])
        if options["commit"]:
            checked = runs.import_run(run, progress=bar)
        else:
            checked = runs.check_run(run, progress=bar)
            runs.close_preview(run)
        bar.close()
        run.refresh_from_db()
        if checked is None:
            raise CommandError(run.message)
        self._summary(run)
        if run.rejected_count:
            self._report(run, checked, path, options["errors"])
        if run.status == ImportStatus.REFUSED or (run.rejected_count and not options["commit"]):
            raise CommandError(f"{run.rejected_count} row(s) rejected; nothing written")

    def _summary(self, run) -> None:
        self.stdout.write(
            f"{run.source}: {run.rows_total} rows: {run.new_count} new, {run.changed_count} changed, "
            f"{run.unchanged_count} unchanged, {run.rejected_count} rejected ({run.get_status_display()})"
        )
        for problem in run.problems:
            self.stderr.write(f"row {problem['row']}, {problem['column']}: {problem['message']}")

    def _report(self, run, checked, path: Path, target: Path | None) -> None:
        content, extension = runs.error_report_of(run, checked, only_rejected=run.good_rows_only)
        target = target or path.with_name(f"{path.stem}.errors.{extension}")
        target.write_bytes(content)
        self.stderr.write(f"error report: {target}")

    def _community(self, code: str | None) -> Community:
        if code:
            try:
                return Community.objects.get(code=code)
            except Community.DoesNotExist:
                raise CommandError(f"no community with code {code}") from None
        communities = list(Community.objects.all()[:2])
        if len(communities) != 1:
            raise CommandError("say which community with --community CODE")
        return communities[0]

    def _actor(self, username: str | None):
        from grassroots.accounts import system_actor
        from grassroots.accounts.models import User

        if not username:
            return system_actor()
        try:
            return User.objects.get(username=username, is_active=True)
        except User.DoesNotExist:
            raise CommandError(f"no active account {username}") from None
