"""The whole Heshengyuan demo as one deterministic plan: places, people, organisations, accounts.

`make_plan()` draws everything from one random.Random seeded with SEED, so two
builds, on any machine, give the same names at the same addresses. The builder
only writes this plan to the database; tests compare the two.
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass, field

from grassroots.demo.layout import BuildingPlan, HouseholdPlan, plan_buildings, plan_households
from grassroots.demo.names import NameMaker
from grassroots.demo.organisations import ELDERLY_CARE_TEAM, PATROL_TEAM, OrganisationPlan, plan_organisations
from grassroots.demo.population import PersonPlan, PopulationPlanner
from grassroots.demo.stories import STORY_ADDRESSES, STORY_NAMES, plan_stories
from grassroots.demo.vulnerability import assign_tags

SEED = 20261128
# The accounts DESIGN.md promises, in the order `grassroots demo` prints them.
PRINTED_USERNAMES = (
    "secretary",
    "socialworker",
    "gridworker",
    "volunteer",
    "unitcontact",
    "patroller",
    "resident",
    "admin",
)


@dataclass(frozen=True)
class AccountPlan:
    """A demo sign-in: PRINTED_USERNAMES are listed by `grassroots demo`; the rest are grid workers."""

    username: str
    role: str
    last_name: str
    first_name: str
    person: int | None = None
    grids: tuple[int, ...] = ()
    unit: int | None = None
    superuser: bool = False


@dataclass
class DemoPlan:
    buildings: list[BuildingPlan]
    households: list[HouseholdPlan]
    people: list[PersonPlan]
    organisations: OrganisationPlan
    stories: dict[str, int]
    accounts: list[AccountPlan] = field(default_factory=list)

    def residents(self) -> list[PersonPlan]:
        return [person for person in self.people if person.current is not None]

    def fingerprint(self) -> str:
        """A hash of who lives where (and who lived where): equal plans, equal fingerprints."""
        digest = hashlib.sha256()
        for line in sorted(_fingerprint_lines(self)):
            digest.update(line.encode())
            digest.update(b"\n")
        return digest.hexdigest()


def _fingerprint_lines(plan: DemoPlan) -> list[str]:
    lines = []
    for person in plan.people:
        for residency in person.residencies:
            where = plan.households[residency.household].address
            lines.append(
                fingerprint_line(person.name, person.birth.isoformat(), where, residency.moved_out is None)
            )
    return lines


def fingerprint_line(name: str, birth: str, address: str, current: bool) -> str:
    """One residency in the fingerprint; the builder's tests build the same lines from the database."""
    return f"{name}|{birth}|{address}|{'now' if current else 'before'}"


def make_plan(seed: int = SEED) -> DemoPlan:
    """Draw the whole demo. Pure Python: no database, about a second."""
    rng = random.Random(seed)
    buildings = plan_buildings()
    households = plan_households(buildings)
    planner = PopulationPlanner(rng, NameMaker(rng, reserved_names=STORY_NAMES), households)
    stories = plan_stories(planner, households)
    story_flats = {households_by_address(households)[address] for address in STORY_ADDRESSES.values()}
    planner.plan([household.index for household in households if household.index not in story_flats])
    skip = frozenset(
        key
        for family in planner.families.values()
        if family.household in story_flats
        for key in family.members
    )
    assign_tags(planner, rng, skip=skip)
    organisations = plan_organisations(planner, rng, households, skip=skip)
    plan = DemoPlan(buildings, households, planner.people, organisations, stories)
    plan.accounts = _plan_accounts(plan, skip)
    return plan


def households_by_address(households: list[HouseholdPlan]) -> dict[str, int]:
    return {household.address: household.index for household in households}


def _plan_accounts(plan: DemoPlan, skip: frozenset[int]) -> list[AccountPlan]:
    """One account per role; the volunteer, patroller and resident are real people of the estate.

    No randomness here: each picks the first person (in plan order) who fits the role.
    """
    organisations = plan.organisations
    party = {member.person for member in organisations.party_members}
    heads = set(organisations.building_heads.values())
    volunteers = {volunteer.person: volunteer for volunteer in organisations.volunteers}
    grid_of_building_4 = next(b.grid for b in plan.buildings if b.number == 4)

    def first(keys: list[int]) -> int:
        return sorted(keys)[0]

    carer = first(
        [
            key
            for key, volunteer in volunteers.items()
            if ELDERLY_CARE_TEAM in volunteer.teams
            and key not in party
            and key not in heads
            and plan.people[key].current is not None
            and 40 <= plan.people[key].age <= 65
        ]
    )
    patroller = first(
        [
            key
            for key, volunteer in volunteers.items()
            if PATROL_TEAM in volunteer.teams
            and key in party
            and plan.people[key].current is not None
            and plan.people[key].age >= 58
        ]
    )
    resident = first(
        [
            person.key
            for person in plan.residents()
            if plan.households[person.current.household].building == 4
            and person.key not in skip
            and person.key not in party
            and person.key not in heads
            and person.key not in volunteers
            and 30 <= person.age <= 60
            and person.phone
        ]
    )
    property_unit = next(i for i, unit in enumerate(organisations.units) if unit.spec.kind == "property")

    def named(key: int) -> tuple[str, str]:
        name = plan.people[key].name
        return name[0], name[1:]

    accounts = [
        AccountPlan("secretary", "secretary", "郭", "立新"),
        AccountPlan("socialworker", "socialworker", "孙", "晓梅"),
        AccountPlan("gridworker", "gridworker", "赵", "文静", grids=(grid_of_building_4,)),
        AccountPlan("volunteer", "volunteer", *named(carer), person=carer),
        AccountPlan(
            "unitcontact",
            "unitcontact",
            organisations.units[property_unit].contact_name[0],
            organisations.units[property_unit].contact_name[1:],
            unit=property_unit,
        ),
        AccountPlan("patroller", "patroller", *named(patroller), person=patroller),
        AccountPlan("resident", "resident", *named(resident), person=resident),
        AccountPlan("admin", "admin", "系统", "管理员", superuser=True),
    ]
    other_grids = sorted({b.grid for b in plan.buildings} - {grid_of_building_4})
    workers = (
        ("钱", "海燕"),
        ("冯", "志刚"),
        ("陈", "丽娟"),
        ("褚", "晓东"),
        ("卫", "春梅"),
        ("蒋", "建伟"),
        ("沈", "雪莹"),
    )
    for grid in other_grids:
        last, given = workers[grid]
        accounts.append(AccountPlan(f"gridworker{grid + 1}", "gridworker", last, given, grids=(grid,)))
    return accounts
