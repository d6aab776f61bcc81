"""Sign-in and the home page, which shows each role what it works on first."""

from __future__ import annotations

from django.db.models import Q
from django.shortcuts import render

from grassroots.accounts.roles import is_eyes, is_hands, is_legs, is_mouth, is_resident, searches_people
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
    context: dict = {"grids": grid_summaries(user)}
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
