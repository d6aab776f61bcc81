"""`grassroots stats` counts what the article counts, per community, and only current residents."""

from __future__ import annotations

import json
from datetime import date
from io import StringIO

import pytest
from django.core.management import call_command

from grassroots.orgs.models import MemberUnit, PartyBranch, PartyMember, Volunteer, VolunteerTeam
from grassroots.people.models import Person, PersonStatus, Residency
from grassroots.places.models import Building, Community, Grid, Household, Street

pytestmark = pytest.mark.django_db


def stats(*args: str) -> str:
    output = StringIO()
    call_command("stats", *args, stdout=output)
    return output.getvalue()


def person(community: Community, name: str, household: Household | None, *, moved_out: date | None = None):
    if moved_out:
        status = PersonStatus.MOVED_OUT
    else:
        status = PersonStatus.LIVING if household else PersonStatus.NOT_RESIDENT
    someone = Person.objects.create(
        community=community,
        name=name,
        sex="F",
        status=status,
        current_household=household if not moved_out else None,
    )
    if household:
        Residency.objects.create(
            person=someone,
            household=household,
            relation="head",
            residence_type="registered",
            moved_in=date(2015, 1, 1),
            moved_out=moved_out,
        )
    return someone


@pytest.fixture
def small_community() -> Community:
    """Two flats, one resident, one who moved away, a resident and a serving party member."""
    street = Street.objects.create(name="大沽街道", code="DAGU")
    community = Community.objects.create(street=street, name="新港社区", code="XG")
    grid = Grid.objects.create(community=community, name="第一网格", code="G01")
    building = Building.objects.create(community=community, grid=grid, number=1, entrances=2)
    home = Household.objects.create(building=building, grid=grid, entrance=1, room="101")
    Household.objects.create(building=building, grid=grid, entrance=2, room="301")
    living = person(community, "李玉兰", home)
    person(community, "孙秀荣", home, moved_out=date(2020, 5, 1))
    serving = person(community, "马振华", None)
    branch = PartyBranch.objects.create(community=community, name="第一党支部")
    PartyMember.objects.create(person=living, branch=branch, kind="resident")
    PartyMember.objects.create(person=serving, branch=branch, kind="serving", workplace="大沽街道办事处")
    team = VolunteerTeam.objects.create(community=community, name="助老服务队")
    Volunteer.objects.create(person=living, home_grid=grid).teams.add(team)
    Volunteer.objects.create(person=serving, active=False)
    MemberUnit.objects.create(community=community, name="新港物业", kind="property")
    return community


def test_an_empty_database_has_no_communities():
    assert json.loads(stats("--json")) == {"communities": []}
    assert "No communities" in stats()


def test_the_figures_count_current_residents_and_resident_party_members(small_community):
    (row,) = json.loads(stats("--json"))["communities"]
    assert row == {
        "code": "XG",
        "name": "新港社区",
        "grids": 1,
        "buildings": 1,
        "households": 2,
        "residents": 1,
        "party_members": 1,
        "serving_party_members": 1,
        "party_branches": 1,
        "volunteer_teams": 1,
        "volunteers": 1,
        "member_units": 1,
    }


def test_without_json_it_prints_a_table(small_community):
    table = stats()
    assert "新港社区 (XG)" in table
    assert any(line.startswith("households") and line.rstrip().endswith("2") for line in table.splitlines())
