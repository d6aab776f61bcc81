"""The worker: its queue, the SMS gateway that fails and recovers, the overdue sweep.

Every test runs twice, once on each queue `grassroots worker` runs: the database queue
(django_tasks_db, the default) and Redis (django-tasks-rq, on the real server; see
tests/task_queues.py). A real HTTP server stands in for an SMS gateway.
"""

from __future__ import annotations

import json
import threading
from contextlib import contextmanager
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone
from django_tasks_db.management.commands import db_worker

from grassroots.cases.models import Case, Category, Urgency
from grassroots.cases.services import Party, ReportDetails, case_dispatch, case_escalate, case_report
from grassroots.cases.tasks import sweep_overdue
from grassroots.notify import services
from grassroots.notify import worker as worker_module
from grassroots.notify.models import Message, MessageChannel, MessageStatus
from grassroots.notify.worker import make_worker, run_periodic, start_worker_thread
from tests.task_queues import QUEUES

AUNT_LIU_PHONE = "13900001111"


@pytest.fixture(autouse=True)
def keep_the_test_connection(request, monkeypatch):
    """The worker loops recycle "old" connections; inside a test's transaction that would drop it."""
    if "transactional_db" not in request.fixturenames and not request.node.get_closest_marker("django_db"):
        monkeypatch.setattr(db_worker, "close_old_connections", lambda: None)
        monkeypatch.setattr(worker_module, "close_old_connections", lambda: None)


@pytest.fixture(params=list(QUEUES), autouse=True)
def task_queue(request, settings):
    """The queue of this run of the test: the database, then Redis."""
    queue = QUEUES[request.param]()
    settings.TASKS = queue.tasks
    settings.RQ_QUEUES = queue.rq_queues
    queue.reset()
    yield queue
    queue.reset()


@pytest.fixture(autouse=True)
def worker_settings(settings, tmp_path, task_queue):
    settings.GRASSROOTS_NOTIFY_OUTBOX = str(tmp_path / "outbox.log")
    settings.GRASSROOTS_NOTIFY_SMS = "console"
    settings.GRASSROOTS_NOTIFY_EMAIL = False
    settings.GRASSROOTS_NOTIFY_RETRY_SECONDS = 0  # retry at once, so one batch run sees every attempt
    settings.GRASSROOTS_NOTIFY_MAX_ATTEMPTS = 8
    settings.GRASSROOTS_NOTIFY_RESCUE_SECONDS = 300
    # The sweep's monthly reports (a PDF each) are tried in tests/test_monthly_report.py, not here.
    settings.GRASSROOTS_MONTHLY_REPORTS = False
    return settings


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    @contextmanager
    def run():
        with django_capture_on_commit_callbacks(execute=True):
            yield

    return run


@pytest.fixture
def plain(db) -> Category:
    return Category.objects.create(code="nt-water", name_zh="停水缺水", name_en="no water")


class Gateway:
    """An SMS gateway on 127.0.0.1: answers the given statuses in turn (then 200), records what it got."""

    def __init__(self, statuses: list[int]):
        self.statuses = list(statuses)
        self.requests: list[dict] = []
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                gateway.requests.append(
                    {
                        "json": json.loads(body),
                        "authorization": self.headers.get("Authorization"),
                        "key": self.headers.get("Idempotency-Key"),
                    }
                )
                status = gateway.statuses.pop(0) if gateway.statuses else 200
                self.send_response(status)
                self.end_headers()
                self.wfile.write(b"gateway says 13900001111 failed" if status >= 400 else b"ok")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/sms"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


def run_queue() -> None:
    """What `grassroots worker --batch` does with the queue: run every ready task, then stop."""
    make_worker(batch=True, startup_delay=False).run()


def report(community, actor, category, **overrides) -> Case:
    details = {"category": category, "description": "家中没有饮用水", "channel": "phone", **overrides}
    return case_report(actor=actor, community=community, details=ReportDetails(**details), register=True)


# --- delivery through the database queue --------------------------------------------------------------


def test_the_gateway_fails_twice_then_the_sms_goes_out(
    worker_settings, task_queue, community, socialworker, plain, committed, caplog
):
    worker_settings.GRASSROOTS_NOTIFY_SMS = "webhook"
    worker_settings.GRASSROOTS_NOTIFY_WEBHOOK_TOKEN = "gateway-secret"
    worker_settings.GRASSROOTS_NOTIFY_WEBHOOK_TIMEOUT = 5
    with Gateway([500, 503]) as gateway:
        worker_settings.GRASSROOTS_NOTIFY_WEBHOOK_URL = gateway.url
        with committed():
            case = report(community, socialworker, plain, reporter_phone=AUNT_LIU_PHONE)
        message = case.messages.get()
        # Written before any attempt, and queued.
        assert message.status == MessageStatus.QUEUED and message.attempts == 0
        assert task_queue.waiting("notifications") == 1
        run_queue()
    message.refresh_from_db()
    assert message.status == MessageStatus.SENT and message.attempts == 3 and message.transport == "webhook"
    assert message.last_error == "DeliveryError: HTTP 503 Service Unavailable"
    assert len(gateway.requests) == 3
    first = gateway.requests[0]
    assert first["json"] == {
        "id": message.pk,
        "to": AUNT_LIU_PHONE,
        "text": message.body,
        "case": case.number,
        "channel": "sms",
    }
    assert first["authorization"] == "Bearer gateway-secret"
    assert {request["key"] for request in gateway.requests} == {f"grassroots-message-{message.pk}"}
    # Each retry was a task of its own, queued with run_after; all ended well.
    assert task_queue.finished("notifications") == ["SUCCESSFUL"] * 3
    assert task_queue.waiting("notifications") == 0
    assert AUNT_LIU_PHONE not in caplog.text


