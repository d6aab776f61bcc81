# ruff: noqa: F811 (fixtures imported from tests.test_api_helpers are parameters here)
"""Who sees what: every role against every scoped model, through `visible_to`.

The world: our community has grid A and grid B; the neighbouring community X lies
in the same street; community F lies in another street. Each of A, B, X and F has
one row of every registry model, labelled with its letter (communities are
labelled "ours", "X" and "F"). The table says, for each model and role, which
labels `Model.objects.visible_to(user)` returns. Deny by default: an empty cell
means nothing at all.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import pytest
from django.contrib.auth import authenticate
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.db import models, transaction
from django.urls import reverse

import grassroots
from grassroots.accounts import system_actor
from grassroots.accounts.models import Role, User
from grassroots.accounts.roles import is_system, role_of, user_scope
from grassroots.care.models import (
    Campaign,
    CampaignHousehold,
    CampaignHouseholdScope,
    CareProfile,
    CareRecordAccess,
    CommunityWideScope,
    Enrolment,
    PlannedService,
    Programme,
    ProgrammeService,
    Visit,
)
from grassroots.cases.models import Case
from grassroots.cases.scope import CaseScope
from grassroots.cases.services import Party, case_dispatch, case_report
from grassroots.core.admin import ScopedAdminMixin
from grassroots.core.scoping import PATH_SCOPE, ScopedQuerySet, ScopePolicy, scope_policy_of
from grassroots.insights.models import MonthlyReport
from grassroots.orgs.models import (
    MemberUnit,
    PartyBranch,
    PartyMember,
    ServingReport,
    Volunteer,
    VolunteerTeam,
)
from grassroots.orgs.serving import serving_report_submit
from grassroots.people import history
from grassroots.people.models import (
    Consent,
    Person,
    PersonalDataAccess,
    PersonTag,
    RegistryChange,
    Relation,
    Residency,
)
from grassroots.places.models import Building, Community, Grid, Household
from grassroots.privacy import services as privacy
from grassroots.privacy.models import DataRequest
from grassroots.telephony.models import Call, Line
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
from tests.test_api_helpers import (  # noqa: F401 (fixtures)
    case_in_grid_a,
    case_in_grid_b,
    outsider_case,
    sensitive_case,
    water_details,
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
        report = serving_report_submit(
            community=community,
            name="赵志强",
            sex="M",
            phone=f"139000011{REGIONS.index(region):02d}",
            workplace="区卫健委",
            origin_branch="机关党支部",
            commitment_hours=20,
        )
        world.add(region, report)
        access = PersonalDataAccess.objects.create(user=auditor, person=person, field="phone", purpose="回访")
        world.add(region, access)
        change = history.record(
            community_id=community.pk,
            person_id=person.pk,
            household_id=home.pk,
            action="edit",
            field="note",
            new="x",
        )
        world.add(region, change)
        consent = Consent.objects.create(
            person=person,
            community=community,
            given_by="self",
            method="verbal",
            notice_version="2026-12",
            recorded_by=auditor,
        )
        world.add(region, consent)

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
    # Serving party members' reports: for the office that confirms them, not the street or the grids.
    ServingReport: (OURS, OURS, "", "", "", "", "", "X", ALL),
    # Who saw which number in full: the committee and the street audit it; workers do not.
    PersonalDataAccess: (OURS, "", "", STREET, "", "", "", "", ALL),
    # The register's history: as the households it is about.
    RegistryChange: (OURS, OURS, "A", STREET, "", "", "", "X", ALL),
    # Consents to keeping sensitive data: as the people they are about.
    Consent: (OURS, OURS, "A", STREET, "", "", "", "X", ALL),
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


# --- care: every care model, through its policy --------------------------------------------------
#
# Rows of every care model for a person in grid A, one in grid B (both ours) and one in the
# neighbouring community X; campaigns and programmes belong to a whole community ("ours", "X").


@pytest.fixture
def care_world(neighbourhood, other_household, socialworker, outsider) -> dict[type, dict[int, str]]:
    labels: dict[type, dict[int, str]] = {}

    def add(label: str, obj):
        labels.setdefault(type(obj), {})[obj.pk] = label
        return obj

    ours, x = neighbourhood.community, other_household.building.community
    today = date(2027, 3, 1)
    kept: dict[int, tuple] = {}
    for community, label in ((ours, "ours"), (x, "X")):
        campaign = add(
            label, Campaign.objects.create(community=community, name="敲门", starts_on=today, ends_on=today)
        )
        programme = add(label, Programme.objects.create(community=community, name="助老"))
        service = ProgrammeService.objects.create(programme=programme, kind="home_chat", name="上门聊天")
        kept[community.pk] = (campaign, programme, service, VolunteerTeamFactory(community=community))
    places = {
        "A": (ours, neighbourhood.home_4_2_301, socialworker),
        "B": (ours, neighbourhood.home_7_1_502, socialworker),
        "X": (x, other_household, outsider),
    }
    for label, (community, home, visitor) in places.items():
        campaign, programme, service, team = kept[community.pk]
        person = PersonFactory(household=home, relation=Relation.HEAD)
        place = {"community": community, "household": home, "grid": home.grid}
        add(label, CareProfile.objects.create(person=person, on_register=True, **place))
        add(label, CampaignHousehold.objects.create(campaign=campaign, household=home, grid=home.grid))
        add(label, Visit.objects.create(person=person, visitor=visitor, **place))
        enrolment = add(
            label,
            Enrolment.objects.create(
                programme=programme, person=person, reason="独居", starts_on=today, team=team, **place
            ),
        )
        add(
            label,
            PlannedService.objects.create(
                enrolment=enrolment, service=service, window_start=today, due_on=today, **place
            ),
        )
        add(
            label,
            CareRecordAccess.objects.create(user=visitor, community=community, person=person, what="visit"),
        )
    return labels


CARE_ROLES = (
    "secretary",
    "socialworker",
    "gridworker",
    "street_user",
    "outsider",
    "resident",
    "volunteer",
    "admin_user",
)
# Columns, in the order of CARE_ROLES. The grid worker sees their community's campaigns and
# programmes (CommunityWideScope), a campaign's households as far as they see campaigns
# (CampaignHouseholdScope); who saw a full record is for the legs only.
CARE_TABLE: dict[type[models.Model], tuple[str, ...]] = {
    CareProfile: (OURS, OURS, "A", "A B X", "X", "", "", "A B X"),
    Campaign: ("ours", "ours", "ours", "ours X", "X", "", "", "ours X"),
    CampaignHousehold: (OURS, OURS, "A", "A B X", "X", "", "", "A B X"),
    Visit: (OURS, OURS, "A", "A B X", "X", "", "", "A B X"),
    Programme: ("ours", "ours", "ours", "ours X", "X", "", "", "ours X"),
    Enrolment: (OURS, OURS, "A", "A B X", "X", "", "", "A B X"),
    PlannedService: (OURS, OURS, "A", "A B X", "X", "", "", "A B X"),
    CareRecordAccess: (OURS, "", "", "A B X", "", "", "", "A B X"),
}


@pytest.mark.parametrize("role", CARE_ROLES)
def test_each_role_sees_exactly_its_care_rows(care_world, request, role: str):
    user = request.getfixturevalue(role)
    column = CARE_ROLES.index(role)
    seen = {
        model.__name__: {
            care_world[model][pk] for pk in model.objects.visible_to(user).values_list("pk", flat=True)
        }
        for model in CARE_TABLE
    }
    assert seen == {model.__name__: set(row[column].split()) for model, row in CARE_TABLE.items()}


def test_a_grid_worker_without_a_community_sees_no_campaign(care_world, grid_a):
    worker = user_for(Role.GRID_WORKER, community=grid_a.community, grids=[grid_a])
    User.objects.filter(pk=worker.pk).update(community=None)
    worker = User.objects.get(pk=worker.pk)
    assert not Campaign.objects.visible_to(worker).exists()
    assert CareProfile.objects.visible_to(worker).exists()  # their grid still reaches people


# --- activities and the hours ledger -----------------------------------------------------------------


@pytest.fixture
def activities_world(neighbourhood, other_household, granny_wang, volunteer, secretary, socialworker):
    """An activity in our community and one in X; sign-ups and ledger rows of the volunteer ("mine"),
    of Granny Wang ("granny") and of a resident of X ("X")."""
    from datetime import timedelta
    from decimal import Decimal

    from django.utils import timezone

    from grassroots.activities.models import Activity, HoursEntry, Signup, Theme

    labels: dict[type[models.Model], dict[int, str]] = {}

    def add(label, obj):
        labels.setdefault(type(obj), {})[obj.pk] = label
        return obj

    ours, x = neighbourhood.community, other_household.building.community
    starts = timezone.now() + timedelta(days=1)
    theme = Theme.objects.get(code="red-lighthouse")
    activity = {}
    for community, label in ((ours, "ours"), (x, "X")):
        activity[label] = add(
            label,
            Activity.objects.create(
                community=community,
                title="楼道清扫",
                theme=theme,
                place="4号楼",
                starts_at=starts,
                ends_at=starts + timedelta(hours=2),
                capacity=5,
                signup_deadline=starts,
            ),
        )
    theirs = PersonFactory(household=other_household)
    for label, person, where in (
        ("mine", volunteer.person, "ours"),
        ("granny", granny_wang, "ours"),
        ("X", theirs, "X"),
    ):
        add(
            label,
            Signup.objects.create(
                activity=activity[where], person=person, status="confirmed", signed_up_at=starts
            ),
        )
        add(
            label,
            HoursEntry.objects.create(
                community=activity[where].community,
                person=person,
                source_kind="activity",
                source_id=1,
                hours=Decimal(1),
                points=Decimal(1),
                worked_at=starts,
                recorded_at=starts,
            ),
        )
    return labels


ACTIVITIES_ROLES = (
    "secretary",
    "socialworker",
    "gridworker",
    "street_user",
    "outsider",
    "resident",
    "volunteer",
    "patroller",
    "admin_user",
)
_OUR_ROWS = "mine granny"
# Columns, in the order of ACTIVITIES_ROLES. Activities are the whole community's (a grid worker and a
# resident reach their community's); sign-ups and ledger rows are the office's in its scope, and
# everyone else's own.
ACTIVITIES_TABLE: dict[str, tuple[str, ...]] = {
    "Activity": ("ours", "ours", "ours", "ours X", "X", "ours", "ours", "", "ours X"),
    "Signup": (_OUR_ROWS, _OUR_ROWS, "", "mine granny X", "X", "granny", "mine", "", "mine granny X"),
    "HoursEntry": (_OUR_ROWS, _OUR_ROWS, "", "mine granny X", "X", "granny", "mine", "", "mine granny X"),
}


@pytest.mark.parametrize("role", ACTIVITIES_ROLES)
def test_each_role_sees_exactly_its_activities_sign_ups_and_hours(activities_world, request, role: str):
    user = request.getfixturevalue(role)
    column = ACTIVITIES_ROLES.index(role)
    seen = {
        model.__name__: {
            activities_world[model][pk] for pk in model.objects.visible_to(user).values_list("pk", flat=True)
        }
        for model in activities_world
    }
    assert seen == {name: set(row[column].split()) for name, row in ACTIVITIES_TABLE.items()}


# --- the three lists: needs, resources, projects ---------------------------------------------------


@pytest.fixture
def lists_world(neighbourhood, other_household, socialworker, unitcontact):
    """Needs in grid A, grid B and X; resources of the unit contact's unit ("unit"), of another of our
    units ("ours") and of X's; a project using each resource."""
    from django.utils import timezone

    from grassroots.activities.models import Need, Project, ProjectResource, Resource

    labels: dict[type[models.Model], dict[int, str]] = {}

    def add(label, obj):
        labels.setdefault(type(obj), {})[obj.pk] = label
        return obj

    ours, x = neighbourhood.community, other_household.building.community
    for label, community, grid in (
        ("A", ours, neighbourhood.grid_a),
        ("B", ours, neighbourhood.grid_b),
        ("X", x, other_household.grid),
    ):
        add(label, Need.objects.create(community=community, grid=grid, title="送餐"))
    need = {row.community_id: row for row in Need.objects.order_by("id")}
    today = timezone.localdate()
    for label, unit in (
        ("unit", unitcontact.member_unit),
        ("ours", MemberUnitFactory(community=ours)),
        ("X", MemberUnitFactory(community=x)),
    ):
        resource = add(
            label,
            Resource.objects.create(
                community=unit.community,
                unit=unit,
                title="义诊",
                capacity=5,
                capacity_unit="人次",
                available_from=today,
            ),
        )
        project = add(
            label,
            Project.objects.create(
                community=unit.community, need=need[unit.community_id], title="义诊", starts_on=today
            ),
        )
        ProjectResource.objects.create(project=project, resource=resource, committed=1)
    return labels


