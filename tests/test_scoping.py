"""Who sees what: every role against every registry model, through `visible_to`.

The world: our community has grid A and grid B; the neighbouring community X lies
in the same street; community F lies in another street. Each of A, B, X and F has
one row of every registry model, labelled with its letter (communities are
labelled "ours", "X" and "F"). The table says, for each model and role, which
labels `Model.objects.visible_to(user)` returns. Deny by default: an empty cell
means nothing at all.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import models

from grassroots.accounts.models import Role, User
from grassroots.orgs.models import MemberUnit, PartyBranch, PartyMember, Volunteer, VolunteerTeam
from grassroots.people.models import Person, PersonalDataAccess, PersonTag, Relation, Residency
from grassroots.places.models import Building, Community, Grid, Household
from tests.factories import (
    BuildingFactory,
    CommunityFactory,
    GridFactory,
    HouseholdFactory,
    MemberUnitFactory,
    PartyBranchFactory,
    PartyMemberFactory,
    PersonFactory,
    PersonTagFactory,
    StreetFactory,
    VolunteerFactory,
    VolunteerTeamFactory,
    user_for,
    vulnerability_tag,
)

REGIONS = ("A", "B", "X", "F")


@dataclass
class World:
    """Rows of every registry model, by label, and one user per role."""

    labels: dict[type[models.Model], dict[int, str]] = field(default_factory=dict)
    users: dict[str, User | AnonymousUser | None] = field(default_factory=dict)

    def add(self, label: str, obj: models.Model) -> models.Model:
        self.labels.setdefault(type(obj), {})[obj.pk] = label
        return obj

    def visible(self, model: type[models.Model], who: str) -> set[str]:
        ids = model.objects.visible_to(self.users[who]).values_list("pk", flat=True)
        return {self.labels[model][pk] for pk in ids}


@pytest.fixture
def world(db) -> World:
    world = World()
    our_street = StreetFactory(code="DAGU")
    ours = world.add("ours", CommunityFactory(street=our_street, code="HSY"))
    x = world.add("X", CommunityFactory(street=our_street, code="XG"))
    f = world.add("F", CommunityFactory(street=StreetFactory(code="FAR"), code="FAR"))
    community_of = {"A": ours, "B": ours, "X": x, "F": f}
    grids: dict[str, Grid] = {}
    auditor = user_for(Role.SECRETARY, community=ours, username="auditor")
    for region in REGIONS:
        community = community_of[region]
        grid = world.add(region, GridFactory(community=community, code=region))
        grids[region] = grid
        building = world.add(region, BuildingFactory(grid=grid))
        home = world.add(region, HouseholdFactory(building=building))
        person = world.add(region, PersonFactory(household=home, relation=Relation.HEAD))
        world.add(region, Residency.objects.get(person=person))
        world.add(region, PersonTagFactory(person=person, tag=vulnerability_tag("disabled"), level=2))
        branch = world.add(region, PartyBranchFactory(community=community))
        world.add(region, PartyMemberFactory(branch=branch, person=person))
        world.add(region, VolunteerTeamFactory(community=community))
        world.add(region, VolunteerFactory(person=person, home_grid=grid))
        world.add(region, MemberUnitFactory(community=community))
        access = PersonalDataAccess.objects.create(user=auditor, person=person, field="phone", purpose="回访")
        world.add(region, access)

    world.users = {
        "secretary": user_for(Role.SECRETARY, community=ours),
        "socialworker": user_for(Role.SOCIAL_WORKER, community=ours),
        "gridworker": user_for(Role.GRID_WORKER, community=ours, grids=[grids["A"]]),
        "street": user_for(Role.STREET, street=our_street),
        "patroller": user_for(Role.PATROLLER, community=ours),
        "volunteer": user_for(Role.VOLUNTEER, community=ours),
        "unitcontact": user_for(Role.UNIT_CONTACT, community=ours),
        "outsider": user_for(Role.SOCIAL_WORKER, community=x),
        "superuser": user_for(Role.ADMIN, is_superuser=True),
        "admin_without_community": user_for(Role.ADMIN),
        "inactive": user_for(Role.SECRETARY, community=ours, is_active=False),
        "anonymous": AnonymousUser(),
        "nobody": None,
    }
    return world


ROLES = (
    "secretary",
    "socialworker",
    "gridworker",
    "street",
    "patroller",
    "volunteer",
    "unitcontact",
    "outsider",
    "superuser",
)
OURS = "A B"
STREET = "A B X"
ALL = "A B X F"

# Community rows are labelled "ours", "X" and "F"; every other model's rows "A", "B", "X" and "F".
# Columns, in the order of ROLES: secretary, socialworker, gridworker, street, patroller,
# volunteer, unitcontact, outsider, superuser.
TABLE: dict[type[models.Model], tuple[str, ...]] = {
    Community: ("ours", "ours", "", "ours X", "ours", "", "", "X", "ours X F"),
    Grid: (OURS, OURS, "A", STREET, OURS, "", "", "X", ALL),
    Building: (OURS, OURS, "A", STREET, OURS, "", "", "X", ALL),
    Household: (OURS, OURS, "A", STREET, OURS, "", "", "X", ALL),
    Person: (OURS, OURS, "A", STREET, "", "", "", "X", ALL),
    Residency: (OURS, OURS, "A", STREET, "", "", "", "X", ALL),
    PersonTag: (OURS, OURS, "A", STREET, "", "", "", "X", ALL),
    PartyBranch: (OURS, OURS, "", STREET, "", OURS, OURS, "X", ALL),
    PartyMember: (OURS, OURS, "", STREET, "", "", "", "X", ALL),
    VolunteerTeam: (OURS, OURS, "", STREET, "", OURS, OURS, "X", ALL),
    Volunteer: (OURS, OURS, "A", STREET, "", "", "", "X", ALL),
    MemberUnit: (OURS, OURS, "", STREET, "", OURS, OURS, "X", ALL),
    # Who saw which number in full: the committee and the street audit it; workers do not.
    PersonalDataAccess: (OURS, "", "", STREET, "", "", "", "", ALL),
}


def expected_for(role: str) -> dict[str, set[str]]:
    column = ROLES.index(role)
    return {model.__name__: set(row[column].split()) for model, row in TABLE.items()}


@pytest.mark.parametrize("role", ROLES)
def test_each_role_sees_exactly_its_scope(world: World, role: str):
    """One world per role, every model compared at once: a mismatch shows as a dict diff."""
    seen = {model.__name__: world.visible(model, role) for model in TABLE}
    assert seen == expected_for(role)


@pytest.mark.parametrize("who", ["anonymous", "nobody", "inactive", "admin_without_community"])
def test_nobody_without_a_scope_sees_anything(world: World, who: str):
    assert {model.__name__: world.visible(model, who) for model in TABLE} == {
        model.__name__: set() for model in TABLE
    }


def test_the_table_covers_every_scoped_model_of_the_registry():
    from django.apps import apps

    scoped = {
        model
        for app in ("places", "people", "orgs")
        for model in apps.get_app_config(app).get_models()
        if hasattr(model.objects, "visible_to")
    }
    assert scoped == set(TABLE)


def test_a_grid_worker_of_two_grids_sees_both(world: World):
    our_grids = Grid.objects.filter(community__code="HSY")
    worker = user_for(Role.GRID_WORKER, community=our_grids[0].community, grids=our_grids)
    assert {world.labels[Person][p.pk] for p in Person.objects.visible_to(worker)} == {"A", "B"}


def test_a_grid_worker_without_grids_sees_no_people(world: World):
    worker = user_for(Role.GRID_WORKER, community=Community.objects.get(code="HSY"))
    assert not Person.objects.visible_to(worker).exists()
    assert not Household.objects.visible_to(worker).exists()


def test_people_follow_their_household_into_the_grid_workers_view(world: World):
    """Scope by grid goes through where a person lives now, so a move changes who sees them."""
    worker = world.users["gridworker"]
    person_b = Person.objects.get(pk=next(pk for pk, label in world.labels[Person].items() if label == "B"))
    home_a = Household.objects.get(pk=next(pk for pk, lb in world.labels[Household].items() if lb == "A"))
    assert not Person.objects.visible_to(worker).filter(pk=person_b.pk).exists()
    Person.objects.filter(pk=person_b.pk).update(current_household=home_a)
    assert Person.objects.visible_to(worker).filter(pk=person_b.pk).exists()


def test_an_unknown_action_is_refused_even_in_scope(world: World):
    assert not Person.objects.visible_to(world.users["secretary"], "delete").exists()
    assert Person.objects.visible_to(world.users["superuser"], "delete").count() == 4


# --- residents ---------------------------------------------------------------------


@pytest.fixture
def family(neighbourhood):
    """Granny Wang and her son at 4-2-301; a neighbour at 4-1-101 in the same grid."""
    granny = PersonFactory(name="王秀兰", household=neighbourhood.home_4_2_301, relation=Relation.HEAD)
    son = PersonFactory(name="李强", sex="M", household=neighbourhood.home_4_2_301, relation=Relation.CHILD)
    neighbour = PersonFactory(name="张建国", household=neighbourhood.home_4_1_101)
    account = user_for(Role.RESIDENT, person=granny)
    return granny, son, neighbour, account


def test_a_resident_sees_their_household_and_its_members_only(neighbourhood, family):
    granny, son, neighbour, account = family
    assert set(Person.objects.visible_to(account)) == {granny, son}
    assert neighbour not in set(Person.objects.visible_to(account))
    assert set(Household.objects.visible_to(account)) == {neighbourhood.home_4_2_301}


def test_a_resident_sees_no_registry_beyond_their_home(neighbourhood, family):
    granny, _son, _neighbour, account = family
    PersonTagFactory(person=granny, tag=vulnerability_tag("disabled"), level=1)
    for model in (Community, Grid, Building, Residency, PersonTag, PartyBranch, Volunteer, MemberUnit):
        assert not model.objects.visible_to(account).exists(), model.__name__


def test_a_resident_who_moved_out_sees_nothing(neighbourhood, family):
    granny, _son, _neighbour, _account = family
    Person.objects.filter(pk=granny.pk).update(current_household=None, status="moved_out")
    account = User.objects.get(person=granny)  # a fresh request: the scope is computed again
    assert not Person.objects.visible_to(account).exists()
    assert not Household.objects.visible_to(account).exists()


def test_scope_is_computed_once_per_user_object(neighbourhood, family, django_assert_num_queries):
    _granny, _son, _neighbour, account = family
    account = User.objects.get(pk=account.pk)
    list(Person.objects.visible_to(account))  # computes and caches the scope
    with django_assert_num_queries(1):
        list(Person.objects.visible_to(account))
