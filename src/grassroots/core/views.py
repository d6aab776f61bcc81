"""Views every deployment needs regardless of role: the health check."""

from __future__ import annotations

from django.contrib.auth.decorators import login_not_required
from django.db import DatabaseError, connection
from django.http import HttpResponsePermanentRedirect, JsonResponse
from django.templatetags.static import static
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from grassroots.core.keys import check_data_key


@login_not_required
@never_cache
@require_GET
def healthz(request):
    """200 when the app can query its database with the right data key, 503 and why when not.

    For load balancers and for the operator: a server whose data key cannot read the personal
    data is not healthy, however well the database answers.
    """
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        key = check_data_key()
    except DatabaseError:
        return JsonResponse({"status": "error", "database": "unavailable"}, status=503)
    if not key.ok:
        return JsonResponse(
            {"status": "error", "database": connection.vendor, "data_key": "mismatch", "reason": key.reason},
            status=503,
        )
    return JsonResponse({"status": "ok", "database": connection.vendor, "data_key": "ok"})


@login_not_required
def favicon(request):
    """Browsers ask /favicon.ico of every site: answer with the vendored icon, not a 404."""
    return HttpResponsePermanentRedirect(static("grassroots/favicon.svg"))
