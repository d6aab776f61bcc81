"""Generate a district into a migrated PostgreSQL database: what the district benchmarks read.

    createdb grassroots_district_big
    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/grassroots_district_big
    export GRASSROOTS_VAR_DIR=/path/to/var   # the keys that seal the numbers: serve with the same
    uv run python bench/district.py --communities 500 --residents 2000000 --cases 10000000 --years 5

(`--communities 20 --residents 80000 --cases 400000` for a quick run.) The database is migrated
first; a database that already holds communities is refused, so start from an empty one.

What it writes, seeded (`--seed`): streets of about twenty communities; each community's estate
of six- and eighteen-storey buildings, grouped in order into grids of 300-500 households; its
households drawn by kind (an elderly person alone, an empty nest, a young couple, a family with a
child, three generations, migrant tenants, an empty flat) with ages, relations and move-in dates
that fit; names by generation, ID numbers and phones from the demo's NameMaker (valid, varied,
never repeated); vulnerability tags by age; the care register computed by the project's own rules
(care.services.register_refresh) and a year of visits; accounts for the roles (a secretary, a
social worker and a grid worker per grid in each community, a street office per street, an
administrator: password `grassroots-bench`); cases over `--years` years with their timelines,
leads, hours, due times from the category (cases.services.case_due_times) and dashboard facts
(cases.rollups.derive) and rollups.

Communities are written by `--jobs` processes at once (default 2, one a core): each community
draws from a generator seeded by the seed and its number, and communities are dealt into ten
lanes whose name makers never draw the same ID number or phone, so the district is the same for
any --jobs. The three biggest tables' plain indexes are dropped first and built once at the end
(`--keep-indexes` keeps them up row by row instead).

People go through the ledger import's writer (people.bulk.write_copy): the same sealed numbers,
blind indexes, pinyin readings, residencies and history rows an import writes. Everything else
is sent with COPY (core.bulk.copy_rows), one transaction per community, ids taken first.
"""

from __future__ import annotations

import argparse
import os
import random
import secrets
import sys
import time
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from types import SimpleNamespace

import django

PASSWORD = "grassroots-bench"  # noqa: S105 (the synthetic district's accounts)
#: Households of each building shape: (floors, entrances, flats per landing).
SHAPES = ((6, 3, 2), (6, 4, 2), (11, 2, 2), (18, 2, 2))
SHAPE_WEIGHTS = (4, 2, 2, 3)
GRID_TARGET = 420  # households a grid aims at (300-500)
COMMUNITIES_PER_STREET = 20
STREET_NAMES = "大沽新港新河杭州道胡家园北塘新城古林海滨寨上茶淀杨家泊中塘小王庄太平汉沽"
COMMUNITY_WORDS = "和盛园金海湾福泽园丽水苑锦绣城海韵华庭春晖里新华阳光翠园康乐馨宁星河东方明珠"
#: Household kinds, their weight, and whom they hold.
KINDS = (
    ("vacant", 3),
    ("alone_elderly", 8),
    ("empty_nest", 15),
    ("single_adult", 7),
    ("young_couple", 8),
    ("couple_child", 27),
    ("couple_two", 7),
    ("single_parent", 4),
    ("three_gen", 12),
    ("tenants", 9),
)
#: Residents of a community who volunteer and lead some of its cases (their hours go to the ledger).
VOLUNTEERS = 40


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--communities", type=int, default=20)
    parser.add_argument("--residents", type=int, default=80_000, help="living residents in all")
    parser.add_argument("--cases", type=int, default=400_000)
    parser.add_argument("--years", type=int, default=5)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--jobs", type=int, default=2, help="processes writing communities at once")
    parser.add_argument(
        "--keep-indexes", action="store_true", help="keep the big tables' indexes up row by row"
    )
    return parser.parse_args(argv)


@dataclass
class Resident:
    name: str
    sex: str
    birth: date
    relation: str
    residence_type: str
    moved_in: date
    id_number: str = ""
    phone: str = ""
    tags: list[str] = field(default_factory=list)


