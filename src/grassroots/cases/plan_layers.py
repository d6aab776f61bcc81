"""The site plan's case layers: open cases, overdue cases and open safety hazards per building.

Counted from the same scope and the same rules as the board (`visible_to`, `open()`, the one
overdue rule in cases.clock), and each number links to the board filtered to that building,
whose figures then show the same number.
"""

from __future__ import annotations

from django.db.models import Count
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from grassroots.cases.models import Case
from grassroots.places.layers import PlanLayer, register_layer


def _per_building(cases) -> dict[int, int]:
    rows = cases.filter(building__isnull=False).order_by().values("building_id").annotate(n=Count("id"))
    return {row["building_id"]: row["n"] for row in rows}


def open_cases(user, community_id: int) -> dict[int, int]:
    return _per_building(Case.objects.visible_to(user).filter(community_id=community_id).open())


def overdue_cases(user, community_id: int) -> dict[int, int]:
    return _per_building(
        Case.objects.visible_to(user).filter(community_id=community_id).open().overdue(timezone.now())
    )


def open_hazards(user, community_id: int) -> dict[int, int]:
    return _per_building(Case.objects.visible_to(user).filter(community_id=community_id).open().hazards())


def _board_of(building_id: int) -> str:
    return f"{reverse('case-board')}?building={building_id}"


def _hazards_of(building_id: int) -> str:
    return f"{reverse('case-board')}?building={building_id}&hazard=on"


def register() -> None:
    register_layer(
        PlanLayer(
            code="open",
            label=lambda: _("Open cases"),
            capability="cases.case.view",
            counts=open_cases,
            list_url=_board_of,
            order=10,
        )
    )
    register_layer(
        PlanLayer(
            code="overdue",
            label=lambda: _("Overdue cases"),
            capability="cases.case.view",
            counts=overdue_cases,
            list_url=_board_of,
            order=20,
        )
    )
    register_layer(
        PlanLayer(
            code="hazards",
            label=lambda: _("Safety hazards"),
            capability="cases.case.view",
            counts=open_hazards,
            list_url=_hazards_of,
            order=25,
        )
    )
