"""Request helpers shared by services that write audit rows."""

from __future__ import annotations

from django.conf import settings
from ipware import get_client_ip


def client_ip(request) -> str | None:
    """The caller's address: the one audit rows record and every rate limit counts by.

    One function, so that a personal-data access row, a care access row and the throttles
    name the same caller. Behind GRASSROOTS_TRUSTED_PROXIES reverse proxies, each proxy
    appends the address it heard from to X-Forwarded-For, so the caller is the n-th entry
    from the right; anything further left was written by the caller and is ignored. With no
    trusted proxy (the default) the header is ignored altogether, since any client can send
    it, and the connection's address (REMOTE_ADDR) is the caller. A request that did not
    pass every proxy (no header, or fewer entries than proxies) counts as coming from the
    address it came from. Addresses are parsed by django-ipware, which drops malformed ones
    (None then), so an audit row never stores a value that is not an address.
    """
    if request is None:
        return None
    proxies = int(getattr(settings, "GRASSROOTS_TRUSTED_PROXIES", 0) or 0)
    if proxies > 0:
        forwarded, _routable = get_client_ip(
            request,
            proxy_count=proxies - 1,  # ipware counts the proxies listed in the header, not the last
            request_header_order=["HTTP_X_FORWARDED_FOR"],
            strict=False,  # a longer header than expected is a forged prefix, not a reason to give up
        )
        if forwarded:
            return forwarded
    remote, _routable = get_client_ip(request, request_header_order=["REMOTE_ADDR"])
    return remote