LISTS_ROLES = (*ACTIVITIES_ROLES, "unitcontact")
# Columns, in the order of LISTS_ROLES. The office its community; the grid worker the needs of its
# grid (A); the street its street; a unit contact their unit's offers and the projects using them.
LISTS_TABLE: dict[str, tuple[str, ...]] = {
    "Need": ("A B", "A B", "A", "A B X", "X", "", "", "", "A B X", ""),
    "Resource": ("unit ours", "unit ours", "", "unit ours X", "X", "", "", "", "unit ours X", "unit"),
    "Project": ("unit ours", "unit ours", "", "unit ours X", "X", "", "", "", "unit ours X", "unit"),
}


@pytest.mark.parametrize("role", LISTS_ROLES)
def test_each_role_sees_exactly_its_needs_resources_and_projects(lists_world, request, role: str):
    user = request.getfixturevalue(role)
    column = LISTS_ROLES.index(role)
    seen = {
        model.__name__: {
            lists_world[model][pk] for pk in model.objects.visible_to(user).values_list("pk", flat=True)
        }
        for model in lists_world
    }
    assert seen == {name: set(row[column].split()) for name, row in LISTS_TABLE.items()}


# --- cases: scope, parties, sensitive categories, and the action --------------------------------


@pytest.fixture
def case_scene(socialworker, volunteer, case_in_grid_a, case_in_grid_b, sensitive_case, outsider_case):
    """Four cases; the one in grid A is Granny Wang's own report, dispatched to the volunteer."""
    case_dispatch(actor=socialworker, case=case_in_grid_a, lead=Party("person", volunteer.person_id))
    return {"a": case_in_grid_a, "b": case_in_grid_b, "sensitive": sensitive_case, "outsider": outsider_case}


