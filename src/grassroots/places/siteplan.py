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

from shapely.geometry import Polygon

PLAN_WIDTH = 100.0
PLAN_MARGIN = 6.0
MAX_BUILDING_SIZE = 10.0


class PlacedBuilding(Protocol):
    """What the plan needs of a building (places.models.Building has it; `footprint` is optional)."""

    pk: int
    number: int
    latitude: Decimal | None
    longitude: Decimal | None


class OutlinedGrid(Protocol):
    """What the plan needs of a grid: its outline as [longitude, latitude] points, or None."""

    pk: int
    name: str
    boundary: list | None


@dataclass(frozen=True)
class PlanBuilding:
    """One building on the plan: its centre (what a tap is compared with) and the box drawn for it.

    `outline` is the footprint as SVG points ("x,y x,y ...") where the building has one; the
    box is drawn otherwise.
    """

    id: int
    number: int
    cx: float
    cy: float
    x: float
    y: float
    w: float
    h: float
    font: float
    outline: str = ""


@dataclass(frozen=True)
class PlanGrid:
    """A grid's outline on the plan, and where its name is written (the outline's centre)."""

    id: int
    name: str
    points: str
    lx: float
    ly: float


@dataclass(frozen=True)
class Geo:
    """How plan units map back to coordinates: the plan's north-west corner, the cosine of the
    latitude and the plan units per degree."""

    lat_max: float
    lon_min: float
    k: float
    scale: float

    def point(self, lon: float, lat: float) -> tuple[float, float]:
        """A longitude and latitude as plan units (margin included), north up."""
        return (
            round((lon - self.lon_min) * self.k * self.scale + PLAN_MARGIN, 2),
            round((self.lat_max - lat) * self.scale + PLAN_MARGIN, 2),
        )


@dataclass(frozen=True)
class SitePlan:
    width: float = PLAN_WIDTH
    height: float = PLAN_WIDTH
    buildings: list[PlanBuilding] = field(default_factory=list)
    geo: Geo | None = None
    grids: list[PlanGrid] = field(default_factory=list)


def _ring(points: list | None) -> list[tuple[float, float]]:
    """[[lon, lat], ...] as float pairs; nothing for a missing or malformed outline."""
    try:
        return [(float(lon), float(lat)) for lon, lat, *_rest in points or []]
    except (TypeError, ValueError):
        return []


def _svg_points(geo: Geo, ring: list[tuple[float, float]]) -> str:
    return " ".join("{},{}".format(*geo.point(lon, lat)) for lon, lat in ring)


def _geo_for(lats: list[float], lons: list[float]) -> tuple[Geo, float, float]:
    usable = PLAN_WIDTH - 2 * PLAN_MARGIN
    k = math.cos(math.radians(sum(lats) / len(lats)))
    span_x, span_y = (max(lons) - min(lons)) * k, max(lats) - min(lats)
    scale = usable / max(span_x, span_y, 1e-6)
    geo = Geo(lat_max=max(lats), lon_min=min(lons), k=k, scale=scale)
    return geo, round(span_x * scale + 2 * PLAN_MARGIN, 2), round(span_y * scale + 2 * PLAN_MARGIN, 2)


def site_plan(buildings: Iterable[PlacedBuilding], grids: Iterable[OutlinedGrid] = ()) -> SitePlan:
    """The buildings (and the grids' outlines) on a plan: by coordinates when every building has
    them, else the buildings on a square grid by number and no outlines."""
    items = list(buildings)
    if not items:
        return SitePlan()
    usable = PLAN_WIDTH - 2 * PLAN_MARGIN
    width, geo, plan_grids = PLAN_WIDTH, None, []
    if all(b.latitude is not None and b.longitude is not None for b in items):
        outlines = [(grid, _ring(grid.boundary)) for grid in grids]
        outlines = [(grid, ring) for grid, ring in outlines if len(ring) >= 3]
        footprints = {b.pk: _ring(getattr(b, "footprint", None)) for b in items}
        corners = [point for _grid, ring in outlines for point in ring]
        corners += [point for ring in footprints.values() for point in ring]
        lats = [float(b.latitude) for b in items] + [lat for _lon, lat in corners]
        lons = [float(b.longitude) for b in items] + [lon for lon, _lat in corners]
        geo, width, height = _geo_for(lats, lons)
        points = [
            (x - PLAN_MARGIN, y - PLAN_MARGIN)
            for x, y in (geo.point(float(b.longitude), float(b.latitude)) for b in items)
        ]
        plan_grids = [_plan_grid(geo, grid, ring) for grid, ring in outlines]
    else:
        footprints = {}
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
        ring = footprints.get(building.pk) or []
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
                outline=_svg_points(geo, ring) if geo and len(ring) >= 3 else "",
            )
        )
    return SitePlan(width=width, height=height, buildings=drawn, geo=geo, grids=plan_grids)


def _plan_grid(geo: Geo, grid: OutlinedGrid, ring: list[tuple[float, float]]) -> PlanGrid:
    """The outline, and a point inside it for the name (an L-shaped grid's centre may lie outside)."""
    inside = Polygon(ring).representative_point()
    lx, ly = geo.point(inside.x, inside.y)
    return PlanGrid(id=grid.pk, name=grid.name, points=_svg_points(geo, ring), lx=lx, ly=ly)


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


@dataclass(frozen=True)
class PlanTile:
    """One map tile behind a plan drawn from coordinates: its address and its box in plan units."""

    url: str
    x: float
    y: float
    w: float
    h: float


#: The zoom levels a community's plan uses: a few tiles across, never a whole city or one house.
TILE_ZOOMS = range(13, 20)
MOST_TILES = 36


def _tile_corner(x: int, y: int, zoom: int) -> tuple[float, float]:
    """The north-west corner (longitude, latitude) of a web-mercator (slippy map) tile."""
    n = 2**zoom
    lon = x / n * 360.0 - 180.0
    lat = math.degrees(math.atan(math.sinh(math.pi * (1 - 2 * y / n))))
    return lon, lat


def _tile_of(lon: float, lat: float, zoom: int) -> tuple[int, int]:
    n = 2**zoom
    x = int((lon + 180.0) / 360.0 * n)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    return x, y


def plan_tiles(plan: SitePlan, template: str) -> list[PlanTile]:
    """The tiles of `template` ({z}/{x}/{y}) that cover a plan drawn from coordinates, placed on it.

    The plan is a plain projection (longitude scaled by the cosine of the latitude); over a
    community's kilometre it differs from web mercator by far less than a building, so each tile
    is placed by its corners. The deepest zoom that needs at most MOST_TILES tiles is used.
    """
    geo = plan.geo
    if geo is None or not template:
        return []
    west, north = geo.lon_min, geo.lat_max
    east = west + (plan.width - PLAN_MARGIN) / geo.scale / geo.k
    south = north - (plan.height - PLAN_MARGIN) / geo.scale
    for zoom in reversed(TILE_ZOOMS):
        (x0, y0), (x1, y1) = _tile_of(west, north, zoom), _tile_of(east, south, zoom)
        if (x1 - x0 + 1) * (y1 - y0 + 1) <= MOST_TILES:
            break
    tiles = []
    for x in range(x0, x1 + 1):
        for y in range(y0, y1 + 1):
            left, top = geo.point(*_tile_corner(x, y, zoom))
            right, bottom = geo.point(*_tile_corner(x + 1, y + 1, zoom))
            url = template.replace("{z}", str(zoom)).replace("{x}", str(x)).replace("{y}", str(y))
            tiles.append(PlanTile(url, left, top, round(right - left, 2), round(bottom - top, 2)))
    return tiles