class Families:
    """Draws a household's members: ages, relations, surnames and move-in dates that fit together."""

    def __init__(self, rng: random.Random, names, today: date) -> None:
        self.rng, self.names, self.today = rng, names, today
        self.kinds = [kind for kind, _ in KINDS]
        self.weights = [weight for _, weight in KINDS]

    def birth(self, age: int) -> date:
        return self.today - timedelta(days=int(age * 365.25) + self.rng.randrange(1, 364))

    def person(self, sex: str, age: int, relation: str, moved_in: date, *, surname=None, kind="registered"):
        rng = self.rng
        birth = self.birth(age)
        person = Resident(
            name=self.names.full(sex, birth.year, surname=surname),
            sex=sex,
            birth=birth,
            relation=relation,
            residence_type=kind,
            moved_in=max(moved_in, birth),
        )
        if rng.random() < (0.72 if age < 16 else 0.96):
            region = (
                "120116" if kind == "registered" else rng.choice(("130203", "371302", "410102", "230102"))
            )
            person.id_number = self.names.id_number(birth, sex, region=region)
        if age >= 16 and rng.random() < (0.93 if age < 70 else 0.7):
            person.phone = self.names.mobile() if age < 75 or rng.random() < 0.5 else self.names.landline()
        person.tags = self.tags(age)
        return person

    def tags(self, age: int) -> list[str]:
        rng, tags = self.rng, []
        if age >= 60 and rng.random() < 0.02 + (age - 60) * 0.004:
            tags.append("disabled")
        if age >= 50 and rng.random() < 0.05 + (age - 50) * 0.006:
            tags.append("chronic-illness")
        if age >= 80 and rng.random() < 0.08:
            tags.append("dementia")
        if rng.random() < 0.015:
            tags.append("low-income")
        if age >= 40 and rng.random() < 0.01:
            tags.append("veteran")
        return tags

    def household(self) -> list[Resident]:
        rng = self.rng
        kind = rng.choices(self.kinds, self.weights)[0]
        since = self.today - timedelta(days=rng.randrange(30, 16 * 365))
        husband = lambda age, **kw: self.person("M", age, "head", since, **kw)  # noqa: E731
        if kind == "vacant":
            return []
        if kind == "alone_elderly":
            people = [self.person(rng.choice("MFF"), rng.randint(65, 95), "head", since)]
            people[0].tags.append("living-alone")
            return people
        if kind == "empty_nest":
            age = rng.randint(58, 88)
            head = husband(age)
            wife = self.person("F", age - rng.randint(0, 5), "spouse", since)
            if age >= 60:
                head.tags.append("empty-nest")
                wife.tags.append("empty-nest")
            return [head, wife]
        if kind == "single_adult":
            return [self.person(rng.choice("MF"), rng.randint(22, 55), "head", since)]
        if kind == "tenants":
            people = [self.person(rng.choice("MF"), rng.randint(20, 45), "head", since, kind="migrant")]
            for _ in range(rng.randint(0, 2)):
                people.append(
                    self.person(rng.choice("MF"), rng.randint(20, 45), "tenant", since, kind="migrant")
                )
            return people
        age = rng.randint(25, 50)
        head = husband(age)
        people = [head]
        if kind != "single_parent":
            people.append(self.person("F", age - rng.randint(-2, 5), "spouse", since))
        else:
            people[0] = self.person(rng.choice("MF"), age, "head", since)
        surname = head.name[0]
        children = {
            "young_couple": 0,
            "couple_child": 1,
            "couple_two": 2,
            "single_parent": 1,
            "three_gen": 1,
        }[kind]
        for _ in range(children):
            child_age = max(0, min(age - 22, rng.randint(0, 25)))
            born = self.birth(child_age)
            people.append(
                self.person(rng.choice("MF"), child_age, "child", max(since, born), surname=surname)
            )
        if kind == "three_gen":
            for sex in rng.choice(("M", "F", "MF")):
                people.append(self.person(sex, age + rng.randint(24, 32), "parent", since))
        return people


def estate(rng: random.Random, households: int) -> list[tuple[int, int, int]]:
    """Buildings (floors, entrances, flats per landing) until the community has about `households`."""
    buildings, total = [], 0
    while total < households:
        shape = rng.choices(SHAPES, SHAPE_WEIGHTS)[0]
        buildings.append(shape)
        total += shape[0] * shape[1] * shape[2]
    return buildings