CASES_SEEN = {
    "secretary": {"a", "b", "sensitive"},
    "socialworker": {"a", "b", "sensitive"},
    "gridworker": {"a"},  # grid A, but not the sensitive case there
    "street_user": {"a", "b", "outsider"},
    "outsider": {"outsider"},
    "resident": {"a"},  # Granny Wang reported it
    "volunteer": {"a"},  # dispatched to them
    "patroller": set(),
    "admin_user": {"a", "b", "sensitive", "outsider"},
}


@pytest.mark.parametrize("role", CASES_SEEN)
def test_each_role_sees_exactly_its_cases(case_scene, request, role: str):
    user = request.getfixturevalue(role)
    seen = {
        name for name, case in case_scene.items() if Case.objects.visible_to(user).filter(pk=case.pk).exists()
    }
    assert seen == CASES_SEEN[role]


def test_the_case_policy_asks_for_the_capability_of_the_action(case_scene, secretary, admin_user):
    """No role holds "cases.case.delete" (nor "…delete_own"): nothing, whatever the scope."""
    assert Case.objects.visible_to(secretary).exists()
    assert not Case.objects.visible_to(secretary, "delete").exists()
    assert Case.objects.visible_to(admin_user, "delete").count() == 4


def test_an_action_held_only_for_ones_own_cases_reaches_only_those(
    case_scene, gridworker, volunteer, monkeypatch
):
    """`<action>_own` reaches what the user is a party to, `<action>` their whole scope."""
    from grassroots.accounts import roles

    monkeypatch.setitem(
        roles.ROLE_CAPABILITIES,
        Role.GRID_WORKER,
        roles.ROLE_CAPABILITIES[Role.GRID_WORKER] | {"cases.case.urge_own"},
    )
    monkeypatch.setitem(
        roles.ROLE_CAPABILITIES,
        Role.VOLUNTEER,
        roles.ROLE_CAPABILITIES[Role.VOLUNTEER] | {"cases.case.urge_own"},
    )
    assert not Case.objects.visible_to(gridworker, "urge").exists()  # in scope, but a party to nothing
    assert set(Case.objects.visible_to(volunteer, "urge")) == {case_scene["a"]}


