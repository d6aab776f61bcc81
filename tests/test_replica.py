"""Reads on a streaming replica (grassroots.core.replica): the rule, then the real standby.

The first tests check the rule itself and run everywhere. The tests marked `replica` need a
PostgreSQL standby streaming from the test server, named by DATABASE_REPLICA_URL: `.ci/run`
starts one (`.ci/replica start`, port 5433) and runs them with `-m replica`, so in CI they
always run (and a standby that is missing fails them). Without DATABASE_REPLICA_URL they are
not collected (tests/conftest.py). They write on the primary, commit, wait for the standby to
replay it, and read through the router; one pauses the standby's replay to show that a stale
replica never hides a reader's own write.
"""

from __future__ import annotations

import time
from contextlib import contextmanager
from datetime import date

import pytest
from django.db import DEFAULT_DB_ALIAS, connections, router, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext

from grassroots.accounts.models import User
from grassroots.core import replica
from grassroots.core.replica import PIN_COOKIE, REPLICA, Reading, read_alias, reading_replica
from grassroots.people.models import Person, Relation
from tests.factories import make_id_number

NEWCOMER = "刘秀兰"


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def with_a_replica(monkeypatch):
    """The rule as if a replica were configured (no server is asked)."""
    monkeypatch.setattr(replica, "configured", lambda: True)


@pytest.fixture
def without_a_replica(monkeypatch):
    """The rule as if DATABASE_REPLICA_URL were unset (it is set for the tests on the standby)."""
    monkeypatch.setattr(replica, "configured", lambda: False)


# --- the rule -----------------------------------------------------------------------------------


def test_without_a_replica_every_read_is_on_the_primary(without_a_replica):
    with reading_replica():
        assert read_alias(Person) == DEFAULT_DB_ALIAS
        assert router.db_for_read(Person) == DEFAULT_DB_ALIAS


def test_only_code_that_asks_reads_the_replica(with_a_replica):
    assert read_alias(Person) == DEFAULT_DB_ALIAS
    with reading_replica():
        assert router.db_for_read(Person) == REPLICA
        assert router.db_for_write(Person) == DEFAULT_DB_ALIAS


def test_after_a_write_the_rest_of_the_request_reads_the_primary(with_a_replica):
    with reading_replica():
        router.db_for_write(Person)
        assert router.db_for_read(Person) == DEFAULT_DB_ALIAS


def test_sessions_and_pinned_callers_read_the_primary(with_a_replica):
    from django.contrib.sessions.models import Session

    with reading_replica():
        assert read_alias(Session) == DEFAULT_DB_ALIAS
    token = replica._reading.set(Reading(replica=True, pinned=True))
    try:
        assert read_alias(Person) == DEFAULT_DB_ALIAS
    finally:
        replica._reading.reset(token)


def test_a_transaction_reads_the_primary(with_a_replica, db):
    # The test's own transaction is open, as a service's atomic block (and select_for_update) is.
    assert connections[DEFAULT_DB_ALIAS].in_atomic_block
    with reading_replica():
        assert read_alias(Person) == DEFAULT_DB_ALIAS


def test_a_post_pins_the_browser_to_the_primary_for_a_few_seconds(with_a_replica, socialworker, settings):
    settings.GRASSROOTS_REPLICA_PIN_SECONDS = 7
    client = _client(socialworker)
    assert PIN_COOKIE not in client.get("/people/", {"q": "王"}).cookies
    posted = client.post("/people/new/", {"name": ""})  # refused, but a POST all the same
    cookie = posted.cookies[PIN_COOKIE]
    assert cookie["max-age"] == 7 and cookie["httponly"]


def test_without_a_replica_no_cookie_is_set(without_a_replica, socialworker):
    assert PIN_COOKIE not in _client(socialworker).post("/people/new/", {"name": ""}).cookies


def test_the_read_heavy_pages_are_marked():
    from django.urls import resolve

    for path in ("/people/", "/cases/", "/dashboard/"):
        assert getattr(resolve(path).func, "replica_reads", False), path
    assert not getattr(resolve("/cases/board/").func, "replica_reads", False)


# --- the real standby ---------------------------------------------------------------------------


