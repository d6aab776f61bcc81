"""Grid outlines and building positions from a GeoJSON file, checked before anything is written.

An administrator draws the community in a GIS tool (QGIS, geojson.io) or exports it from the
district's system, and imports one FeatureCollection: a Polygon per grid (property `grid`: the
grid's code) and a Point or a Polygon (the footprint) per building (property `building`: its
number). `check_plan` reads every feature and says what is wrong with each, by its position in the
file, and then checks the result as a whole with shapely: outlines are valid polygons, two grids
do not overlap, and every building lies inside the outline of the grid the register puts it in
(a mismatch is named: "building 7 lies in 二网格's outline, the register puts it in 一网格").
`plan_import` writes all of it in one transaction, or nothing when anything is wrong.
`plan_geojson` gives the present plan back as a file of the same shape, to edit and import again.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _
from shapely.geometry import Point, Polygon, shape
from shapely.validation import explain_validity

from grassroots.core import audit
from grassroots.core.authority import user_can
from grassroots.places.models import Building, Community, Grid

#: The largest file the import reads (a community's outlines are a few hundred kilobytes).
MAX_BYTES = 5 * 1024 * 1024
#: Two grids may share an edge; an overlap larger than this share of the smaller one is refused.
OVERLAP_TOLERANCE = 0.01


class PlanFileError(ValueError):
    """The file is not GeoJSON that the import can read at all; the message says why."""


@dataclass
class PlanCheck:
    """What a file would write, and what is wrong with it (nothing is written while `problems`)."""

    community: Community
    outlines: dict[int, list] = field(default_factory=dict)  # grid id -> [[lon, lat], ...]
    positions: dict[int, tuple[Decimal, Decimal, list | None]] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def read_features(content: bytes) -> list[dict]:
    """The features of a GeoJSON FeatureCollection (or of a single Feature)."""
    if len(content) > MAX_BYTES:
        raise PlanFileError(_("The file is larger than 5 MB."))
    try:
        data = json.loads(content.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise PlanFileError(_("This is not a GeoJSON file (it cannot be read as JSON).")) from None
    if isinstance(data, dict) and data.get("type") == "Feature":
        return [data]
    if not isinstance(data, dict) or data.get("type") != "FeatureCollection":
        raise PlanFileError(_("A GeoJSON FeatureCollection is expected."))
    features = data.get("features")
    if not isinstance(features, list):
        raise PlanFileError(_("The FeatureCollection has no list of features."))
    return features


def _ring(polygon: Polygon) -> list[list[float]]:
    return [[round(x, 7), round(y, 7)] for x, y in polygon.exterior.coords]


def _in_range(geometry) -> bool:
    minx, miny, maxx, maxy = geometry.bounds
    return -180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90


def _geometry(feature: dict, position: int, problems: list[str]):
    where = _("Feature %(n)d") % {"n": position}
    try:
        geometry = shape(feature.get("geometry") or {})
    except (ValueError, TypeError, AttributeError, KeyError, IndexError):
        problems.append(_("%(where)s: its geometry cannot be read.") % {"where": where})
        return None
    if geometry.is_empty or not _in_range(geometry):
        problems.append(_("%(where)s: its coordinates are not longitude and latitude.") % {"where": where})
        return None
    if not geometry.is_valid:
        problems.append(
            _("%(where)s: the outline is not a valid polygon (%(why)s).")
            % {"where": where, "why": explain_validity(geometry)}
        )
        return None
    return geometry


def _read_grid(check: PlanCheck, grids: dict[str, Grid], feature: dict, position: int, geometry) -> None:
    code = str(feature["properties"]["grid"]).strip()
    where = _("Feature %(n)d") % {"n": position}
    grid = grids.get(code)
    if grid is None:
        check.problems.append(
            _("%(where)s: there is no grid %(code)s here.") % {"where": where, "code": code}
        )
    elif geometry.geom_type != "Polygon":
        check.problems.append(_("%(where)s: a grid's outline must be one polygon.") % {"where": where})
    elif grid.pk in check.outlines:
        check.problems.append(_("%(where)s: grid %(code)s appears twice.") % {"where": where, "code": code})
    else:
        check.outlines[grid.pk] = _ring(geometry)


def _read_building(
    check: PlanCheck, buildings: dict[int, Building], feature: dict, position: int, geometry
) -> None:
    where = _("Feature %(n)d") % {"n": position}
    try:
        number = int(str(feature["properties"]["building"]).strip())
    except ValueError:
        number = None
    building = buildings.get(number) if number is not None else None
    if building is None:
        check.problems.append(
            _("%(where)s: there is no building %(number)s here.")
            % {"where": where, "number": feature["properties"]["building"]}
        )
    elif building.pk in check.positions:
        check.problems.append(
            _("%(where)s: building %(number)s appears twice.") % {"where": where, "number": number}
        )
    elif geometry.geom_type not in ("Point", "Polygon"):
        check.problems.append(_("%(where)s: a building is a point or one polygon.") % {"where": where})
    else:
        centre = geometry if geometry.geom_type == "Point" else geometry.centroid
        footprint = _ring(geometry) if geometry.geom_type == "Polygon" else None
        check.positions[building.pk] = (
            Decimal(f"{centre.y:.6f}"),
            Decimal(f"{centre.x:.6f}"),
            footprint,
        )


def check_plan(*, community: Community, content: bytes) -> PlanCheck:
    """Read and check a file for `community`; raises PlanFileError when it cannot be read at all."""
    check = PlanCheck(community=community)
    grids = {grid.code: grid for grid in Grid.objects.filter(community=community)}
    buildings = {b.number: b for b in Building.objects.filter(community=community).select_related("grid")}
    for position, feature in enumerate(read_features(content), start=1):
        properties = feature.get("properties") if isinstance(feature, dict) else None
        if not isinstance(properties, dict) or ("grid" in properties) == ("building" in properties):
            check.problems.append(
                _("Feature %(n)d: give it a property “grid” (the grid's code) or “building” (its number).")
                % {"n": position}
            )
            continue
        geometry = _geometry(feature, position, check.problems)
        if geometry is None:
            continue
        if "grid" in properties:
            _read_grid(check, grids, feature, position, geometry)
        else:
            _read_building(check, buildings, feature, position, geometry)
    if not check.problems:
        _check_as_a_whole(check, grids, buildings)
    return check


def _check_as_a_whole(check: PlanCheck, grids: dict[str, Grid], buildings: dict[int, Building]) -> None:
    """Outlines after the import (the file's, else the register's) against every placed building."""
    outlines = {
        grid.pk: Polygon(check.outlines.get(grid.pk) or grid.boundary)
        for grid in grids.values()
        if check.outlines.get(grid.pk) or grid.boundary
    }
    names = {grid.pk: grid.name for grid in grids.values()}
    placed = sorted(outlines.items())
    for index, (first, one) in enumerate(placed):
        for second, other in placed[index + 1 :]:
            if one.intersection(other).area > OVERLAP_TOLERANCE * min(one.area, other.area):
                check.problems.append(
                    _("The outlines of %(a)s and %(b)s overlap.") % {"a": names[first], "b": names[second]}
                )
    if not outlines:
        return
    for building in sorted(buildings.values(), key=lambda b: b.number):
        lat, lon, _footprint = check.positions.get(building.pk, (building.latitude, building.longitude, None))
        if lat is None or lon is None:
            continue
        point = Point(float(lon), float(lat))
        inside = [pk for pk, polygon in outlines.items() if polygon.covers(point)]
        if building.grid_id in inside:
            continue
        if inside:
            check.problems.append(
                _("Building %(number)d lies in the outline of %(there)s; the register puts it in %(grid)s.")
                % {"number": building.number, "there": names[inside[0]], "grid": names[building.grid_id]}
            )
        elif building.grid_id in outlines:
            check.problems.append(
                _("Building %(number)d lies outside the outline of its grid, %(grid)s.")
                % {"number": building.number, "grid": names[building.grid_id]}
            )


def plan_import(*, actor, check: PlanCheck) -> dict[str, int]:
    """Write a checked file: every outline and position, in one transaction. Administrators only."""
    if not user_can(actor, "places.plan.change"):
        raise PermissionDenied
    if not check.ok:
        raise ValueError("a plan with problems is not written")
    with transaction.atomic():
        for grid_id, ring in check.outlines.items():
            Grid.objects.filter(pk=grid_id, community=check.community).update(boundary=ring)
        for building_id, (lat, lon, footprint) in check.positions.items():
            Building.objects.filter(pk=building_id, community=check.community).update(
                latitude=lat, longitude=lon, footprint=footprint
            )
        counts = {"grids": len(check.outlines), "buildings": len(check.positions)}
        audit.record(audit.PLAN_IMPORTED, actor=actor, subject=check.community, detail=counts)
    return counts


def plan_geojson(community: Community) -> dict:
    """The community's present outlines and positions as a FeatureCollection (the import's shape)."""
    features = [
        {
            "type": "Feature",
            "properties": {"grid": grid.code, "name": grid.name},
            "geometry": {"type": "Polygon", "coordinates": [grid.boundary]},
        }
        for grid in Grid.objects.filter(community=community, boundary__isnull=False).order_by("code")
    ]
    for building in Building.objects.filter(community=community, latitude__isnull=False).order_by("number"):
        geometry = (
            {"type": "Polygon", "coordinates": [building.footprint]}
            if building.footprint
            else {"type": "Point", "coordinates": [float(building.longitude), float(building.latitude)]}
        )
        features.append(
            {"type": "Feature", "properties": {"building": building.number}, "geometry": geometry}
        )
    return {"type": "FeatureCollection", "features": features}
