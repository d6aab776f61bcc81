"""Place pages: grid, building and household, each read through `visible_to`.

A page outside the user's scope answers 404, exactly like a page that does not
exist, so the URL space reveals nothing.
"""

from __future__ import annotations

from django.core.paginator import Paginator
from django.db.models import Count, Prefetch
from django.shortcuts import get_object_or_404, render

from grassroots.accounts.roles import is_grid_worker, role_filter, user_can
from grassroots.cases.models import Case
from grassroots.people.history import history_for
from grassroots.people.models import Person, PersonTag, Residency
from grassroots.places.models import Building, Grid, Household
from grassroots.places.selectors import grid_summaries

HOUSEHOLDS_PER_PAGE = 60
HOUSEHOLD_CASES = 20


def _current_members(user):
    """Prefetch of a household's people, with their tags filtered to what the user may see."""
    tags = PersonTag.objects.select_related("tag")
    if not user_can(user, "people.persontag.view_sensitive"):
        tags = tags.filter(tag__sensitive=False)
    people = (
        Person.objects.visible_to(user)
        .order_by("birth_date")
        .prefetch_related(
            Prefetch("tags", queryset=tags),
            Prefetch(
                "residencies",
                queryset=Residency.objects.filter(moved_out__isnull=True),
                to_attr="current_residencies",
            ),
        )
    )
    return Prefetch("members", queryset=people)


def grid_list(request):
    return render(request, "places/grid_list.html", {"grids": grid_summaries(request.user)})


def grid_detail(request, pk: int):
    """A grid: its worker, its buildings and a page of its households."""
    grid = get_object_or_404(Grid.objects.visible_to(request.user).select_related("community"), pk=pk)
    buildings = (
        Building.objects.visible_to(request.user)
        .filter(grid=grid)
        .select_related("head")
        .annotate(
            household_count=Count("households", distinct=True),
            resident_count=Count("households__members", distinct=True),
        )
        .order_by("number")
    )
    households = (
        Household.objects.visible_to(request.user)
        .filter(grid=grid)
        .select_related("building")
        .annotate(member_count=Count("members", distinct=True))
        .order_by("building__number", "entrance", "room")
    )
    page = Paginator(households, HOUSEHOLDS_PER_PAGE).get_page(request.GET.get("page"))
    context = {
        "grid": grid,
        "workers": grid.workers.filter(role_filter(is_grid_worker), is_active=True),
        "buildings": buildings,
        "page": page,
        "household_total": page.paginator.count,
    }
    return render(request, "places/grid_detail.html", context)


def building_detail(request, pk: int):
    """A building, entrance by entrance, the way a visitor walks it."""
    building = get_object_or_404(
        Building.objects.visible_to(request.user).select_related("grid", "community", "head"), pk=pk
    )
    households = (
        Household.objects.visible_to(request.user)
        .filter(building=building)
        .annotate(member_count=Count("members", distinct=True))
        .order_by("entrance", "room")
    )
    return render(request, "places/building_detail.html", {"building": building, "households": households})


def household_detail(request, pk: int):
    """A household: who lives there now, their tags, who lived there before, and its cases."""
    household = get_object_or_404(
        Household.objects.visible_to(request.user)
        .select_related("building", "grid__community")
        .prefetch_related(_current_members(request.user)),
        pk=pk,
    )
    former = (
        Residency.objects.visible_to(request.user)
        .filter(household=household, moved_out__isnull=False)
        .select_related("person")
        .order_by("-moved_out")
    )
    people_visible = user_can(request.user, "people.person.view")
    cases = list(
        Case.objects.visible_to(request.user)
        .filter(household=household)
        .select_related("category")
        .order_by("-reported_at", "-id")[: HOUSEHOLD_CASES + 1]
    )
    context = {
        "household": household,
        "members": household.members.all() if people_visible else [],
        "former": former if people_visible else [],
        "people_visible": people_visible,
        "cases": cases[:HOUSEHOLD_CASES],
        "cases_more": len(cases) > HOUSEHOLD_CASES,
        "history": history_for(request.user, household=household),
    }
    return render(request, "places/household_detail.html", context)
