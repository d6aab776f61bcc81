"""The record of every sign-in, failure, lockout and sign-out (OWASP ASVS V7, PIPL art. 51).

Django sends `user_logged_in`, `user_logged_out` and `user_login_failed` for the sign-in page, the
admin and the API token endpoint alike (all authenticate through django.contrib.auth); django-axes
sends `user_locked_out` when repeated failures lock an account or an address out. Each becomes one
SignInEvent row. The failed credentials Django passes on are already cleansed: only the username
given is kept, never a password.
"""

from __future__ import annotations

from axes.signals import user_locked_out
from django.conf import settings
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db import transaction
from django.dispatch import receiver
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from grassroots.accounts import sessions
from grassroots.accounts.models import SignInEvent, SignInOutcome
from grassroots.core import audit
from grassroots.core.audit import client_ip

#: How each sign-in outcome reads in the audit trail (core.audit): its kind and outcome there.
_AUDIT = {
    SignInOutcome.SIGNED_IN: (audit.SIGN_IN, audit.OK),
    SignInOutcome.FAILED: (audit.SIGN_IN, audit.FAILED),
    SignInOutcome.LOCKED_OUT: (audit.SIGN_IN, audit.LOCKED_OUT),
    SignInOutcome.SIGNED_OUT: (audit.SIGN_OUT, audit.OK),
}


def record(outcome: str, *, request=None, username: str = "", user=None) -> SignInEvent:
    """Write one row, and its entry in the audit trail; `request` may be None (outside a web request)."""
    typed = (username or getattr(user, "username", "") or "")[:150]
    account = user if getattr(user, "pk", None) else None
    with transaction.atomic():
        event = SignInEvent.objects.create(
            outcome=outcome,
            username=typed,
            user=account,
            ip_address=client_ip(request),
            path=(getattr(request, "path", "") or "")[:200],
        )
        kind, audit_outcome = _AUDIT[outcome]
        audit.record(
            kind,
            outcome=audit_outcome,
            actor=account,
            username=typed,
            request=request,
            subject=account,
            detail={"sign_in_event": event.pk, "username_given": typed},
        )
    return event


@receiver(user_logged_in, dispatch_uid="grassroots-signin-ok")
def _signed_in(sender, request, user, **kwargs) -> None:
    record(SignInOutcome.SIGNED_IN, request=request, user=user)
    if request is not None and hasattr(request, "session"):
        sessions.start(request.session)


@receiver(user_logged_out, dispatch_uid="grassroots-signout")
def _signed_out(sender, request, user, **kwargs) -> None:
    if user is not None:
        record(SignInOutcome.SIGNED_OUT, request=request, user=user)


@receiver(user_login_failed, dispatch_uid="grassroots-signin-failed")
def _failed(sender, credentials, request=None, **kwargs) -> None:
    record(SignInOutcome.FAILED, request=request, username=str(credentials.get("username", "")))


@receiver(user_locked_out, dispatch_uid="grassroots-signin-locked")
def _locked_out(sender, request, username, ip_address, **kwargs) -> None:
    record(SignInOutcome.LOCKED_OUT, request=request, username=username or "")


def lockout_response(request, original_response=None, credentials=None) -> HttpResponse:
    """What a locked-out sign-in gets (AXES_LOCKOUT_CALLABLE): the page, or for the API a JSON reason."""
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    status = settings.AXES_HTTP_RESPONSE_CODE
    if request.path.startswith("/api/"):
        detail = _("Too many failed sign-ins: try again in %(minutes)d minutes.") % {"minutes": minutes}
        return JsonResponse({"detail": detail}, status=status, headers={"Retry-After": str(minutes * 60)})
    context = {"failure_limit": settings.AXES_FAILURE_LIMIT, "minutes": minutes}
    return render(request, "accounts/locked_out.html", context, status=status)