class District:
    """Writes one community at a time; holds what every community shares (categories, keys, users)."""

    def __init__(self, args: argparse.Namespace) -> None:
        from django.contrib.auth.hashers import make_password
        from django.utils import timezone

        from grassroots.accounts import system_actor
        from grassroots.cases.models import Category
        from grassroots.core import pii
        from grassroots.demo.cases.words import DESCRIPTIONS
        from grassroots.demo.names import NameMaker
        from grassroots.people.models import VulnerabilityTag

        self.args = args
        self.now = timezone.now().replace(microsecond=0)
        self.today = timezone.localdate()
        # Each community's generator, name maker and families are set by draw_for.
        self.lane_names: dict[int, NameMaker] = {}
        self.seal = pii.sealer()
        self.password = make_password(PASSWORD)
        self.system = system_actor()
        self.tags = dict(VulnerabilityTag.objects.values_list("code", "pk"))
        leaves = [
            c for c in Category.objects.filter(active=True).select_related("parent") if c.code in DESCRIPTIONS
        ]
        self.categories = leaves
        self.category_weights = [0.3 if c.sensitive else (3 if c.parent_id else 1) for c in leaves]
        self.descriptions = DESCRIPTIONS
        self.counts: dict[str, int] = {}

    def add(self, what: str, n: int) -> None:
        self.counts[what] = self.counts.get(what, 0) + n

    # --- places and accounts ---------------------------------------------------------------------------

    def streets(self) -> list:
        """The streets, each with its street office's account, and the district's administrator."""
        from grassroots.accounts.models import Role, User
        from grassroots.places.models import Street

        count = max(1, -(-self.args.communities // COMMUNITIES_PER_STREET))
        streets = [
            Street.objects.create(
                name=f"{STREET_NAMES[i % len(STREET_NAMES) * 2 % len(STREET_NAMES) :][:2]}街道{i + 1}",
                code=f"ST{i + 1:02d}",
                district="滨海新区",
            )
            for i in range(count)
        ]
        offices = [
            User(username=f"street-{street.code.lower()}", role=Role.STREET, street=street)
            for street in streets
        ]
        admin = User(username="district-admin", role=Role.ADMIN, is_superuser=True, is_staff=True)
        for account, (last, first) in [*((o, ("街道", "办")) for o in offices), (admin, ("管理", "员"))]:
            account.password, account.last_name, account.first_name = self.password, last, first
        User.objects.bulk_create([*offices, admin])
        self.add("users", len(offices) + 1)
        return streets

    def draw_for(self, index: int) -> None:
        """Community `index` draws from its own seeded generator and its lane's name maker.

        So a district is the same whichever process writes which community (`--jobs`): a lane's
        communities are written in order by one process, and lanes never draw the same ID number
        or phone (NameMaker's lane).
        """
        from grassroots.demo.names import NameMaker

        self.rng = random.Random(f"{self.args.seed}:{index}")  # noqa: S311 (seeded, see above)
        lane = index % LANES
        names = self.lane_names.setdefault(lane, NameMaker(self.rng, lane=(lane, LANES)))
        names.rng = self.rng
        self.names = names
        self.families = Families(self.rng, names, self.today)

    def community(self, index: int, street) -> None:
        from django.db import transaction

        from grassroots.places.models import Community

        started = time.perf_counter()
        self.draw_for(index)
        with transaction.atomic():
            word = COMMUNITY_WORDS[(index * 3) % (len(COMMUNITY_WORDS) - 2) :][:3]
            community = Community.objects.create(
                street=street,
                name=f"{word}社区{index + 1}",
                code=f"C{index + 1:03d}",
                address=f"滨海新区{word}",
            )
            places = self.places(community)
            people = self.people(community, places)
            users = self.accounts(community, street, places["grids"])
            self.care(community, places, people, users)
            self.cases(community, places, people, users)
        self.add("communities", 1)
        return time.perf_counter() - started

    def places(self, community) -> dict:
        """Grids, buildings and households (COPY); buildings fill grids in order, as the demo's do."""
        from grassroots.core import bulk
        from grassroots.places.models import Building, Grid, Household

        residents = self.args.residents / self.args.communities
        shapes = estate(self.rng, int(residents / 2.45))
        total = sum(f * e * k for f, e, k in shapes)
        grid_count = max(1, round(total / GRID_TARGET))
        grid_ids = bulk.allocate_ids(Grid, grid_count)
        bulk.copy_rows(
            Grid,
            ("id", "community_id", "name", "code", "description"),
            ((pk, community.pk, f"第{n + 1}网格", f"G{n + 1:02d}", "") for n, pk in enumerate(grid_ids)),
        )
        building_ids = bulk.allocate_ids(Building, len(shapes))
        per_grid, running = total / grid_count, 0
        buildings, households = [], []
        for number, ((floors, entrances, flats), pk) in enumerate(zip(shapes, building_ids, strict=True), 1):
            size = floors * entrances * flats
            grid = grid_ids[min(grid_count - 1, int((running + size / 2) / per_grid))]
            running += size
            buildings.append((pk, community.pk, grid, number, floors, entrances))
            for entrance in range(1, entrances + 1):
                for floor in range(1, floors + 1):
                    for flat in range(1, flats + 1):
                        households.append((pk, grid, entrance, f"{floor}{flat:02d}", number))
        bulk.copy_rows(
            Building, ("id", "community_id", "grid_id", "number", "floors", "entrances"), buildings
        )
        household_ids = bulk.allocate_ids(Household, len(households))
        bulk.copy_rows(
            Household,
            ("id", "building_id", "grid_id", "entrance", "room", "note"),
            ((pk, b, g, e, r, "") for pk, (b, g, e, r, _n) in zip(household_ids, households, strict=True)),
        )
        self.add("households", len(households))
        return {
            "grids": grid_ids,
            "households": [
                (pk, b, g, f"{n}-{e}-{r}")
                for pk, (b, g, e, r, n) in zip(household_ids, households, strict=True)
            ],
        }

    def people(self, community, places) -> list[tuple[int, Resident, tuple]]:
        """The residents through the ledger import's writer; returns (id, resident, household) each."""
        from grassroots.core import bulk
        from grassroots.people import bulk as people_bulk
        from grassroots.people.models import PersonTag
        from grassroots.people.services import PersonDetails

        drawn = [(resident, home) for home in places["households"] for resident in self.families.household()]
        rows = [
            people_bulk.NewResident(
                details=PersonDetails(
                    name=r.name, sex=r.sex, birth_date=r.birth, id_number=r.id_number, phone=r.phone
                ),
                derived={"sex": r.sex, "birth_date": r.birth},
                household_id=home[0],
                address=home[3],
                relation=r.relation,
                residence_type=r.residence_type,
                moved_in=r.moved_in,
            )
            for r, home in drawn
        ]
        ids = people_bulk.write_copy(rows, actor=self.system, community_id=community.pk, source="district")
        bulk.copy_rows(
            PersonTag,
            ("person_id", "tag_id", "note"),
            ((pk, self.tags[code], "") for pk, (r, _h) in zip(ids, drawn, strict=True) for code in r.tags),
        )
        self.add("people", len(ids))
        return [(pk, r, home) for pk, (r, home) in zip(ids, drawn, strict=True)]

    def accounts(self, community, street, grid_ids: list[int]) -> dict:
        """A secretary, a social worker, a grid worker per grid; a street office per street; one admin."""
        from grassroots.accounts.models import Role, User

        code = community.code.lower()

        def user(username, role, last, first, **extra):
            return User(
                username=username,
                password=self.password,
                role=role,
                last_name=last,
                first_name=first,
                **extra,
            )

        made = [
            user(f"sec-{code}", Role.SECRETARY, "赵", "书记", community=community),
            user(f"sw-{code}", Role.SOCIAL_WORKER, "孙", "社工", community=community),
            *[
                user(f"gw-{code}-{n + 1}", Role.GRID_WORKER, "钱", f"网格{n + 1}", community=community)
                for n in range(len(grid_ids))
            ],
        ]
        made = User.objects.bulk_create(made)
        links = User.grids.through
        workers = made[2 : 2 + len(grid_ids)]
        links.objects.bulk_create(
            links(user_id=w.pk, grid_id=g) for w, g in zip(workers, grid_ids, strict=True)
        )
        self.add("users", len(made))
        return {
            "secretary": made[0],
            "socialworker": made[1],
            "grid": dict(zip(grid_ids, workers, strict=True)),
        }

    # --- care ------------------------------------------------------------------------------------------

    def care(self, community, places, people, users) -> None:
        """The register by the project's rules, a year of visits to the people on it, their last contact."""
        from django.db import connection

        from grassroots.care.models import CareProfile, Visit
        from grassroots.care.services import register_refresh
        from grassroots.core import bulk

        register_refresh(community=community, today=self.today)
        profiles = list(
            CareProfile.objects.filter(community=community, on_register=True).values_list(
                "person_id", "household_id", "grid_id", "frequency_days"
            )
        )
        rng, rows = self.rng, []
        for person_id, household_id, grid_id, days in profiles:
            visitor = users["grid"][grid_id].pk if rng.random() < 0.85 else users["socialworker"].pk
            moment = self.now - timedelta(days=rng.uniform(0, days))
            while moment > self.now - timedelta(days=365):
                rows.append((community.pk, household_id, grid_id, person_id, visitor, moment))
                moment -= timedelta(days=days * rng.uniform(0.8, 1.4))
        columns = (
            "community_id", "household_id", "grid_id", "person_id", "visitor_id", "visited_at", "method",
            "outcome", "health", "self_care", "mood", "mood_note", "family", "difficulties", "hazards",
            "hazard_note", "needs", "created_at",
        )  # fmt: skip
        methods = ("home", "home", "home", "phone")
        bulk.copy_rows(
            Visit,
            columns,
            (
                (*row, rng.choice(methods), "visited", "", "", "", "", "", "", [], "", "", row[5])
                for row in rows
            ),
        )
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE care_careprofile p SET last_contact_at = v.last FROM"
                " (SELECT person_id, max(visited_at) AS last FROM care_visit WHERE community_id = %s"
                " GROUP BY person_id) v WHERE p.person_id = v.person_id",
                [community.pk],
            )
        register_refresh(community=community, today=self.today)  # next visits due from the last ones
        self.add("care profiles", len(profiles))
        self.add("visits", len(rows))

    # --- cases -----------------------------------------------------------------------------------------

    def cases(self, community, places, people, users) -> None:
        from django.utils import timezone

        from grassroots.cases.models import Assignment, Case, CaseCounter, CaseEvent
        from grassroots.cases.services import case_number
        from grassroots.core import bulk

        count = self.args.cases // self.args.communities
        span = self.args.years * 365 * 86400
        moments = sorted(self.now - timedelta(seconds=self.rng.uniform(60, span)) for _ in range(count))
        ids = bulk.allocate_ids(Case, count)
        adults = [p for p in people if 25 <= (self.today - p[1].birth).days // 365 <= 70]
        users["volunteers"] = [p[0] for p in self.rng.sample(adults, min(VOLUNTEERS, len(adults)))]
        drafts = [
            self.case(pk, at, community, places, people, users) for pk, at in zip(ids, moments, strict=True)
        ]
        numbered: dict[date, int] = {}
        for draft in drafts:  # numbered as the service numbers them, and its counters left in step
            day = timezone.localdate(draft.row["reported_at"])
            numbered[day] = numbered.get(day, 0) + 1
            draft.row["number"] = case_number(community, day, numbered[day])
        columns = tuple(drafts[0].row)
        bulk.copy_rows(Case, ("id", *columns), ((d.pk, *d.row.values()) for d in drafts))
        bulk.copy_rows(
            CaseCounter, ("community_id", "day", "last"), ((community.pk, d, n) for d, n in numbered.items())
        )
        event_columns = (
            "case_id", "at", "actor_id", "actor_role", "action", "note", "from_status", "to_status",
            "changes", "public", "actor_name",
        )  # fmt: skip
        bulk.copy_rows(CaseEvent, event_columns, (e for d in drafts for e in d.events))
        bulk.copy_rows(
            Assignment,
            ("case_id", "is_lead", "user_id", "person_id", "role_note", "summoned_at", "acknowledged_at",
             "acknowledged_by_id", "active"),
            (d.lead for d in drafts if d.lead),
        )  # fmt: skip
        self.hours(community, drafts)
        self.facts(community, drafts)
        self.add("cases", count)
        self.add("case events", sum(len(d.events) for d in drafts))
        self.add("assignments", sum(1 for d in drafts if d.lead))

    def case(self, pk: int, at: datetime, community, places, people, users):
        """One case and its timeline: closed for most of the past, at some step of the work lately."""
        from grassroots.cases.services import case_due_times

        rng = self.rng
        category = rng.choices(self.categories, self.category_weights)[0]
        person_id, resident, home = people[rng.randrange(len(people))]
        household_id, building_id, grid_id, _address = home
        urgency = "urgent" if rng.random() < 0.15 else "normal"
        channel = rng.choice(("phone", "phone", "phone", "wechat", "walk_in", "patrol", "visit", "hotline"))
        worker = users["grid"][grid_id]
        registrar = users["socialworker"] if rng.random() < 0.6 else worker
        age = (self.now - at).days
        steps = 7 if age > 30 else rng.choice((1, 2, 3, 4, 5, 6, 7, 7, 7))
        rejected = steps >= 2 and rng.random() < 0.03
        phone = self.phone_of(person_id, resident.phone)
        row = {
            "number": "",
            "community_id": community.pk,
            "category_id": category.pk,
            "description": rng.choice(self.descriptions[category.code]).replace("{place}", "楼门口"),
            "channel": channel,
            "urgency": urgency,
            "answers": {},
            "reporter_person_id": person_id,
            "reporter_name": resident.name,
            **phone,
            "anonymous": False,
            "household_id": household_id,
            "building_id": building_id,
            "grid_id": grid_id,
            "location_note": "",
            "status": "reported",
            "version": 0,
            "reported_at": at,
            "registered_at": None,
            "response_due": None,
            "resolution_due": None,
            "responded_at": None,
            "resolved_at": None,
            "closed_at": None,
            "public_summary": "",
            "plan": "",
            "resolution_report": "",
            "rejection_reason": "",
            "suspicion": "",
            "satisfaction": "",
            "rework_count": 0,
            "urge_count": 0,
            "extension_reason": "",
            "public_token": secrets.token_hex(16),
            "created_by_id": registrar.pk,
        }
        draft = SimpleNamespace(pk=pk, row=row, events=[], lead=None, category=category, hours=None)
        clock = at

        def step(action, actor, to, minutes, changes=None, note=""):
            nonlocal clock
            clock += timedelta(minutes=minutes)
            draft.events.append(
                (pk, clock, actor.pk, actor.role, action, note, row["status"], to, changes or {}, True, "")
            )
            row["status"], row["version"] = to, row["version"] + 1
            return clock

        draft.events.append(
            (pk, at, registrar.pk, registrar.role, "report", "", "", "reported", {}, True, "")
        )
        if steps >= 2 and rejected:
            row["rejection_reason"] = "不属于社区受理范围，已告知居民向相关部门反映。"
            row["closed_at"] = step(
                "reject", registrar, "rejected", rng.uniform(5, 90), note=row["rejection_reason"]
            )
            return draft
        if steps >= 2:
            row["registered_at"] = step("register", registrar, "registered", rng.uniform(2, 60))
            row["response_due"], row["resolution_due"] = case_due_times(
                category, urgency, row["registered_at"]
            )
            draft.events[-1][8].update(
                {
                    "response_due": row["response_due"].isoformat(),
                    "resolution_due": row["resolution_due"].isoformat(),
                }
            )
        if steps >= 3:
            lead_person = rng.choice(users["volunteers"]) if rng.random() < 0.15 else None
            party = f"person:{lead_person}" if lead_person else f"user:{worker.pk}"
            summoned = step(
                "dispatch", registrar, "dispatched", rng.uniform(1, 30), {"lead": party, "supporters": []}
            )
            draft.lead = [
                pk,
                True,
                None if lead_person else worker.pk,
                lead_person,
                "",
                summoned,
                None,
                None,
                True,
            ]
            draft.lead_person = lead_person
        if steps >= 4:
            acknowledged = step("acknowledge", worker, "acknowledged", rng.uniform(5, 200))
            row["responded_at"] = acknowledged
            draft.lead[6], draft.lead[7] = acknowledged, worker.pk
        if steps >= 5:
            hours = Decimal(rng.choice(("0.5", "1.0", "1.5", "2.0", "3.0")))
            row["resolution_report"] = "已上门处理，问题解决。"
            row["resolved_at"] = step(
                "resolve",
                worker,
                "resolved",
                rng.uniform(60, 4 * 1440),
                {"hours": str(hours)},
                row["resolution_report"],
            )
            draft.hours = (hours, row["resolved_at"])
        if steps >= 6:
            row["satisfaction"] = rng.choices(("satisfied", "basic", "unsatisfied"), (85, 12, 3))[0]
            step(
                "verify", registrar, "verified", rng.uniform(30, 1440), {"satisfaction": row["satisfaction"]}
            )
        if steps >= 7:
            row["closed_at"] = step("close", registrar, "closed", rng.uniform(5, 600))
        return draft

    def phone_of(self, person_id: int, phone: str) -> dict:
        """The reporter's phone columns (sealed once per person, as a case's intake keeps them)."""
        from grassroots.core import pii

        if not phone:
            return {
                "reporter_phone_encrypted": "",
                "reporter_phone_hash": "",
                "reporter_phone_tail_hash": "",
                "reporter_phone_masked": "",
            }
        cache = self.__dict__.setdefault("_phones", {})
        if person_id not in cache:
            if len(cache) > 50_000:
                cache.clear()
            cache[person_id] = {
                "reporter_phone_encrypted": self.seal(phone),
                "reporter_phone_hash": pii.phone_hash(phone),
                "reporter_phone_tail_hash": pii.phone_tail_hash(phone),
                "reporter_phone_masked": pii.mask_phone(phone),
            }
        return cache[person_id]

    def hours(self, community, drafts) -> None:
        """Hours a volunteer lead reported on a case, in the service-hours ledger (activities)."""
        from grassroots.activities.models import HoursEntry
        from grassroots.core import bulk

        rows = [
            (community.pk, d.lead_person, "case", d.pk, h, h * 10, "", "", at, at)
            for d in drafts
            if d.hours and getattr(d, "lead_person", None)
            for h, at in [d.hours]
        ]
        bulk.copy_rows(
            HoursEntry,
            ("community_id", "person_id", "source_kind", "source_id", "hours", "points", "note", "conditions",
             "worked_at", "recorded_at"),
            rows,
        )  # fmt: skip
        self.add("hours entries", len(rows))

    def facts(self, community, drafts) -> None:
        """The dashboard's facts by cases.rollups.derive, then its rollups counted from them in SQL."""
        from grassroots.cases import rollups
        from grassroots.cases.models import CaseFact, CaseMonthRollup, CaseRollup
        from grassroots.core import bulk

        names = ("case_id", "action", "to_status", "at", "changes")
        fact_columns = None
        rows = []
        for d in drafts:
            case = SimpleNamespace(pk=d.pk, escalated_at=None, **d.row)
            events = [
                SimpleNamespace(**dict(zip(names, (e[0], e[4], e[7], e[1], e[8]), strict=True)))
                for e in d.events
            ]
            lead = d.lead and (f"person:{d.lead[3]}" if d.lead[3] else f"user:{d.lead[2]}")
            fact = rollups.derive(case, events, lead=lead or "", repeat=False)
            fact_columns = fact_columns or tuple(fact)
            rows.append((d.pk, *fact.values()))
        bulk.copy_rows(CaseFact, ("case_id", *fact_columns), rows)
        grouped = (
            CaseFact.objects.filter(community_id=community.pk)
            .order_by()
            .values(*rollups.DIMENSIONS)
            .annotate(**rollups.counter_aggregates())
        )
        rollup_rows = [
            {"key": rollups.group_key(r), **rollups._dims(r), **rollups.counts(r)} for r in grouped
        ]
        if rollup_rows:
            bulk.copy_rows(CaseRollup, tuple(rollup_rows[0]), (tuple(row.values()) for row in rollup_rows))
        month_rows = [  # summed from the fine rollups just written, as the rebuild sums them
            {
                "key": rollups.month_key(community.pk, r["month"], r["top"], r["sensitive"]),
                "community_id": community.pk,
                "month": r["month"],
                "top_category_id": r["top"],
                "sensitive": r["sensitive"],
                **rollups.counts(r),
            }
            for r in rollups._month_rows(community.pk)
        ]
        if month_rows:
            bulk.copy_rows(CaseMonthRollup, tuple(month_rows[0]), (tuple(row.values()) for row in month_rows))
        self.add("rollup rows", len(rollup_rows) + len(month_rows))


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "grassroots.config.settings")
    django.setup()
    from django.core.management import call_command
    from django.db import connection, connections

    if connection.vendor != "postgresql":
        print(
            "The district is written with COPY: set DATABASE_URL to a PostgreSQL database.", file=sys.stderr
        )
        return 2
    call_command("migrate", verbosity=0)
    from grassroots.places.models import Community

    if Community.objects.exists():
        print("This database already holds communities: generate into an empty one.", file=sys.stderr)
        return 2
    started = time.perf_counter()
    district = District(args)
    street_ids = [street.pk for street in district.streets()]
    deferred = [] if args.keep_indexes else defer_indexes(DEFERRED_INDEX_TABLES)
    try:
        connections.close_all()  # each process opens its own: a forked one must not share a socket
        counts = write_lanes(args, street_ids, district.counts)
    finally:
        restore_indexes(deferred)
    with connection.cursor() as cursor:
        # Vacuumed as well as analysed: the visibility map is what lets an index answer a count alone
        # (autovacuum would set it some minutes later; a benchmark must not depend on when it ran).
        cursor.execute("VACUUM (ANALYZE)")
    elapsed = time.perf_counter() - started
    print(f"generated in {elapsed:.0f} s (seed {args.seed}, {args.jobs} processes):")
    for what, n in counts.items():
        print(f"  {what:>14}: {n:,}")
    return 0


#: Communities are dealt into this many lanes; a lane is written in order by one process, and the
#: lanes' name makers never draw the same ID number or phone. Fixed, so that the district does not
#: depend on --jobs.
LANES = 10
#: The biggest tables, whose plain indexes are built once after the rows rather than kept up row by
#: row (unique indexes and constraints stay: the rows are checked as they come).
DEFERRED_INDEX_TABLES = ("cases_case", "cases_caseevent", "cases_assignment")


def write_lanes(args: argparse.Namespace, street_ids: list[int], counts: dict[str, int]) -> dict[str, int]:
    """Every community, lane by lane, in `args.jobs` processes; what was written, summed."""
    jobs = max(1, min(args.jobs, LANES))
    lanes = [list(range(worker, LANES, jobs)) for worker in range(jobs)]
    if jobs == 1:
        results = [write_communities(args, street_ids, lanes[0])]
    else:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        context = multiprocessing.get_context("fork")
        with ProcessPoolExecutor(max_workers=len(lanes), mp_context=context) as pool:
            results = list(pool.map(write_communities, [args] * len(lanes), [street_ids] * len(lanes), lanes))
    total = dict(counts)
    for result in results:
        for what, n in result.items():
            total[what] = total.get(what, 0) + n
    return total


def write_communities(args: argparse.Namespace, street_ids: list[int], lanes: list[int]) -> dict[str, int]:
    """One process's share: the communities of its lanes, each lane in order of its communities."""
    from django.db import connection

    from grassroots.core.bulk import without_cyclic_gc
    from grassroots.places.models import Street

    with connection.cursor() as cursor:  # a generated district can be generated again: no fsync wait
        cursor.execute("SET synchronous_commit TO off")
    district = District(args)
    streets = Street.objects.in_bulk(street_ids)
    with without_cyclic_gc():
        for lane in lanes:
            for index in range(lane, args.communities, LANES):
                street = streets[street_ids[index // COMMUNITIES_PER_STREET]]
                seconds = district.community(index, street)
                print(f"community {index + 1}/{args.communities}: {seconds:.1f} s (lane {lane})", flush=True)
    return district.counts


def defer_indexes(tables: tuple[str, ...]) -> list[tuple[str, str]]:
    """Drop the tables' plain indexes (not unique, not a constraint's); their definitions, to restore."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) FROM pg_index i"
            " JOIN pg_class t ON t.oid = i.indrelid WHERE t.relname = ANY(%s) AND NOT i.indisunique"
            " AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)",
            [list(tables)],
        )
        deferred = cursor.fetchall()
        for name, _definition in deferred:
            cursor.execute(f"DROP INDEX {name}")
    return deferred


def restore_indexes(deferred: list[tuple[str, str]]) -> None:
    """Build the deferred indexes again, each in one pass over its table."""
    from django.db import connection

    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("SET maintenance_work_mem TO '512MB'")
        for _name, definition in deferred:
            cursor.execute(definition)
    if deferred:
        print(f"{len(deferred)} indexes built in {time.perf_counter() - started:.0f} s", flush=True)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
