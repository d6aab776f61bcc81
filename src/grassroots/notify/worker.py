"""Running the queue: django-tasks-db's worker loop plus a periodic sweep beside it.

The worker loop (django_tasks_db's `Worker`) takes one task at a time from the
database queue. The sweep (overdue cases, messages no task is going to deliver)
runs in a thread of its own every GRASSROOTS_SWEEP_SECONDS, with its own database
connection, so a slow delivery never delays it and it never delays a delivery.
Several workers may run at once: every step of the sweep claims its rows with a
conditional update, so nothing is done twice.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass

from django.db import close_old_connections, connections
from django.utils.crypto import get_random_string

from grassroots.notify import conf

logger = logging.getLogger("grassroots.worker")

QUEUES = ("default", "notifications")


def run_periodic() -> dict:
    """One round of the periodic work: overdue cases, messages to requeue, the group's daily summary,
    last month's reports (asked for once, on the first of the month), old audit rows, expired records."""
    from grassroots.cases.tasks import sweep_overdue
    from grassroots.core import retention
    from grassroots.core.audit import prune
    from grassroots.insights.reports import reports_due
    from grassroots.notify.services import post_daily_summary, requeue_due_messages

    return {
        "overdue": len(sweep_overdue()),
        "requeued": len(requeue_due_messages()),
        "summary": int(post_daily_summary() is not None),
        "reports": reports_due(),
        "audit_pruned": prune().rows,
        "retention": retention.enforce(),
    }


class Sweeper(threading.Thread):
    """Runs `run_periodic` now and then every `every` seconds until stopped."""

    def __init__(self, every: float | None = None):
        super().__init__(name="grassroots-sweeper", daemon=True)
        self.every = float(every if every is not None else conf.get("GRASSROOTS_SWEEP_SECONDS"))
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.is_set():
            try:
                close_old_connections()
                result = run_periodic()
                if any(result.values()):
                    logger.info("sweep: %s", result)
            except Exception:
                logger.exception("periodic sweep failed; trying again in %s s", self.every)
            finally:
                connections.close_all()  # this thread's connections only
            self.stopped.wait(self.every)

    def stop(self) -> None:
        self.stopped.set()


def make_worker(
    *,
    queues: tuple[str, ...] | list[str] = QUEUES,
    interval: float = 1.0,
    batch: bool = False,
    max_tasks: int | None = None,
    worker_id: str | None = None,
    startup_delay: bool = True,
):
    """A django-tasks-db worker for our queues on the default backend."""
    from django.tasks import DEFAULT_TASK_BACKEND_ALIAS
    from django_tasks_db.management.commands.db_worker import Worker

    return Worker(
        queue_names=list(queues),
        interval=interval,
        batch=batch,
        backend_name=DEFAULT_TASK_BACKEND_ALIAS,
        startup_delay=startup_delay,
        max_tasks=max_tasks,
        worker_id=worker_id or get_random_string(32),
        excluded_queue_names=[],
    )


def uses_database_queue() -> bool:
    from django.tasks import DEFAULT_TASK_BACKEND_ALIAS, task_backends
    from django_tasks_db.backend import DatabaseBackend

    return isinstance(task_backends[DEFAULT_TASK_BACKEND_ALIAS], DatabaseBackend)


@dataclass
class WorkerThreads:
    """A worker running inside this process (for `grassroots demo`): stop() ends it."""

    worker: object
    loop: threading.Thread
    sweeper: Sweeper

    def stop(self, timeout: float = 10) -> None:
        self.worker.running = False  # the loop ends after its current task
        self.sweeper.stop()
        self.loop.join(timeout)
        self.sweeper.join(timeout)


def start_worker_thread(*, sweep_every: float | None = None, interval: float = 1.0) -> WorkerThreads:
    """Run the queue and the sweep in daemon threads of this process; they die with it.

    Meant for the demo, which serves and works in one process. Production runs
    `grassroots worker` as a service of its own (as many as needed).
    """
    worker = make_worker(interval=interval, startup_delay=False)

    def loop() -> None:
        try:
            worker.run()
        except Exception:
            logger.exception("worker thread stopped")
        finally:
            connections.close_all()

    thread = threading.Thread(target=loop, name="grassroots-worker", daemon=True)
    sweeper = Sweeper(sweep_every)
    thread.start()
    sweeper.start()
    return WorkerThreads(worker=worker, loop=thread, sweeper=sweeper)
