"""Whom the app takes a request to come from, and where it counts that caller's attempts.

The story: 和盛苑 runs grassroots behind nginx. A caller at 203.0.113.7 forges an
X-Forwarded-For header naming 198.51.100.66, hoping to be recorded as someone else and to
escape the rate limits. With no trusted proxy configured the header is ignored; with one,
only the entry nginx appended counts. The counters live in a cache that every gunicorn
worker shares (the database, or Redis), so two workers count one caller once.
Everything is synthetic; the addresses are from the documentation ranges.
"""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
import uuid
from pathlib import Path
from urllib.parse import quote

import pytest
import redis
from django.core.cache import cache, caches
from django.core.cache.backends.db import DatabaseCache
from django.core.cache.backends.redis import RedisCache
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.db import connection
from django.test import Client, RequestFactory, override_settings
from django.urls import reverse

from grassroots.api.throttling import TokenThrottle
from grassroots.config.env import CACHE_TABLE, cache_config, env_int
from grassroots.core.audit import client_ip
from grassroots.people.models import PersonalDataAccess
from grassroots.portal import throttle as portal

CALLER = "203.0.113.7"
FORGED = "198.51.100.66"
NGINX = "127.0.0.1"
REDIS_URL = "redis://127.0.0.1:6379/0"
ROOT = Path(__file__).resolve().parent.parent


def request_from(remote: str, forwarded: str | None = None):
    headers = {"HTTP_X_FORWARDED_FOR": forwarded} if forwarded is not None else {}
    return RequestFactory().post("/", REMOTE_ADDR=remote, **headers)


# --- one address for the caller -------------------------------------------------------------------


@override_settings(GRASSROOTS_TRUSTED_PROXIES=0)
def test_without_a_trusted_proxy_a_forged_header_is_ignored():
    assert client_ip(request_from(CALLER, FORGED)) == CALLER
    assert client_ip(request_from(CALLER, f"{FORGED}, 192.0.2.1")) == CALLER
    assert client_ip(request_from(CALLER)) == CALLER


@override_settings(GRASSROOTS_TRUSTED_PROXIES=1)
def test_behind_one_proxy_the_caller_is_the_entry_the_proxy_appended():
    assert client_ip(request_from(NGINX, CALLER)) == CALLER
    assert client_ip(request_from(NGINX, f"{FORGED}, {CALLER}")) == CALLER  # the forged prefix is ignored
    assert client_ip(request_from(NGINX, f"not-an-address, {CALLER}")) == CALLER


@override_settings(GRASSROOTS_TRUSTED_PROXIES=2)
def test_behind_two_proxies_the_caller_is_second_from_the_right():
    assert client_ip(request_from(NGINX, f"{FORGED}, {CALLER}, 10.0.0.5")) == CALLER
    # A request that skipped the outer proxy is taken to come from where it came from.
    assert client_ip(request_from(NGINX, CALLER)) == NGINX


@override_settings(GRASSROOTS_TRUSTED_PROXIES=1)
def test_without_the_header_or_an_address_nothing_is_made_up():
    assert client_ip(request_from(NGINX)) == NGINX  # a health check from the proxy's machine
    assert client_ip(request_from("")) is None
    assert client_ip(request_from("unix:/run/gunicorn.sock")) is None
    assert client_ip(None) is None


def test_the_number_of_proxies_is_a_whole_number(monkeypatch):
    monkeypatch.setenv("GRASSROOTS_TRUSTED_PROXIES", "one")
    with pytest.raises(ImproperlyConfigured, match="whole number"):
        env_int("GRASSROOTS_TRUSTED_PROXIES", default=0)
    monkeypatch.setenv("GRASSROOTS_TRUSTED_PROXIES", "-1")
    with pytest.raises(ImproperlyConfigured, match="negative"):
        env_int("GRASSROOTS_TRUSTED_PROXIES", default=0)
    monkeypatch.setenv("GRASSROOTS_TRUSTED_PROXIES", " 2 ")
    assert env_int("GRASSROOTS_TRUSTED_PROXIES", default=0) == 2


