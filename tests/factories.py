"""Factories for synthetic registry data: places, people, organisations and users.

Every name, ID number and phone number here is made up. ID numbers are valid
(GB 11643 check digit, real birth date, sex digit matching the person) so that
code which validates them treats factory people like real ones; derived fields
(pinyin keys, encrypted numbers, hashes, masks) are filled the way the services
fill them, so search and lookups find factory people.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta

import factory
from factory.django import DjangoModelFactory

from grassroots.accounts.models import Role, User
from grassroots.core.pii import id_check_char
from grassroots.orgs.models import MemberUnit, PartyBranch, PartyMember, UnitKind, Volunteer, VolunteerTeam
from grassroots.people.models import (
    Person,
    PersonStatus,
    PersonTag,
    Relation,
    ResidenceType,
    Residency,
    Sex,
    VulnerabilityTag,
)
from grassroots.people.search import pinyin_keys
from grassroots.people.services import write_other_readings
from grassroots.places.models import Building, Community, Grid, Household, Street

#: The password of every factory user (fast to hash: the tests use the MD5 hasher).
TEST_PASSWORD = "grassroots-test"

#: Binhai New Area, Tianjin: the region code of the article's community.
REGION_CODE = "120116"

_NAMES = (
    "刘桂英",
    "阚淑珍",
    "张建国",
    "李玉兰",
    "赵德明",
    "孙秀荣",
    "马振华",
    "高凤英",
    "陈立新",
    "郭淑兰",
    "宋永福",
    "于桂芳",
)


def make_id_number(birth: date, *, sex: str = Sex.FEMALE, serial: int = 0, region: str = REGION_CODE) -> str:
    """A valid 18-character ID number for that birth date and sex (odd 17th digit for men)."""
    order = (serial % 500) * 2 + (1 if sex == Sex.MALE else 0)
    first17 = f"{region}{birth:%Y%m%d}{order:03d}"
    return first17 + id_check_char(first17)


def make_phone(serial: int) -> str:
    """A plausible mainland mobile number, unique per serial."""
    return f"139{serial % 10**8:08d}"


def _birth_date(serial: int) -> date:
    """Spread people over 1935-2004 so that ages, and so care tiers, vary."""
    return date(1935, 1, 1) + timedelta(days=(serial * 977) % 25_500)


class StreetFactory(DjangoModelFactory):
    class Meta:
        model = Street
        django_get_or_create = ("code",)

    name = factory.Sequence(lambda n: f"大沽街道{n}")
    code = factory.Sequence(lambda n: f"ST{n:04d}")
    district = "滨海新区"


class CommunityFactory(DjangoModelFactory):
    class Meta:
        model = Community
        django_get_or_create = ("code",)

    street = factory.SubFactory(StreetFactory)
    name = factory.Sequence(lambda n: f"和盛苑社区{n}")
    code = factory.Sequence(lambda n: f"CM{n:04d}")


class GridFactory(DjangoModelFactory):
    class Meta:
        model = Grid

    community = factory.SubFactory(CommunityFactory)
    name = factory.Sequence(lambda n: f"第{n}网格")
    code = factory.Sequence(lambda n: f"G{n:03d}")


class BuildingFactory(DjangoModelFactory):
    class Meta:
        model = Building

    grid = factory.SubFactory(GridFactory)
    community = factory.SelfAttribute("grid.community")
    number = factory.Sequence(lambda n: n + 1)
    floors = 6
    entrances = 4


class HouseholdFactory(DjangoModelFactory):
    """A dwelling; its grid is always its building's grid, as Household.clean demands."""

    class Meta:
        model = Household

    building = factory.SubFactory(BuildingFactory)
    grid = factory.SelfAttribute("building.grid")
    entrance = 1
    room = factory.Sequence(lambda n: f"{(n % 6) + 1}{(n // 6) % 90 + 1:02d}")


class PersonFactory(DjangoModelFactory):
    """A person with valid, encrypted ID and phone numbers and pinyin search keys.

    Pass `household=` to make them live there (an open Residency, status "living");
    without it they are known to the community but not a resident (a serving party
    member, a volunteer from outside). Pass `id_number=""` or `phone=""` for none.
    """

    class Meta:
        model = Person
        exclude = ("serial",)

    serial = factory.Sequence(lambda n: n)
    household = None
    relation = Relation.HEAD
    residence_type = ResidenceType.REGISTERED
    moved_in = date(2015, 5, 1)
    community = factory.Maybe(
        "household",
        yes_declaration=factory.SelfAttribute("household.building.community"),
        no_declaration=factory.SubFactory(CommunityFactory),
    )
    name = factory.Sequence(lambda n: _NAMES[n % len(_NAMES)])
    sex = factory.Sequence(lambda n: Sex.FEMALE if n % 2 == 0 else Sex.MALE)
    birth_date = factory.LazyAttribute(lambda o: _birth_date(o.serial))
    id_number = factory.LazyAttribute(
        lambda o: make_id_number(o.birth_date, sex=o.sex, serial=o.serial) if o.birth_date else ""
    )
    phone = factory.LazyAttribute(lambda o: make_phone(o.serial))

    @classmethod
    def _make_person(cls, kwargs: dict) -> tuple[Person, dict]:
        extra = {
            key: kwargs.pop(key)
            for key in ("household", "relation", "residence_type", "moved_in", "id_number", "phone")
        }
        person = Person(**kwargs)
        person.name_pinyin, person.name_initials = pinyin_keys(person.name)
        if extra["id_number"]:
            person.set_id_number(extra["id_number"])
        if extra["phone"]:
            person.set_phone(extra["phone"])
        if extra["household"] is not None:
            person.current_household = extra["household"]
            person.status = PersonStatus.LIVING
        elif "status" not in kwargs:
            person.status = PersonStatus.NOT_RESIDENT
        return person, extra

    @classmethod
    def _build(cls, model_class, *args, **kwargs) -> Person:
        person, _extra = cls._make_person(kwargs)
        return person

    @classmethod
    def _create(cls, model_class, *args, **kwargs) -> Person:
        person, extra = cls._make_person(kwargs)
        person.save()
        write_other_readings(person)
        if extra["household"] is not None:
            Residency.objects.create(
                person=person,
                household=extra["household"],
                relation=extra["relation"],
                residence_type=extra["residence_type"],
                moved_in=extra["moved_in"],
            )
        return person


