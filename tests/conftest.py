"""Shared fixtures: a small neighbourhood like the article's, and one user per role.

The story: the community (和盛苑) has two grids. Grid A holds building 4, where
Granny Wang lives at 4-2-301; grid B holds building 7. Another community of the
same street (the outsider's) must stay invisible to our staff, and ours to them.
Everything is synthetic.
"""

from __future__ import annotations

import logging
import os
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
from django.conf import settings
from django.test import override_settings
from hypothesis import settings as hypothesis_settings
from hypothesis.configuration import set_hypothesis_home_dir

from grassroots.accounts.models import Role, User
from grassroots.config.env import var_dir
from grassroots.people.models import Person, Relation
from grassroots.places.models import Building, Community, Grid, Household
from tests.factories import (
    BuildingFactory,
    CommunityFactory,
    GridFactory,
    HouseholdFactory,
    MemberUnitFactory,
    PersonFactory,
    StreetFactory,
    VolunteerFactory,
    user_for,
)

# Settings every test runs with:
# - a fast password hasher (the real one takes a noticeable fraction of a second per user);
# - plain static file storage, so pages render (and the live server serves /static/)
#   without `collectstatic` and regardless of any manifest left in a developer's var/.
TEST_SETTINGS = {
    "PASSWORD_HASHERS": ["django.contrib.auth.hashers.MD5PasswordHasher"],
    # Test clients sign in with Client.login(), which authenticates without a request, and
    # django-axes refuses that; tests/test_signin.py turns it on and drives the sign-in page.
    "AXES_ENABLED": False,
    # Staff sign in by password alone in tests; tests/test_second_factor.py turns the code on.
    "GRASSROOTS_REQUIRE_SECOND_FACTOR": False,
    "STORAGES": {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    },
}

# Tests run without GRASSROOTS_DEBUG or GRASSROOTS_DEMO, so with production's HTTPS settings; the
# test client, WSGI calls and the live server speak plain http. Applied when pytest starts, before
# any test module is collected, since some request the app while they are imported (test_api_fuzz
# loads the schema). tests/test_headers.py checks the production values themselves.
PLAIN_HTTP = {
    "SECURE_SSL_REDIRECT": False,
    "SECURE_HSTS_SECONDS": 0,
    "SESSION_COOKIE_SECURE": False,
    "CSRF_COOKIE_SECURE": False,
    "LANGUAGE_COOKIE_SECURE": False,
}

# Hypothesis keeps its caches and the examples that failed under var/ (ignored by git), not in
# the work tree. It has no deadline (a shared 2-core CI machine stalls now and then), and in CI
# it is derandomised so that a run is repeatable; developers' runs keep exploring.
set_hypothesis_home_dir(var_dir() / "hypothesis")
hypothesis_settings.register_profile("grassroots", deadline=None)
hypothesis_settings.register_profile("ci", deadline=None, derandomize=True, database=None)
hypothesis_settings.load_profile("ci" if os.environ.get("CI") else "grassroots")


def pytest_configure(config: pytest.Config) -> None:
    # WhiteNoise warns at start-up when STATIC_ROOT is missing (nothing is collected in tests);
    # test modules may build the WSGI application while they are collected, so do it first.
    Path(settings.STATIC_ROOT).mkdir(parents=True, exist_ok=True)
    override_settings(**PLAIN_HTTP).enable()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    _replica_tests_need_a_replica(config, items)
    _serialized_rollback_for_transactional_tests(items)


