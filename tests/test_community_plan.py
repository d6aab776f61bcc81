"""The site plan of a community (issue 11.4): grid outlines and building footprints drawn from
data, layers counted per building through the reader's scope with the lists' own rules (a count
clicks through to a list that shows the same number), and a GeoJSON import that names every
problem by feature, checks that each building lies in its own grid's outline, and writes all or
nothing."""

from __future__ import annotations

import json

import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import call_command
from django.test import Client
from django.utils import translation

from grassroots.cases import services as cases
from grassroots.cases.models import Category, Channel
from grassroots.cases.services import ReportDetails
from grassroots.places.geo import check_plan, plan_geojson, plan_import
from grassroots.places.models import Building, Grid
from grassroots.places.siteplan import site_plan
from tests.factories import PersonFactory, PersonTagFactory, vulnerability_tag

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _in_english():
    """The problems are read as an English-speaking administrator would (zh-Hans is the default)."""
    with translation.override("en"):
        yield


# Building 4 (grid A) stands west, building 7 (grid B) east; each grid is a square around its building.
WEST, EAST = (117.6880, 38.9780), (117.6900, 38.9780)


def _square(centre, half=0.0008):
    lon, lat = centre
    return [
        [lon - half, lat - half],
        [lon + half, lat - half],
        [lon + half, lat + half],
        [lon - half, lat + half],
        [lon - half, lat - half],
    ]


def _feature(properties, geometry):
    return {"type": "Feature", "properties": properties, "geometry": geometry}


def _file(*features) -> bytes:
    return json.dumps({"type": "FeatureCollection", "features": list(features)}).encode()


def _good_file(building_4_at=WEST) -> bytes:
    return _file(
        _feature({"grid": "A"}, {"type": "Polygon", "coordinates": [_square(WEST)]}),
        _feature({"grid": "B"}, {"type": "Polygon", "coordinates": [_square(EAST)]}),
        _feature({"building": 4}, {"type": "Point", "coordinates": list(building_4_at)}),
        _feature({"building": "7"}, {"type": "Polygon", "coordinates": [_square(EAST, 0.0002)]}),
    )


def _client(user) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


def test_a_good_file_writes_outlines_positions_and_footprints(admin_user, community, grid_a):
    check = check_plan(community=community, content=_good_file())
    assert check.ok, check.problems
    assert plan_import(actor=admin_user, check=check) == {"grids": 2, "buildings": 2}
    grid_a.refresh_from_db()
    assert grid_a.boundary[0] == [117.6872, 38.9772]
    building_7 = Building.objects.get(community=community, number=7)
    assert (float(building_7.longitude), float(building_7.latitude)) == pytest.approx(EAST)
    assert len(building_7.footprint) == 5
    plan = site_plan(Building.objects.filter(community=community), Grid.objects.filter(community=community))
    assert [grid.name for grid in plan.grids] == ["第一网格", "第二网格"]
    assert all(
        0 <= float(xy) <= max(plan.width, plan.height)
        for g in plan.grids
        for pair in g.points.split()
        for xy in pair.split(",")
    )
    assert [bool(b.outline) for b in sorted(plan.buildings, key=lambda b: b.number)] == [False, True]


def test_the_export_reads_back_as_the_same_plan(admin_user, community):
    plan_import(actor=admin_user, check=check_plan(community=community, content=_good_file()))
    again = check_plan(community=community, content=json.dumps(plan_geojson(community)).encode())
    assert again.ok and len(again.outlines) == 2 and len(again.positions) == 2


