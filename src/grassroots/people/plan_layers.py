"""The site plan's people layer: households where someone vulnerable lives (places.layers).

A household counts when one of its current members has a tag the reader may see (sensitive tags
only for roles that read them), so the plan never hints at a tag the household page hides. The
number links to the building page narrowed to those households, which uses the same queryset.
"""

from __future__ import annotations

from django.db.models import Count
from django.urls import reverse
from django.utils.translation import gettext as _

from grassroots.core.authority import user_can
from grassroots.people.models import PersonTag
from grassroots.places.layers import PlanLayer, register_layer
from grassroots.places.models import Household


def households_with_vulnerable_people(user):
    """The households in the user's scope with a current member tagged as the user may see."""
    tags = PersonTag.objects.filter(person__current_household__isnull=False)
    if not user_can(user, "people.persontag.view_sensitive"):
        tags = tags.filter(tag__sensitive=False)
    return Household.objects.visible_to(user).filter(pk__in=tags.values("person__current_household_id"))


def vulnerable_households(user, community_id: int) -> dict[int, int]:
    rows = (
        households_with_vulnerable_people(user)
        .filter(building__community_id=community_id)
        .order_by()
        .values("building_id")
        .annotate(n=Count("id"))
    )
    return {row["building_id"]: row["n"] for row in rows}


def _households_of(building_id: int) -> str:
    return f"{reverse('building-detail', args=[building_id])}?vulnerable=1"


def register() -> None:
    register_layer(
        PlanLayer(
            code="vulnerable",
            label=lambda: _("Households with vulnerable people"),
            capability="people.persontag.view",
            counts=vulnerable_households,
            list_url=_households_of,
            order=40,
        )
    )