def _replica_tests_need_a_replica(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests marked `replica` read a real streaming standby: collected only when DATABASE_REPLICA_URL
    names one. `.ci/run` always starts one and runs them with `-m replica`, which fails (no test
    ran) if they were left out."""
    if "replica" in settings.DATABASES:
        return
    left_out = [item for item in items if item.get_closest_marker("replica")]
    if left_out:
        config.hook.pytest_deselected(items=left_out)
        items[:] = [item for item in items if not item.get_closest_marker("replica")]


def _serialized_rollback_for_transactional_tests(items: list[pytest.Item]) -> None:
    """Give every transactional test (live server, threads) the data that migrations create.

    A transactional test ends by emptying every table, rows from data migrations included
    (vulnerability tags, case categories, ...), so the next one would start without them.
    With serialised rollback, the database as migrations left it is reloaded before each
    such test. pytest-django reads the option from the closest django_db marker, so each
    transactional test gets one that says so (keeping whatever else its own marker said).
    """
    for item in items:
        names = getattr(item, "fixturenames", None)
        if names is None:
            continue
        marker = item.get_closest_marker("django_db")
        options = dict(marker.kwargs) if marker is not None else {}
        if marker is not None and marker.args:
            options.update(zip(("transaction", "reset_sequences", "databases"), marker.args, strict=False))
        transactional = options.get("transaction") or "transactional_db" in names or "live_server" in names
        if transactional and not options.get("serialized_rollback"):
            item.add_marker(
                pytest.mark.django_db(**{**options, "transaction": True, "serialized_rollback": True}),
                append=False,
            )


class _SerializedContents:
    """What migrations left in the test database, for every connection object of an alias.

    Serialised rollback reloads `connection._test_serialized_contents`, which Django sets
    on the connection object that created the test database. Once Playwright's event loop
    runs in this thread, Django hands out another connection object for the same alias
    (its connections are per thread, and per context when a loop runs), which lacks the
    attribute, so rollback would silently restore nothing. This descriptor answers for any
    connection object of the alias.
    """

    def __init__(self, by_alias: dict[str, str]):
        self.by_alias = by_alias

    def __get__(self, connection, owner=None):
        if connection is None:
            return self
        try:
            return self.by_alias[connection.alias]
        except KeyError:
            raise AttributeError("_test_serialized_contents") from None


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup):
    """pytest-django's test databases, with their serialised contents reachable from any context."""
    from django.db import connections

    patched = []
    for alias in connections:
        connection = connections[alias]
        contents = connection.__dict__.get("_test_serialized_contents")
        if contents is None:
            continue
        backend = type(connection)
        if not isinstance(backend.__dict__.get("_test_serialized_contents"), _SerializedContents):
            backend._test_serialized_contents = _SerializedContents({})
            patched.append(backend)
        backend.__dict__["_test_serialized_contents"].by_alias[alias] = contents
    yield
    for backend in patched:
        del backend._test_serialized_contents


#: A phone or ID number as the suite's factories make them, standing alone (not inside a hash).
LOGGED_NUMBER = re.compile(r"(?<![0-9A-Za-z])(?:1[3-9]\d{9}|\d{17}[\dXx])(?![0-9A-Za-z])")


class _NumberWatch(logging.Handler):
    """Reads every log record of the run for a phone or ID number (issue 13.7: never log them)."""

    def __init__(self):
        super().__init__(level=logging.DEBUG)
        self.found: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        try:
            text = record.getMessage()
        except Exception:  # a record whose arguments do not format: nothing to read
            return
        if record.exc_info and record.exc_info[1] is not None:
            text += f" {record.exc_info[1]}"
        if LOGGED_NUMBER.search(text):
            self.found.append(f"{record.name}: {LOGGED_NUMBER.sub('<number>', text)[:200]}")


@pytest.fixture(scope="session", autouse=True)
def _no_numbers_in_the_logs():
    """The whole run's logs hold no phone or ID number: fails at the end of the run, naming the lines."""
    watch = _NumberWatch()
    logging.getLogger().addHandler(watch)
    yield watch
    logging.getLogger().removeHandler(watch)
    assert watch.found == [], "phone or ID numbers were logged (shown here as <number>)"


@pytest.fixture(scope="session", autouse=True)
def _test_settings():
    """Apply TEST_SETTINGS for the whole run (the live server thread sees them too)."""
    override = override_settings(**TEST_SETTINGS)
    override.enable()
    yield
    override.disable()


_DATABASE_FIXTURES = {"db", "transactional_db", "live_server"}


@pytest.fixture(autouse=True)
def _fresh_cache(request, django_db_blocker):
    """Every test that uses the database starts with an empty cache, so no rate limit carries over.

    The default cache is the database cache: a table, but not a model's. A test's transaction
    rolls its rows back, but a transactional test (live server, threads, another process)
    commits them, and the flush after it empties only the models' tables. Clearing needs the
    test database, whatever order pytest-django sets its fixtures up in: it is asked for first
    (never the developer's own), then reached past the blocker.
    """
    if request.node.get_closest_marker("django_db") or _DATABASE_FIXTURES & set(request.fixturenames):
        from django.core.cache import cache

        request.getfixturevalue("django_db_setup")
        with django_db_blocker.unblock():
            cache.clear()
    yield


# --- places ------------------------------------------------------------------------


@dataclass(frozen=True)
class Neighbourhood:
    """Our community with its two grids, a building in each and a few households."""

    community: Community
    grid_a: Grid
    grid_b: Grid
    building_4: Building  # in grid A, four entrances
    building_7: Building  # in grid B
    home_4_2_301: Household  # Granny Wang's
    home_4_1_101: Household
    home_7_1_502: Household


@pytest.fixture
def neighbourhood(db) -> Neighbourhood:
    street = StreetFactory(name="大沽街道", code="DAGU")
    community = CommunityFactory(street=street, name="和盛苑社区", code="HSY")
    grid_a = GridFactory(community=community, name="第一网格", code="A")
    grid_b = GridFactory(community=community, name="第二网格", code="B")
    building_4 = BuildingFactory(grid=grid_a, number=4, entrances=4)
    building_7 = BuildingFactory(grid=grid_b, number=7, entrances=2)
    return Neighbourhood(
        community=community,
        grid_a=grid_a,
        grid_b=grid_b,
        building_4=building_4,
        building_7=building_7,
        home_4_2_301=HouseholdFactory(building=building_4, entrance=2, room="301"),
        home_4_1_101=HouseholdFactory(building=building_4, entrance=1, room="101"),
        home_7_1_502=HouseholdFactory(building=building_7, entrance=1, room="502"),
    )


@pytest.fixture
def community(neighbourhood: Neighbourhood) -> Community:
    """和盛苑: our community, with two grids, buildings 4 (grid A) and 7 (grid B), three households."""
    return neighbourhood.community


@pytest.fixture
def grid_a(neighbourhood: Neighbourhood) -> Grid:
    return neighbourhood.grid_a


@pytest.fixture
def grid_b(neighbourhood: Neighbourhood) -> Grid:
    return neighbourhood.grid_b


@pytest.fixture
def household_a(neighbourhood: Neighbourhood) -> Household:
    """4-2-301 in grid A."""
    return neighbourhood.home_4_2_301


@pytest.fixture
def household_b(neighbourhood: Neighbourhood) -> Household:
    """7-1-502 in grid B."""
    return neighbourhood.home_7_1_502


@pytest.fixture
def other_community(community: Community) -> Community:
    """A neighbouring community in the same street, with one grid, building 1 and household 1-1-101."""
    other = CommunityFactory(street=community.street, name="新港社区", code="XG")
    grid = GridFactory(community=other, name="新港第一网格", code="A")
    building = BuildingFactory(grid=grid, number=1)
    HouseholdFactory(building=building, entrance=1, room="101")
    return other


@pytest.fixture
def other_household(other_community: Community) -> Household:
    return Household.objects.get(building__community=other_community)


# --- people ------------------------------------------------------------------------


@pytest.fixture
def granny_wang(household_a: Household) -> Person:
    """王秀兰, 82, living at 4-2-301 (building 4): the "knock on the door" story."""
    return PersonFactory(
        name="王秀兰",
        sex="F",
        birth_date=date(1944, 3, 8),
        phone="13812345678",
        household=household_a,
        relation=Relation.HEAD,
    )


# --- users, one per role -------------------------------------------------------------


@pytest.fixture
def secretary(community: Community) -> User:
    """The community Party committee secretary (legs): sees and edits the whole community."""
    return user_for(Role.SECRETARY, community=community, username="secretary")


@pytest.fixture
def socialworker(community: Community) -> User:
    """A social worker (mouth): takes calls for the whole community."""
    return user_for(Role.SOCIAL_WORKER, community=community, username="socialworker")


@pytest.fixture
def gridworker(community: Community, grid_a: Grid) -> User:
    """The grid worker of grid A only."""
    return user_for(Role.GRID_WORKER, community=community, grids=[grid_a], username="gridworker")


@pytest.fixture
def volunteer(community: Community, neighbourhood: Neighbourhood) -> User:
    """A volunteer (hands) who lives at 4-1-101 and is signed up as a volunteer in grid A."""
    person = PersonFactory(name="赵德明", sex="M", household=neighbourhood.home_4_1_101)
    VolunteerFactory(person=person, home_grid=neighbourhood.grid_a)
    return user_for(Role.VOLUNTEER, community=community, person=person, username="volunteer")


@pytest.fixture
def unitcontact(community: Community) -> User:
    """The contact of a member unit (the property company)."""
    unit = MemberUnitFactory(community=community, name="和盛苑物业")
    return user_for(Role.UNIT_CONTACT, community=community, member_unit=unit, username="unitcontact")


@pytest.fixture
def patroller(community: Community) -> User:
    """A patroller (eyes): sees places to report from, never people."""
    return user_for(Role.PATROLLER, community=community, username="patroller")


@pytest.fixture
def resident(community: Community, granny_wang: Person) -> User:
    """Granny Wang's own account: her household and nothing else."""
    return user_for(Role.RESIDENT, person=granny_wang, username="resident")


@pytest.fixture
def admin_user(db) -> User:
    """The superuser who configures the system: sees everything."""
    return user_for(Role.ADMIN, username="admin", is_superuser=True, is_staff=True)


@pytest.fixture
def street_user(community: Community) -> User:
    """A street office user: every community of the street."""
    return user_for(Role.STREET, street=community.street, username="street")


@pytest.fixture
def outsider(other_community: Community) -> User:
    """A social worker of the neighbouring community: must see nothing of ours."""
    return user_for(Role.SOCIAL_WORKER, community=other_community, username="outsider")
