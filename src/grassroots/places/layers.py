"""The site plan's layers: what is counted on each building, registered by the apps that know it.

Places knows buildings, not cases, visits or tags; so each higher app registers the layers it
can count (cases: open and overdue cases; care: people not reached within their frequency;
people: households with vulnerable people), in its AppConfig.ready. A layer counts through the
reader's own scope (`visible_to`, the same rule as its lists), so a number on the plan never says
more than the list behind it, and a role without the layer's capability does not get the layer.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from grassroots.core.authority import user_can


@dataclass(frozen=True)
class PlanLayer:
    """One layer: its code (in the URL), its label, who may see it, and its counts per building.

    `counts(user, community_id)` answers {building id: number} for the buildings with something
    to count; `list_url(building_id)` is the list the number comes from (the click-through).
    """

    code: str
    label: Callable[[], str]
    capability: str
    counts: Callable[[object, int], dict[int, int]]
    list_url: Callable[[int], str]
    order: int = 50


_LAYERS: dict[str, PlanLayer] = {}


def register_layer(layer: PlanLayer) -> None:
    """Add (or replace, for a reloaded app) a layer of the site plan."""
    _LAYERS[layer.code] = layer


def layers_for(user) -> list[PlanLayer]:
    """The layers this user may see, in their order on the page."""
    return sorted(
        (layer for layer in _LAYERS.values() if user_can(user, layer.capability)),
        key=lambda layer: (layer.order, layer.code),
    )