def test_the_door_stays_a_queryset(case_scene, socialworker):
    """Filter it, lock it, count it: `visible_to` is a queryset like any other."""
    with transaction.atomic():
        locked = Case.objects.visible_to(socialworker).filter(pk=case_scene["a"].pk).select_for_update()
        assert list(locked) == [case_scene["a"]]
    assert Case.objects.filter(pk=case_scene["outsider"].pk).visible_to(socialworker).count() == 0


def test_party_filter_is_still_where_it_was():
    from grassroots.cases.selectors import party_filter

    assert callable(party_filter)


# --- one door for every scoped model ---------------------------------------------------------------


def _scoped_models() -> set[type[models.Model]]:
    from django.apps import apps

    return {model for model in apps.get_models() if hasattr(model.objects, "visible_to")}


def _activities_models() -> set[type[models.Model]]:
    from grassroots.activities.models import Activity, HoursEntry, Need, Project, Resource, Signup

    assert {model.__name__ for model in (Activity, Signup, HoursEntry)} == set(ACTIVITIES_TABLE)
    assert {model.__name__ for model in (Need, Resource, Project)} == set(LISTS_TABLE)
    return {Activity, Signup, HoursEntry, Need, Resource, Project}


def test_the_tables_cover_every_scoped_model():
    from grassroots.ledger.models import ImportRun

    # ImportRun (a ledger import, community-wide): who opens a run is tried in tests/test_access_matrix.py.
    from grassroots.wechat.models import Follower

    assert _scoped_models() == set(TABLE) | set(CARE_TABLE) | _activities_models() | {
        Case,
        DataRequest,
        ImportRun,
        Line,
        Call,
        Follower,
        MonthlyReport,
    }


