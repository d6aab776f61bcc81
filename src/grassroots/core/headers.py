"""Response headers that keep personal data out of caches.

Nearly every answer of grassroots names a resident: a case, a phone number masked or not, a
care finding, an API list. A browser's back-forward and disk caches, a shared computer at the
community office or a caching proxy would keep such a page after its reader signed out, so
every answer the app itself makes says `Cache-Control: no-store`. Static files never get here
(WhiteNoise answers them earlier, with their long caching); a view that wants caching sets
Cache-Control itself (a case photo: private, an hour) and is left alone.

The Content-Security-Policy comes from Django's own middleware (settings.SECURE_CSP).
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

NO_STORE = "no-store"


class NoStoreMiddleware:
    """Add `Cache-Control: no-store` to every answer that does not say how to cache itself."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if not response.has_header("Cache-Control"):
            response["Cache-Control"] = NO_STORE
        return response
