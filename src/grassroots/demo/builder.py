"""Write the Heshengyuan demo plan to the database, recognise it, and clear it.

The whole demo is written in one transaction, so it appears whole or not at all. The
registry (8,000 people, their homes and organisations) is bulk-created in a few seconds;
since that bypasses the people services, every field they derive is filled here: pinyin
keys, encrypted ID and phone numbers with their blind indexes and masks, current household
and status. What the apps built on it add, the hotline's integration, care and cases, goes
through their services (demo.api, demo.care, demo.cases).

A Street with code DEMO_STREET_CODE marks a demo database. A database that holds
communities, people or users but no marker is somebody's real data, and the demo
refuses to touch it.
"""

from __future__ import annotations

import importlib
import json
import random
import time
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from django.apps import apps
from django.contrib.auth.hashers import make_password
from django.contrib.sessions.models import Session
from django.core.management.color import no_style
from django.db import IntegrityError, connection, models, transaction

from grassroots.accounts import system_actor
from grassroots.accounts.models import User
from grassroots.accounts.roles import is_hands, is_system, role_filter
from grassroots.cases import rollups
from grassroots.cases.models import Category
from grassroots.demo.activities import build_activities_demo
from grassroots.demo.api import ensure_demo_api_client, ensure_demo_phone_line
from grassroots.demo.care import build_care_demo
from grassroots.demo.cases import build_case_demo
from grassroots.demo.layout import GRID_NAMES, plan_features
from grassroots.demo.lists import build_lists_demo
from grassroots.demo.organisations import BRANCH_NAMES, ELDERLY_CARE_TEAM, TEAMS
from grassroots.demo.plan import PRINTED_USERNAMES, SEED, DemoPlan, make_plan
from grassroots.notify.api import muted
from grassroots.orgs.models import (
    MemberUnit,
    PartyBranch,
    PartyMember,
    Skill,
    Volunteer,
    VolunteerTeam,
)
from grassroots.orgs.serving import serving_report_submit
from grassroots.people.models import Person, PersonNameKey, PersonTag, Residency, VulnerabilityTag
from grassroots.people.search import pinyin_keys
from grassroots.people.services import other_reading_rows
from grassroots.places.geo import check_plan, plan_import
from grassroots.places.models import Building, Community, Grid, Household, Street

DEMO_STREET_CODE = "DEMO-DAGU"
DEMO_COMMUNITY_CODE = "DEMO-HSY"
DEMO_PASSWORD = "grassroots-demo"  # noqa: S105 - public by contract (DESIGN.md), demo database only
BATCH = 500
# Roughly where Dagu street lies in Binhai New Area; buildings are laid out on a grid from here.
_ORIGIN = (Decimal("38.978000"), Decimal("117.688000"))


class DemoState(StrEnum):
    EMPTY = "empty"  # nothing in it yet: the demo may be built
    DEMO = "demo"  # the demo is there: reuse it
    OTHER = "other"  # real data: never mix the demo in


@dataclass(frozen=True)
class DemoResult:
    community: Community
    built: bool
    seconds: float


class DemoRefused(Exception):
    """The database holds data that is not the demo."""


def demo_state() -> DemoState:
    """Is this database empty, the demo, or someone's data?"""
    if Street.objects.filter(code=DEMO_STREET_CODE).exists():
        return DemoState.DEMO
    holds_data = (
        Street.objects.exists()
        or Community.objects.exists()
        or Person.objects.exists()
        or User.objects.exclude(role_filter(is_system)).exists()  # the shell's own actor is nobody's data
    )
    return DemoState.OTHER if holds_data else DemoState.EMPTY


def demo_community() -> Community:
    return Community.objects.select_related("street").get(street__code=DEMO_STREET_CODE)


@dataclass(frozen=True)
class DemoAccount:
    username: str
    role: str
    role_label: str
    name: str
    where: str


