"""An import from start to end, the same for the command line and the import page.

`open_run` records the file (who, when, name, SHA-256, sealed content). `check_run` reads and
checks every row and stores the preview: counts and the problems by row and column. `import_run`
checks again (the register may have changed since the preview) and then writes everything in one
transaction, or nothing: a file with a rejected row is refused unless the user chose to import
the good rows and take the rest back. Either way the run keeps its counts, and its changes read
"import #N" in the register's history.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from grassroots.ledger.columns import COLUMNS_BY_KIND, Column
from grassroots.ledger.households import HOUSEHOLDS
from grassroots.ledger.memberships import PARTY_MEMBERS, VOLUNTEERS
from grassroots.ledger.models import ImportKind, ImportRun, ImportStatus
from grassroots.ledger.reading import Table, UnreadableFile, read_table
from grassroots.ledger.residents import (
    CHANGED,
    NEW,
    REJECTED,
    UNCHANGED,
    ResidentPlan,
    check_residents,
    write_residents,
)
from grassroots.ledger.rows import LedgerKind, Plan
from grassroots.ledger.units import UNITS

Progress = Callable[[int, int], None]

#: How each kind of file is checked and written (ledger.residents, .households, .memberships, .units).
KINDS: dict[str, LedgerKind] = {
    ImportKind.RESIDENTS: LedgerKind(check=check_residents, write=write_residents),
    ImportKind.HOUSEHOLDS: HOUSEHOLDS,
    ImportKind.PARTY_MEMBERS: PARTY_MEMBERS,
    ImportKind.VOLUNTEERS: VOLUNTEERS,
    ImportKind.UNITS: UNITS,
}
#: The kinds this version imports.
SUPPORTED_KINDS = tuple(KINDS)


def unreadable_message(error: UnreadableFile) -> str:
    return {
        "type": _("Only .xlsx and .csv files can be imported (save the sheet as .xlsx)."),
        "xlsx": _("This file cannot be read as an .xlsx workbook: open it in Excel and save it again."),
        "encoding": _("This CSV file is neither UTF-8 nor GB18030/GBK: save it again from Excel."),
        "empty": _("The file has no rows."),
    }[str(error)]


def open_run(
    *,
    actor,
    community,
    kind: str,
    file_name: str,
    content: bytes,
    via: str = "web",
    create_households: bool = False,
    good_rows_only: bool = False,
) -> ImportRun:
    """Record a file brought in; its content is kept sealed until the run ends."""
    return ImportRun.objects.create(
        community=community,
        kind=kind,
        actor=actor,
        via=via,
        file_name=file_name[:200],
        sha256=hashlib.sha256(content).hexdigest(),
        size=len(content),
        content=base64.b64encode(content).decode(),
        create_households=create_households,
        good_rows_only=good_rows_only,
    )


def run_content(run: ImportRun) -> bytes:
    return base64.b64decode(run.content.encode()) if run.content else b""


def columns_of(run: ImportRun) -> tuple[Column, ...]:
    return COLUMNS_BY_KIND[run.kind]


def table_of(run: ImportRun) -> Table:
    """The run's file read; a mapping the user confirmed on the page replaces the recognised one."""
    table = read_table(run_content(run), run.file_name, columns_of(run))
    if run.header_mapping:
        table.mapping = {key: int(position) for key, position in run.header_mapping.items() if position != ""}
    return table


@dataclass
class Checked:
    table: Table
    plan: ResidentPlan | Plan


def _header_of(table: Table, key: str, columns: tuple[Column, ...]) -> str:
    """How the office's own file names a column (its header), else our template's header."""
    position = table.mapping.get(key)
    if position is not None and position < len(table.headers) and table.headers[position]:
        return table.headers[position]
    column = next((c for c in columns if c.key == key), None)
    return column.zh if column else key


