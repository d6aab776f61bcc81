"""Background work of the dashboard: making a monthly report (queue "default").

The task is queued after the request's row is committed (insights.reports.report_request), on the
first of the month by the worker's sweep and on demand from the reports page or the command. Run
twice, it makes the files twice and tells the subscribers once.
"""

from __future__ import annotations

import logging

from django.tasks import task

logger = logging.getLogger("grassroots.insights")


@task(queue_name="default")
def generate_monthly_report(report_id: int) -> str:
    """Make one requested report's files; a failure is recorded on the report, not raised again."""
    from grassroots.insights.reports import report_fail, report_generate

    try:
        report = report_generate(report_id)
    except Exception as error:
        logger.exception("monthly report %s failed", report_id)
        report_fail(report_id, error)
        return "failed"
    return report.status if report is not None else "gone"