def demo_accounts() -> list[DemoAccount]:
    """The sign-ins `grassroots demo` prints, in the order of the contract (DESIGN.md section 4)."""
    users = {
        user.username: user
        for user in User.objects.filter(
            username__in=PRINTED_USERNAMES, community__street__code=DEMO_STREET_CODE
        )
        .select_related("person__current_household__building", "member_unit")
        .prefetch_related("grids")
    }
    return [_describe(users[username]) for username in PRINTED_USERNAMES if username in users]


def _describe(user: User) -> DemoAccount:
    where = ""
    if user.grids.all():
        where = "、".join(grid.name for grid in user.grids.all())
    elif user.member_unit_id:
        where = user.member_unit.name
    elif user.person_id and user.person.current_household_id:
        where = f"{user.person.current_household.address}"
    label = str(user.get_role_display())
    name = f"{user.last_name}{user.first_name}" or user.username  # Chinese order: surname first
    return DemoAccount(user.username, user.role, label, name, where)


def demo_ensure(*, rebuild: bool = False) -> DemoResult:
    """Reuse the demo if it is there (or clear it first with `rebuild`), build it if the database is empty.

    The check and the build share one transaction (on SQLite an IMMEDIATE one, which
    takes the write lock first), so two `grassroots demo` started together build once.
    If another process wins the race on PostgreSQL, the loser finds its demo and reuses it.
    """
    started = time.monotonic()
    try:
        # Nobody is told about the demo's invented cases (muted() must wrap the transaction).
        with muted(), transaction.atomic():
            built = _ensure_in_transaction(rebuild=rebuild)
    except IntegrityError:
        if demo_state() != DemoState.DEMO:
            raise
        built = False
    return DemoResult(demo_community(), built=built, seconds=time.monotonic() - started)


def _ensure_in_transaction(*, rebuild: bool) -> bool:
    state = demo_state()
    if state == DemoState.OTHER:
        raise DemoRefused(
            "This database already holds communities, people or users that are not the demo. "
            "The demo will not mix its data into them: point DATABASE_URL at an empty database "
            "(or unset it to use var/demo.sqlite3)."
        )
    if state == DemoState.DEMO and not rebuild:
        return False
    if state == DemoState.DEMO:
        demo_flush()
    demo_build()
    return True


# --- clearing ----------------------------------------------------------------------


def _demo_models() -> list[type[models.Model]]:
    """Every model whose rows belong to communities, people or users (so, in a demo database, to the demo).

    Found by following foreign keys, so tables that later apps add (cases, visits ...)
    are cleared too, while reference data seeded by migrations (vulnerability tags,
    skills, permissions) is kept.
    """
    every = apps.get_models(include_auto_created=True)
    owned: list[type[models.Model]] = [Street, Community, Person, User, Session]
    grew = True
    while grew:
        grew = False
        for model in every:
            if model in owned:
                continue
            targets = [field.related_model for field in model._meta.concrete_fields if field.is_relation]
            if any(target in owned for target in targets):
                owned.append(model)
                grew = True
    return owned


def demo_flush() -> None:
    """Empty every demo table. Only ever called on a database that demo_state() calls DEMO.

    Reference data that points at demo rows (a category's default team) goes with them,
    so the defaults the migrations seed are written again afterwards.
    """
    existing = set(connection.introspection.table_names())  # an app may not be migrated yet
    tables = [model._meta.db_table for model in _demo_models() if model._meta.db_table in existing]
    if connection.vendor == "postgresql":  # deferred foreign-key checks would block TRUNCATE
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    statements = connection.ops.sql_flush(no_style(), tables, reset_sequences=True, allow_cascade=False)
    connection.ops.execute_sql_flush(statements)
    _reseed_reference_data()


# The seeding functions of the data migrations, by module and function name.
REFERENCE_SEEDS = [
    ("grassroots.people.migrations.0003_default_vulnerability_tags", "add_tags"),
    ("grassroots.orgs.migrations.0003_default_skills", "add_skills"),
    ("grassroots.cases.migrations.0002_default_categories", "add_categories"),
    ("grassroots.cases.migrations.0005_duplicates", "set_duplicate_rules"),
    ("grassroots.cases.migrations.0007_community_time_limits", "forwards"),
    ("grassroots.care.migrations.0002_default_tier_rules", "add_rules"),
    ("grassroots.activities.migrations.0002_default_themes_and_rules", "add_defaults"),
]


