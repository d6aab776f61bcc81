"""Reads on a streaming replica, for the pages that only read a lot (DATABASE_REPLICA_URL).

The rule, stated once: **a read goes to the replica only when all of these hold**, and to
the primary otherwise:

1. a replica is configured (the "replica" database, from DATABASE_REPLICA_URL);
2. the code asked for it: the view is marked `@replica_reads` (the search, the case list, the
   dashboard), or the code runs inside `with reading_replica():` (a report outside a request);
3. the caller has not written moments ago: a request with an unsafe method (a POST, ...) pins
   the browser to the primary for GRASSROOTS_REPLICA_PIN_SECONDS (a short cookie), so the page
   after a POST-redirect, and the few after it, show what was just saved however far the
   replica lags;
4. this request has not written yet (any write through the ORM turns the rest of it to the primary);
5. no transaction is open on the primary (an `atomic` block, hence every select_for_update:
   what is read there decides what is written);
6. the table is not the sessions' (a sign-in is read where it was written).

Writes always go to the primary. A replica lags by milliseconds when healthy; a page on it may
miss someone else's change of the last moments, never the reader's own.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.http import HttpRequest, HttpResponse

REPLICA = "replica"
#: The cookie that pins a browser to the primary for a few seconds after it wrote.
PIN_COOKIE = "grassroots_primary"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
ALWAYS_PRIMARY = frozenset({"sessions"})


@dataclass
class Reading:
    """What decides this request's (or block's) reads: see the module's rule."""

    replica: bool = False  # the view or block asked for the replica
    pinned: bool = False  # the caller wrote moments ago
    wrote: bool = False  # this request has written


_reading: ContextVar[Reading | None] = ContextVar("grassroots_replica_reading", default=None)


def configured() -> bool:
    return REPLICA in settings.DATABASES


def replica_reads(view: Callable) -> Callable:
    """Mark a read-heavy view: its reads may go to the replica (ReplicaMiddleware applies it)."""
    view.replica_reads = True
    return view


@contextmanager
def reading_replica() -> Iterator[None]:
    """Reads inside the block may go to the replica (for code outside a request: a report, a benchmark)."""
    token = _reading.set(Reading(replica=True))
    try:
        yield
    finally:
        _reading.reset(token)


def read_alias(model=None) -> str:
    """The database a read of `model` goes to now, by the module's rule."""
    reading = _reading.get()
    if reading is None or not reading.replica or reading.pinned or reading.wrote or not configured():
        return DEFAULT_DB_ALIAS
    if model is not None and model._meta.app_label in ALWAYS_PRIMARY:
        return DEFAULT_DB_ALIAS
    if connections[DEFAULT_DB_ALIAS].in_atomic_block:
        return DEFAULT_DB_ALIAS
    return REPLICA


class ReplicaRouter:
    """Django's database router for the rule above; without a replica it always answers the primary."""

    def db_for_read(self, model, **hints) -> str:
        return read_alias(model)

    def db_for_write(self, model, **hints) -> str:
        reading = _reading.get()
        if reading is not None:
            reading.wrote = True
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints) -> bool:
        return True  # one database, two copies of it

    def allow_migrate(self, db, app_label, **hints) -> bool | None:
        return False if db == REPLICA else None  # a standby is read-only: it gets the schema by streaming


class ReplicaMiddleware:
    """Holds the request's Reading, turns it to the replica for marked views, pins after a write."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = _reading.set(Reading(pinned=PIN_COOKIE in request.COOKIES))
        try:
            response = self.get_response(request)  # the template is rendered inside, on the same Reading
        finally:
            _reading.reset(token)
        if request.method not in SAFE_METHODS and configured():
            response.set_cookie(
                PIN_COOKIE,
                "1",
                max_age=settings.GRASSROOTS_REPLICA_PIN_SECONDS,
                httponly=True,
                samesite="Lax",
                secure=settings.SESSION_COOKIE_SECURE,
            )
        return response

    def process_view(self, request, view_func, view_args, view_kwargs) -> None:
        reading = _reading.get()
        if reading is not None and getattr(view_func, "replica_reads", False):
            reading.replica = True
