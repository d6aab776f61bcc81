"""Request helpers shared by services that write audit rows."""

from __future__ import annotations


def client_ip(request) -> str | None:
    """The caller's address as the app server saw it (proxies set REMOTE_ADDR via gunicorn)."""
    if request is None:
        return None
    return request.META.get("REMOTE_ADDR") or None
