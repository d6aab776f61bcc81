"""The estate of the demo: numbered buildings, their entrances and rooms, and the grids.

Heshengyuan is drawn as a typical Binhai estate of about 2010: six-storey walk-ups
(three or four entrances, two flats per landing) in the older half, eleven- and
eighteen-storey towers in the newer half. The mix is chosen so that the estate has
exactly the article's 3,036 households, and buildings are grouped, in order, into
seven grids of about 430 households each.
"""

from __future__ import annotations

from dataclasses import dataclass

# (how many buildings, floors, entrances, flats per landing), in building-number order.
BUILDING_KINDS: tuple[tuple[int, int, int, int], ...] = (
    (19, 6, 3, 2),
    (11, 6, 4, 2),
    (12, 11, 2, 2),
    (18, 18, 2, 2),
)
GRID_COUNT = 7
GRID_NAMES = ("第一网格", "第二网格", "第三网格", "第四网格", "第五网格", "第六网格", "第七网格")


@dataclass(frozen=True)
class BuildingPlan:
    number: int
    floors: int
    entrances: int
    flats_per_landing: int
    grid: int  # index into the grids, 0-based

    @property
    def households(self) -> int:
        return self.floors * self.entrances * self.flats_per_landing


@dataclass(frozen=True)
class HouseholdPlan:
    index: int
    building: int
    entrance: int
    room: str
    grid: int

    @property
    def address(self) -> str:
        return f"{self.building}-{self.entrance}-{self.room}"


def plan_buildings() -> list[BuildingPlan]:
    """Buildings 1..60, each put in the grid where the running household count falls.

    Assigning by the middle of each building keeps every grid within one building of
    the mean (about 434), well inside the 300-500 a grid should have.
    """
    shapes = [
        (floors, entrances, flats) for count, floors, entrances, flats in BUILDING_KINDS for _ in range(count)
    ]
    total = sum(floors * entrances * flats for floors, entrances, flats in shapes)
    per_grid = total / GRID_COUNT
    buildings: list[BuildingPlan] = []
    running = 0
    for number, (floors, entrances, flats) in enumerate(shapes, start=1):
        size = floors * entrances * flats
        grid = min(GRID_COUNT - 1, int((running + size / 2) / per_grid))
        buildings.append(BuildingPlan(number, floors, entrances, flats, grid))
        running += size
    return buildings


def plan_households(buildings: list[BuildingPlan]) -> list[HouseholdPlan]:
    """Every flat: entrance by entrance, floor by floor; room 301 is the first flat on the third floor."""
    households: list[HouseholdPlan] = []
    for building in buildings:
        for entrance in range(1, building.entrances + 1):
            for floor in range(1, building.floors + 1):
                for flat in range(1, building.flats_per_landing + 1):
                    households.append(
                        HouseholdPlan(
                            len(households), building.number, entrance, f"{floor}{flat:02d}", building.grid
                        )
                    )
    return households


#: How far apart the demo's buildings stand (degrees of latitude and longitude), and how big they are.
ROW_STEP, COLUMN_STEP = 0.0006, 0.0008
FOOTPRINT_HALF = (0.00028, 0.00009)  # half the width (longitude) and depth (latitude) of a block


def plan_features(buildings: list) -> dict:
    """The demo estate as a GeoJSON FeatureCollection, the file an administrator would import.

    Each building owns the cell around it (half way to its neighbours); a grid's outline is the
    union of its buildings' cells, so neighbouring grids share edges and never overlap, and every
    building lies in its own grid's outline. Footprints are blocks facing south, as walk-ups do.
    """
    from shapely.geometry import box, mapping
    from shapely.ops import unary_union

    cells: dict[str, list] = {}
    features = []
    for building in buildings:
        lat, lon = float(building.latitude), float(building.longitude)
        edges = (lon - COLUMN_STEP / 2, lat - ROW_STEP / 2, lon + COLUMN_STEP / 2, lat + ROW_STEP / 2)
        # Rounded, so that two neighbours' shared edge is the same line and their union one polygon.
        cells.setdefault(building.grid.code, []).append(box(*(round(edge, 7) for edge in edges)))
        half_x, half_y = FOOTPRINT_HALF
        features.append(
            {
                "type": "Feature",
                "properties": {"building": building.number},
                "geometry": mapping(box(lon - half_x, lat - half_y, lon + half_x, lat + half_y)),
            }
        )
    # The last row is not full: its empty lots belong to the last grid, which would else be in two parts.
    last = max(buildings, key=lambda b: b.number)
    lat, lon = float(last.latitude), float(last.longitude)
    for step in range(1, 8 - (last.number - 1) % 8):
        edges = (
            lon + (step - 0.5) * COLUMN_STEP,
            lat - ROW_STEP / 2,
            lon + (step + 0.5) * COLUMN_STEP,
            lat + ROW_STEP / 2,
        )
        cells[last.grid.code].append(box(*(round(edge, 7) for edge in edges)))
    for code, boxes in sorted(cells.items()):
        outline = unary_union(boxes).simplify(1e-9)
        features.append({"type": "Feature", "properties": {"grid": code}, "geometry": mapping(outline)})
    return {"type": "FeatureCollection", "features": features}
