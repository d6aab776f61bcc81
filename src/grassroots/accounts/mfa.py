"""The second factor: a time-based one-time password (TOTP) for everyone who can see sensitive data.

A password alone guards nothing once it leaks, and the accounts that can reveal ID and phone
numbers or read care findings open the data of a whole community. Those accounts (and every
administrator) must enrol an authenticator app (TOTP, RFC 6238, through django-otp) and give a
code at each sign-in; ten single-use recovery codes are shown once at enrolment; an administrator
can reset a lost phone. Volunteers, patrollers, unit contacts and residents sign in with their
password alone.
"""

from __future__ import annotations

from urllib.parse import urlencode

import segno
from django.conf import settings
from django.http import HttpResponse
from django.shortcuts import redirect
from django.urls import Resolver404, resolve, reverse
from django.utils import timezone
from django_otp import devices_for_user, match_token, user_has_device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from grassroots.accounts.roles import user_can

#: What makes an account need a second factor: any of these capabilities, or the admin.
SECOND_FACTOR_CAPABILITIES = (
    "people.person.reveal",
    "people.persontag.view_sensitive",
    "care.careprofile.view_sensitive",
    "cases.case.view_sensitive",
)
RECOVERY_CODES = 10


def needs_second_factor(user) -> bool:
    """Whether this account must give a one-time code after its password (when the setting is on)."""
    if not getattr(settings, "GRASSROOTS_REQUIRE_SECOND_FACTOR", True):
        return False
    if not user.is_authenticated:
        return False
    if user.is_superuser or user.is_staff:
        return True
    return any(user_can(user, capability) for capability in SECOND_FACTOR_CAPABILITIES)


def _typed(code: str) -> str:
    """A code as typed, without the spaces people put in ("123 456")."""
    return code.strip().replace(" ", "")


def next_page_address(name: str, next_page: str) -> str:
    """The address of a code page that goes on to `next_page` afterwards."""
    return f"{reverse(name)}?{urlencode({'next': next_page})}"


def is_enrolled(user) -> bool:
    return user_has_device(user, confirmed=True)


def pending_authenticator(user) -> TOTPDevice:
    """The authenticator being enrolled (unconfirmed until a first code matches), made once."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    return device or TOTPDevice.objects.create(user=user, name="authenticator", confirmed=False)


def qr_svg(device: TOTPDevice) -> str:
    """The otpauth:// address as an inline SVG QR code (made here: no image service sees the secret)."""
    return segno.make(device.config_url, error="m").svg_inline(scale=4, dark="#1f2328", light="#ffffff")


def confirm_authenticator(user, code: str) -> list[str] | None:
    """Confirm the pending authenticator with its first code; the new recovery codes, or None."""
    device = pending_authenticator(user)
    if not device.verify_token(_typed(code)):
        return None
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    return new_recovery_codes(user)


def new_recovery_codes(user) -> list[str]:
    """Ten single-use codes for a lost phone, replacing any earlier ones; shown once."""
    device, _ = StaticDevice.objects.get_or_create(user=user, name="recovery", defaults={"confirmed": True})
    device.token_set.all().delete()
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODES)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    return codes


def seconds_to_wait(user) -> int:
    """After wrong codes django-otp makes each next try wait longer (1, 2, 4... s): how long now."""
    for device in TOTPDevice.objects.filter(user=user):
        allowed, data = device.verify_is_allowed()
        if not allowed and data and data.get("locked_until"):
            return max(1, int((data["locked_until"] - timezone.now()).total_seconds()) + 1)
    return 0


def check_code(user, code: str):
    """The confirmed device the code belongs to (a recovery code is used up), or None."""
    return match_token(user, _typed(code))


def reset_second_factor(user) -> int:
    """An administrator's reset after a lost phone: every device goes; the next sign-in enrols anew."""
    count = 0
    for device in devices_for_user(user, confirmed=None):
        device.delete()
        count += 1
    return count


#: Where an account that still owes its code may go: the code pages, signing out, the language.
_OPEN_TO_THE_UNVERIFIED = ("second-factor", "second-factor-setup", "logout", "set_language")
_OPEN_PREFIXES = ("/static/", "/media/", "/healthz", "/favicon.ico", "/api/", "/open311/")


class SecondFactorMiddleware:
    """Until an account that needs a second factor has given its code, every page asks for it.

    After django_otp's OTPMiddleware (which tells whether this session gave a code). The API and
    Open311 answer tokens and keys, not sessions, and are left to their own authentication.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and not user.is_verified()
            and needs_second_factor(user)
            and not request.path.startswith(_OPEN_PREFIXES)
            and not self._open(request)
        ):
            if request.headers.get("HX-Request"):
                # A piece of a page (the header's badge) answers nothing until the code is given:
                # a redirect would put the whole code page inside the header.
                return HttpResponse(status=204)
            target = "second-factor" if is_enrolled(user) else "second-factor-setup"
            return redirect(next_page_address(target, request.get_full_path()))
        return self.get_response(request)

    @staticmethod
    def _open(request) -> bool:
        try:
            return resolve(request.path_info).url_name in _OPEN_TO_THE_UNVERIFIED
        except Resolver404:
            return True  # a 404 page tells nothing
