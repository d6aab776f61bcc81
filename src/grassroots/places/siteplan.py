"""The site plan of a community: its buildings drawn on a simple plan, and a tap on it read back.

A patroller reports from a phone by tapping the spot on the plan (templates/cases/_site_plan.html);
the tap is stored in plan units on the case (Case.plan_x / plan_y), the nearest building is taken
as the place when none was picked, and where the buildings have coordinates the tap becomes a
latitude and longitude too. Pure functions over buildings (anything with `pk`, `number`,
`latitude` and `longitude`): no query, no request, so they are tested on their own.

The plan is PLAN_WIDTH units wide, north up. Buildings with coordinates (the demo estate has
them, eight to a row) are placed by them, the longitude scaled by the cosine of the latitude so
that distances look right; otherwise they are laid out on a square grid by number.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Protocol

PLAN_WIDTH = 100.0
PLAN_MARGIN = 6.0
MAX_BUILDING_SIZE = 10.0


class PlacedBuilding(Protocol):
    """What the plan needs of a building (places.models.Building has it)."""

    pk: int
    number: int
    latitude: Decimal | None
    longitude: Decimal | None


@dataclass(frozen=True)
class PlanBuilding:
    """One building on the plan: its centre (what a tap is compared with) and the box drawn for it."""

    id: int
    number: int
    cx: float
    cy: float
    x: float
    y: float
    w: float
    h: float
    font: float


@dataclass(frozen=True)
class Geo:
    """How plan units map back to coordinates: the plan's north-west corner, the cosine of the
    latitude and the plan units per degree."""

    lat_max: float
    lon_min: float
    k: float
    scale: float


@dataclass(frozen=True)
class SitePlan:
    width: float = PLAN_WIDTH
    height: float = PLAN_WIDTH
    buildings: list[PlanBuilding] = field(default_factory=list)
    geo: Geo | None = None


def site_plan(buildings: Iterable[PlacedBuilding]) -> SitePlan:
    """The buildings on a plan: by their coordinates when every one has them, else on a grid."""
    items = list(buildings)
    if not items:
        return SitePlan()
    usable = PLAN_WIDTH - 2 * PLAN_MARGIN
    width, geo = PLAN_WIDTH, None
    if all(b.latitude is not None and b.longitude is not None for b in items):
        lats = [float(b.latitude) for b in items]
        lons = [float(b.longitude) for b in items]
        k = math.cos(math.radians(sum(lats) / len(lats)))
        span_x, span_y = (max(lons) - min(lons)) * k, max(lats) - min(lats)
        scale = usable / max(span_x, span_y, 1e-6)
        geo = Geo(lat_max=max(lats), lon_min=min(lons), k=k, scale=scale)
        points = [
            ((lon - geo.lon_min) * k * scale, (geo.lat_max - lat) * scale)
            for lat, lon in zip(lats, lons, strict=True)
        ]
        height = round(span_y * scale + 2 * PLAN_MARGIN, 2)
        width = round(span_x * scale + 2 * PLAN_MARGIN, 2)
    else:
        columns = math.ceil(math.sqrt(len(items)))
        cell = usable / columns
        points = [((i % columns + 0.5) * cell, (i // columns + 0.5) * cell) for i in range(len(items))]
        height = round(math.ceil(len(items) / columns) * cell + 2 * PLAN_MARGIN, 2)
    # As large as the closest neighbours in a row allow, so that boxes never overlap.
    xs = sorted({round(x, 3) for x, _y in points})
    gaps = [b - a for a, b in itertools.pairwise(xs) if b - a > 0.5]
    size = min(min(gaps) * 0.7 if gaps else MAX_BUILDING_SIZE, MAX_BUILDING_SIZE)
    drawn = []
    for building, (x, y) in zip(items, points, strict=True):
        cx, cy = x + PLAN_MARGIN, y + PLAN_MARGIN
        drawn.append(
            PlanBuilding(
                id=building.pk,
                number=building.number,
                cx=round(cx, 2),
                cy=round(cy, 2),
                x=round(cx - size / 2, 2),
                y=round(cy - size * 0.3, 2),
                w=round(size, 2),
                h=round(size * 0.6, 2),
                font=round(size * 0.4, 2),
            )
        )
    return SitePlan(width=width, height=height, buildings=drawn, geo=geo)


def nearest_building(plan: SitePlan, x: float, y: float) -> int | None:
    """The id of the building whose centre is nearest to a tap, or None on an empty plan."""
    if not plan.buildings:
        return None
    return min(plan.buildings, key=lambda b: (b.cx - x) ** 2 + (b.cy - y) ** 2).id


def plan_to_latlon(plan: SitePlan, x: float, y: float) -> tuple[Decimal | None, Decimal | None]:
    """The latitude and longitude of a tap, when the plan was drawn from coordinates."""
    geo = plan.geo
    if geo is None:
        return None, None
    lat = geo.lat_max - (y - PLAN_MARGIN) / geo.scale
    lon = geo.lon_min + (x - PLAN_MARGIN) / geo.scale / geo.k
    return Decimal(f"{lat:.6f}"), Decimal(f"{lon:.6f}")
