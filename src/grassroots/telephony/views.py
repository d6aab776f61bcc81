"""The phone desk's pages: the screen pop (stream and polling fallback), duty, the call-backs.

The screen pop is pushed with server-sent events. gunicorn runs gthread workers, so an open
stream holds one thread: `telephony_stream` is short-lived (it ends after STREAM_SECONDS and the
browser's EventSource reconnects after `retry` milliseconds), it sends the panel only when the
call on screen changes, and between ticks it only reads one small indexed row. When EventSource
fails or is missing, the page falls back to polling `telephony_panel` every two seconds (htmx).
"""

from __future__ import annotations

import time

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from grassroots.accounts.roles import user_can
from grassroots.telephony import selectors, services
from grassroots.telephony.desk import render_panel

#: How often the stream looks at the call row: a ringing call shows within a second.
TICK_SECONDS = 0.4
#: A comment line this often keeps proxies from closing a quiet stream.
KEEPALIVE_SECONDS = 10


def _require_desk(user) -> None:
    if not user_can(user, "telephony.line.take"):
        raise Http404


@never_cache
@require_GET
def telephony_panel(request):
    """The panel of the call on screen (or nothing): the polling fallback, every two seconds."""
    _require_desk(request.user)
    return HttpResponse(render_panel(request))


def sse_event(name: str, data: str, *, retry_ms: int | None = None) -> str:
    """One server-sent event: every line of the data as its own `data:` line."""
    lines = [f"retry: {retry_ms}"] if retry_ms is not None else []
    lines.append(f"event: {name}")
    lines += [f"data: {line}" for line in (data.splitlines() or [""])]
    return "\n".join(lines) + "\n\n"


def _stream(request, *, seconds: float, retry_ms: int):
    """The panel now, then again each time the call on screen changes, for `seconds` at most."""
    language = translation.get_language()
    with translation.override(language):
        state = selectors.call_state_for(user=request.user)
        yield sse_event("pop", render_panel(request), retry_ms=retry_ms)
        ends = time.monotonic() + seconds
        quiet_since = time.monotonic()
        while time.monotonic() < ends:
            time.sleep(TICK_SECONDS)
            now_state = selectors.call_state_for(user=request.user)
            if now_state != state:
                state = now_state
                quiet_since = time.monotonic()
                yield sse_event("pop", render_panel(request))
            elif time.monotonic() - quiet_since > KEEPALIVE_SECONDS:
                quiet_since = time.monotonic()
                yield ": still here\n\n"
        yield sse_event("bye", "")  # the browser reconnects after `retry`


@never_cache
@require_GET
def telephony_stream(request):
    """Server-sent events: the screen pop of the worker's lines (see the module docstring)."""
    _require_desk(request.user)
    seconds = float(getattr(settings, "GRASSROOTS_SCREENPOP_STREAM_SECONDS", 25))
    retry_ms = int(getattr(settings, "GRASSROOTS_SCREENPOP_RETRY_MS", 1000))
    response = StreamingHttpResponse(
        _stream(request, seconds=seconds, retry_ms=retry_ms), content_type="text/event-stream"
    )
    response["X-Accel-Buffering"] = "no"  # nginx: pass each event on at once
    return response


def _back(request):
    return redirect("case-intake")


@require_POST
def line_sign_on(request, pk: int):
    """Sign on to a line from the intake screen: its calls now pop here."""
    try:
        services.line_sign_on(actor=request.user, line_id=pk)
    except PermissionDenied:
        raise Http404 from None
    messages.success(request, _("You are on duty for the line: its calls will show here."))
    return _back(request)


@require_POST
def line_sign_off(request, pk: int):
    try:
        services.line_sign_off(actor=request.user, line_id=pk)
    except PermissionDenied:
        raise Http404 from None
    messages.info(request, _("You are off duty for the line."))
    return _back(request)


@require_GET
def callback_list(request):
    """Missed calls: those of high-risk residents to call back first, then every missed call."""
    if not user_can(request.user, "telephony.call.view"):
        raise Http404
    context = {
        **selectors.callbacks_for(user=request.user),
        "may_call_back": user_can(request.user, "telephony.call.call_back"),
    }
    return render(request, "telephony/callbacks.html", context)


@require_POST
def call_called_back(request, pk: int):
    """ "Called back": the call-back task of a missed call is done."""
    try:
        services.call_called_back(actor=request.user, call_id=pk)
    except PermissionDenied:
        raise Http404 from None
    messages.success(request, _("The call-back is recorded."))
    return redirect("telephony-callbacks")
