"""Sign-in and the home page, which shows each role what it works on first."""

from __future__ import annotations

from base64 import b32encode

from django.db.models import Q
from django.shortcuts import redirect, render, resolve_url
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_post_parameters
from django_otp import login as otp_login

from grassroots.accounts import mfa
from grassroots.accounts.home_panels import home_panels_for
from grassroots.accounts.roles import is_eyes, is_hands, is_legs, is_mouth, is_resident, searches_people
from grassroots.core import audit
from grassroots.orgs.models import MemberUnit, PartyMember, Volunteer, VolunteerTeam
from grassroots.people.models import Person
from grassroots.places.models import Household
from grassroots.places.selectors import grid_summaries

#: The home page of each kind of user, first match wins; anyone else gets the legs' overview.
HOME_TEMPLATES = (
    (is_legs, "accounts/home_legs.html"),
    (is_mouth, "accounts/home_mouth.html"),
    (is_hands, "accounts/home_hands.html"),
    (is_eyes, "accounts/home_eyes.html"),
    (is_resident, "accounts/home_resident.html"),
)


def home(request):
    """One page per role: the figures for the legs, the search for the mouth, and so on."""
    user = request.user
    template = next((name for test, name in HOME_TEMPLATES if test(user)), "accounts/home_legs.html")
    return render(request, template, _home_context(user))


def _home_context(user) -> dict:
    context: dict = {"grids": grid_summaries(user), "panels": home_panels_for(user=user)}
    if searches_people(user):
        context["figures"] = _figures(user)
    if is_resident(user) and user.person_id:
        context["household"] = (
            Household.objects.visible_to(user).filter(id=user.person.current_household_id).first()
        )
    if is_hands(user):
        context["volunteer"] = (
            Volunteer.objects.filter(person_id=user.person_id).prefetch_related("teams").first()
        )
        context["unit"] = user.member_unit
    return context


def _figures(user) -> dict[str, int]:
    """The community at a glance, counted inside the user's scope."""
    people = Person.objects.visible_to(user)
    return {
        "households": Household.objects.visible_to(user).count(),
        "residents": people.filter(current_household__isnull=False).count(),
        "special": people.filter(current_household__isnull=False, tags__isnull=False).distinct().count(),
        "party_members": PartyMember.objects.visible_to(user).count(),
        "volunteers": Volunteer.objects.visible_to(user).filter(active=True).count(),
        "teams": VolunteerTeam.objects.visible_to(user).count(),
        "units": MemberUnit.objects.visible_to(user).count(),
        "elderly": people.filter(
            Q(current_household__isnull=False), Q(birth_date__lte=_years_ago(60))
        ).count(),
    }


def _years_ago(years: int):
    from django.utils import timezone

    today = timezone.localdate()
    try:
        return today.replace(year=today.year - years)
    except ValueError:  # 29 February
        return today.replace(year=today.year - years, day=28)


# --- the second factor ----------------------------------------------------------------------------


def _next_page(request) -> str:
    """Where the person was going, if it is a page of this site (never an address elsewhere)."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return resolve_url("home")


def _wait_message(seconds: int) -> str:
    return _("Too many wrong codes: wait %(n)s seconds, then try again.") % {"n": seconds}


def second_factor_setup(request):
    """Enrol an authenticator app: scan the code, type the first code it shows, keep the recovery codes."""
    if not mfa.needs_second_factor(request.user) and not mfa.is_enrolled(request.user):
        return redirect("home")
    if mfa.is_enrolled(request.user) and not request.user.is_verified():
        return redirect(mfa.next_page_address("second-factor", _next_page(request)))
    device = mfa.pending_authenticator(request.user)
    error, codes = "", None
    if request.method == "POST":
        wait = mfa.seconds_to_wait(request.user)
        codes = None if wait else mfa.confirm_authenticator(request.user, request.POST.get("code", ""))
        if wait:
            error = _wait_message(wait)
        elif codes is None:
            error = _("That code does not match. Type the six digits the app shows now.")
        else:
            device.refresh_from_db()
            otp_login(request, device)
            audit.record(audit.SECOND_FACTOR_ENROLLED, request=request, subject=request.user)
    context = {
        "qr": mfa.qr_svg(device),
        "secret": b32encode(device.bin_key).decode(),
        "error": error,
        "codes": codes,
        "next": _next_page(request),
    }
    return render(request, "accounts/second_factor_setup.html", context, status=422 if error else 200)


@sensitive_post_parameters("code")
def second_factor(request):
    """After the password: the one-time code from the authenticator app, or a recovery code."""
    if not mfa.is_enrolled(request.user):
        return redirect("second-factor-setup")
    error = ""
    wait = mfa.seconds_to_wait(request.user) if request.method == "POST" else 0
    if wait:
        error = _wait_message(wait)
    elif request.method == "POST":
        device = mfa.check_code(request.user, request.POST.get("code", ""))
        if device is not None:
            otp_login(request, device)
            audit.record(audit.SECOND_FACTOR, request=request, subject=request.user)
            return redirect(_next_page(request))
        audit.record(audit.SECOND_FACTOR, outcome=audit.FAILED, request=request, subject=request.user)
        error = _("That code does not match, or was used already. Try the code the app shows now.")
    context = {"error": error, "next": _next_page(request)}
    return render(request, "accounts/second_factor.html", context, status=422 if error else 200)
