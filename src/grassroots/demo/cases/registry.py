"""What the case demo draws from: the community's people, parties and accounts, loaded once.

A few queries read the registry the builder wrote (households, adult residents with their
stored phone, volunteers by skill and team, member units, party members, building heads,
the demo accounts and the 12345 hotline's integration account); the history, the stories
and today's cases then draw from it in memory.
"""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time

from django.utils import timezone

from grassroots.accounts.models import User
from grassroots.accounts.roles import is_grid_worker, role_filter
from grassroots.api.models import ApiClient, ApiClientChannel
from grassroots.cases import services
from grassroots.cases.models import Category
from grassroots.orgs.models import MemberUnit, PartyMember, Volunteer, VolunteerTeam
from grassroots.people.models import Person
from grassroots.places.models import Building, Community, Household


@dataclass(frozen=True)
class Party:
    """Someone the demo summons to a case, with the name the timeline shows for them."""

    kind: str
    id: int
    name: str

    @property
    def key(self) -> str:
        return f"{self.kind}:{self.id}"

    @property
    def service_party(self) -> services.Party:
        return services.Party(self.kind, self.id)


@dataclass(frozen=True)
class Resident:
    """An adult resident who may call about a problem, with their stored phone as intake copies it."""

    id: int
    name: str
    age: int
    household_id: int
    phone: tuple[str, str, str, str]  # encrypted, hash, tail hash, masked


