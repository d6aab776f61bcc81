"""The import page's background work: checking a file and importing it, off the request.

A file of 100,000 rows takes seconds to check; the page enqueues the work and polls the run's
progress (ImportRun.rows_done), so the user may leave and come back. The command line runs the
same functions (ledger.runs) in the foreground.
"""

from __future__ import annotations

from django.tasks import task

from grassroots.ledger import runs
from grassroots.ledger.models import ImportRun, ImportStatus


@task(queue_name="default")
def check_import(run_id: int) -> int:
    """Check a run's file and store its preview; returns the number of rejected rows."""
    run = ImportRun.objects.select_related("community", "actor").get(pk=run_id)
    runs.check_run(run)
    return run.rejected_count


@task(queue_name="default")
def import_file(run_id: int) -> str:
    """Import a checked run (all or nothing, or the good rows); returns the run's status."""
    run = ImportRun.objects.select_related("community", "actor").get(pk=run_id)
    if run.status != ImportStatus.IMPORTING:
        return run.status
    runs.import_run(run)
    return run.status
