"""Background tasks of the notify app, on Django's tasks framework (queue "notifications").

`deliver_message` makes one attempt; when it fails and attempts remain, it queues
itself again with `run_after` at the back-off time if the backend can schedule
(the database backend can). With a backend that cannot (the immediate backend of
the tests), the periodic sweep queues due retries instead.
"""

from __future__ import annotations

import logging

from django.tasks import default_task_backend, task

from grassroots.notify import services

logger = logging.getLogger("grassroots.notify")

QUEUE = "notifications"


def backend_schedules_retries() -> bool:
    """True when the configured task backend honours run_after (delayed tasks)."""
    return bool(getattr(default_task_backend, "supports_defer", False))


@task(queue_name=QUEUE)
def deliver_message(message_id: int) -> str:
    """One delivery attempt of one message; a failure is recorded on the message and retried."""
    outcome = services.deliver(message_id)
    if outcome.status == "retry" and backend_schedules_retries():
        enqueue_delivery(message_id, run_after=outcome.retry_at)
    return outcome.status


def enqueue_delivery(message_id: int, *, run_after=None) -> None:
    """Queue a delivery. Never raises: the message row is already saved, and the sweep will find it."""
    try:
        if run_after is not None:
            deliver_message.using(run_after=run_after).enqueue(message_id)
        else:
            deliver_message.enqueue(message_id)
    except Exception:
        logger.exception("could not queue message %s; the periodic sweep will queue it again", message_id)


@task(queue_name="default")
def periodic_sweep() -> dict:
    """The periodic work, for deployments that schedule tasks themselves (cron, Celery beat)."""
    from grassroots.notify.worker import run_periodic

    return run_periodic()
