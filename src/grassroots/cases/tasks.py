"""Background work on cases: the overdue sweep.

Overdue is derived (cases.clock: not yet resolved and past its resolution due time), never hand-set;
what the sweep records is only that the legs have been told, in
`Case.overdue_notified_at`, claimed with a conditional update so that two workers
running the sweep at once never tell anyone twice. The sweep writes no timeline
entry (CaseEvents are written only by cases.services): it only has messages sent.
"""

from __future__ import annotations

import logging
from datetime import datetime

from django.db import transaction
from django.tasks import task
from django.utils import timezone

from grassroots.cases.clock import overdue_q
from grassroots.cases.models import Case
from grassroots.cases.signals import case_became_overdue

logger = logging.getLogger("grassroots.cases")


def sweep_overdue(*, now: datetime | None = None, limit: int = 500) -> list[int]:
    """Tell the legs about every case that has just become overdue; return those cases' ids."""
    now = now or timezone.now()
    candidates = list(
        Case.objects.overdue(now)
        .filter(overdue_notified_at__isnull=True)
        .order_by("resolution_due")
        .values_list("pk", flat=True)[:limit]
    )
    notified = []
    for case_id in candidates:
        with transaction.atomic():
            claimed = Case.objects.filter(
                overdue_q(now), pk=case_id, overdue_notified_at__isnull=True
            ).update(overdue_notified_at=now)
            if claimed:
                case_became_overdue.send(sender=Case, case_id=case_id)
                notified.append(case_id)
    if notified:
        logger.info("overdue sweep: %s case(s) newly overdue", len(notified))
    return notified


@task(queue_name="default")
def sweep_overdue_task() -> int:
    """The sweep as a task, for deployments that schedule it themselves."""
    return len(sweep_overdue())
