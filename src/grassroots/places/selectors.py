"""Reads of places shared by several pages, always scoped to the user."""

from __future__ import annotations

from django.db.models import Count, Prefetch, QuerySet

from grassroots.core.ids import parse_id
from grassroots.places.models import Building, Community, Grid, Household


def grid_summaries(user):
    """The user's grids with household and building counts and their workers (one query + prefetch)."""
    from grassroots.accounts.models import User
    from grassroots.accounts.roles import is_grid_worker, role_filter

    workers = User.objects.filter(role_filter(is_grid_worker))
    return (
        Grid.objects.visible_to(user)
        .select_related("community")
        .annotate(
            household_count=Count("households", distinct=True),
            building_count=Count("buildings", distinct=True),
        )
        .prefetch_related(Prefetch("workers", queryset=workers))
        .order_by("community__code", "code")
    )


def grids_for(*, user) -> QuerySet[Grid]:
    """The grids the user sees, by code: the choices of the "grid" filter on the board and the list."""
    return Grid.objects.visible_to(user).order_by("code")


def buildings_for(*, user, community: Community | None = None) -> QuerySet[Building]:
    """The buildings the user sees (of one community), by number: the place picker and the site plan."""
    buildings = Building.objects.visible_to(user)
    if community is not None:
        buildings = buildings.filter(community=community)
    return buildings.order_by("number")


def household_for(*, user, pk) -> Household | None:
    """One household the user sees, with its building, or None (a 404 for the page that asked)."""
    pk = parse_id(pk)
    if pk is None:
        return None
    return Household.objects.visible_to(user).select_related("building").filter(pk=pk).first()


def building_households_for(*, user, building_id) -> list[Household]:
    """The households of the chosen building that the user sees, by entrance and room (none without one)."""
    building_id = parse_id(building_id)
    if building_id is None:
        return []
    return list(
        Household.objects.visible_to(user)
        .filter(building_id=building_id)
        .select_related("building")
        .order_by("entrance", "room")
    )


def household_options_for(
    *, user, among: QuerySet[Household] | None = None, limit: int = 20
) -> list[Household]:
    """Households to pick from for a user who sees no building (residents: their own home), among
    those given or all the user sees."""
    households = Household.objects.visible_to(user) if among is None else among
    return list(households.select_related("building")[:limit])