def problems_of(checked: Checked, columns: tuple[Column, ...]) -> list[dict]:
    """Each problem by row and column, in file order: what the page and the command show."""
    return [
        {"row": row.number, "column": _header_of(checked.table, key, columns), "message": message}
        for row in checked.plan.rows
        for key, message in row.problems
    ]


def _store_counts(run: ImportRun, checked: Checked) -> None:
    plan = checked.plan
    run.rows_total = len(plan.rows)
    run.new_count = plan.count(NEW)
    run.changed_count = plan.count(CHANGED)
    run.unchanged_count = plan.count(UNCHANGED)
    run.rejected_count = plan.count(REJECTED)
    run.problems = problems_of(checked, columns_of(run))


def _progress_saver(run: ImportRun, outer: Progress | None) -> Progress:
    """Progress told to the caller and kept on the run (the page polls it), outside any transaction."""

    def tell(done: int, total: int) -> None:
        ImportRun.objects.filter(pk=run.pk).update(rows_done=done, rows_total=total)
        if outer:
            outer(done, total)

    return tell


def check_run(run: ImportRun, *, progress: Progress | None = None) -> Checked | None:
    """Read and check every row; store the preview on the run. None when the file cannot be read."""
    run.status = ImportStatus.CHECKING
    run.save(update_fields=["status"])
    try:
        table = table_of(run)
    except UnreadableFile as error:
        _finish(run, ImportStatus.FAILED, unreadable_message(error))
        return None
    plan = KINDS[run.kind].check(
        table, run.community, create_households=run.create_households, progress=_progress_saver(run, progress)
    )
    checked = Checked(table, plan)
    _store_counts(run, checked)
    run.status = ImportStatus.CHECKED
    run.rows_done = run.rows_total
    run.save()
    return checked


def _finish(run: ImportRun, status: str, message: str = "", *, rest: bytes = b"") -> None:
    """End a run; the file's numbers in clear leave with it (the hash remains), but for `rest`:
    the report of the rows given back, kept sealed for the user to download and correct."""
    run.status = status
    run.message = message[:300]
    run.finished_at = timezone.now()
    if status in (ImportStatus.DONE, ImportStatus.FAILED):
        run.content = base64.b64encode(rest).decode() if rest else ""
    run.save()


def import_run(run: ImportRun, *, progress: Progress | None = None, batch_size: int = 2000) -> Checked | None:
    """Check again and write all of it, or (with bad rows) nothing unless the good rows were asked for."""
    checked = check_run(run, progress=progress)
    if checked is None:
        return None
    if checked.plan.rejected and not run.good_rows_only:
        _finish(
            run, ImportStatus.REFUSED, _("Nothing was written: correct the rejected rows and import again.")
        )
        return checked
    run.status = ImportStatus.IMPORTING
    run.save(update_fields=["status"])
    try:
        with transaction.atomic():
            KINDS[run.kind].write(
                checked.plan,
                actor=run.actor,
                community=run.community,
                source=run.source,
                batch_size=batch_size,
                progress=progress,
            )
    except Exception:
        _finish(
            run,
            ImportStatus.FAILED,
            _("The import failed and wrote nothing; the administrator has the details."),
        )
        raise
    rest = error_report_of(run, checked, only_rejected=True)[0] if checked.plan.rejected else b""
    _finish(run, ImportStatus.DONE, rest=rest)
    return checked


def close_preview(run: ImportRun) -> None:
    """A preview that will not be imported (the command without --commit): forget the file's content."""
    run.content = ""
    run.finished_at = timezone.now()
    run.save(update_fields=["content", "finished_at"])


def error_report_of(run: ImportRun, checked: Checked, *, only_rejected: bool = False) -> tuple[bytes, str]:
    """The run's file back with the error column (ledger.report)."""
    from grassroots.ledger.report import error_report, row_messages

    columns = columns_of(run)
    messages = row_messages(checked.table, checked.plan, lambda key: _header_of(checked.table, key, columns))
    return error_report(checked.table, messages, only_rejected=only_rejected)
