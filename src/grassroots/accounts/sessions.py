"""How long a sign-in lasts (OWASP ASVS V7.3): an idle timeout and an absolute lifetime.

A staff session ends after GRASSROOTS_SESSION_IDLE_MINUTES (30) without a request, a resident's
after GRASSROOTS_RESIDENT_IDLE_MINUTES (a day: they read their own cases on a phone, now and
then); every session ends GRASSROOTS_SESSION_MAX_HOURS (12) after sign-in, whatever happens.
The times are kept in the session itself; the last activity is written at most once a minute,
so that a busy page does not write the session table on every request.
"""

from __future__ import annotations

import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _

from grassroots.accounts.roles import is_resident

SIGNED_IN_AT, LAST_SEEN = "grassroots_signed_in_at", "grassroots_last_seen"
#: Write the last activity at most this often (seconds).
TOUCH_EVERY = 60


def idle_limit(user) -> int:
    """Seconds without a request after which this user's session ends."""
    minutes = (
        settings.GRASSROOTS_RESIDENT_IDLE_MINUTES
        if is_resident(user)
        else settings.GRASSROOTS_SESSION_IDLE_MINUTES
    )
    return int(minutes) * 60


def expired(session, user, now: float) -> bool:
    """Has this signed-in session outlived its idle timeout or its absolute lifetime?"""
    signed_in = session.get(SIGNED_IN_AT)
    last_seen = session.get(LAST_SEEN, signed_in)
    if signed_in is None:
        return False  # a session from before this rule: it starts counting now
    if now - signed_in > settings.GRASSROOTS_SESSION_MAX_HOURS * 3600:
        return True
    return last_seen is not None and now - last_seen > idle_limit(user)


def start(session, now: float | None = None) -> None:
    """Start the clocks at sign-in (accounts.signins), so the first page after it writes nothing."""
    now = time.time() if now is None else now
    session[SIGNED_IN_AT] = now
    session[LAST_SEEN] = now


class SessionLifetimeMiddleware:
    """End a session that is idle too long or too old; a page asks to sign in again, the API says 401."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and hasattr(request, "session"):
            now = time.time()
            session = request.session
            if expired(session, user, now):
                logout(request)
                if not request.path.startswith("/api/"):
                    messages.info(
                        request,
                        _("You were signed out after a while without activity. Please sign in again."),
                    )
                    return redirect(f"{reverse('login')}?next={request.path}")
            else:
                session.setdefault(SIGNED_IN_AT, now)
                if now - session.get(LAST_SEEN, 0) >= TOUCH_EVERY:
                    session[LAST_SEEN] = now
        return self.get_response(request)