@pytest.mark.parametrize(
    ("role", "sees"),
    [
        ("secretary", set()),
        ("socialworker", set()),
        ("street_user", set()),
        ("gridworker", set()),
        ("resident", set()),
        ("outsider", set()),
        ("admin_user", {"ours", "X"}),
    ],
)
def test_wechat_followers_are_seen_by_no_community_role(
    request, role, sees, granny_wang, other_household, resident
):
    """A follower's binding (an OpenID) serves the channel only: no page shows it, no role reads it."""
    from grassroots.wechat.models import Follower, openid_hash

    theirs = PersonFactory(household=other_household)
    rows = {}
    for label, person in (("ours", granny_wang), ("X", theirs)):
        openid = f"o-follower-{label}"
        follower = Follower.objects.create(
            community=person.community, person=person, openid=openid, openid_hash=openid_hash(openid)
        )
        rows[follower.pk] = label
    seen = Follower.objects.visible_to(request.getfixturevalue(role)).values_list("pk", flat=True)
    assert {rows[pk] for pk in seen} == sees


@pytest.mark.parametrize(
    ("role", "sees"),
    [
        ("secretary", {"ours"}),
        ("socialworker", {"ours"}),
        ("street_user", {"ours", "X"}),
        ("outsider", {"X"}),
        ("gridworker", set()),
        ("volunteer", set()),
        ("resident", set()),  # a resident reads their own on the portal, through their person
    ],
)
def test_personal_information_requests_stay_in_their_community(
    request, role, sees, granny_wang, other_household, socialworker
):
    from grassroots.accounts.models import Role
    from tests.factories import PersonFactory, user_for

    theirs = PersonFactory(household=other_household)
    worker_x = user_for(Role.SOCIAL_WORKER, community=theirs.community, username="worker-x")
    rows = {
        privacy.request_file(actor=socialworker, person=granny_wang, kind="access").pk: "ours",
        privacy.request_file(actor=worker_x, person=theirs, kind="access").pk: "X",
    }
    user = request.getfixturevalue(role)
    seen = DataRequest.objects.visible_to(user).values_list("pk", flat=True)
    assert {rows[pk] for pk in seen} == sees