def wait_for_replica(timeout: float = 15) -> None:
    """Until the standby has replayed everything the primary has written so far."""
    with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
        cursor.execute("select pg_current_wal_lsn()")
        [lsn] = cursor.fetchone()
    deadline = time.monotonic() + timeout
    with connections[REPLICA].cursor() as cursor:
        while True:
            cursor.execute("select pg_last_wal_replay_lsn() >= %s::pg_lsn", [lsn])
            if cursor.fetchone()[0]:
                return
            if time.monotonic() > deadline:
                pytest.fail(f"the standby has not replayed {lsn} within {timeout} s")
            time.sleep(0.05)


@contextmanager
def replay_paused():
    """The standby stops replaying (it lags as far as we like) until the block ends."""
    with connections[REPLICA].cursor() as cursor:
        cursor.execute("select pg_wal_replay_pause()")
    try:
        yield
    finally:
        with connections[REPLICA].cursor() as cursor:
            cursor.execute("select pg_wal_replay_resume()")


def _person_queries(context: CaptureQueriesContext) -> list[str]:
    return [query["sql"] for query in context.captured_queries if '"people_person"' in query["sql"]]


@pytest.mark.replica
@pytest.mark.django_db(transaction=True, databases=[DEFAULT_DB_ALIAS, REPLICA])
def test_the_standby_is_a_streaming_replica_of_the_test_database():
    with connections[REPLICA].cursor() as cursor:
        cursor.execute("select pg_is_in_recovery(), current_database()")
        in_recovery, name = cursor.fetchone()
    assert in_recovery and name == connections[DEFAULT_DB_ALIAS].settings_dict["NAME"]


@pytest.mark.replica
@pytest.mark.django_db(transaction=True, databases=[DEFAULT_DB_ALIAS, REPLICA])
def test_the_search_reads_the_replica_once_it_has_caught_up(socialworker, granny_wang):
    wait_for_replica()
    client = _client(socialworker)
    with (
        CaptureQueriesContext(connections[REPLICA]) as on_replica,
        CaptureQueriesContext(connections[DEFAULT_DB_ALIAS]) as on_primary,
    ):
        page = client.get("/people/", {"q": granny_wang.name})
    assert page.status_code == 200 and f"/people/{granny_wang.pk}/" in page.content.decode()
    assert _person_queries(on_replica) and not _person_queries(on_primary)


@pytest.mark.replica
@pytest.mark.django_db(transaction=True, databases=[DEFAULT_DB_ALIAS, REPLICA])
def test_a_lagging_replica_never_hides_a_readers_own_write(socialworker, secretary, household_a):
    wait_for_replica()
    writer, other = _client(socialworker), _client(secretary)
    with replay_paused():
        posted = writer.post(
            "/people/new/",
            {
                "name": NEWCOMER,
                "sex": "F",
                "birth_date": "1950-03-09",
                "id_number": make_id_number(date(1950, 3, 9), sex="F", serial=11),
                "phone": "13912345678",
                "address": household_a.address,
                "relation": Relation.HEAD,
                "residence_type": "migrant",
                "on": "2026-11-01",
            },
        )
        assert posted.status_code == 302, posted.content.decode()[:500]
        newcomer = Person.objects.get(name=NEWCOMER)
        link = f"/people/{newcomer.pk}/"
        # The writer's next pages read the primary and find the newcomer ...
        with CaptureQueriesContext(connections[REPLICA]) as on_replica:
            assert link in writer.get("/people/", {"q": NEWCOMER}).content.decode()
        assert not _person_queries(on_replica)
        # ... while a reader who wrote nothing reads the replica, which has not seen it yet.
        assert link not in other.get("/people/", {"q": NEWCOMER}).content.decode()
    wait_for_replica()
    assert link in other.get("/people/", {"q": NEWCOMER}).content.decode()


@pytest.mark.replica
@pytest.mark.django_db(transaction=True, databases=[DEFAULT_DB_ALIAS, REPLICA])
def test_inside_a_transaction_reads_stay_on_the_primary(granny_wang):
    wait_for_replica()
    with reading_replica():
        assert Person.objects.filter(pk=granny_wang.pk).get()._state.db == REPLICA
        with transaction.atomic():
            locked = Person.objects.select_for_update().get(pk=granny_wang.pk)
            assert locked._state.db == DEFAULT_DB_ALIAS
            assert Person.objects.get(pk=granny_wang.pk)._state.db == DEFAULT_DB_ALIAS