def test_retries_wait_longer_each_time(
    worker_settings, task_queue, community, socialworker, plain, committed
):
    worker_settings.GRASSROOTS_NOTIFY_RETRY_SECONDS = 60
    worker_settings.GRASSROOTS_NOTIFY_SMS = "webhook"
    with Gateway([500, 500]) as gateway:
        worker_settings.GRASSROOTS_NOTIFY_WEBHOOK_URL = gateway.url
        with committed():
            case = report(community, socialworker, plain, reporter_phone=AUNT_LIU_PHONE)
        run_queue()  # the first attempt fails; the retry waits a minute, so the batch ends
        message = case.messages.get()
        assert message.status == MessageStatus.QUEUED and message.attempts == 1
        [run_after] = task_queue.deferred("notifications")  # RQ keeps whole seconds
        assert abs(run_after - message.next_attempt_at) < timedelta(seconds=1)
        assert timedelta(seconds=55) < message.next_attempt_at - timezone.now() <= timedelta(seconds=60)
        # A minute later (as if): the second attempt fails and waits two minutes.
        task_queue.make_due("notifications")
        Message.objects.filter(pk=message.pk).update(next_attempt_at=timezone.now())
        run_queue()
        message.refresh_from_db()
        assert message.attempts == 2
        assert timedelta(seconds=115) < message.next_attempt_at - timezone.now() <= timedelta(seconds=120)


def test_a_gateway_that_never_answers_ends_failed_after_the_last_attempt(
    worker_settings, community, socialworker, plain, committed
):
    worker_settings.GRASSROOTS_NOTIFY_SMS = "webhook"
    worker_settings.GRASSROOTS_NOTIFY_MAX_ATTEMPTS = 3
    with Gateway([500] * 10) as gateway:
        worker_settings.GRASSROOTS_NOTIFY_WEBHOOK_URL = gateway.url
        with committed():
            case = report(community, socialworker, plain, reporter_phone=AUNT_LIU_PHONE)
        run_queue()
    message = case.messages.get(channel="sms")
    assert message.status == MessageStatus.FAILED and message.attempts == 3 and len(gateway.requests) == 3
    assert case.messages.get(channel="inbox").recipient == socialworker  # asked to call instead
    assert message.last_error == "DeliveryError: HTTP 500 Internal Server Error"
    assert AUNT_LIU_PHONE not in message.last_error  # the gateway's answer is never recorded


def test_an_unreachable_gateway_is_retried(worker_settings, community, socialworker, plain, committed):
    worker_settings.GRASSROOTS_NOTIFY_SMS = "webhook"
    worker_settings.GRASSROOTS_NOTIFY_MAX_ATTEMPTS = 2
    worker_settings.GRASSROOTS_NOTIFY_WEBHOOK_URL = "http://127.0.0.1:9/sms"  # discard port: refused
    worker_settings.GRASSROOTS_NOTIFY_WEBHOOK_TIMEOUT = 2
    with committed():
        case = report(community, socialworker, plain, reporter_phone=AUNT_LIU_PHONE)
    run_queue()
    message = case.messages.get(channel="sms")
    assert message.status == MessageStatus.FAILED and message.attempts == 2
    assert message.last_error.startswith("DeliveryError: webhook unreachable")


def test_a_task_that_runs_twice_sends_once(worker_settings, community, socialworker, plain, committed):
    worker_settings.GRASSROOTS_NOTIFY_SMS = "webhook"
    with Gateway([]) as gateway:
        worker_settings.GRASSROOTS_NOTIFY_WEBHOOK_URL = gateway.url
        with committed():
            case = report(community, socialworker, plain, reporter_phone=AUNT_LIU_PHONE)
        message = case.messages.get()
        from grassroots.notify.tasks import deliver_message

        deliver_message.enqueue(message.pk)  # a duplicate task, e.g. queued again by a sweep
        run_queue()
    assert len(gateway.requests) == 1
    message.refresh_from_db()
    assert message.status == MessageStatus.SENT and message.attempts == 1


def test_a_message_whose_task_was_lost_is_queued_again_by_the_sweep(
    community, socialworker, plain, committed, worker_settings, task_queue
):
    with committed():
        case = report(community, socialworker, plain, reporter_phone=AUNT_LIU_PHONE)
    message = case.messages.get()
    task_queue.lose_everything()  # the queue lost it
    assert services.requeue_due_messages() == []  # still within its grace period
    Message.objects.filter(pk=message.pk).update(next_attempt_at=timezone.now() - timedelta(minutes=6))
    assert services.requeue_due_messages() == [message.pk]
    assert services.requeue_due_messages() == []  # and not again at the next sweep
    run_queue()
    message.refresh_from_db()
    assert message.status == MessageStatus.SENT and message.attempts == 1