def _reseed_reference_data() -> None:
    """Run the data migrations' seeding functions again (they are idempotent)."""
    for module_name, function_name in REFERENCE_SEEDS:
        getattr(importlib.import_module(module_name), function_name)(apps, None)


# --- building ------------------------------------------------------------------------


@transaction.atomic
def demo_build(plan: DemoPlan | None = None) -> Community:
    """Write the plan (by default the seeded demo plan) into an empty database."""
    plan = plan or make_plan()
    street = Street.objects.create(name="大沽街道", code=DEMO_STREET_CODE, district="滨海新区")
    community = Community.objects.create(
        street=street, name="和盛园社区", code=DEMO_COMMUNITY_CODE, address="天津市滨海新区大沽街道和盛园"
    )
    grids = _write_grids(plan, community)
    buildings = _write_buildings(plan, community, grids)
    _draw_the_plan(community, buildings)
    households = _write_households(plan, buildings, grids)
    people = _write_people(plan, community, households)
    _write_residencies(plan, people, households)
    _write_tags(plan, people)
    units = _write_organisations(plan, community, people, grids)
    _write_building_heads(plan, buildings, people)
    _write_accounts(plan, community, people, grids, units)
    # The numbers callers give, as intake takes them from the caller ID: from the plan, never decrypted.
    phones = {
        person.pk: planned.phone for planned, person in zip(plan.people, people, strict=True) if planned.phone
    }
    _build_later_work(community, phones)
    # The year of history is bulk-written around the services: the dashboard counts it after a rebuild.
    rollups.rebuild(community_ids=[community.pk])
    return community


# Which of the demo's teams a category's cases go to first (administrators set this in the admin).
DEFAULT_TEAMS = {
    "utilities-water": "爱心送水送餐队",
    "utilities-power": "水电维修队",
    "repairs-pipe": "水电维修队",
    "repairs-home": "便民维修队",
    "environment": "环境保洁队",
    "elderly": "助老服务队",
    "psychological": "心理关爱队",
    "dispute": "邻里调解队",
    "consultation": "法律援助队",
}


def _set_default_teams(community: Community) -> None:
    teams = {team.name: team for team in VolunteerTeam.objects.filter(community=community)}
    for code, team_name in DEFAULT_TEAMS.items():
        Category.objects.filter(code=code).update(default_team=teams.get(team_name))


def _build_later_work(community: Community, phones: dict[int, str]) -> None:
    """What the apps built on the registry add to the demo: the hotline's integration, care, cases.

    The integration comes first: the 12345 hotline's cases are reported through its account.
    """
    _set_default_teams(community)
    ensure_demo_api_client(community)
    ensure_demo_phone_line(community)
    build_care_demo(community, random.Random(SEED))
    build_case_demo(community, random.Random(f"{SEED}-cases"), phones=phones)
    build_activities_demo(community, random.Random(f"{SEED}-activities"))
    build_lists_demo(community, random.Random(f"{SEED}-lists"))


def _write_grids(plan: DemoPlan, community: Community) -> list[Grid]:
    grids = []
    for index, name in enumerate(GRID_NAMES):
        numbers = [building.number for building in plan.buildings if building.grid == index]
        count = sum(building.households for building in plan.buildings if building.grid == index)
        description = f"{min(numbers)}-{max(numbers)}号楼，共{count}户"
        grids.append(Grid(community=community, name=name, code=f"G{index + 1:02d}", description=description))
    return Grid.objects.bulk_create(grids)


def _write_buildings(plan: DemoPlan, community: Community, grids: list[Grid]) -> dict[int, Building]:
    rows = []
    for building in plan.buildings:
        row, column = divmod(building.number - 1, 8)
        rows.append(
            Building(
                community=community,
                grid=grids[building.grid],
                number=building.number,
                floors=building.floors,
                entrances=building.entrances,
                latitude=_ORIGIN[0] + Decimal(row) * Decimal("0.000600"),
                longitude=_ORIGIN[1] + Decimal(column) * Decimal("0.000800"),
            )
        )
    return {building.number: building for building in Building.objects.bulk_create(rows)}


