"""Small helpers to read settings from the environment."""

from __future__ import annotations

import base64
import json
import os
import secrets
from collections.abc import Mapping
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

#: The database cache's table, created by core's migration (so `grassroots migrate` is enough).
CACHE_TABLE = "grassroots_cache"


def env_bool(name: str, *, default: bool) -> bool:
    """Read a yes/no variable; anything but the usual "true" spellings is false."""
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def production() -> bool:
    """A real installation: neither debug (GRASSROOTS_DEBUG) nor the demo (GRASSROOTS_DEMO).

    Production is the default, so that an installation nobody tuned is served the strict way
    (HTTPS only, secure cookies, real e-mail); the demo and a developer's debug server run over
    plain http on their own machine.
    """
    return not env_bool("GRASSROOTS_DEBUG", default=False) and not env_bool("GRASSROOTS_DEMO", default=False)


def env_list(name: str, *, default: list[str]) -> list[str]:
    """Read a comma-separated list, ignoring blanks."""
    value = os.environ.get(name)
    if not value:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


def env_days_by_kind(name: str) -> dict[str, int]:
    """ "kind=days,kind=days" as a dict; a malformed pair stops the start with its name."""
    pairs = {}
    for item in env_list(name, default=[]):
        kind, _sep, days = item.partition("=")
        if not days.strip().isdigit():
            raise ImproperlyConfigured(f"{name}: {item!r} is not kind=days (for example messages=180).")
        pairs[kind.strip()] = int(days)
    return pairs


def env_json(name: str) -> dict:
    """A JSON object from the environment ({} when unset); anything else stops the start with the reason."""
    text = os.environ.get(name, "").strip()
    if not text:
        return {}
    try:
        value = json.loads(text)
    except ValueError as error:
        raise ImproperlyConfigured(f"{name} is not valid JSON: {error}") from None
    if not isinstance(value, dict):
        raise ImproperlyConfigured(f"{name} must be a JSON object")
    return value


def env_int(name: str, *, default: int) -> int:
    """Read a whole number of at least 0; a typo stops the start-up instead of meaning 0."""
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    try:
        number = int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {value!r}") from None
    if number < 0:
        raise ImproperlyConfigured(f"{name} must not be negative")
    return number


def cache_config(environ: Mapping[str, str]) -> dict:
    """The default cache: Redis when a URL names one, a shared folder, or else the database.

    Rate-limit counters live there, so it must be one store for all workers and servers; the
    per-process memory cache (Django's default) is never used. The database cache keeps up to
    MAX_ENTRIES keys before it culls a third of them; the limit is raised from 300 so that a
    crowd of addresses cannot push live counters out. A Redis server may be shared with other
    programs: the key prefix keeps our keys apart (but `cache.clear()` empties its whole database
    number, the task queue's too when it shares it: give the cache a number of its own).
    """
    found = redis_url(environ, "GRASSROOTS_CACHE_URL")
    if found:
        _name, url = found
        return {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": url,
            "KEY_PREFIX": "grassroots",
        }
    if environ.get("GRASSROOTS_CACHE_DIR"):
        return {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": environ["GRASSROOTS_CACHE_DIR"],
        }
    return {
        "BACKEND": "django.core.cache.backends.db.DatabaseCache",
        "LOCATION": CACHE_TABLE,
        "OPTIONS": {"MAX_ENTRIES": 10_000},
    }


#: The task queues every backend must serve: "notifications" (deliveries) and "default" (the rest).
TASK_QUEUES = ["default", "notifications"]
#: GRASSROOTS_TASKS_BACKEND's short names; any other value is a backend's dotted path (tests use
#: Django's immediate backend).
TASK_BACKENDS = {"database": "django_tasks_db.DatabaseBackend", "redis": "django_tasks_rq.RQBackend"}


def redis_url(environ: Mapping[str, str], *names: str) -> tuple[str, str] | None:
    """The first of the named variables that is set (falling back to GRASSROOTS_REDIS_URL), checked.

    One Redis server may hold the cache and the queue; a variable of their own lets a
    deployment give each a database number (or a server) of its own.
    """
    for name in (*names, "GRASSROOTS_REDIS_URL"):
        url = environ.get(name, "").strip()
        if url:
            if not url.startswith(("redis://", "rediss://", "unix://")):
                raise ImproperlyConfigured(f"{name} must be a redis://, rediss:// or unix:// URL")
            return name, url
    return None