@pytest.mark.parametrize(("proxies", "remote", "recorded"), [(0, CALLER, CALLER), (1, NGINX, CALLER)])
def test_the_audit_row_of_a_revealed_phone_names_the_caller(
    socialworker, granny_wang, proxies, remote, recorded
):
    browser = Client()
    browser.force_login(socialworker)
    with override_settings(GRASSROOTS_TRUSTED_PROXIES=proxies):
        response = browser.post(
            reverse("person-reveal", args=[granny_wang.pk]),
            {"field": "phone", "purpose": "回访确认"},
            REMOTE_ADDR=remote,
            HTTP_X_FORWARDED_FOR=f"{FORGED}, {CALLER}" if proxies else FORGED,
        )
    assert response.status_code == 200 and "13812345678" in response.content.decode()
    assert PersonalDataAccess.objects.get().ip_address == recorded


@pytest.mark.parametrize(("proxies", "remote"), [(0, CALLER), (1, NGINX)])
def test_the_throttles_count_by_the_same_address(proxies, remote):
    forged = request_from(remote, f"{FORGED}, {CALLER}" if proxies else FORGED)
    with override_settings(GRASSROOTS_TRUSTED_PROXIES=proxies):
        assert TokenThrottle().get_cache_key(forged, None) == f"throttle_token_{CALLER}"
        assert TokenThrottle().get_ident(forged) == client_ip(forged) == CALLER


def test_rotating_a_forged_header_does_not_escape_the_token_limit(socialworker, settings):
    settings.GRASSROOTS_API_THROTTLE_RATES = {"token": "2/min"}
    settings.GRASSROOTS_TRUSTED_PROXIES = 0
    browser = Client()

    def issue(forged: str):
        return browser.post(
            "/api/v1/auth/token/",
            json.dumps({"username": "socialworker", "password": "wrong"}),
            content_type="application/json",
            REMOTE_ADDR=CALLER,
            HTTP_X_FORWARDED_FOR=forged,
        )

    assert [issue(f"198.51.100.{n}").status_code for n in range(3)] == [400, 400, 429]


def test_behind_a_proxy_each_caller_has_their_own_portal_limit(db, settings):
    settings.GRASSROOTS_TRUSTED_PROXIES = 1
    settings.GRASSROOTS_PORTAL_LIMITS = {"follow": (2, 900)}
    browser = Client(HTTP_ACCEPT_LANGUAGE="en")

    def follow(caller: str, forged: str = FORGED):
        return browser.post(
            reverse("portal-follow"),
            {"number": "HSY-19990101-0001", "digits": "0000"},
            REMOTE_ADDR=NGINX,
            HTTP_X_FORWARDED_FOR=f"{forged}, {caller}",
        )

    assert [follow(CALLER, forged=f"198.51.100.{n}").status_code for n in range(3)] == [200, 200, 429]
    assert follow("203.0.113.8").status_code == 200  # a neighbour behind the same proxy is not blocked


# --- counters every worker shares --------------------------------------------------------------


def test_the_default_cache_is_the_database_redis_when_a_url_names_one(tmp_path):
    assert cache_config({}) == {
        "BACKEND": "django.core.cache.backends.db.DatabaseCache",
        "LOCATION": CACHE_TABLE,
        "OPTIONS": {"MAX_ENTRIES": 10_000},
    }
    redis_cache = cache_config({"GRASSROOTS_REDIS_URL": REDIS_URL, "GRASSROOTS_CACHE_DIR": str(tmp_path)})
    assert redis_cache["BACKEND"] == "django.core.cache.backends.redis.RedisCache"
    assert redis_cache["LOCATION"] == REDIS_URL
    own = cache_config({"GRASSROOTS_REDIS_URL": REDIS_URL, "GRASSROOTS_CACHE_URL": "redis://cache:6379/2"})
    assert own["LOCATION"] == "redis://cache:6379/2"
    assert cache_config({"GRASSROOTS_CACHE_DIR": str(tmp_path)})["LOCATION"] == str(tmp_path)
    with pytest.raises(ImproperlyConfigured, match="GRASSROOTS_CACHE_URL"):
        cache_config({"GRASSROOTS_CACHE_URL": "memcached://127.0.0.1:11211"})


@pytest.mark.django_db(transaction=True)
def test_migrations_create_the_cache_table_and_creating_it_again_is_harmless():
    migration = importlib.import_module("grassroots.core.migrations.0001_cache_table")
    call_command("migrate", "core", "zero", verbosity=0)
    assert CACHE_TABLE not in connection.introspection.table_names()
    call_command("migrate", "core", verbosity=0)
    assert CACHE_TABLE in connection.introspection.table_names()
    with connection.schema_editor() as editor:
        migration.create_cache_table(None, editor)
    cache.set("still-works", 1)
    assert cache.get("still-works") == 1


