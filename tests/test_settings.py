"""Settings from the environment: the database URL, generated secrets, yes/no and list variables."""

from __future__ import annotations

import base64
import sqlite3
import stat

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import connections, transaction
from django.db.utils import ConnectionHandler

from grassroots.config import settings as project_settings
from grassroots.config.env import env_bool, env_list, persistent_secret, replica_config, tasks_config, var_dir

# --- DATABASE_URL -------------------------------------------------------------------------


@pytest.fixture
def env(monkeypatch):
    """A clean slate of the variables _database_config reads."""
    for name in ("DATABASE_URL", "GRASSROOTS_DEMO", "GRASSROOTS_CONN_MAX_AGE"):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def _assert_sqlite_tuned(config: dict) -> None:
    assert config["ENGINE"] == "django.db.backends.sqlite3"
    options = config["OPTIONS"]
    assert options["transaction_mode"] == "IMMEDIATE"
    assert options["timeout"] == 20
    pragmas = options["init_command"].replace(" ", "")
    for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "foreign_keys=ON", "busy_timeout=20000"):
        assert f"PRAGMA{pragma};" in pragmas


def test_without_database_url_sqlite_lives_in_the_var_folder(env):
    config = project_settings._database_config()
    _assert_sqlite_tuned(config)
    assert config["NAME"] == str(project_settings.VAR_DIR / "grassroots.sqlite3")
    assert config["CONN_MAX_AGE"] == 0


def test_the_demo_has_a_database_of_its_own(env):
    env.setenv("GRASSROOTS_DEMO", "1")
    assert project_settings._database_config()["NAME"] == str(project_settings.VAR_DIR / "demo.sqlite3")


def test_a_sqlite_url_gets_the_same_tuning(env, tmp_path):
    env.setenv("DATABASE_URL", f"sqlite:///{tmp_path}/site.sqlite3")
    config = project_settings._database_config()
    _assert_sqlite_tuned(config)
    assert config["NAME"] == f"{tmp_path}/site.sqlite3"


def test_a_postgres_url_is_parsed_and_not_given_sqlite_options(env):
    env.setenv("DATABASE_URL", "postgres://grassroots:s3cret@db.internal:5433/district")
    env.setenv("GRASSROOTS_CONN_MAX_AGE", "60")
    config = project_settings._database_config()
    assert config["ENGINE"] == "django.db.backends.postgresql"
    assert (config["NAME"], config["USER"], config["PASSWORD"]) == ("district", "grassroots", "s3cret")
    assert (config["HOST"], config["PORT"]) == ("db.internal", 5433)
    assert config["CONN_MAX_AGE"] == 60
    assert "init_command" not in config.get("OPTIONS", {})
    assert "transaction_mode" not in config.get("OPTIONS", {})


@pytest.fixture
def sqlite_file_connection(env, tmp_path, django_db_blocker):
    """A real Django connection built from _database_config on a file (not the test database).

    It is registered as the alias "tuned" so that transaction.atomic(using="tuned") drives it.
    """
    path = tmp_path / "tuned.sqlite3"
    env.setenv("DATABASE_URL", f"sqlite:///{path}")
    connection = ConnectionHandler({"default": project_settings._database_config()})["default"]
    connections["tuned"] = connection
    with django_db_blocker.unblock():
        yield connection, path
        connection.close()
    del connections["tuned"]


def test_the_sqlite_options_take_effect_on_a_real_file(sqlite_file_connection):
    connection, _path = sqlite_file_connection
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA journal_mode")
        assert cursor.fetchone()[0] == "wal"
        cursor.execute("PRAGMA foreign_keys")
        assert cursor.fetchone()[0] == 1
        cursor.execute("PRAGMA busy_timeout")
        assert cursor.fetchone()[0] == 20000


def test_transactions_take_the_write_lock_at_once(sqlite_file_connection):
    """BEGIN IMMEDIATE: a second writer waits at the start, not half-way through a transaction."""
    connection, path = sqlite_file_connection
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE visit (id INTEGER PRIMARY KEY)")
    other = sqlite3.connect(path, timeout=0.05)
    try:
        # Nothing written inside the transaction: after a deferred BEGIN the other writer would get through.
        with transaction.atomic(using="tuned"), pytest.raises(sqlite3.OperationalError, match="locked"):
            other.execute("INSERT INTO visit DEFAULT VALUES")
        other.execute("INSERT INTO visit DEFAULT VALUES")  # free again once the transaction ends
        other.commit()
    finally:
        other.close()


# --- generated secrets ------------------------------------------------------------------


def test_persistent_secret_is_created_private_and_kept(monkeypatch, tmp_path):
    monkeypatch.setenv("GRASSROOTS_VAR_DIR", str(tmp_path / "var"))
    first = persistent_secret("secret.key")
    path = tmp_path / "var" / "secret.key"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert persistent_secret("secret.key") == first
    assert len(base64.urlsafe_b64decode(first)) == 48  # 64 characters: long enough for check --deploy
    assert sorted(p.name for p in (tmp_path / "var").iterdir()) == ["secret.key"]  # no draft left behind
    assert persistent_secret("data.key") != first


