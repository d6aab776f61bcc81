"""Reads of places shared by several pages, always scoped to the user."""

from __future__ import annotations

from django.db.models import Count, Prefetch

from grassroots.places.models import Grid


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