#: Another gunicorn worker: its own process, the same settings, the same database or Redis.
#: It asks the token throttle twice and counts one failed portal attempt, then says what it saw.
OTHER_WORKER = """
import json, sys
import django
django.setup()
from django.conf import settings
from django.test import RequestFactory
from grassroots.api.throttling import TokenThrottle
from grassroots.portal import throttle as portal

caller = sys.argv[1]
settings.GRASSROOTS_PORTAL_LIMITS = {"follow": (2, 900)}
request = RequestFactory().post("/", REMOTE_ADDR=caller)
allowed = [TokenThrottle().allow_request(request, None) for _ in range(2)]
portal.count_attempt(portal.follow_limit(), caller)
print(json.dumps({"allowed": allowed, "portal_wait": portal.retry_after(portal.follow_limit(), caller)}))
"""


def other_worker(caller: str, **environ: str) -> dict:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "grassroots.config.settings",
        "GRASSROOTS_API_RATE_TOKEN": "3/min",
        **environ,
    }
    for name in ("GRASSROOTS_CACHE_URL", "GRASSROOTS_REDIS_URL", "GRASSROOTS_CACHE_DIR"):
        if name not in environ:
            env.pop(name, None)
    done = subprocess.run(  # noqa: S603 (our own interpreter and script)
        [sys.executable, "-c", OTHER_WORKER, caller],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def this_worker_counts(caller: str) -> tuple[list[bool], int | None]:
    """This process asks the throttle twice and counts one failed portal attempt."""
    request = request_from(caller)
    allowed = [TokenThrottle().allow_request(request, None) for _ in range(2)]
    portal.count_attempt(portal.follow_limit(), caller)
    return allowed, portal.retry_after(portal.follow_limit(), caller)


def database_url_for_another_process() -> str:
    """The test database, as DATABASE_URL would name it to another process."""
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    credentials = quote(db["USER"] or "", safe="")
    if db["PASSWORD"]:
        credentials += ":" + quote(db["PASSWORD"], safe="")
    return f"postgres://{credentials}@{db['HOST'] or ''}:{db['PORT'] or 5432}/{db['NAME']}"


def assert_counted_once(caller: str, **environ: str) -> None:
    allowed, wait = this_worker_counts(caller)
    assert allowed == [True, True] and wait is None
    other = other_worker(caller, **environ)
    assert other["allowed"] == [True, False], "the other worker did not see this one's requests"
    assert other["portal_wait"] is not None, "the other worker did not see this one's failed attempt"
    assert not TokenThrottle().allow_request(request_from(caller), None), "this worker missed the other's"
    assert portal.retry_after(portal.follow_limit(), caller) is not None


@pytest.mark.django_db(transaction=True)
def test_two_workers_count_once_in_the_database(settings):
    """The default cache: this process and another one, each with its own database connection."""
    settings.GRASSROOTS_API_THROTTLE_RATES = {"token": "3/min"}
    settings.GRASSROOTS_PORTAL_LIMITS = {"follow": (2, 900)}
    with override_settings(CACHES={"default": cache_config({})}):
        assert isinstance(caches["default"], DatabaseCache)
        assert_counted_once(CALLER, DATABASE_URL=database_url_for_another_process())


def test_two_workers_count_once_in_redis(settings):
    """GRASSROOTS_REDIS_URL set: the real server, which every machine of the project runs."""
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except redis.ConnectionError:
        pytest.fail(f"Redis does not answer at {REDIS_URL}: start it (see .ci/run) to test the shared cache")
    settings.GRASSROOTS_API_THROTTLE_RATES = {"token": "3/min"}
    settings.GRASSROOTS_PORTAL_LIMITS = {"follow": (2, 900)}
    caller = f"2001:db8::{uuid.uuid4().hex[:4]}:{uuid.uuid4().hex[:4]}"  # keys no other run shares
    with override_settings(CACHES={"default": cache_config({"GRASSROOTS_REDIS_URL": REDIS_URL})}):
        assert isinstance(caches["default"], RedisCache)
        try:
            assert_counted_once(caller, GRASSROOTS_REDIS_URL=REDIS_URL)
        finally:
            # Only our keys: clear() would empty the whole Redis database, other programs' keys too.
            cache.delete_many([f"throttle_token_{caller}", *portal._keys(portal.follow_limit(), caller)])
