"""Place pages: grid, building and household, each read through `visible_to`.

A page outside the user's scope answers 404, exactly like a page that does not
exist, so the URL space reveals nothing.
"""

from __future__ import annotations

from django.conf import settings
from django.core.paginator import Paginator
from django.db.models import Count, Prefetch
from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.urls import reverse

from grassroots.accounts.roles import is_grid_worker, role_filter, user_can
from grassroots.cases.models import Case
from grassroots.people.history import history_for
from grassroots.people.models import Person, PersonTag, Residency
from grassroots.people.plan_layers import households_with_vulnerable_people
from grassroots.places.layers import layers_for
from grassroots.places.models import Building, Community, Grid, Household
from grassroots.places.selectors import grid_summaries
from grassroots.places.siteplan import plan_tiles, site_plan

HOUSEHOLDS_PER_PAGE = 60
HOUSEHOLD_CASES = 20
BUILDING_CASES = 30


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
    vulnerable_only = request.GET.get("vulnerable") == "1" and user_can(request.user, "people.persontag.view")
    households = (
        households_with_vulnerable_people(request.user)
        if vulnerable_only
        else Household.objects.visible_to(request.user)
    )
    households = (
        households.filter(building=building)
        .annotate(member_count=Count("members", distinct=True))
        .order_by("entrance", "room")
    )
    cases = []
    if user_can(request.user, "cases.case.view"):
        cases = (
            Case.objects.visible_to(request.user)
            .filter(building=building)
            .open()
            .select_related("category", "household")
            .order_by("-reported_at")[:BUILDING_CASES]
        )
    context = {
        "building": building,
        "households": households,
        "cases": cases,
        "vulnerable_only": vulnerable_only,
    }
    return render(request, "places/building_detail.html", context)


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


#: How many steps the plan's shading has (0: nothing counted, then 1 to PLAN_LEVELS).
PLAN_LEVELS = 4


def _plan_community(request):
    """The community whose plan is shown: the user's own, or one they may see (?community=CODE)."""
    communities = Community.objects.visible_to(request.user).order_by("code")
    code = request.GET.get("community", "")
    chosen = communities.filter(code=code).first() if code else None
    if chosen is None and request.user.community_id:
        # Their own community, even for a grid worker (whose scope is grids): the buildings drawn
        # are still only those they may see.
        chosen = Community.objects.filter(pk=request.user.community_id).first()
    return chosen or communities.first(), communities


def _level(count: int, most: int) -> int:
    return 0 if not count else max(1, round(PLAN_LEVELS * count / most))


def community_plan(request):
    """The community on one plan: grid outlines, buildings, and one layer counted on each building.

    Every count links to the list it comes from (places.layers), and the same numbers stand in
    the table beside the plan, for a screen reader and for a report.
    """
    if not user_can(request.user, "places.building.view"):
        raise Http404
    community, communities = _plan_community(request)
    if community is None:
        raise Http404
    buildings = list(Building.objects.visible_to(request.user).filter(community=community).order_by("number"))
    grids = list(Grid.objects.visible_to(request.user).filter(community=community).order_by("code"))
    layers = layers_for(request.user)
    layer = next(
        (item for item in layers if item.code == request.GET.get("layer")), layers[0] if layers else None
    )
    counts = layer.counts(request.user, community.pk) if layer else {}
    most = max(counts.values(), default=0)
    plan = site_plan(buildings, grids)
    drawn = [
        {
            "shape": item,
            "count": counts.get(item.id, 0),
            "level": _level(counts.get(item.id, 0), most),
            "url": reverse("building-detail", args=[item.id]),
        }
        for item in plan.buildings
    ]
    rows = sorted(
        (
            {
                "building": building.number,
                "page": reverse("building-detail", args=[building.pk]),
                "count": counts.get(building.pk, 0),
                "url": layer.list_url(building.pk) if layer and counts.get(building.pk) else "",
            }
            for building in buildings
        ),
        key=lambda row: (-row["count"], row["building"]),
    )
    context = {
        "community": community,
        "communities": communities if communities.count() > 1 else [],
        "plan": plan,
        "tiles": plan_tiles(plan, settings.GRASSROOTS_MAP_TILES),
        "drawn": drawn,
        "layers": layers,
        "layer": layer,
        "rows": rows,
        "total": sum(row["count"] for row in rows),
    }
    return render(request, "places/plan.html", context)