@pytest.mark.parametrize(
    ("role", "sees"),
    [
        ("secretary", {"ours"}),
        ("socialworker", {"ours"}),
        ("gridworker", {"ours"}),  # a line rings for the whole community, grids or not
        ("street_user", {"ours", "X"}),
        ("admin_user", {"ours", "X"}),
        ("outsider", {"X"}),
        ("volunteer", set()),
        ("patroller", set()),
        ("resident", set()),
    ],
)
def test_phone_lines_and_calls_stay_in_their_community(request, role, sees, community, other_community):
    from django.utils import timezone

    labels: dict[type, dict[int, str]] = {Line: {}, Call: {}}
    for place, label in ((community, "ours"), (other_community, "X")):
        line = Line.objects.create(community=place, code="office", name="热线")
        call = Call(community=place, line=line, call_id="c-1", status="ringing")
        call.rang_at = call.updated_at = timezone.now()
        call.save()
        labels[Line][line.pk], labels[Call][call.pk] = label, label
    user = request.getfixturevalue(role)
    for model in (Line, Call):
        seen = model.objects.visible_to(user).values_list("pk", flat=True)
        assert {labels[model][pk] for pk in seen} == sees, model.__name__
    assert isinstance(scope_policy_of(Call), CommunityWideScope)


# --- the monthly reports: a street's for its street office, a community's for its legs and the street --


@pytest.fixture
def report_world(world: World) -> dict[int, str]:
    """The street's report ("street"), ours, X's (same street) and F's (another street)."""
    month = date(2026, 11, 1)
    ours, x, f = (Community.objects.get(code=code) for code in ("HSY", "XG", "FAR"))
    rows = {
        MonthlyReport.objects.create(street=ours.street, period=month).pk: "street",
        MonthlyReport.objects.create(street=ours.street, community=ours, period=month).pk: "ours",
        MonthlyReport.objects.create(street=x.street, community=x, period=month).pk: "X",
        MonthlyReport.objects.create(street=f.street, community=f, period=month).pk: "F",
    }
    return rows


# Who reads which report: the legs only (insights.monthlyreport.view), each its scope.
REPORTS_SEEN = {
    "secretary": {"ours"},
    "socialworker": set(),
    "gridworker": set(),
    "street": {"street", "ours", "X"},
    "patroller": set(),
    "volunteer": set(),
    "outsider": set(),
    "superuser": {"street", "ours", "X", "F"},
    "admin_without_community": set(),
    "anonymous": set(),
    "nobody": set(),
}


@pytest.mark.parametrize("who", REPORTS_SEEN)
def test_each_role_reads_exactly_its_monthly_reports(world: World, report_world, who: str):
    seen = MonthlyReport.objects.visible_to(world.users[who]).values_list("pk", flat=True)
    assert {report_world[pk] for pk in seen} == REPORTS_SEEN[who]


def test_every_scoped_model_goes_through_the_one_door_and_names_a_policy():
    for model in _scoped_models():
        queryset_class = type(model.objects.all())
        assert queryset_class.visible_to is ScopedQuerySet.visible_to, model.__name__
        assert isinstance(scope_policy_of(model), ScopePolicy), model.__name__
    assert isinstance(scope_policy_of(Case), CaseScope)
    assert isinstance(scope_policy_of(Campaign), CommunityWideScope)
    assert isinstance(scope_policy_of(CampaignHousehold), CampaignHouseholdScope)
    assert scope_policy_of(Person) is PATH_SCOPE


# --- the admin reads through the same door ---------------------------------------------------------


def test_every_admin_of_a_scoped_model_reads_through_visible_to():
    from django.contrib import admin

    scoped = _scoped_models()
    for model, model_admin in admin.site._registry.items():
        if model in scoped:
            assert isinstance(model_admin, ScopedAdminMixin), model.__name__
        for inline in model_admin.inlines:
            if inline.model in scoped:
                assert issubclass(inline, ScopedAdminMixin), inline.__name__