def _draw_the_plan(community: Community, buildings: dict[int, Building]) -> None:
    """Grid outlines and footprints through the GeoJSON import an administrator would use."""
    content = json.dumps(
        plan_features(list(Building.objects.filter(community=community).select_related("grid")))
    )
    check = check_plan(community=community, content=content.encode())
    if not check.ok:
        raise RuntimeError(f"the demo plan does not check: {check.problems[:3]}")
    plan_import(actor=system_actor(), check=check)


def _write_households(plan: DemoPlan, buildings: dict[int, Building], grids: list[Grid]) -> list[Household]:
    rows = [
        Household(
            building=buildings[household.building],
            grid=grids[household.grid],
            entrance=household.entrance,
            room=household.room,
        )
        for household in plan.households
    ]
    return Household.objects.bulk_create(rows, batch_size=BATCH)


def _write_people(plan: DemoPlan, community: Community, households: list[Household]) -> list[Person]:
    """Persons with every field the services would derive, since bulk_create skips them."""
    keys_cache: dict[str, tuple[str, str]] = {}
    rows = []
    for planned in plan.people:
        if planned.name not in keys_cache:
            keys_cache[planned.name] = pinyin_keys(planned.name)
        current = planned.current
        person = Person(
            community=community,
            name=planned.name,
            sex=planned.sex,
            birth_date=planned.birth,
            status=planned.status,
            current_household=households[current.household] if current else None,
            note=planned.note,
        )
        person.name_pinyin, person.name_initials = keys_cache[planned.name]
        if planned.id_number:
            person.set_id_number(planned.id_number)
        if planned.phone:
            person.set_phone(planned.phone)
        rows.append(person)
    people = Person.objects.bulk_create(rows, batch_size=BATCH)
    _write_other_readings(people)
    return people


def _write_other_readings(people: list[Person]) -> None:
    """The other pinyin readings of each name, as people.services writes them one by one."""
    PersonNameKey.objects.bulk_create(other_reading_rows(people), batch_size=BATCH)


def _write_residencies(plan: DemoPlan, people: list[Person], households: list[Household]) -> None:
    rows = [
        Residency(
            person=people[planned.key],
            household=households[residency.household],
            relation=residency.relation,
            residence_type=residency.residence_type,
            moved_in=residency.moved_in,
            moved_out=residency.moved_out,
            move_note=residency.note,
        )
        for planned in plan.people
        for residency in planned.residencies
    ]
    Residency.objects.bulk_create(rows, batch_size=BATCH)


def _write_tags(plan: DemoPlan, people: list[Person]) -> None:
    tags = {tag.code: tag for tag in VulnerabilityTag.objects.all()}
    rows = []
    for planned in plan.people:
        for tag in planned.tags:
            if tag.code not in tags:
                raise LookupError(f"Vulnerability tag {tag.code!r} is missing: run the migrations first.")
            level = tag.level if tags[tag.code].has_level else None
            rows.append(
                PersonTag(
                    person=people[planned.key],
                    tag=tags[tag.code],
                    level=level,
                    since=tag.since,
                    note=tag.note,
                )
            )
    PersonTag.objects.bulk_create(rows, batch_size=BATCH)


def _write_organisations(
    plan: DemoPlan, community: Community, people: list[Person], grids: list[Grid]
) -> list[MemberUnit]:
    organisations = plan.organisations
    branches = PartyBranch.objects.bulk_create(
        PartyBranch(community=community, name=name, secretary=people[secretary])
        for name, secretary in zip(BRANCH_NAMES, organisations.branch_secretaries, strict=True)
    )
    PartyMember.objects.bulk_create(
        PartyMember(
            person=people[member.person],
            branch=branches[member.branch],
            kind=member.kind,
            workplace=member.workplace,
            joined_party_on=member.joined,
            registered_on=member.registered,
            commitment_hours=member.commitment,
        )
        for member in organisations.party_members
    )
    teams = VolunteerTeam.objects.bulk_create(
        VolunteerTeam(community=community, name=spec.name, focus=spec.focus, leader=people[leader])
        for spec, leader in zip(TEAMS, organisations.team_leaders, strict=True)
    )
    _write_volunteers(plan, people, grids, teams)
    units = MemberUnit.objects.bulk_create(
        MemberUnit(
            community=community,
            name=unit.spec.name,
            kind=unit.spec.kind,
            contact_name=unit.contact_name,
            contact_phone=unit.contact_phone,
            offers=unit.spec.offers,
            inside_community=unit.spec.inside,
        )
        for unit in organisations.units
    )
    _link_serving_members(community, units)
    return units