def test_persistent_secret_reads_an_existing_key(monkeypatch, tmp_path):
    monkeypatch.setenv("GRASSROOTS_VAR_DIR", str(tmp_path))
    (tmp_path / "data.key").write_text("a-key-restored-from-backup\n")
    assert persistent_secret("data.key") == "a-key-restored-from-backup"


def test_var_dir_is_created_where_the_environment_says(monkeypatch, tmp_path):
    monkeypatch.setenv("GRASSROOTS_VAR_DIR", str(tmp_path / "deep" / "var"))
    assert var_dir() == (tmp_path / "deep" / "var").resolve()
    assert var_dir().is_dir()


# --- yes/no and lists ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "default", "expected"),
    [
        (None, True, True),
        (None, False, False),
        ("", True, True),
        ("1", False, True),
        ("true", False, True),
        ("TRUE", False, True),
        (" yes ", False, True),
        ("on", False, True),
        ("0", True, False),
        ("false", True, False),
        ("no", True, False),
        ("off", True, False),
        ("maybe", True, False),
    ],
)
def test_env_bool(monkeypatch, value, default, expected):
    if value is None:
        monkeypatch.delenv("GRASSROOTS_FLAG", raising=False)
    else:
        monkeypatch.setenv("GRASSROOTS_FLAG", value)
    assert env_bool("GRASSROOTS_FLAG", default=default) is expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, ["localhost"]),
        ("", ["localhost"]),
        ("grid.example.org", ["grid.example.org"]),
        (" a.example.org, b.example.org ,,", ["a.example.org", "b.example.org"]),
    ],
)
def test_env_list(monkeypatch, value, expected):
    if value is None:
        monkeypatch.delenv("GRASSROOTS_HOSTS", raising=False)
    else:
        monkeypatch.setenv("GRASSROOTS_HOSTS", value)
    assert env_list("GRASSROOTS_HOSTS", default=["localhost"]) == expected


# --- the task queue and the read replica ----------------------------------------------------------------


def test_tasks_queue_in_the_database_unless_told_otherwise():
    tasks, rq_queues = tasks_config({})
    assert tasks == {
        "default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default", "notifications"]}
    }
    assert rq_queues == {}
    assert tasks_config({"GRASSROOTS_TASKS_BACKEND": "database"}) == (tasks, {})


def test_tasks_on_redis_take_the_queue_url_or_the_shared_one():
    tasks, rq_queues = tasks_config(
        {"GRASSROOTS_TASKS_BACKEND": "redis", "GRASSROOTS_REDIS_URL": "redis://cache.internal:6379/0"}
    )
    assert tasks["default"]["BACKEND"] == "django_tasks_rq.RQBackend"
    assert set(rq_queues) == {"default", "notifications"}
    assert rq_queues["notifications"]["URL"] == "redis://cache.internal:6379/0"
    _tasks, own = tasks_config(
        {
            "GRASSROOTS_TASKS_BACKEND": "Redis",
            "GRASSROOTS_REDIS_URL": "redis://cache.internal:6379/0",
            "GRASSROOTS_TASKS_REDIS_URL": "redis://queue.internal:6379/3",
        }
    )
    assert {queue["URL"] for queue in own.values()} == {"redis://queue.internal:6379/3"}


@pytest.mark.parametrize(
    ("environ", "reason"),
    [
        ({"GRASSROOTS_TASKS_BACKEND": "redis"}, "needs GRASSROOTS_TASKS_REDIS_URL"),
        ({"GRASSROOTS_TASKS_BACKEND": "redis", "GRASSROOTS_REDIS_URL": "http://x"}, "redis://"),
        ({"GRASSROOTS_TASKS_BACKEND": "rabbit"}, "database or redis"),
    ],
)
def test_a_wrong_task_backend_stops_the_start_with_the_reason(environ, reason):
    with pytest.raises(ImproperlyConfigured, match=reason):
        tasks_config(environ)


def test_a_dotted_task_backend_is_taken_as_it_is():
    immediate = "django.tasks.backends.immediate.ImmediateBackend"
    assert tasks_config({"GRASSROOTS_TASKS_BACKEND": immediate})[0]["default"]["BACKEND"] == immediate


def test_the_replica_is_postgres_and_mirrors_the_primary_in_tests():
    primary = {"ENGINE": "django.db.backends.postgresql", "CONN_MAX_AGE": 60}
    assert replica_config({}, primary) is None
    config = replica_config({"DATABASE_REPLICA_URL": "postgres://reader@db-replica:5432/district"}, primary)
    assert config["ENGINE"] == "django.db.backends.postgresql" and config["HOST"] == "db-replica"
    assert config["CONN_MAX_AGE"] == 60 and config["TEST"] == {"MIRROR": "default"}
    with pytest.raises(ImproperlyConfigured, match="PostgreSQL"):
        replica_config(
            {"DATABASE_REPLICA_URL": "postgres://db-replica/district"},
            {"ENGINE": "django.db.backends.sqlite3"},
        )
    with pytest.raises(ImproperlyConfigured, match="PostgreSQL"):
        replica_config({"DATABASE_REPLICA_URL": "sqlite:///copy.sqlite3"}, primary)