@pytest.fixture
def staff_secretary(community) -> User:
    """A secretary who may also open the admin (not a superuser): people and cases, read-only."""
    from django.contrib.auth.models import Permission

    user = user_for(Role.SECRETARY, community=community, username="staff", is_staff=True)
    user.user_permissions.set(
        Permission.objects.filter(
            codename__in=["view_person", "view_case", "view_household", "view_campaign"]
        )
    )
    return user


def _changelist(client, user, path: str) -> set:
    client.force_login(user)
    response = client.get(path)
    assert response.status_code == 200
    return set(response.context["cl"].queryset)


def test_a_staff_users_changelists_show_what_visible_to_shows(
    client, staff_secretary, admin_user, case_scene, care_world, other_household, granny_wang
):
    pages = {
        "/admin/people/person/": Person,
        "/admin/cases/case/": Case,
        "/admin/places/household/": Household,
        "/admin/care/campaign/": Campaign,
    }
    for path, model in pages.items():
        shown = _changelist(client, staff_secretary, path)
        assert shown == set(model.objects.visible_to(staff_secretary)), path
        assert shown != set(model.objects.all()), path  # the neighbouring community's rows are not there
        assert _changelist(client, admin_user, path) == set(model.objects.all()), path


def test_a_row_outside_the_scope_is_not_found_in_the_admin(client, staff_secretary, other_household):
    client.force_login(staff_secretary)
    response = client.get(f"/admin/places/household/{other_household.pk}/change/")
    assert response.status_code == 302  # the admin's "does not exist": back to the index, never the row
    assert response.url == reverse("admin:index")


def test_the_admin_saves_a_person_as_the_signed_in_user(rf, admin_user, granny_wang, monkeypatch):
    from django.contrib import admin

    from grassroots.people import admin as people_admin

    actors = []
    monkeypatch.setattr(
        people_admin, "person_update", lambda *, actor, person, details: actors.append(actor) or person
    )
    request = rf.post("/admin/people/person/")
    request.user = admin_user
    form = type("Form", (), {"details": lambda self: None, "cleaned_data": {}})()
    admin.site._registry[Person].save_model(request, granny_wang, form, change=True)
    assert actors == [admin_user]


# --- the system actor ---------------------------------------------------------------------------


def test_the_system_actor_is_one_recorded_account(db):
    actor = system_actor()
    assert actor.pk and actor == system_actor()  # created once, found afterwards
    assert User.objects.filter(username="system").count() == 1
    assert role_of(actor) == "system" and is_system(actor)
    assert user_scope(actor).level == "all"
    assert not actor.is_superuser and not actor.is_staff


def test_the_system_actor_can_never_sign_in(client, db):
    actor = system_actor()
    assert not actor.has_usable_password()
    assert not client.login(username="system", password="")
    actor.set_password("guessed-it-2027")  # someone gave it a password in the admin
    actor.save()
    assert authenticate(username="system", password="guessed-it-2027") is None
    client.force_login(actor)  # even a session made for it is not honoured
    assert client.get("/").status_code == 302


def test_nobody_else_can_be_given_the_system_role(db):
    system_actor().full_clean(exclude=["password"])  # the system account itself is valid
    with pytest.raises(ValidationError) as raised:
        User(username="wang", role=Role.SYSTEM).full_clean(exclude=["password"])
    assert "role" in raised.value.message_dict


def test_a_persons_account_called_system_is_not_taken_over(db):
    user_for(Role.ADMIN, username="system")
    with pytest.raises(ImproperlyConfigured):
        system_actor()


def test_what_the_system_actor_writes_is_recorded_as_the_system(community, household_a):
    case = case_report(
        actor=system_actor(), community=community, details=water_details(household=household_a)
    )
    event = case.events.get(action="report")
    assert event.actor == system_actor() and event.actor_role == "system"
    assert case.created_by == system_actor() and case.reporter_user is None


def test_the_system_actor_registers_what_it_reports_and_is_recorded_as_the_system(community, household_a):
    case = case_report(
        actor=system_actor(), community=community, details=water_details(household=household_a), register=True
    )
    assert case.status == "registered"
    assert case.events.get(action="register").actor_role == "system"


# --- no role name outside the permission module --------------------------------------------------

