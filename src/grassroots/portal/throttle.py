"""The portal's own throttle: counted per IP address in the cache every worker shares.

Failed follow attempts (a wrong case number or wrong phone digits) and anonymous reports are
limited per caller. The address comes from core.audit.client_ip, so behind a trusted proxy each
caller has their own limit; the counters live in Django's default cache (the database or Redis),
so all gunicorn workers see the same count.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.shortcuts import render


@dataclass(frozen=True)
class Limit:
    """At most `attempts` counted events per IP address in a window of `seconds`."""

    name: str
    attempts: int
    seconds: int


def _limit(name: str, attempts: int, seconds: int) -> Limit:
    """The built-in limit, unless settings.GRASSROOTS_PORTAL_LIMITS = {name: (attempts, seconds)}."""
    attempts, seconds = getattr(settings, "GRASSROOTS_PORTAL_LIMITS", {}).get(name, (attempts, seconds))
    return Limit(name, attempts, seconds)


def follow_limit() -> Limit:
    return _limit("follow", 10, 15 * 60)


def task_link_limit() -> Limit:
    """Misses on the one-tap task page (/portal/t/<secret>/): a secret that opens nothing."""
    return _limit("task", 20, 15 * 60)


def report_limit() -> Limit:
    return _limit("report", 5, 60 * 60)


def _keys(limit: Limit, ip: str | None) -> tuple[str, str]:
    base = f"grassroots:portal:{limit.name}:{ip or 'unknown'}"
    return f"{base}:n", f"{base}:t"


def retry_after(limit: Limit, ip: str | None) -> int | None:
    """Seconds until this address may try again, or None when it is under the limit."""
    count_key, start_key = _keys(limit, ip)
    count = cache.get(count_key) or 0
    if count < limit.attempts:
        return None
    started = cache.get(start_key) or time.time()
    return max(1, int(started + limit.seconds - time.time()) + 1)


def count_attempt(limit: Limit, ip: str | None) -> None:
    """Count one event in the address's current window (a fixed window from its first event)."""
    count_key, start_key = _keys(limit, ip)
    cache.add(start_key, time.time(), timeout=limit.seconds)
    cache.add(count_key, 0, timeout=limit.seconds)
    try:
        cache.incr(count_key)
    except ValueError:  # expired between add and incr
        cache.set(count_key, 1, timeout=limit.seconds)


def too_many(request, seconds: int):
    """The page a throttled visitor gets: 429, when to try again, and the Retry-After header."""
    response = render(request, "portal/throttled.html", {"minutes": (seconds + 59) // 60}, status=429)
    response["Retry-After"] = str(seconds)
    return response
