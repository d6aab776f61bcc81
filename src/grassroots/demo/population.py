"""The residents of the demo, planned as plain data before anything touches the database.

Planning first and writing afterwards keeps the demo deterministic and testable:
the same seed always gives the same families at the same addresses, and a test can
compare what is in the database with a fresh plan. Households are drawn by type
(an elderly person living alone, an empty-nest couple, a family with a child, three
generations under one roof, migrant tenants ...) in proportions that give the
article's "more than 7,400 permanent residents" in 3,036 households, with the move
history that "frequent mobility" implies: adult children who moved away, spouses
who died, tenants who came and went, and people who moved between flats of the estate.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta

from grassroots.demo.layout import HouseholdPlan
from grassroots.demo.names import BINHAI_REGION, OTHER_REGIONS, NameMaker

# All demo dates lie on or before this day, so the data do not depend on when it is built.
REFERENCE_DATE = date(2026, 11, 1)
# The estate was handed over to its first owners in 2010.
ESTATE_OPENED = date(2010, 6, 1)

LIVING = "living"
MOVED_OUT = "moved_out"
DECEASED = "deceased"
NOT_RESIDENT = "not_resident"

# Household types and how many of each. "couple_child" takes whatever is left, so
# the total is always the number of flats. Order matters: movers between flats are
# drawn from types planned earlier (empty-nest parents, vacated flats).
HOUSEHOLD_MIX: tuple[tuple[str, int], ...] = (
    ("vacant", 80),
    ("alone_elderly", 255),
    ("empty_nest", 470),
    ("single_adult", 195),
    ("young_couple", 255),
    ("couple_two", 195),
    ("single_parent", 130),
    ("elderly_with_child", 135),
    ("widow_with_child", 60),
    ("three_gen", 205),
    ("skipped_gen", 20),
    ("tenants", 216),
    ("couple_child", -1),
)

# Elderly ages by five-year band (60-64 ... 90-94) and weight: most are young-old.
_ELDERLY_BANDS: tuple[tuple[int, float], ...] = (
    (60, 30),
    (65, 28),
    (70, 20),
    (75, 12),
    (80, 8.5),
    (85, 4),
    (90, 1.5),
)


@dataclass
class ResidencyPlan:
    household: int
    relation: str
    residence_type: str
    moved_in: date
    moved_out: date | None = None
    note: str = ""


@dataclass
class TagPlan:
    code: str
    level: int | None = None
    since: date | None = None
    note: str = ""


@dataclass
class PersonPlan:
    key: int
    name: str
    sex: str
    birth: date
    id_number: str = ""
    phone: str = ""
    status: str = LIVING
    note: str = ""
    residencies: list[ResidencyPlan] = field(default_factory=list)
    tags: list[TagPlan] = field(default_factory=list)

    @property
    def age(self) -> int:
        before = (REFERENCE_DATE.month, REFERENCE_DATE.day) < (self.birth.month, self.birth.day)
        return REFERENCE_DATE.year - self.birth.year - before

    @property
    def current(self) -> ResidencyPlan | None:
        for residency in self.residencies:
            if residency.moved_out is None:
                return residency
        return None

    def has_tag(self, *codes: str) -> bool:
        return any(tag.code in codes for tag in self.tags)


@dataclass
class FamilyPlan:
    """The people living in one flat now, and what kind of household it is."""

    household: int
    kind: str
    members: list[int] = field(default_factory=list)


class PopulationPlanner:
    """Draws people household by household; every random choice comes from `rng`."""

    def __init__(self, rng: random.Random, names: NameMaker, households: list[HouseholdPlan]) -> None:
        self.rng = rng
        self.names = names
        self.households = households
        self.people: list[PersonPlan] = []
        self.families: dict[int, FamilyPlan] = {}
        self.by_kind: dict[str, list[int]] = {}
        # Vacant flats with no history yet: where grandparents who moved in with their children lived.
        self.unused_flats: list[int] = []

    # --- small draws -------------------------------------------------------------

    def birth_for_age(self, age: int) -> date:
        """A birth date that makes the person `age` on the reference date."""
        return REFERENCE_DATE - timedelta(days=int(age * 365.25) + self.rng.randrange(1, 364))

    def elderly_age(self, low: int = 60, high: int = 94) -> int:
        bands = [(start, weight) for start, weight in _ELDERLY_BANDS if start + 4 >= low and start <= high]
        start = self.rng.choices([band for band, _ in bands], [weight for _, weight in bands])[0]
        return self.rng.randint(max(start, low), min(start + 4, high))

    def day_between(self, first: date, last: date) -> date:
        if last <= first:
            return first
        return first + timedelta(days=self.rng.randrange((last - first).days + 1))

    def original_move_in(self) -> date:
        """When a first owner moved in: most in the first three years after handover."""
        return self.day_between(ESTATE_OPENED, date(2013, 12, 31))

    def later_move_in(self, earliest: date = ESTATE_OPENED) -> date:
        return self.day_between(max(earliest, date(2014, 1, 1)), REFERENCE_DATE - timedelta(days=20))

    def local_type(self) -> str:
        return "registered" if self.rng.random() < 0.78 else "permanent"

    # --- people --------------------------------------------------------------------

    def person(
        self,
        *,
        sex: str,
        age: int,
        surname: str | None = None,
        name: str | None = None,
        residence_type: str = "registered",
        status: str = LIVING,
    ) -> PersonPlan:
        """A new person with an ID number and a phone as often as real registers have them."""
        birth = self.birth_for_age(age)
        person = PersonPlan(
            key=len(self.people),
            name=name or self.names.full(sex, birth.year, surname=surname),
            sex=sex,
            birth=birth,
            status=status,
        )
        if self.rng.random() < (0.72 if age < 16 else 0.95):
            person.id_number = self.names.id_number(birth, sex, region=self._region(residence_type))
        person.phone = self._phone(age) if status != DECEASED else ""
        self.people.append(person)
        return person

    def _region(self, residence_type: str) -> str:
        if residence_type == "registered":
            return BINHAI_REGION
        if residence_type == "permanent" and self.rng.random() < 0.3:
            return BINHAI_REGION
        return self.rng.choice(OTHER_REGIONS)

    def _phone(self, age: int) -> str:
        roll = self.rng.random()
        if age < 14:
            return ""
        if age < 18:
            return self.names.mobile() if roll < 0.4 else ""
        if age < 70:
            return self.names.mobile() if roll < 0.93 else ""
        if age < 80:
            return self.names.mobile() if roll < 0.6 else (self.names.landline() if roll < 0.85 else "")
        return self.names.mobile() if roll < 0.3 else (self.names.landline() if roll < 0.7 else "")

    def live(
        self,
        person: PersonPlan,
        household: int,
        relation: str,
        residence_type: str,
        moved_in: date,
        *,
        note: str = "",
    ) -> None:
        """Open the person's current residency (a child moves in when born, if born later)."""
        moved_in = max(moved_in, person.birth)
        person.residencies.append(ResidencyPlan(household, relation, residence_type, moved_in, note=note))
        family = self.families.setdefault(household, FamilyPlan(household, "special"))
        family.members.append(person.key)

    def lived(
        self,
        person: PersonPlan,
        household: int,
        relation: str,
        residence_type: str,
        moved_in: date,
        moved_out: date,
        note: str,
    ) -> None:
        """A closed residency: someone who has moved away, died, or moved to another flat."""
        moved_in = max(moved_in, person.birth)
        moved_out = max(moved_out, moved_in)
        person.residencies.append(
            ResidencyPlan(household, relation, residence_type, moved_in, moved_out, note)
        )

    def couple(self, *, husband_age: int, residence_type: str) -> tuple[PersonPlan, PersonPlan]:
        husband = self.person(sex="M", age=husband_age, residence_type=residence_type)
        wife_age = max(20, husband_age - self.rng.choice((-2, -1, 0, 1, 2, 2, 3, 3, 4, 5)))
        wife = self.person(sex="F", age=wife_age, residence_type=residence_type)
        return husband, wife

    def child(self, father: PersonPlan, mother: PersonPlan, age: int, residence_type: str) -> PersonPlan:
        sex = self.rng.choice("MF")
        surname = father.name[0] if self.rng.random() < 0.95 else mother.name[0]
        return self.person(sex=sex, age=age, surname=surname, residence_type=residence_type)

    def child_age(self, mother_age: int, *, adult: bool = False) -> int:
        """A child born when the mother was 22-38; grown-up if `adult`."""
        youngest, oldest = max(0, mother_age - 38), mother_age - 22
        if adult:
            youngest = max(youngest, 18)
        return self.rng.randint(min(youngest, oldest), max(youngest, oldest)) if oldest >= 0 else 0

    # --- the estate ------------------------------------------------------------------

    def plan(self, free_households: list[int]) -> None:
        """Give every free flat a household type and people."""
        order = list(free_households)
        self.rng.shuffle(order)
        fixed = sum(count for _kind, count in HOUSEHOLD_MIX if count >= 0)
        start = 0
        for kind, count in HOUSEHOLD_MIX:
            take = len(order) - fixed if count < 0 else count
            chosen = sorted(order[start : start + take])
            start += take
            self.by_kind[kind] = chosen
            for household in chosen:
                getattr(self, f"_plan_{kind}")(household)
                self.families.setdefault(household, FamilyPlan(household, kind)).kind = kind

    def _plan_vacant(self, household: int) -> None:
        """An empty flat (sold, or waiting for tenants) whose last occupants moved away."""
        if self.rng.random() < 0.35:
            self.unused_flats.append(household)
            return
        moved_in = self.original_move_in()
        moved_out = self.later_move_in(moved_in + timedelta(days=400))
        note = self.rng.choice(("购房迁出本社区", "随子女迁居外地", "房屋出售后迁出", "工作调动迁出"))
        kind = self.local_type()
        for position, person in enumerate(self._former_family()):
            self.lived(person, household, "spouse" if position else "head", kind, moved_in, moved_out, note)

    def _former_family(self) -> list[PersonPlan]:
        husband, wife = self.couple(husband_age=self.rng.randint(35, 75), residence_type="registered")
        husband.status = wife.status = MOVED_OUT
        if self.rng.random() < 0.3:
            return [husband]
        return [husband, wife]

    def _plan_alone_elderly(self, household: int) -> None:
        """An old person living alone, usually a widow; the late spouse is kept as history."""
        sex = "F" if self.rng.random() < 0.7 else "M"
        kind = self.local_type()
        person = self.person(sex=sex, age=self.elderly_age(65), residence_type=kind)
        moved_in = self.original_move_in()
        self.live(person, household, "head", kind, moved_in)
        since = moved_in
        if self.rng.random() < 0.55:
            spouse = self.person(
                sex="M" if sex == "F" else "F", age=person.age + self.rng.randint(0, 5), status=DECEASED
            )
            since = self.later_move_in(moved_in)
            self.lived(spouse, household, "spouse", kind, moved_in, since, "去世")
        person.tags.append(TagPlan("living-alone", since=since))

    def _plan_empty_nest(self, household: int) -> None:
        """An elderly couple whose children have left; often one child's residency is history here."""
        kind = self.local_type()
        husband, wife = self.couple(husband_age=self.elderly_age(60, 88), residence_type=kind)
        moved_in = self.original_move_in()
        self.live(husband, household, "head", kind, moved_in)
        self.live(wife, household, "spouse", kind, moved_in)
        if self.rng.random() < 0.25:
            child = self.child(husband, wife, self.child_age(wife.age, adult=True), kind)
            child.status = MOVED_OUT
            left = self.later_move_in(child.birth + timedelta(days=365 * 22))
            self.lived(child, household, "child", kind, moved_in, left, "结婚后迁出本社区")

    def _plan_single_adult(self, household: int) -> None:
        kind = "registered" if self.rng.random() < 0.55 else "permanent"
        person = self.person(sex=self.rng.choice("MF"), age=self.rng.randint(24, 59), residence_type=kind)
        self.live(person, household, "head", kind, self.later_move_in())

    def _plan_young_couple(self, household: int) -> None:
        """A young couple; some grew up in the estate and moved here from their parents' flat."""
        kind = self.local_type()
        husband, wife = self.couple(husband_age=self.rng.randint(25, 38), residence_type=kind)
        moved_in = self.later_move_in(husband.birth + timedelta(days=365 * 24))
        address = self.households[household].address
        for person, relation in ((husband, "head"), (wife, "spouse")):
            parents = self._parents_in_estate(person) if self.rng.random() < 0.22 else None
            note = ""
            if parents is not None:
                parent_residency = self.people[self.families[parents].members[0]].residencies[0]
                self.lived(
                    person,
                    parents,
                    "child",
                    kind,
                    parent_residency.moved_in,
                    moved_in,
                    f"婚后迁至本社区{address}",
                )
                note = f"由本社区{self.households[parents].address}迁入"
            self.live(person, household, relation, kind, moved_in, note=note)

    def _parents_in_estate(self, person: PersonPlan) -> int | None:
        """An empty-nest flat whose couple could be this person's parents (22-38 years older)."""
        candidates = [
            household
            for household in self.by_kind.get("empty_nest", [])
            if 22 <= self.people[self.families[household].members[1]].age - person.age <= 38
        ]
        return self.rng.choice(candidates) if candidates else None

    def _plan_family(self, household: int, children: int) -> None:
        kind = self.local_type()
        husband, wife = self.couple(husband_age=self.rng.randint(29, 60), residence_type=kind)
        moved_in = (
            self.original_move_in()
            if self.rng.random() < 0.5
            else self.later_move_in(husband.birth + timedelta(days=365 * 25))
        )
        self.live(husband, household, "head", kind, moved_in)
        self.live(wife, household, "spouse", kind, moved_in)
        for _ in range(children):
            self.live(
                self.child(husband, wife, self.child_age(wife.age), kind), household, "child", kind, moved_in
            )

    def _plan_couple_child(self, household: int) -> None:
        self._plan_family(household, 1)

    def _plan_couple_two(self, household: int) -> None:
        self._plan_family(household, 2)

    def _plan_single_parent(self, household: int) -> None:
        kind = self.local_type()
        sex = "F" if self.rng.random() < 0.75 else "M"
        parent = self.person(sex=sex, age=self.rng.randint(30, 52), residence_type=kind)
        moved_in = self.later_move_in(parent.birth + timedelta(days=365 * 25))
        self.live(parent, household, "head", kind, moved_in)
        surname = parent.name[0] if sex == "M" or self.rng.random() < 0.4 else None
        child = self.person(
            sex=self.rng.choice("MF"), age=self.child_age(parent.age), surname=surname, residence_type=kind
        )
        self.live(child, household, "child", kind, moved_in)

    def _plan_elderly_with_child(self, household: int) -> None:
        """An elderly couple with a grown child still at home (unmarried, or caring for them)."""
        kind = self.local_type()
        husband, wife = self.couple(husband_age=self.elderly_age(58, 88), residence_type=kind)
        moved_in = self.original_move_in()
        self.live(husband, household, "head", kind, moved_in)
        self.live(wife, household, "spouse", kind, moved_in)
        child = self.child(husband, wife, self.child_age(wife.age, adult=True), kind)
        self.live(child, household, "child", kind, moved_in)

    def _plan_widow_with_child(self, household: int) -> None:
        kind = self.local_type()
        parent = self.person(
            sex="F" if self.rng.random() < 0.75 else "M", age=self.elderly_age(65), residence_type=kind
        )
        moved_in = self.original_move_in()
        self.live(parent, household, "head", kind, moved_in)
        adult_age = max(18, parent.age - self.rng.randint(22, 36))
        child = self.person(sex=self.rng.choice("MF"), age=adult_age, residence_type=kind)
        self.live(child, household, "child", kind, moved_in)

    def _plan_three_gen(self, household: int) -> None:
        """Grandparents, their son's family and grandchildren; some grandparents gave up their own flat."""
        kind = self.local_type()
        husband, wife = self.couple(husband_age=self.rng.randint(30, 46), residence_type=kind)
        moved_in = self.later_move_in(husband.birth + timedelta(days=365 * 25))
        self.live(husband, household, "head", kind, moved_in)
        self.live(wife, household, "spouse", kind, moved_in)
        for _ in range(1 if self.rng.random() < 0.7 else 2):
            self.live(
                self.child(husband, wife, self.child_age(wife.age), kind), household, "child", kind, moved_in
            )
        grandparents = [
            self.person(sex="M", age=husband.age + self.rng.randint(25, 34), surname=husband.name[0])
        ]
        grandparents.append(self.person(sex="F", age=grandparents[0].age - self.rng.randint(0, 4)))
        if self.rng.random() < 0.35:
            grandparents.pop(self.rng.randrange(2))
        vacated = self._vacant_flat() if self.rng.random() < 0.2 else None
        joined = self.later_move_in(moved_in) if vacated is not None else moved_in
        first = self.original_move_in()
        for position, grandparent in enumerate(grandparents):
            note = ""
            if vacated is not None:
                where = self.households[household].address
                relation = "spouse" if position else "head"
                self.lived(
                    grandparent, vacated, relation, kind, first, joined, f"迁至本社区{where}与子女同住"
                )
                note = f"由本社区{self.households[vacated].address}迁入"
            self.live(grandparent, household, "parent", kind, joined, note=note)

    def _vacant_flat(self) -> int | None:
        """A vacant flat nobody has lived in yet (so two families never share it at once)."""
        if not self.unused_flats:
            return None
        return self.unused_flats.pop(self.rng.randrange(len(self.unused_flats)))

    def _plan_skipped_gen(self, household: int) -> None:
        """Grandparents raising a grandchild whose parents work elsewhere (a left-behind child)."""
        kind = self.local_type()
        grandmother = self.person(sex="F", age=self.rng.randint(56, 74), residence_type=kind)
        moved_in = self.original_move_in()
        self.live(grandmother, household, "head", kind, moved_in)
        surname = None
        if self.rng.random() < 0.7:
            grandfather = self.person(
                sex="M", age=grandmother.age + self.rng.randint(0, 4), residence_type=kind
            )
            self.live(grandfather, household, "spouse", kind, moved_in)
            surname = grandfather.name[0]
        grandchild = self.person(sex=self.rng.choice("MF"), age=self.rng.randint(4, 15), surname=surname)
        self.live(grandchild, household, "grandchild", kind, moved_in)
        grandchild.tags.append(TagPlan("left-behind", note="父母在外地务工"))

    def _plan_tenants(self, household: int) -> None:
        """Migrant tenants, recently arrived; often earlier tenants of the same flat have left."""
        if self.rng.random() < 0.6:
            start = self.day_between(date(2015, 1, 1), date(2021, 12, 31))
            end = self.day_between(start + timedelta(days=300), date(2024, 6, 30))
            for _ in range(self.rng.randint(1, 2)):
                former = self.person(
                    sex=self.rng.choice("MF"),
                    age=self.rng.randint(22, 45),
                    residence_type="migrant",
                    status=MOVED_OUT,
                )
                self.lived(former, household, "tenant", "migrant", start, end, "租约到期搬离")
        moved_in = self.day_between(date(2022, 1, 1), REFERENCE_DATE - timedelta(days=10))
        if self.rng.random() < 0.45:
            husband, wife = self.couple(husband_age=self.rng.randint(24, 45), residence_type="migrant")
            tenants = [husband, wife]
            if self.rng.random() < 0.4:
                tenants.append(self.child(husband, wife, self.child_age(wife.age), "migrant"))
        else:
            tenants = [
                self.person(sex=self.rng.choice("MF"), age=self.rng.randint(20, 40), residence_type="migrant")
                for _ in range(self.rng.choice((1, 1, 2, 2, 3)))
            ]
        for tenant in tenants:
            self.live(tenant, household, "tenant", "migrant", moved_in, note="外来务工租住")

    # --- queries used by the later planning steps ------------------------------------

    def residents(self) -> list[PersonPlan]:
        """People living in the estate now, in key order."""
        return [person for person in self.people if person.status == LIVING and person.current is not None]
