"""The site plan a patroller taps on: buildings drawn by their coordinates (or on a grid), and a tap
read back as the nearest building and, where the buildings have coordinates, a latitude and longitude.

Pure functions over buildings: no database.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from grassroots.places.siteplan import PLAN_MARGIN, PLAN_WIDTH, nearest_building, plan_to_latlon, site_plan


@dataclass
class Block:
    pk: int
    number: int
    latitude: Decimal | None = None
    longitude: Decimal | None = None


def estate(rows: int, columns: int) -> list[Block]:
    """Buildings laid out like the demo estate: rows north to south, columns west to east."""
    return [
        Block(
            pk=row * columns + column + 1,
            number=row * columns + column + 1,
            latitude=Decimal("38.978000") - Decimal(row) * Decimal("0.000600"),
            longitude=Decimal("117.688000") + Decimal(column) * Decimal("0.000800"),
        )
        for row in range(rows)
        for column in range(columns)
    ]


def test_an_empty_community_has_an_empty_square_plan():
    plan = site_plan([])
    assert (plan.width, plan.height, plan.buildings, plan.geo) == (PLAN_WIDTH, PLAN_WIDTH, [], None)
    assert nearest_building(plan, 50, 50) is None
    assert plan_to_latlon(plan, 50, 50) == (None, None)


def test_buildings_without_coordinates_are_laid_out_on_a_grid_by_number():
    plan = site_plan([Block(pk=n, number=n) for n in range(1, 6)])  # 5 buildings: 3 columns, 2 rows
    assert plan.geo is None and plan.width == PLAN_WIDTH
    assert [b.number for b in plan.buildings] == [1, 2, 3, 4, 5]
    first, second, fourth = plan.buildings[0], plan.buildings[1], plan.buildings[3]
    assert first.cy == second.cy < fourth.cy and first.cx == fourth.cx < second.cx
    assert plan.height < plan.width  # two rows of three
    assert plan_to_latlon(plan, first.cx, first.cy) == (None, None)


def test_buildings_with_coordinates_are_placed_north_up_and_never_overlap():
    plan = site_plan(estate(rows=2, columns=3))
    assert plan.geo is not None
    north_west, north_east, south_west = plan.buildings[0], plan.buildings[2], plan.buildings[3]
    assert north_west.cx == PLAN_MARGIN and north_west.cy == PLAN_MARGIN
    assert north_east.cx > north_west.cx and south_west.cy > north_west.cy
    neighbour = plan.buildings[1]
    assert north_west.x + north_west.w < neighbour.x  # a gap between boxes in a row


def test_a_tap_finds_the_nearest_building_and_its_coordinates():
    buildings = estate(rows=3, columns=4)
    plan = site_plan(buildings)
    target = plan.buildings[6]
    assert nearest_building(plan, target.cx + 0.5, target.cy - 0.5) == target.id
    latitude, longitude = plan_to_latlon(plan, target.cx, target.cy)
    assert (latitude, longitude) == (buildings[6].latitude, buildings[6].longitude)