# --- the overdue sweep ------------------------------------------------------------------------------------


@pytest.fixture
def overdue_case(community, socialworker, gridworker, plain, committed) -> Case:
    """Registered five days ago with a one-day limit, dispatched to the grid worker."""
    long_ago = timezone.now() - timedelta(days=5)
    with committed():
        case = case_report(
            actor=socialworker,
            community=community,
            details=ReportDetails(
                category=plain,
                description="楼道灯不亮",
                channel="phone",
                urgency=Urgency.NORMAL,
                reported_at=long_ago,
            ),
            register=True,
        )
        case = case_dispatch(actor=socialworker, case=case, lead=Party("user", gridworker.pk))
    assert case.is_overdue()
    return case


def test_an_overdue_case_is_announced_to_the_legs_once(overdue_case, secretary, socialworker, committed):
    with committed():
        assert sweep_overdue() == [overdue_case.pk]
        assert sweep_overdue() == []
    overdue_case.refresh_from_db()
    assert overdue_case.overdue_notified_at is not None
    messages = overdue_case.messages.filter(reason="overdue")
    assert [(m.recipient.username, m.channel) for m in messages] == [("secretary", MessageChannel.INBOX)]
    [message] = messages
    assert message.event is None and "【超期】" in message.body and overdue_case.number in message.body
    assert f"/cases/{overdue_case.number}/" in message.body
    # The sweep writes no timeline entry: events are the services' alone.
    assert not overdue_case.events.filter(action="overdue").exists()


def test_an_escalated_overdue_case_is_announced_to_the_street_too(
    overdue_case, secretary, socialworker, street_user, committed
):
    with committed():
        case_escalate(actor=socialworker, case=overdue_case, reason="涉及市政管网，社区无法单独解决")
        sweep_overdue()
    assert {m.recipient.username for m in overdue_case.messages.filter(reason="overdue")} == {
        "secretary",
        "street",
    }
    assert overdue_case.messages.filter(reason="escalated", recipient=street_user).exists()


def test_cases_not_yet_due_or_closed_are_left_alone(community, socialworker, secretary, plain, committed):
    with committed():
        fresh = report(community, socialworker, plain)
        assert sweep_overdue() == []
    assert not fresh.messages.filter(reason="overdue").exists()


def test_the_worker_command_in_batch_mode_sweeps_and_delivers(overdue_case, secretary, committed):
    with committed():
        call_command("worker", "--batch", verbosity=0)
    assert overdue_case.messages.filter(reason="overdue", recipient=secretary).exists()
    assert not Message.objects.filter(status=MessageStatus.QUEUED).exists()
    assert set(run_periodic()) == {"overdue", "requeued", "summary", "reports", "audit_pruned", "retention"}


def test_the_worker_command_needs_a_queue_it_runs(worker_settings):
    worker_settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
    with pytest.raises(CommandError, match="neither the database queue nor Redis"):
        call_command("worker", "--batch")


@pytest.mark.django_db(transaction=True)
def test_two_workers_sweeping_at_once_tell_the_legs_once(
    community, socialworker, gridworker, secretary, plain
):
    case = case_report(
        actor=socialworker,
        community=community,
        details=ReportDetails(
            category=plain,
            description="楼道灯不亮",
            channel="phone",
            reported_at=timezone.now() - timedelta(days=5),
        ),
        register=True,
    )
    barrier = threading.Barrier(2)
    swept: list[list[int]] = []

    def sweep():
        try:
            barrier.wait(timeout=10)
            swept.append(sweep_overdue())
        finally:
            connection.close()

    threads = [threading.Thread(target=sweep) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(swept) == [[], [case.pk]]
    assert Message.objects.filter(case=case, reason="overdue").count() == 1


@pytest.mark.django_db(transaction=True)
def test_the_worker_thread_of_the_demo_delivers_and_sweeps(
    worker_settings, community, socialworker, gridworker, secretary, plain
):
    case = case_report(
        actor=socialworker,
        community=community,
        details=ReportDetails(
            category=plain,
            description="楼道灯不亮",
            channel="phone",
            reporter_phone=AUNT_LIU_PHONE,
            reported_at=timezone.now() - timedelta(days=5),
        ),
        register=True,
    )
    threads = start_worker_thread(sweep_every=0.2, interval=0.1)
    try:
        deadline = timezone.now() + timedelta(seconds=20)
        while timezone.now() < deadline:
            if (
                Message.objects.filter(case=case, reason="registered", status=MessageStatus.SENT).exists()
                and Message.objects.filter(case=case, reason="overdue").exists()
            ):
                break
            threading.Event().wait(0.1)
    finally:
        threads.stop()
    assert Message.objects.get(case=case, reason="registered").status == MessageStatus.SENT
    assert Message.objects.filter(case=case, reason="overdue", recipient=secretary).exists()
    assert not threads.loop.is_alive() and not threads.sweeper.is_alive()