@pytest.mark.parametrize(
    ("feature", "message"),
    [
        (_feature({"grid": "Z"}, {"type": "Polygon", "coordinates": [_square(WEST)]}), "no grid Z"),
        (_feature({"building": 99}, {"type": "Point", "coordinates": list(WEST)}), "no building 99"),
        (
            _feature(
                {"grid": "A"},
                {
                    "type": "Polygon",
                    "coordinates": [
                        [[117.68, 38.97], [117.69, 38.98], [117.69, 38.97], [117.68, 38.98], [117.68, 38.97]]
                    ],
                },
            ),
            "not a valid polygon",
        ),
        (
            _feature({"building": 4}, {"type": "Point", "coordinates": [380.0, 38.9]}),
            "not longitude and latitude",
        ),
        (_feature({"name": "x"}, {"type": "Point", "coordinates": list(WEST)}), "property “grid”"),
    ],
)
def test_each_bad_feature_is_named_and_nothing_is_written(
    admin_user, community, neighbourhood, feature, message
):
    content = _file(_feature({"grid": "B"}, {"type": "Polygon", "coordinates": [_square(EAST)]}), feature)
    check = check_plan(community=community, content=content)
    assert not check.ok
    assert any(problem.startswith("Feature 2") and message in problem for problem in check.problems), (
        check.problems
    )
    with pytest.raises(ValueError):
        plan_import(actor=admin_user, check=check)
    assert not Grid.objects.filter(boundary__isnull=False).exists()


def test_a_building_in_the_wrong_grids_outline_is_a_mismatch(community):
    check = check_plan(community=community, content=_good_file(building_4_at=EAST))
    assert check.problems == ["Building 4 lies in the outline of 第二网格; the register puts it in 第一网格."]


def test_overlapping_grids_are_refused(community):
    content = _file(
        _feature({"grid": "A"}, {"type": "Polygon", "coordinates": [_square(WEST)]}),
        _feature({"grid": "B"}, {"type": "Polygon", "coordinates": [_square(WEST)]}),
    )
    assert (
        "The outlines of 第一网格 and 第二网格 overlap."
        in check_plan(community=community, content=content).problems
    )


def test_only_administrators_write_the_plan(secretary, community):
    with pytest.raises(PermissionDenied):
        plan_import(actor=secretary, check=check_plan(community=community, content=_good_file()))
    assert _client(secretary).get("/ledger/plan/").status_code == 404


def test_the_command_checks_and_exits_non_zero_on_a_problem(community, tmp_path, capsys):
    bad = tmp_path / "plan.geojson"
    bad.write_bytes(_good_file(building_4_at=EAST))
    with pytest.raises(SystemExit) as exited:
        call_command("siteplan", "import", str(bad), "--community", community.code, "--commit")
    assert exited.value.code == 1 and "Building 4" in capsys.readouterr().err
    good = tmp_path / "good.geojson"
    good.write_bytes(_good_file())
    call_command("siteplan", "import", str(good), "--community", community.code, "--commit")
    assert Grid.objects.filter(community=community, boundary__isnull=False).count() == 2


def test_the_import_page_checks_then_writes(admin_user, community):
    client = _client(admin_user)
    from django.core.files.uploadedfile import SimpleUploadedFile

    checked = client.post(
        "/ledger/plan/", {"community": community.pk, "file": SimpleUploadedFile("plan.geojson", _good_file())}
    )
    body = checked.content.decode()
    assert "Nothing is wrong" in body and not Grid.objects.filter(boundary__isnull=False).exists()
    carried = body.split('name="content" value="')[1].split('"')[0]
    written = client.post("/ledger/plan/", {"community": community.pk, "content": carried, "write": "1"})
    assert 'id="plan-written"' in written.content.decode()
    assert Grid.objects.filter(community=community, boundary__isnull=False).count() == 2


# --- layers: the same number on the plan and in the list behind it -------------------------------


def _report(actor, community, household, category="repairs"):
    return cases.case_report(
        actor=actor,
        community=community,
        details=ReportDetails(
            category=Category.objects.get(code=category),
            description="楼道灯不亮",
            channel=Channel.PHONE,
            household=household,
        ),
        register=True,
    )


def test_open_cases_on_the_plan_equal_the_board_for_that_building(
    socialworker, community, household_a, household_b
):
    _report(socialworker, community, household_a)
    _report(socialworker, community, household_a)
    _report(socialworker, community, household_b)
    client = _client(socialworker)
    page = client.get("/plan/?layer=open").content.decode()
    building_4 = household_a.building
    assert f'data-building="{building_4.pk}"' in page and 'data-count="2"' in page
    assert client.get(f"/cases/board/?building={building_4.pk}").status_code == 200
    from django.utils import timezone

    from grassroots.cases.selectors import board_list

    listing = board_list(user=socialworker, filters={"building": building_4}, now=timezone.now())
    assert listing.figures["total"] == 2


