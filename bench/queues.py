"""Time the two task queues `grassroots worker` runs: the database (django-tasks-db) and Redis (RQ).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/grassroots_bench \
    BENCH_REDIS_URL=redis://127.0.0.1:6379/12 uv run python bench/queues.py

On a migrated database, it queues BENCH_TASKS (2,000) deliveries of a message that does not
exist (each task is one claiming UPDATE that finds nothing: the queue's own cost, not a
gateway's) on each queue, then runs them with one worker in batch mode, and prints how many
tasks a second were queued and run. The Redis database number is emptied before and after
(give it one of its own); the database queue's rows are deleted after.
"""

from __future__ import annotations

import os
import sys
import time

import django

TASKS = int(os.environ.get("BENCH_TASKS", "2000"))
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/12")


def run(kind: str) -> tuple[float, float]:
    """(queued per second, run per second) on the queue `kind`."""
    import redis
    from django.conf import settings
    from django.db import transaction
    from django.test.utils import override_settings

    from grassroots.config.env import TASK_BACKENDS, TASK_QUEUES, rq_queues_for
    from grassroots.notify.tasks import deliver_message
    from grassroots.notify.worker import make_worker

    tasks = {"default": {"BACKEND": TASK_BACKENDS[kind], "QUEUES": TASK_QUEUES}}
    server = redis.Redis.from_url(REDIS_URL)
    with override_settings(TASKS=tasks, RQ_QUEUES=rq_queues_for(REDIS_URL) if kind == "redis" else {}):
        assert tasks == settings.TASKS
        server.flushdb()
        started = time.perf_counter()
        with transaction.atomic():  # as a service queues them: after its commit
            for _ in range(TASKS):
                deliver_message.enqueue(0)
        queued = time.perf_counter() - started
        started = time.perf_counter()
        make_worker(batch=True, startup_delay=False).run()
        ran = time.perf_counter() - started
        if kind == "database":
            from django_tasks_db.models import DBTaskResult

            left = DBTaskResult.objects.filter(status="READY").count()
            DBTaskResult.objects.all().delete()
        else:
            import django_rq

            left = django_rq.get_queue("notifications").count
            server.flushdb()
    assert left == 0, f"{left} tasks left on the {kind} queue"
    return TASKS / queued, TASKS / ran


def main() -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "grassroots.config.settings")
    django.setup()
    import logging

    logging.disable(logging.INFO)  # one log line per task would be most of the cost
    print(f"{TASKS} tasks each, one worker, batch mode")
    print(f"{'queue':<10} {'queued/s':>10} {'run/s':>10}")
    for kind in ("database", "redis"):
        queued, ran = run(kind)
        print(f"{kind:<10} {queued:>10,.0f} {ran:>10,.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