ROLE_CHECKS_PENDING: set[str] = set()
#: Data, not checks: the demo's accounts are named after the roles they are created with.
ROLE_DATA = {"demo/plan.py"}
_NAMES = "admin|secretary|street|socialworker|gridworker|volunteer|unitcontact|patroller|resident|system"
_STRICT = "secretary|socialworker|gridworker|unitcontact|patroller"
ROLE_CHECK_PATTERNS = [
    r"\.role\s*(==|!=)",  # user.role == ...
    rf"\brole\s*(==|!=)\s*[\"']({_NAMES})[\"']",  # templates: role != "resident"
    r"\.role\s+(not\s+)?in\b",  # user.role in {...}
    r"(==|!=)\s*Role\.|Role\.\w+\s*(==|!=)",
    r"\bin\s*[\[{(]\s*Role\.|[\[{(,]\s*Role\.\w+\s*[,\]})]",  # sets and lists of roles
    r"^\s*Role\.\w+\s*:",  # tables keyed by role
    rf"(==|!=)\s*[\"']({_NAMES})[\"']|[\"']({_NAMES})[\"']\s*(==|!=)",
    rf"\bin\s*[\[{{(]\s*[\"']({_NAMES})[\"']",
    rf"\{{\s*[\"']({_STRICT}|resident)[\"']\s*:|^\s*[\"']({_STRICT})[\"']\s*:",
    rf"[\[{{(]\s*[\"']({_NAMES})[\"']\s*,\s*[\"']({_NAMES})[\"']",
    r"\brole__in\b|__role\b|\b(filter|exclude|Q)\(.*\brole=",  # queries by role
    r"is_superuser else [\w.]*\.role\b",  # role_of, restated
    r"dict\(Role\.choices\)",
]


def role_checks_outside_the_permission_module() -> list[str]:
    source = Path(grassroots.__file__).parent
    skip = {"accounts/roles.py"} | ROLE_CHECKS_PENDING | ROLE_DATA
    found = []
    for path in sorted(source.rglob("*")):
        relative = path.relative_to(source).as_posix()
        if path.suffix not in {".py", ".html", ".txt"} or "migrations" in path.parts or relative in skip:
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if any(re.search(pattern, line) for pattern in ROLE_CHECK_PATTERNS):
                found.append(f"{relative}:{number}: {line.strip()}")
    return found


def test_no_role_name_is_compared_outside_the_permission_module():
    """Ask accounts.roles (a predicate, a capability, role_filter), never `user.role == …`."""
    assert role_checks_outside_the_permission_module() == []


@pytest.mark.parametrize(
    "line",
    [
        "if user.role == Role.RESIDENT:",
        'if user.role in {"resident", "patroller"}:',
        '{% if role != "secretary" %}',
        "User.objects.filter(role=Role.GRID_WORKER)",
        'return {"resident": Channel.WEB}.get(user.role)',
        '"role": "admin" if user.is_superuser else user.role,',
        '    Role.SECRETARY: "accounts/home_legs.html",',
    ],
)
def test_the_role_check_finder_finds_role_checks(line: str):
    assert any(re.search(pattern, line) for pattern in ROLE_CHECK_PATTERNS)


def test_nobody_cannot_write_through_the_services(community, household_a, granny_wang, socialworker):
    """actor=None is no trusted path any more: only the portal's member of the public reports with it."""
    from django.core.exceptions import PermissionDenied

    from grassroots.cases.services import case_register, case_urge
    from grassroots.people.services import PersonDetails, person_register

    public = case_report(actor=None, community=community, details=water_details(household=household_a))
    assert public.status == "reported"  # the portal's visitor may report
    with pytest.raises(PermissionDenied):
        case_report(
            actor=None, community=community, details=water_details(household=household_a), register=True
        )
    with pytest.raises(PermissionDenied):
        case_register(actor=None, case=public)
    registered = case_register(actor=socialworker, case=public)
    with pytest.raises(PermissionDenied):
        case_urge(actor=None, case=registered)
    with pytest.raises(PermissionDenied):
        person_register(actor=None, community_id=community.pk, details=PersonDetails(name="张三"))
