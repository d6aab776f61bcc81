"""The two task queues `grassroots worker` runs, as the tests see them: the database and Redis.

tests/test_worker.py runs every test once on each (the `task_queue` fixture). Each class
configures its backend and answers the few questions the tests ask of a queue: how many tasks
wait, when the deferred ones are due, how the finished ones ended. The Redis queue uses a
database number of its own on the real server (GRASSROOTS_TEST_REDIS_URL, default
redis://127.0.0.1:6379/12), emptied before each test; a missing server fails the test.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime

import pytest
import redis
from django.tasks import default_task_backend
from django.utils import timezone

from grassroots.config.env import TASK_BACKENDS, TASK_QUEUES, rq_queues_for

REDIS_TEST_URL = os.environ.get("GRASSROOTS_TEST_REDIS_URL", "redis://127.0.0.1:6379/12")


class DatabaseQueue:
    """django-tasks-db: the tasks are rows of DBTaskResult."""

    name = "database"
    rq_queues: dict = {}

    @property
    def tasks(self) -> dict:
        return {"default": {"BACKEND": TASK_BACKENDS["database"], "QUEUES": TASK_QUEUES}}

    def reset(self) -> None:
        pass  # the rows go with the test's transaction

    def _results(self, queue: str):
        from django_tasks_db.models import DBTaskResult

        return DBTaskResult.objects.filter(queue_name=queue)

    def waiting(self, queue: str) -> int:
        """Tasks not yet run, due or deferred."""
        return self._results(queue).filter(status="READY").count()

    def deferred(self, queue: str) -> list[datetime]:
        return [row.run_after for row in self._results(queue).filter(status="READY", run_after__isnull=False)]

    def make_due(self, queue: str) -> None:
        self._results(queue).filter(status="READY").update(run_after=timezone.now())

    def finished(self, queue: str) -> list[str]:
        """The status of every task that ran, as Django's tasks framework names it."""
        ran = self._results(queue).exclude(status="READY")
        return [str(default_task_backend.get_result(str(row.pk)).status) for row in ran]

    def lose_everything(self) -> None:
        from django_tasks_db.models import DBTaskResult

        DBTaskResult.objects.all().delete()


class RedisQueue:
    """django-tasks-rq: the tasks are RQ jobs in Redis, deferred ones in RQ's scheduled registry."""

    name = "redis"
    tasks = {"default": {"BACKEND": TASK_BACKENDS["redis"], "QUEUES": TASK_QUEUES}}
    rq_queues = rq_queues_for(REDIS_TEST_URL)

    def __init__(self) -> None:
        self.redis = redis.Redis.from_url(REDIS_TEST_URL, socket_connect_timeout=2)

    def reset(self) -> None:
        try:
            self.redis.ping()
        except redis.ConnectionError:
            pytest.fail(
                f"Redis does not answer at {REDIS_TEST_URL}: start it (see .ci/run) to test its queue"
            )
        self.redis.flushdb()  # our database number only

    def _queue(self, queue: str):
        import django_rq

        return django_rq.get_queue(queue)

    def _scheduled(self, queue: str):
        from rq.registry import ScheduledJobRegistry

        return ScheduledJobRegistry(queue=self._queue(queue))

    def waiting(self, queue: str) -> int:
        return self._queue(queue).count + self._scheduled(queue).count

    def deferred(self, queue: str) -> list[datetime]:
        registry = self._scheduled(queue)
        return [
            datetime.fromtimestamp(score, tz=UTC)
            for _job, score in self.redis.zrange(registry.key, 0, -1, withscores=True)
        ]

    def make_due(self, queue: str) -> None:
        registry = self._scheduled(queue)
        for job_id in registry.get_job_ids():
            self.redis.zadd(registry.key, {job_id: int(timezone.now().timestamp())})

    def finished(self, queue: str) -> list[str]:
        from rq.registry import FailedJobRegistry, FinishedJobRegistry

        ids = [
            *FinishedJobRegistry(queue=self._queue(queue)).get_job_ids(),
            *FailedJobRegistry(queue=self._queue(queue)).get_job_ids(),
        ]
        return [str(default_task_backend.get_result(job_id).status) for job_id in ids]

    def lose_everything(self) -> None:
        self.redis.flushdb()


QUEUES = {"database": DatabaseQueue, "redis": RedisQueue}