def _link_serving_members(community: Community, units: list[MemberUnit]) -> None:
    """Serving members who work for a member unit belong to it; two new reports wait for the office."""
    for unit in units:
        PartyMember.objects.filter(branch__community=community, kind="serving", workplace=unit.name).update(
            unit=unit
        )
    for name, sex, phone, unit in (
        ("邵文博", "M", "13920260001", units[0]),
        ("郑晓燕", "F", "13920260002", None),
    ):
        serving_report_submit(
            community=community,
            name=name,
            sex=sex,
            phone=phone,
            unit=unit,
            workplace="" if unit else "天津港集团",
            origin_branch="机关第二党支部",
            commitment_hours=24,
            note="周末可参加助老和环境整治",
        )


def _write_volunteers(
    plan: DemoPlan, people: list[Person], grids: list[Grid], teams: list[VolunteerTeam]
) -> None:
    skills = dict(Skill.objects.values_list("code", "id"))
    planned = plan.organisations.volunteers
    volunteers = Volunteer.objects.bulk_create(
        Volunteer(
            person=people[volunteer.person],
            availability=volunteer.availability,
            home_grid=grids[volunteer.home_grid] if volunteer.home_grid is not None else None,
            joined_on=volunteer.joined,
        )
        for volunteer in planned
    )
    team_links = Volunteer.teams.through
    skill_links = Volunteer.skills.through
    team_links.objects.bulk_create(
        team_links(volunteer_id=row.id, volunteerteam_id=teams[team].id)
        for row, volunteer in zip(volunteers, planned, strict=True)
        for team in volunteer.teams
    )
    missing = sorted({code for volunteer in planned for code in volunteer.skills} - set(skills))
    if missing:
        raise LookupError(f"Skills {missing} are missing: run the migrations first.")
    skill_links.objects.bulk_create(
        skill_links(volunteer_id=row.id, skill_id=skills[code])
        for row, volunteer in zip(volunteers, planned, strict=True)
        for code in volunteer.skills
    )


def _write_building_heads(plan: DemoPlan, buildings: dict[int, Building], people: list[Person]) -> None:
    for number, key in plan.organisations.building_heads.items():
        buildings[number].head = people[key]
    Building.objects.bulk_update(list(buildings.values()), ["head"])


def _write_accounts(
    plan: DemoPlan, community: Community, people: list[Person], grids: list[Grid], units: list[MemberUnit]
) -> None:
    """The demo sign-ins. The password is hashed once: hashing is slow by design."""
    password = make_password(DEMO_PASSWORD)
    users = User.objects.bulk_create(
        User(
            username=account.username,
            password=password,
            role=account.role,
            last_name=account.last_name,
            first_name=account.first_name,
            community=community,
            person=people[account.person] if account.person is not None else None,
            member_unit=units[account.unit] if account.unit is not None else None,
            is_superuser=account.superuser,
            is_staff=account.superuser,
        )
        for account in plan.accounts
    )
    links = User.grids.through
    links.objects.bulk_create(
        links(user_id=user.id, grid_id=grids[grid].id)
        for user, account in zip(users, plan.accounts, strict=True)
        for grid in account.grids
    )
    # The demo volunteer leads the elderly-care team, so that the account shows a leader's page.
    carer = next(user for user in users if is_hands(user) and user.person_id and not user.member_unit_id)
    VolunteerTeam.objects.filter(community=community, name=TEAMS[ELDERLY_CARE_TEAM].name).update(
        leader=carer.person
    )
