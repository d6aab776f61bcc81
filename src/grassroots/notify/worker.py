"""Running the queue: a worker loop for the configured backend plus a periodic sweep beside it.

The worker loop takes one task at a time, in this process: django_tasks_db's `Worker` from the
database queue (the default), or RQ's from Redis (GRASSROOTS_TASKS_BACKEND=redis, through
django-tasks-rq), wrapped by `RedisWorker` to behave the same way. The sweep (overdue cases,
messages no task is going to deliver) runs in a thread of its own every
GRASSROOTS_SWEEP_SECONDS, with its own database connection, so a slow delivery never
delays it and it never delays a delivery.
Several workers may run at once: every step of the sweep claims its rows with a
conditional update, so nothing is done twice.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass

from django.db import close_old_connections, connections
from django.utils.crypto import get_random_string
from rq import SimpleWorker
from rq.timeouts import TimerDeathPenalty

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
    """A worker for our queues on the default backend: database or Redis (see queue_kind).

    Both answer run() (returns when stopped, or in batch mode when no task is ready), the
    attribute `running` (set it to False to stop after the current task) and configure_signals().
    """
    from django.tasks import DEFAULT_TASK_BACKEND_ALIAS

    worker_id = worker_id or get_random_string(32)
    if queue_kind() == "redis":
        return RedisWorker(
            queues=queues, interval=interval, batch=batch, max_tasks=max_tasks, worker_id=worker_id
        )
    from django_tasks_db.management.commands.db_worker import Worker

    return Worker(
        queue_names=list(queues),
        interval=interval,
        batch=batch,
        backend_name=DEFAULT_TASK_BACKEND_ALIAS,
        startup_delay=startup_delay,
        max_tasks=max_tasks,
        worker_id=worker_id,
        excluded_queue_names=[],
    )


def queue_kind() -> str | None:
    """ "database" or "redis": the queue the default task backend keeps, which `grassroots worker` runs;
    None for a backend that runs tasks itself (the immediate backend of the tests)."""
    from django.tasks import DEFAULT_TASK_BACKEND_ALIAS, task_backends
    from django_tasks_db.backend import DatabaseBackend
    from django_tasks_rq import RQBackend

    backend = task_backends[DEFAULT_TASK_BACKEND_ALIAS]
    if isinstance(backend, DatabaseBackend):
        return "database"
    if isinstance(backend, RQBackend):
        return "redis"
    return None


class RedisWorker:
    """RQ's worker for the Redis queue (django-tasks-rq), shaped like django-tasks-db's.

    Tasks run in this process one at a time (RQ's SimpleWorker: no fork per task, so Django's
    connections and settings stay this process's, as with the database queue). A deferred task
    (a delivery's retry, queued with run_after) waits in RQ's scheduled registry; RQ's scheduler
    moves it to its queue when due. `grassroots worker` runs RQ's own blocking loop with its
    scheduler process and signal handling; batch mode and a worker thread (the demo) instead
    repeat RQ's burst mode, which moves due tasks and runs what is ready, until nothing is left
    (batch) or until stopped, waiting `interval` between rounds.
    """

    def __init__(self, *, queues, interval: float, batch: bool, max_tasks: int | None, worker_id: str):
        self.queues = list(queues)
        self.interval = interval
        self.batch = batch
        self.max_tasks = max_tasks
        self.worker_id = worker_id
        self.running = True
        self.signals = False
        self.logging_level = "WARNING"

    def configure_signals(self) -> None:
        """Run RQ's own loop, which stops warmly on SIGINT/SIGTERM (the `grassroots worker` service)."""
        self.signals = True

    def _rq_worker(self):
        import django_rq
        from django_tasks_rq import Job

        return django_rq.get_worker(
            *self.queues,
            job_class=Job,
            worker_class=TaskWorker if self.signals else QuietWorker,
            name=self.worker_id,
        )

    def run(self) -> None:
        if self.signals and not self.batch:
            self._rq_worker().work(
                with_scheduler=True, max_jobs=self.max_tasks, logging_level=self.logging_level
            )
            return
        done = 0
        while self.running:
            done += self._drain(None if self.max_tasks is None else self.max_tasks - done)
            if self.batch or (self.max_tasks is not None and done >= self.max_tasks):
                return
            threading.Event().wait(self.interval)

    def _drain(self, limit: int | None) -> int:
        """Burst rounds until one finds nothing to do (a round's tasks may queue retries due at once)."""
        done = 0
        while self.running and (limit is None or done < limit):
            worker = self._rq_worker()
            if not worker.work(
                burst=True,
                with_scheduler=True,
                max_jobs=None if limit is None else limit - done,
                logging_level=self.logging_level,
            ):
                break
            done += worker.successful_job_count + worker.failed_job_count
        return done


class TaskWorker(SimpleWorker):
    """RQ's SimpleWorker that, like django-tasks-db's worker, drops broken or expired database
    connections before and after each task (a database restart costs one task, not all)."""

    def execute_job(self, job, queue):
        close_old_connections()
        try:
            return super().execute_job(job, queue)
        finally:
            close_old_connections()


class QuietWorker(TaskWorker):
    """The TaskWorker that leaves signal handlers alone and times tasks out with a timer, so that
    it runs in any thread (the demo's) and under a test runner."""

    death_penalty_class = TimerDeathPenalty

    def _install_signal_handlers(self) -> None:
        pass


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
