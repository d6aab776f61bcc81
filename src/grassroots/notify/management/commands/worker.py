"""`grassroots worker`: run the background queue (queues "default" and "notifications") and the sweep."""

from __future__ import annotations

import logging
import random
import time

from django.core.management.base import BaseCommand, CommandError

from grassroots.core.management.commands.serve import refuse_a_wrong_data_key
from grassroots.notify import conf
from grassroots.notify.worker import QUEUES, Sweeper, make_worker, queue_kind, run_periodic

logger = logging.getLogger("grassroots.worker")


class Command(BaseCommand):
    help = (
        "Run the background worker: deliver notifications and run other queued tasks, and sweep "
        "for overdue cases and undelivered messages every GRASSROOTS_SWEEP_SECONDS."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--queues", default=",".join(QUEUES), help="Comma-separated queues (default: %(default)s)."
        )
        parser.add_argument(
            "--interval",
            type=float,
            default=1.0,
            help="Seconds to wait when the queue is empty (default: 1).",
        )
        parser.add_argument(
            "--sweep-every",
            type=float,
            default=None,
            help="Seconds between sweeps (default: GRASSROOTS_SWEEP_SECONDS, 60). 0 turns the sweep off.",
        )
        parser.add_argument(
            "--batch",
            action="store_true",
            help="Sweep once, run every task that is ready, then exit (for cron).",
        )
        parser.add_argument("--max-tasks", type=int, default=None, help="Exit after running this many tasks.")
        parser.add_argument("--worker-id", default=None, help="Unique id of this worker (default: random).")

    def handle(
        self, *args, queues: str, interval: float, sweep_every, batch: bool, max_tasks, worker_id, **options
    ):
        kind = queue_kind()
        if kind is None:
            raise CommandError(
                "The task backend is neither the database queue nor Redis (GRASSROOTS_TASKS_BACKEND); "
                "run that backend's own worker instead."
            )
        refuse_a_wrong_data_key()  # a worker sending SMS must be able to open the phone numbers
        level = self._configure_logging(options["verbosity"])
        queue_names = [name.strip() for name in queues.split(",") if name.strip()]
        every = conf.get("GRASSROOTS_SWEEP_SECONDS") if sweep_every is None else sweep_every
        worker = make_worker(
            queues=queue_names,
            interval=interval,
            batch=batch,
            max_tasks=max_tasks,
            worker_id=worker_id,
            startup_delay=False,
        )
        if kind == "redis":
            worker.logging_level = logging.getLevelName(level)
        if batch:
            if every:
                self.stdout.write(f"sweep: {run_periodic()}")
            worker.run()
            return
        self.stdout.write(
            f"grassroots worker ({kind}): queues {', '.join(queue_names)}; sweep every {every:g} s"
            if every
            else f"grassroots worker ({kind}): queues {', '.join(queue_names)}; no sweep"
        )
        time.sleep(random.random())  # noqa: S311 - spread workers started together
        sweeper = Sweeper(every) if every else None
        if sweeper:
            sweeper.start()
        worker.configure_signals()
        try:
            worker.run()
        finally:
            if sweeper:
                sweeper.stop()

    def _configure_logging(self, verbosity: int) -> int:
        level = logging.WARNING if verbosity == 0 else logging.INFO if verbosity == 1 else logging.DEBUG
        for name in (
            "django_tasks_db",
            "django.tasks",
            "rq.worker",
            "grassroots.worker",
            "grassroots.notify",
        ):
            logging.getLogger(name).setLevel(level)
        return level