@dataclass
class Registry:
    """What the case demo draws from, loaded once with a few queries."""

    community: Community
    now: datetime
    users: dict[str, User]
    grid_workers: dict[int, User]
    categories: dict[str, Category]
    households: list[dict]
    household_by_id: dict[int, dict]
    buildings: list[dict]
    building_by_number: dict[int, dict]
    residents: dict[int, list[Resident]]
    by_skill: dict[str, list[tuple[Party, int | None]]]
    team_members: dict[int, set[int]]
    teams: dict[str, Party]
    units: dict[str, Party]
    party_members: list[Party]
    patrollers: list[Party]
    heads: dict[int, Party]
    account_of_person: dict[int, User]
    teams_of_person: dict[int, set[int]]
    hotline: User | None

    @classmethod
    def load(cls, community: Community, now: datetime) -> Registry:
        today = timezone.localtime(now).date()
        users = {
            user.username: user
            for user in User.objects.filter(community=community, is_active=True).order_by("id")
        }
        grid_workers: dict[int, User] = {}
        for link in User.grids.through.objects.filter(
            role_filter(is_grid_worker, prefix="user__"), user__in=users.values()
        ).order_by("user_id", "grid_id"):
            grid_workers.setdefault(link.grid_id, next(u for u in users.values() if u.pk == link.user_id))
        households = list(
            Household.objects.filter(building__community=community)
            .order_by("id")
            .values("id", "building_id", "grid_id", "entrance", "room", "building__number")
        )
        buildings = list(
            Building.objects.filter(community=community)
            .order_by("number")
            .values("id", "number", "grid_id", "entrances", "floors", "head_id", "head__name")
        )
        residents: dict[int, list[Resident]] = defaultdict(list)
        for row in (
            Person.objects.filter(community=community, current_household__isnull=False)
            .order_by("id")
            .values(
                "id",
                "name",
                "birth_date",
                "current_household_id",
                "phone_encrypted",
                "phone_hash",
                "phone_tail_hash",
                "phone_masked",
            )
        ):
            years = age(row["birth_date"], today)
            if years < 18:
                continue
            phone = (row["phone_encrypted"], row["phone_hash"], row["phone_tail_hash"], row["phone_masked"])
            residents[row["current_household_id"]].append(
                Resident(row["id"], row["name"], years, row["current_household_id"], phone)
            )
        volunteers = {
            row["person_id"]: row
            for row in Volunteer.objects.filter(person__community=community, active=True)
            .order_by("person_id")
            .values("id", "person_id", "person__name", "home_grid_id")
        }
        by_volunteer_id = {row["id"]: row for row in volunteers.values()}
        by_skill: dict[str, list[tuple[Party, int | None]]] = defaultdict(list)
        for link in (
            Volunteer.skills.through.objects.filter(volunteer_id__in=by_volunteer_id)
            .order_by("volunteer_id", "skill__code")
            .values("volunteer_id", "skill__code")
        ):
            row = by_volunteer_id[link["volunteer_id"]]
            party = Party("person", row["person_id"], row["person__name"])
            by_skill[link["skill__code"]].append((party, row["home_grid_id"]))
        team_members: dict[int, set[int]] = defaultdict(set)
        for link in Volunteer.teams.through.objects.filter(volunteer_id__in=by_volunteer_id).values(
            "volunteer_id", "volunteerteam_id"
        ):
            team_members[link["volunteerteam_id"]].add(by_volunteer_id[link["volunteer_id"]]["person_id"])
        teams = {
            row["name"]: Party("team", row["id"], row["name"])
            for row in VolunteerTeam.objects.filter(community=community).order_by("id").values("id", "name")
        }
        units: dict[str, Party] = {}
        for row in MemberUnit.objects.filter(community=community).order_by("id").values("id", "name", "kind"):
            party = Party("unit", row["id"], row["name"])
            units.setdefault(row["kind"], party)
            for key, fragment in UNIT_KEYS.items():
                if fragment in row["name"]:
                    units.setdefault(key, party)
        members = list(
            PartyMember.objects.filter(person__community=community, kind="resident")
            .order_by("person_id")
            .values_list("person_id", "person__name")
        )
        accounts = {user.person_id for user in users.values() if user.person_id}
        teams_of_person: dict[int, set[int]] = defaultdict(set)
        for person_id, team_id in Volunteer.teams.through.objects.filter(
            volunteer__person_id__in=accounts
        ).values_list("volunteer__person_id", "volunteerteam_id"):
            teams_of_person[person_id].add(team_id)
        hotline = (
            ApiClient.objects.filter(community=community, channel=ApiClientChannel.HOTLINE, active=True)
            .select_related("user")
            .order_by("id")
            .first()
        )
        patrol_team = teams.get("治安巡逻队")
        patrollers = [
            Party("person", key, volunteers[key]["person__name"])
            for key in sorted(team_members.get(patrol_team.id, ()) if patrol_team else ())
        ]
        return cls(
            community=community,
            now=now,
            users=users,
            grid_workers=grid_workers,
            categories={category.code: category for category in Category.objects.filter(active=True)},
            households=households,
            household_by_id={row["id"]: row for row in households},
            buildings=buildings,
            building_by_number={row["number"]: row for row in buildings},
            residents=residents,
            by_skill=by_skill,
            team_members=team_members,
            teams=teams,
            units=units,
            party_members=[Party("person", key, name) for key, name in members],
            patrollers=patrollers,
            heads={
                row["id"]: Party("person", row["head_id"], row["head__name"])
                for row in buildings
                if row["head_id"]
            },
            account_of_person={user.person_id: user for user in users.values() if user.person_id},
            teams_of_person=teams_of_person,
            hotline=hotline.user if hotline else None,
        )

    def user(self, username: str) -> User:
        return self.users[username]

    def user_party(self, user: User) -> Party:
        return Party("user", user.pk, user.display_name)

    def account_for(self, party: Party) -> User | None:
        """The demo account that signs for this party itself, if it has one."""
        if party.kind == "user":
            return next(user for user in self.users.values() if user.pk == party.id)
        if party.kind == "person":
            return self.account_of_person.get(party.id)
        if party.kind == "unit":
            contact = self.users.get("unitcontact")
            return contact if contact is not None and contact.member_unit_id == party.id else None
        members = self.team_members.get(party.id, set())
        return next((user for key, user in self.account_of_person.items() if key in members), None)

    def addresses(self, assignment_party: Party, actor: User) -> bool:
        """Is the party the actor or theirs (their person, team, unit)? party_filter's answer, in memory."""
        kind, key = assignment_party.kind, assignment_party.id
        if kind == "user":
            return key == actor.pk
        if kind == "person":
            return key == actor.person_id
        if kind == "team":
            return actor.person_id is not None and key in self.teams_of_person.get(actor.person_id, ())
        return key == actor.member_unit_id

    def grid_worker(self, grid_id: int | None) -> User:
        return self.grid_workers.get(grid_id) or self.user("socialworker")

    def volunteer_with(
        self, rng: random.Random, skill: str, grid_id: int | None, *, avoid=()
    ) -> Party | None:
        """A volunteer with the skill, from the same grid when there is one."""
        candidates = [party for party, _grid in self.by_skill.get(skill, ()) if party.id not in avoid]
        near = [
            party for party, grid in self.by_skill.get(skill, ()) if grid == grid_id and party.id not in avoid
        ]
        pool = near or candidates
        return rng.choice(pool) if pool else None


UNIT_KEYS = {
    "gas": "燃气",
    "city": "城市管理",
    "enforcement": "综合执法",
    "disabled": "残疾人联合会",
    "water": "水务",
    "power": "供电",
}


def age(birth: date | None, today: date) -> int:
    """Age in whole years (an unknown birth date counts as an adult's)."""
    if birth is None:
        return 40
    return today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))


def aware(day: date, hour: int, minute: int) -> datetime:
    """A local moment of the community's day."""
    return datetime.combine(day, time(hour, minute), tzinfo=timezone.get_default_timezone())