class ResidencyFactory(DjangoModelFactory):
    """A past stay by default (moved out); pass moved_out=None for a current one."""

    class Meta:
        model = Residency

    household = factory.SubFactory(HouseholdFactory)
    person = factory.SubFactory(
        PersonFactory, community=factory.SelfAttribute("..household.building.community")
    )
    relation = Relation.HEAD
    residence_type = ResidenceType.REGISTERED
    moved_in = date(2010, 3, 1)
    moved_out = date(2014, 8, 31)


class VulnerabilityTagFactory(DjangoModelFactory):
    """Looks the tag up by code (the data migration creates the usual ones), creating it if needed.

    Transactional tests flush the tables, migration rows included, hence get-or-create.
    """

    class Meta:
        model = VulnerabilityTag
        django_get_or_create = ("code",)

    code = "living-alone"
    name_zh = factory.LazyAttribute(lambda o: o.code)
    name_en = factory.LazyAttribute(lambda o: o.code)
    has_level = False
    sensitive = False


def vulnerability_tag(code: str, **defaults) -> VulnerabilityTag:
    """The tag with this code ("living-alone", "disabled", ...), as the data migration made it."""
    if code == "disabled":
        defaults = {"has_level": True, "sensitive": True, **defaults}
    return VulnerabilityTagFactory(code=code, **defaults)


class PersonTagFactory(DjangoModelFactory):
    class Meta:
        model = PersonTag

    person = factory.SubFactory(PersonFactory)
    tag = factory.LazyFunction(lambda: vulnerability_tag("living-alone"))


class PartyBranchFactory(DjangoModelFactory):
    class Meta:
        model = PartyBranch

    community = factory.SubFactory(CommunityFactory)
    name = factory.Sequence(lambda n: f"第{n}党支部")


class PartyMemberFactory(DjangoModelFactory):
    class Meta:
        model = PartyMember

    branch = factory.SubFactory(PartyBranchFactory)
    person = factory.SubFactory(PersonFactory, community=factory.SelfAttribute("..branch.community"))
    joined_party_on = date(1985, 7, 1)


class VolunteerTeamFactory(DjangoModelFactory):
    class Meta:
        model = VolunteerTeam

    community = factory.SubFactory(CommunityFactory)
    name = factory.Sequence(lambda n: f"志愿服务队{n}")
    focus = "送水、维修"


class VolunteerFactory(DjangoModelFactory):
    class Meta:
        model = Volunteer
        skip_postgeneration_save = True

    home_grid = factory.SubFactory(GridFactory)
    person = factory.SubFactory(PersonFactory, community=factory.SelfAttribute("..home_grid.community"))
    availability = "工作日上午"
    joined_on = date(2020, 3, 5)

    @factory.post_generation
    def teams(self, create: bool, extracted: Iterable[VolunteerTeam] | None, **kwargs) -> None:
        if create and extracted:
            self.teams.set(extracted)


class MemberUnitFactory(DjangoModelFactory):
    class Meta:
        model = MemberUnit

    community = factory.SubFactory(CommunityFactory)
    name = factory.Sequence(lambda n: f"成员单位{n}")
    kind = UnitKind.PROPERTY
    contact_name = "物业值班室"
    offers = "维修人员、工具"


class UserFactory(DjangoModelFactory):
    """A user who can sign in with TEST_PASSWORD. Prefer `user_for(role, ...)`."""

    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.django.Password(TEST_PASSWORD)
    role = Role.RESIDENT
    is_active = True

    @factory.post_generation
    def grids(self, create: bool, extracted: Iterable[Grid] | None, **kwargs) -> None:
        if create and extracted:
            self.grids.set(extracted)


def user_for(
    role: str,
    *,
    community: Community | None = None,
    grids: Iterable[Grid] = (),
    street: Street | None = None,
    person: Person | None = None,
    member_unit: MemberUnit | None = None,
    username: str | None = None,
    **fields,
) -> User:
    """A user playing `role` where the role works: a community, some grids, a street.

    The result passes User.full_clean(), so it is a user the admin could have made.
    """
    kwargs = {"role": role, "community": community, "street": street, "person": person, **fields}
    if member_unit is not None:
        kwargs["member_unit"] = member_unit
    if username is not None:
        kwargs["username"] = username
    user = UserFactory(grids=list(grids), **kwargs)
    user.full_clean(exclude=["password"])
    return user
