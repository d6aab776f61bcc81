"""Sign-in and the home page, which shows each role what it works on first."""

from __future__ import annotations

from django.db.models import Q
from django.shortcuts import render

from grassroots.accounts.models import Role
from grassroots.accounts.roles import user_can
from grassroots.orgs.models import MemberUnit, PartyMember, Volunteer, VolunteerTeam
from grassroots.people.models import Person
from grassroots.places.models import Household
from grassroots.places.selectors import grid_summaries

HOME_TEMPLATES = {
    Role.SECRETARY: "accounts/home_legs.html",
    Role.STREET: "accounts/home_legs.html",
    Role.ADMIN: "accounts/home_legs.html",
    Role.SOCIAL_WORKER: "accounts/home_mouth.html",
    Role.GRID_WORKER: "accounts/home_mouth.html",
    Role.VOLUNTEER: "accounts/home_hands.html",
    Role.UNIT_CONTACT: "accounts/home_hands.html",
    Role.PATROLLER: "accounts/home_eyes.html",
    Role.RESIDENT: "accounts/home_resident.html",
}


def home(request):
    """One page per role: the figures for the legs, the search for the mouth, and so on."""
    user = request.user
    template = HOME_TEMPLATES.get(user.role, "accounts/home_legs.html")
    return render(request, template, _home_context(user))


def _home_context(user) -> dict:
    context: dict = {"grids": grid_summaries(user)}
    if user_can(user, "people.person.view") and user.role != Role.RESIDENT:
        context["figures"] = _figures(user)
    if user.role == Role.RESIDENT and user.person_id:
        context["household"] = (
            Household.objects.visible_to(user).filter(id=user.person.current_household_id).first()
        )
    if user.role in {Role.VOLUNTEER, Role.UNIT_CONTACT}:
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
