"""How many SQL queries an answer cost, in a response header, for the benchmarks (bench/http.py).

Opt-in only: settings add this middleware when GRASSROOTS_BENCH_HEADERS=1, never by default, so
a production server does not tell every client how its pages query. The count comes from an
execute wrapper (`connection.execute_wrapper`) around the whole request, so it holds every query
the request ran on its thread (the session and the user included), as a benchmark over HTTP
needs; `X-Query-Time` is the milliseconds those queries took as the app saw them, and
`X-Request-CPU` the CPU milliseconds the request's thread spent in Python (on a machine shared with
other work, the part of the wall clock that does not depend on the load).
"""

from __future__ import annotations

import time
from collections.abc import Callable

from django.db import connection
from django.http import HttpRequest, HttpResponse

COUNT_HEADER = "X-Query-Count"
TIME_HEADER = "X-Query-Time"
CPU_HEADER = "X-Request-CPU"


class _Counter:
    """An execute wrapper that counts the statements run through it and the time they took."""

    def __init__(self) -> None:
        self.count = 0
        self.seconds = 0.0

    def __call__(self, execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.count += 1
            self.seconds += time.perf_counter() - started


class QueryCountMiddleware:
    """Add X-Query-Count and X-Query-Time to every answer (first in MIDDLEWARE: it sees them all)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        counter = _Counter()
        cpu = time.thread_time()
        with connection.execute_wrapper(counter):
            response = self.get_response(request)
        response[COUNT_HEADER] = str(counter.count)
        response[TIME_HEADER] = f"{counter.seconds * 1000:.1f}"
        response[CPU_HEADER] = f"{(time.thread_time() - cpu) * 1000:.1f}"
        return response