def tasks_config(environ: Mapping[str, str]) -> tuple[dict, dict]:
    """TASKS and django-rq's RQ_QUEUES: the database queue unless GRASSROOTS_TASKS_BACKEND says otherwise.

    "database" (the default) queues in the database (django-tasks-db), which needs nothing
    more and survives what the database survives. "redis" queues in Redis through
    django-tasks-rq (RQ), for a deployment whose workers should not poll the database:
    GRASSROOTS_TASKS_REDIS_URL (or GRASSROOTS_REDIS_URL) names the server. `grassroots worker`
    runs either.
    """
    choice = environ.get("GRASSROOTS_TASKS_BACKEND", "").strip() or "database"
    backend = TASK_BACKENDS.get(choice.lower(), choice)
    if "." not in backend:
        raise ImproperlyConfigured(
            f"GRASSROOTS_TASKS_BACKEND must be {' or '.join(TASK_BACKENDS)} or a dotted path, not {choice!r}"
        )
    rq_queues: dict = {}
    if backend == TASK_BACKENDS["redis"]:
        found = redis_url(environ, "GRASSROOTS_TASKS_REDIS_URL")
        if found is None:
            raise ImproperlyConfigured(
                "GRASSROOTS_TASKS_BACKEND=redis needs GRASSROOTS_TASKS_REDIS_URL or GRASSROOTS_REDIS_URL"
            )
        rq_queues = rq_queues_for(found[1])
    return {"default": {"BACKEND": backend, "QUEUES": list(TASK_QUEUES)}}, rq_queues


def rq_queues_for(url: str) -> dict:
    """django-rq's RQ_QUEUES for our queues on one Redis database (a task's run is capped at 5 minutes)."""
    return {name: {"URL": url, "DEFAULT_TIMEOUT": 300} for name in TASK_QUEUES}


def replica_config(environ: Mapping[str, str], primary: dict) -> dict | None:
    """The "replica" database from DATABASE_REPLICA_URL: a streaming replica of the primary, or None.

    It must be PostgreSQL like the primary (a SQLite file has no replica). Its test database is the
    primary's own (MIRROR): a standby cannot create one, and it receives the primary's by streaming.
    """
    url = environ.get("DATABASE_REPLICA_URL", "").strip()
    if not url:
        return None
    import dj_database_url

    config = dj_database_url.parse(url, conn_max_age=primary.get("CONN_MAX_AGE", 0))
    engine = "django.db.backends.postgresql"
    if config["ENGINE"] != engine or primary["ENGINE"] != engine:
        raise ImproperlyConfigured(
            "DATABASE_REPLICA_URL needs PostgreSQL, for the replica and in DATABASE_URL"
        )
    config["TEST"] = {"MIRROR": "default"}
    return config


def var_dir() -> Path:
    """The folder for the SQLite file, generated keys, uploads and collected static files."""
    path = Path(os.environ.get("GRASSROOTS_VAR_DIR", Path.cwd() / "var")).resolve()
    path.mkdir(parents=True, exist_ok=True)
    return path


#: The files persistent_secret created in this process (a missing data key is then noticed, see core.keys).
GENERATED_SECRETS: set[str] = set()


def persistent_secret(filename: str) -> str:
    """Return a random key kept in ./var/, creating it (mode 0600) on first use.

    This is what lets `grassroots demo` run with nothing configured while keeping
    sessions and encrypted columns readable across restarts. Production deployments
    set GRASSROOTS_SECRET_KEY and GRASSROOTS_DATA_KEY instead and back them up.
    """
    path = var_dir() / filename
    if path.exists():
        return path.read_text().strip()
    key = base64.urlsafe_b64encode(secrets.token_bytes(48)).decode()
    draft = path.with_name(f".{filename}.{os.getpid()}")
    fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(key)
    try:
        os.link(draft, path)  # atomic: the first process to get here wins
        GENERATED_SECRETS.add(filename)
    except FileExistsError:
        pass
    finally:
        draft.unlink()
    return path.read_text().strip()
