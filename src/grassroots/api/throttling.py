"""Rate limits on the endpoints anyone can reach: 429 with Retry-After when exceeded.

Token issuance is limited per address (against password guessing), Open311 POST and
inbound messages per integration key (or per address without one). Rates come from
`GRASSROOTS_API_THROTTLE_RATES` (see config/api_settings.py), with the defaults below
when it is not set. Counters live in Django's default cache, shared by every worker and
server (the database cache by default, Redis when configured), so that a limit is global;
addresses come from core.audit.client_ip, as in the audit rows.
"""

from __future__ import annotations

import math

from django.conf import settings
from rest_framework.throttling import SimpleRateThrottle

from grassroots.core.audit import client_ip

DEFAULT_RATES = {
    "token": "10/min",
    "open311_post": "30/min",
    "inbound": "60/min",
}


def rate_for(scope: str) -> str | None:
    rates = {**DEFAULT_RATES, **getattr(settings, "GRASSROOTS_API_THROTTLE_RATES", {})}
    return rates.get(scope)


class _Throttle(SimpleRateThrottle):
    """A named rate read from settings at each request (so tests and operators can change it)."""

    def __init__(self):
        self.rate = rate_for(self.scope)
        self.num_requests, self.duration = self.parse_rate(self.rate)

    def get_ident(self, request) -> str:
        """The address audit rows record (core.audit.client_ip), not DRF's own reading of
        X-Forwarded-For by its NUM_PROXIES, so that one setting says whom to trust."""
        return client_ip(request) or ""

    def ident(self, request, view) -> str:
        return self.get_ident(request)

    def get_cache_key(self, request, view) -> str:
        return self.cache_format % {"scope": self.scope, "ident": self.ident(request, view)}

    def wait(self) -> float:
        """Seconds until the oldest counted request leaves the window (at least one)."""
        remaining = self.duration - (self.now - self.history[-1]) if self.history else self.duration
        return max(1.0, float(math.ceil(remaining)))


class TokenThrottle(_Throttle):
    scope = "token"


class _PerClientThrottle(_Throttle):
    def ident(self, request, view) -> str:
        from grassroots.api.authentication import api_client_of

        client = api_client_of(request) or getattr(request, "api_client", None)
        return f"client-{client.pk}" if client is not None else f"addr-{self.get_ident(request)}"


class Open311PostThrottle(_PerClientThrottle):
    scope = "open311_post"


class InboundThrottle(_PerClientThrottle):
    scope = "inbound"
