"""The site plan's care layer: people in special difficulty not reached within their frequency.

Counted per building with the care register's own rule (CareProfile.objects.not_reached) through
the reader's scope; the number links to the register narrowed to that building and to them.
"""

from __future__ import annotations

from django.db.models import Count
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from grassroots.care.models import CareProfile
from grassroots.places.layers import PlanLayer, register_layer


def not_reached(user, community_id: int) -> dict[int, int]:
    rows = (
        CareProfile.objects.visible_to(user)
        .filter(community_id=community_id)
        .not_reached(timezone.localdate())
        .order_by()
        .values("household__building_id")
        .annotate(n=Count("id"))
    )
    return {row["household__building_id"]: row["n"] for row in rows if row["household__building_id"]}


def _register_of(building_id: int) -> str:
    return f"{reverse('care-register')}?building={building_id}&reached=no"


def register() -> None:
    register_layer(
        PlanLayer(
            code="not-reached",
            label=lambda: _("People not visited in time"),
            capability="care.careprofile.view",
            counts=not_reached,
            list_url=_register_of,
            order=30,
        )
    )