def test_a_grid_worker_counts_only_their_grid(gridworker, socialworker, community, household_a, household_b):
    _report(socialworker, community, household_b)  # grid B: not the grid worker's
    from grassroots.cases.plan_layers import open_cases

    assert open_cases(gridworker, community.pk) == {}
    assert open_cases(socialworker, community.pk) == {household_b.building_id: 1}


def test_a_sensitive_tag_is_counted_only_for_who_may_see_it(
    socialworker, volunteer, patroller, community, household_a, monkeypatch
):
    person = PersonFactory(household=household_a, name="李桂芝")
    PersonTagFactory(person=person, tag=vulnerability_tag("disabled"), level=1)
    from grassroots.people import plan_layers

    assert vulnerability_tag("disabled").sensitive
    assert plan_layers.vulnerable_households(socialworker, community.pk) == {household_a.building_id: 1}
    real = plan_layers.user_can
    monkeypatch.setattr(
        plan_layers,
        "user_can",
        lambda user, cap: cap != "people.persontag.view_sensitive" and real(user, cap),
    )
    assert plan_layers.vulnerable_households(socialworker, community.pk) == {}
    assert "vulnerable" not in _client(patroller).get("/plan/").content.decode()


def test_the_plan_page_lists_every_building_with_its_count_beside_the_drawing(
    patroller, community, neighbourhood
):
    page = _client(patroller).get("/plan/").content.decode()
    assert page.count('data-building="') == Building.objects.filter(community=community).count()
    assert "Building 4" in page and "Building 7" in page


def test_a_tile_server_puts_the_map_behind_the_plan(patroller, admin_user, community, settings):
    plan_import(actor=admin_user, check=check_plan(community=community, content=_good_file()))
    settings.GRASSROOTS_MAP_TILES = "https://tiles.example/{z}/{x}/{y}.png"
    page = _client(patroller).get("/plan/").content.decode()
    tiles = [part.split('"')[0] for part in page.split('<image class="tile" href="')[1:]]
    assert tiles and all(url.startswith("https://tiles.example/") and url.endswith(".png") for url in tiles)
    from grassroots.places.siteplan import _tile_corner, _tile_of

    zoom, x, y = (
        int(n) for n in tiles[0].removeprefix("https://tiles.example/").removesuffix(".png").split("/")
    )
    assert _tile_of(*_tile_corner(x, y, zoom), zoom) == (x, y)  # a corner belongs to its own tile
    settings.GRASSROOTS_MAP_TILES = ""
    assert "<image" not in _client(patroller).get("/plan/").content.decode()


def test_safety_hazards_on_the_plan_equal_the_board_filtered_to_hazards(socialworker, community, household_a):
    from django.utils import timezone

    from grassroots.cases.plan_layers import open_hazards
    from grassroots.cases.selectors import board_list

    hazard = Category.objects.get(code="facilities-hazard")
    assert hazard.hazard and Category.objects.get(code="utilities-gas").hazard
    _report(socialworker, community, household_a)  # a dark corridor: not a hazard
    cases.case_report(
        actor=socialworker,
        community=community,
        details=ReportDetails(
            category=hazard,
            description="楼道地砖翘起",
            channel=Channel.PHONE,
            household=household_a,
            answers={"injured": "no"},
        ),
        register=True,
    )
    building_4 = household_a.building
    assert open_hazards(socialworker, community.pk) == {building_4.pk: 1}
    page = _client(socialworker).get("/plan/?layer=hazards").content.decode()
    assert f'data-building="{building_4.pk}"' in page and 'data-count="1"' in page
    assert f"/cases/board/?building={building_4.pk}&amp;hazard=on" in page
    listing = board_list(
        user=socialworker, filters={"building": building_4, "hazard": True}, now=timezone.now()
    )
    assert listing.figures["total"] == 1
    board = _client(socialworker).get(f"/cases/board/?building={building_4.pk}&hazard=on")
    assert board.status_code == 200 and "Safety hazards only" in board.content.decode()
