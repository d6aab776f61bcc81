"""The Heshengyuan demo reproduces the article, the same way every time, and signs people in.

The demo is built once for this module, inside a transaction that is rolled back
when the module ends, so the other test modules never see it. Each test then runs
in its own savepoint, so a test that changes the demo (renaming the marker, clearing
it) leaves the next test the demo as built. Assertions never print ID or phone
numbers: failures name people by database id only.
"""

from __future__ import annotations

import hashlib
import json
import random
import re
from collections import Counter
from io import StringIO
from types import SimpleNamespace

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction
from django.db.models import Count, F

from grassroots.accounts.models import Role, User
from grassroots.core import pii
from grassroots.demo.builder import (
    DEMO_COMMUNITY_CODE,
    DEMO_PASSWORD,
    DEMO_STREET_CODE,
    DemoState,
    demo_community,
    demo_flush,
    demo_state,
)
from grassroots.demo.plan import PRINTED_USERNAMES, fingerprint_line, make_plan
from grassroots.orgs.models import MemberUnit, PartyBranch, PartyMember, Skill, Volunteer, VolunteerTeam
from grassroots.people.models import Person, PersonStatus, PersonTag, Residency, VulnerabilityTag
from grassroots.people.search import pinyin_keys, search_people
from grassroots.places.models import Building, Grid, Household, Street

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    """Build the demo through the command, once, and roll it back after the module."""
    with django_db_blocker.unblock(), transaction.atomic():
        output = StringIO()
        call_command("demo", "--build-only", "--no-migrate", stdout=output)
        yield SimpleNamespace(community=demo_community(), output=output.getvalue())
        transaction.set_rollback(True)


def residents(community):
    return Person.objects.filter(community=community, current_household__isnull=False)


# --- the estate ------------------------------------------------------------------------


def test_the_demo_has_the_articles_households_and_residents(demo):
    households = Household.objects.filter(building__community=demo.community)
    assert households.count() == 3036
    current = Residency.objects.filter(household__building__community=demo.community, moved_out__isnull=True)
    assert 7400 <= current.count() <= 7500
    assert residents(demo.community).count() == current.count()
    assert demo.community.name == "和盛园社区"
    assert demo.community.street.name == "大沽街道"
    assert demo.community.street.district == "滨海新区"


def test_buildings_are_numbered_and_grids_hold_300_to_500_households(demo):
    numbers = list(Building.objects.filter(community=demo.community).values_list("number", flat=True))
    assert numbers == list(range(1, len(numbers) + 1))
    assert 4 in numbers
    per_grid = Grid.objects.filter(community=demo.community).annotate(n=Count("households"))
    assert len(per_grid) == 7
    assert all(300 <= grid.n <= 500 for grid in per_grid), {grid.code: grid.n for grid in per_grid}
    assert Household.objects.at_address(building=4, entrance=2, room="301").exists()
    mismatched = Household.objects.exclude(grid=F("building__grid"))
    assert not mismatched.exists()


def test_households_have_realistic_families(demo):
    by_size = Counter(
        Household.objects.filter(building__community=demo.community)
        .annotate(n=Count("members"))
        .values_list("n", flat=True)
    )
    assert by_size[1] > 300  # elderly living alone, single adults, single tenants
    assert by_size[2] > 600  # empty-nest couples, young couples
    assert by_size[3] > 800  # families with a child
    assert by_size.get(5, 0) + by_size.get(6, 0) > 100  # three generations
    assert 0 < by_size.get(0, 0) < 150  # a few flats stand empty
    people = residents(demo.community)
    children = people.filter(birth_date__gt="2012-01-01").count()
    elderly = people.filter(birth_date__lt="1966-01-01").count()
    assert 0.1 < children / people.count() < 0.25
    assert 0.15 < elderly / people.count() < 0.35
    migrants = Residency.objects.filter(moved_out__isnull=True, residence_type="migrant").count()
    assert 200 < migrants < 800


def test_mobility_is_kept_as_history(demo):
    moved_out = Person.objects.filter(community=demo.community, status=PersonStatus.MOVED_OUT)
    assert moved_out.count() > 200
    assert not moved_out.filter(current_household__isnull=False).exists()
    assert not Residency.objects.filter(person__in=moved_out, moved_out__isnull=True).exists()
    deceased = Person.objects.filter(community=demo.community, status=PersonStatus.DECEASED)
    assert deceased.count() > 50
    movers_within = (
        Person.objects.filter(community=demo.community, current_household__isnull=False)
        .annotate(stays=Count("residencies"))
        .filter(stays__gt=1)
    )
    assert movers_within.count() > 50
    mover = movers_within.first()
    before, now = mover.residencies.order_by("moved_in", "id")[:2]
    assert before.moved_out == now.moved_in
    assert mover.current_household_id == now.household_id


# --- people --------------------------------------------------------------------------


def test_granny_wang_is_found_by_her_initials_in_building_4(demo):
    found = [person for person in search_people(Person.objects.all(), "wxl") if person.name == "王秀兰"]
    assert len(found) == 1
    granny = found[0]
    assert re.fullmatch(r"4-\d-\d{3,4}", granny.current_household.address)
    family = {person.name: person for person in granny.current_household.members.all()}
    assert set(family) == {"王秀兰", "张建军", "张欣怡"}
    son, granddaughter = family["张建军"], family["张欣怡"]
    assert son.tags.get(tag__code="disabled").level == 2
    assert "丧偶" in son.note
    cerebral_palsy = granddaughter.tags.get(tag__code="disabled")
    assert cerebral_palsy.level == 1 and "脑瘫" in cerebral_palsy.note
    assert granny.tags.filter(tag__code="chronic-illness").exists()
    late_wife = Residency.objects.get(household=granny.current_household, relation="child_in_law")
    assert late_wife.person.status == PersonStatus.DECEASED


def test_aunt_liu_and_aunt_kan_are_residents(demo):
    liu = Person.objects.get(name="刘桂芳")
    kan = Person.objects.get(name="阚秀英")
    assert liu.current_household and kan.current_household
    assert liu.tags.filter(tag__code="disabled").exists()
    assert kan.tags.filter(tag__code="living-alone").exists()
    assert kan.current_household.members.count() == 1
    assert liu.phone_masked and kan.phone_masked


def test_id_numbers_are_valid_and_agree_with_sex_and_birth_date(demo):
    with_id = Person.objects.exclude(id_number_encrypted="").order_by("id")
    assert with_id.count() > 0.85 * Person.objects.count()
    sample = list(with_id[::25])
    wrong = []
    for person in sample:
        number = person.reveal("id_number")
        try:
            pii.validate_id_number(number)
        except pii.IdNumberError:
            wrong.append(person.id)
            continue
        agrees = (pii.id_birth_date(number), pii.id_sex(number)) == (person.birth_date, person.sex)
        indexed = (person.id_number_hash, person.id_number_masked) == (
            pii.id_hash(number),
            pii.mask_id_number(number),
        )
        if not (agrees and indexed):
            wrong.append(person.id)
    assert wrong == []
    assert Person.objects.filter(id_number_masked__startswith="120").count() > 0.6 * with_id.count()


def test_phone_numbers_are_plausible_and_findable(demo):
    with_phone = Person.objects.exclude(phone_encrypted="").order_by("id")
    sample = list(with_phone[::25])
    wrong = [person.id for person in sample if not pii.phone_is_plausible(person.reveal("phone"))]
    assert wrong == []
    person = sample[3]
    digits = person.reveal("phone")
    # Computed outside the asserts so that a failure report shows people, never the number.
    by_whole_number = list(Person.objects.with_phone(digits))
    by_tail = list(search_people(Person.objects.all(), digits[-4:]))
    del digits
    assert by_whole_number == [person]
    assert person in by_tail
    no_phone_children = residents(demo.community).filter(birth_date__gt="2016-01-01", phone_encrypted="")
    assert no_phone_children.count() == residents(demo.community).filter(birth_date__gt="2016-01-01").count()


def test_pinyin_keys_are_filled_for_search(demo):
    sample = list(Person.objects.order_by("id")[::50])
    wrong = [
        person.id
        for person in sample
        if (person.name_pinyin, person.name_initials) != pinyin_keys(person.name)
    ]
    assert wrong == []


def test_aunt_kan_is_found_by_the_initials_of_her_surnames_reading(demo):
    found = {person.name for person in search_people(residents(demo.community), "kxy")}
    assert "阚秀英" in found


def test_the_intake_lookup_puts_the_likely_caller_on_top_and_says_how_many_it_found(demo):
    """`wxl` listed 吴晓玲 before Granny Wang; the surname 阚 listed eight people and not Aunt Kan."""
    from grassroots.accounts.models import User
    from grassroots.cases.selectors import LOOKUP_LIMIT, caller_lookup_for

    socialworker = User.objects.get(username="socialworker")
    assert caller_lookup_for(user=socialworker, text="wxl").people[0].name == "王秀兰"
    kan = caller_lookup_for(user=socialworker, text="阚")
    assert "阚秀英" in [person.name for person in kan.people]
    everyone = Person.objects.visible_to(socialworker).filter(name__startswith="阚").count()
    assert len(kan.people) == LOOKUP_LIMIT < kan.total == everyone  # "8 of 12 shown"


def test_vulnerability_tags_are_in_plausible_proportions(demo):
    counts = dict(PersonTag.objects.values_list("tag__code").annotate(n=Count("id")))
    resident_count = residents(demo.community).count()
    assert 150 < counts["living-alone"] < 400
    assert 100 < counts["empty-nest"] < 500
    assert 0.01 < counts["disabled"] / resident_count < 0.03
    for code in ("chronic-illness", "dementia", "low-income", "special-family", "elderly-80", "bedridden"):
        assert counts.get(code, 0) > 0, code
    levels = set(PersonTag.objects.filter(tag__code="disabled").values_list("level", flat=True))
    assert levels == {1, 2, 3, 4}
    assert not PersonTag.objects.filter(tag__has_level=False, level__isnull=False).exists()
    tagged = Person.objects.filter(tags__isnull=False, current_household__isnull=False).distinct().count()
    assert 300 < tagged < 1200
    assert VulnerabilityTag.objects.filter(code="living-alone").exists()  # reference data untouched


# --- organisations ---------------------------------------------------------------------


def test_115_resident_party_members_in_four_branches(demo):
    branches = PartyBranch.objects.filter(community=demo.community).order_by("id")
    assert [branch.name for branch in branches] == ["第一党支部", "第二党支部", "第三党支部", "第四党支部"]
    resident_members = PartyMember.objects.filter(branch__community=demo.community, kind="resident")
    assert resident_members.count() == 115
    assert not resident_members.filter(person__current_household__isnull=True).exists()
    assert all(branch.secretary.party_membership.branch_id == branch.id for branch in branches)
    serving = PartyMember.objects.filter(branch__community=demo.community, kind="serving")
    assert serving.count() > 10
    assert not serving.filter(person__current_household__isnull=False).exists()
    assert set(serving.values_list("person__status", flat=True)) == {PersonStatus.NOT_RESIDENT}
    assert not serving.filter(workplace="").exists()


def test_fourteen_volunteer_teams_with_a_few_hundred_volunteers(demo):
    teams = VolunteerTeam.objects.filter(community=demo.community)
    assert teams.count() == 14
    names = set(teams.values_list("name", flat=True))
    assert {"助老服务队", "水电维修队", "心理关爱队", "红色灯塔宣讲队", "治安巡逻队"} <= names
    assert not teams.filter(leader__isnull=True).exists()
    volunteers = Volunteer.objects.filter(person__community=demo.community)
    assert 200 <= volunteers.count() <= 500
    assert not volunteers.filter(teams__isnull=True).exists()
    assert not volunteers.filter(skills__isnull=True).exists()
    party_volunteers = volunteers.filter(person__party_membership__isnull=False).count()
    assert party_volunteers > 60  # one Person, two roles
    living_here = volunteers.filter(person__current_household__isnull=False)
    assert not living_here.exclude(home_grid=F("person__current_household__grid")).exists()
    plumbers = Skill.objects.get(code="plumbing").volunteers.filter(teams__name="水电维修队")
    assert plumbers.exists()


def test_member_units_include_the_property_company_and_owners_committee(demo):
    units = MemberUnit.objects.filter(community=demo.community)
    assert 30 <= units.count() <= 40
    assert units.filter(kind="property").count() == 1
    assert units.filter(kind="owners").count() == 1
    assert {"school", "hospital", "government", "enterprise"} <= set(units.values_list("kind", flat=True))
    assert not units.filter(contact_name="").exists()
    assert not units.filter(contact_phone="").exists()
    assert not units.filter(offers="").exists()


def test_every_building_has_a_head_who_lives_there(demo):
    buildings = Building.objects.filter(community=demo.community).select_related("head__current_household")
    assert all(building.head is not None for building in buildings)
    assert all(building.head.current_household.building_id == building.id for building in buildings)


# --- determinism -------------------------------------------------------------------------


def test_the_plan_is_the_same_every_time_whatever_the_global_random_state():
    random.seed(1)
    first = make_plan()
    random.seed(2)
    second = make_plan()
    assert first.fingerprint() == second.fingerprint()
    assert [(p.name, p.id_number, p.phone) for p in first.people] == [
        (p.name, p.id_number, p.phone) for p in second.people
    ]


def test_the_database_holds_exactly_the_plan(demo):
    rows = Residency.objects.filter(person__community=demo.community).values_list(
        "person__name", "person__birth_date", "household__building__number", "household__entrance",
        "household__room", "moved_out",
    )  # fmt: skip
    lines = sorted(
        fingerprint_line(name, birth.isoformat(), f"{building}-{entrance}-{room}", moved_out is None)
        for name, birth, building, entrance, room, moved_out in rows
    )
    digest = hashlib.sha256()
    for line in lines:
        digest.update(line.encode() + b"\n")
    assert digest.hexdigest() == make_plan().fingerprint()


# --- accounts --------------------------------------------------------------------------


def test_demo_accounts_sign_in_with_the_demo_password(demo, client):
    for username in PRINTED_USERNAMES:
        assert client.login(username=username, password=DEMO_PASSWORD), username
        client.logout()


def test_demo_accounts_play_their_roles(demo):
    users = {user.username: user for user in User.objects.filter(username__in=PRINTED_USERNAMES)}
    assert {username: users[username].role for username in PRINTED_USERNAMES} == {
        "secretary": Role.SECRETARY,
        "socialworker": Role.SOCIAL_WORKER,
        "gridworker": Role.GRID_WORKER,
        "volunteer": Role.VOLUNTEER,
        "unitcontact": Role.UNIT_CONTACT,
        "patroller": Role.PATROLLER,
        "resident": Role.RESIDENT,
        "admin": Role.ADMIN,
    }
    assert all(user.community_id == demo.community.id for user in users.values())
    assert users["admin"].is_superuser
    building_4 = Building.objects.get(community=demo.community, number=4)
    assert building_4.grid in users["gridworker"].grids.all()
    assert users["volunteer"].person.volunteer.teams.filter(name="助老服务队").exists()
    assert users["unitcontact"].member_unit.kind == "property"
    resident = users["resident"].person
    assert resident.current_household.building_id == building_4.id
    assert resident.name != "王秀兰"
    for user in users.values():
        user.full_clean(exclude=["password"])


def test_every_grid_has_a_grid_worker(demo):
    grids = Grid.objects.filter(community=demo.community).annotate(workers_n=Count("workers"))
    assert all(grid.workers_n >= 1 for grid in grids)


# --- commands ----------------------------------------------------------------------------


def test_stats_json_reports_the_figures(demo):
    output = StringIO()
    call_command("stats", "--json", stdout=output)
    figures = {row["code"]: row for row in json.loads(output.getvalue())["communities"]}
    row = figures[DEMO_COMMUNITY_CODE]
    assert row["name"] == "和盛园社区"
    assert row["households"] == 3036
    assert row["residents"] == residents(demo.community).count()
    assert row["party_members"] == 115
    assert row["party_branches"] == 4
    assert row["volunteer_teams"] == 14
    assert row["volunteers"] == Volunteer.objects.filter(person__community=demo.community).count()
    assert row["member_units"] == MemberUnit.objects.filter(community=demo.community).count()
    assert row["grids"] == 7
    assert row["buildings"] == Building.objects.filter(community=demo.community).count()


def test_the_build_printed_the_accounts_and_no_personal_numbers(demo):
    assert "built in" in demo.output
    for username in PRINTED_USERNAMES:
        assert re.search(rf"^\s+{username}\s", demo.output, re.MULTILINE), username
    assert DEMO_PASSWORD in demo.output
    assert not re.search(r"\d{11}", demo.output)


def test_the_demo_command_reuses_an_existing_demo(demo):
    output = StringIO()
    call_command("demo", "--build-only", "--no-migrate", stdout=output)
    assert "(reused)" in output.getvalue()
    assert Household.objects.count() == 3036


def test_the_demo_command_refuses_a_database_with_other_data(demo):
    Street.objects.filter(code=DEMO_STREET_CODE).update(code="DAGU")  # now it looks like real data
    assert demo_state() == DemoState.OTHER
    with pytest.raises(CommandError, match="not the demo"):
        call_command("demo", "--build-only", "--no-migrate", stdout=StringIO())
    with pytest.raises(CommandError, match="not the demo"):
        call_command("demo", "--build-only", "--no-migrate", "--rebuild", stdout=StringIO())


def test_clearing_the_demo_keeps_reference_data(demo):
    tags, skills = VulnerabilityTag.objects.count(), Skill.objects.count()
    demo_flush()
    assert demo_state() == DemoState.EMPTY
    assert not Household.objects.exists()
    assert not User.objects.exists()
    assert (VulnerabilityTag.objects.count(), Skill.objects.count()) == (tags, skills)


# --- every page a link leads to -----------------------------------------------------------


#: Links the walk does not follow: files, signing out, the language switch, the admin, API docs.
NOT_FOLLOWED = ("/static/", "/media/", "/logout", "/i18n/", "/admin/", "/api/v1/docs", "/api/v1/redoc")


def _shape(path: str) -> str:
    """Pages of one kind share a shape (/cases/N/, /people/N/): a few of each are enough."""
    return re.sub(r"\d+", "N", path)


def walk_links(client, start: list[str], *, per_shape: int = 2, limit: int = 150) -> dict[str, int]:
    """Follow the links of the pages a user can open, breadth first; the status of each page opened."""
    statuses: dict[str, int] = {}
    shapes: Counter = Counter()
    queue = list(start)
    while queue and len(statuses) < limit:
        path = queue.pop(0)
        if path in statuses or shapes[_shape(path)] >= per_shape:
            continue
        shapes[_shape(path)] += 1
        response = client.get(path)
        statuses[path] = response.status_code
        if response.status_code == 200 and "html" in response.get("Content-Type", ""):
            for link in re.findall(r'href="(/[^"#?]*)', response.content.decode()):
                if not link.startswith(NOT_FOLLOWED) and link not in statuses:
                    queue.append(link)
    return statuses


@pytest.mark.parametrize("username", PRINTED_USERNAMES)
def test_every_page_a_demo_link_leads_to_opens_for_every_account(demo, username, client):
    """Walk the links of the demo as each account, from home and from Granny Wang's household: no 500."""
    from grassroots.care.models import Enrolment

    client.force_login(User.objects.get(username=username))
    wang = Person.objects.get(community=demo.community, name="王秀兰")
    start = ["/", f"/households/{wang.current_household_id}/", f"/people/{wang.pk}/"]
    start += [f"/care/enrolments/{pk}/" for pk in Enrolment.objects.values_list("pk", flat=True)[:3]]
    statuses = walk_links(client, start)
    assert len(statuses) >= 5, statuses
    assert {path: status for path, status in statuses.items() if status >= 500} == {}


def test_a_plan_page_with_a_service_done_by_nobody_on_record_opens(demo, client):
    """A delivered service whose recorder is unknown (an import, an old record) still shows its plan."""
    from grassroots.care.models import PlannedService

    service = PlannedService.objects.filter(status="done").select_related("enrolment").first()
    client.force_login(User.objects.get(username="socialworker"))
    with transaction.atomic():
        PlannedService.objects.filter(pk=service.pk).update(done_by=None, volunteer=None)
        response = client.get(f"/care/enrolments/{service.enrolment_id}/")
        transaction.set_rollback(True)
    assert response.status_code == 200


def test_a_year_of_activities_and_hours_through_the_services(demo):
    """Theme days every month, their confirmed hours and the care deliveries in the ledger; what is coming."""
    from django.utils import timezone

    from grassroots.activities.models import Activity, HoursEntry, PointsBalance, Signup

    activities = Activity.objects.filter(community=demo.community)
    assert activities.filter(theme__code="red-lighthouse", ends_at__lt=timezone.now()).count() == 12
    coming = activities.filter(starts_at__gt=timezone.now())
    assert coming.count() == 3
    volunteer = User.objects.get(username="volunteer")
    assert (
        Signup.objects.filter(activity__in=coming, person=volunteer.person, status="confirmed").count() == 3
    )
    assert Signup.objects.filter(activity__in=coming, status="waiting").exists()
    kinds = set(HoursEntry.objects.filter(community=demo.community).values_list("source_kind", flat=True))
    assert {"activity", "care", "redemption"} <= kinds
    confirmed = Signup.objects.filter(activity__community=demo.community, confirmed_at__isnull=False)
    assert HoursEntry.objects.filter(source_kind="activity").count() == confirmed.count() > 100
    assert not PointsBalance.objects.filter(points__lt=0).exists()


def test_member_units_resources_needs_and_projects_through_the_services(demo):
    """The three lists: units' offers (the property company's typed by its own contact), needs (one
    from Granny Wang's visit, in the office's words), projects with delivered resources and ledger hours."""
    from grassroots.activities import list_reads
    from grassroots.activities.models import HoursEntry, Need, Project, ProjectWork, Resource

    contact = User.objects.get(username="unitcontact")
    resources = Resource.objects.filter(community=demo.community)
    assert resources.count() >= 6 and resources.values("unit").distinct().count() >= 5
    own = resources.filter(unit=contact.member_unit)
    assert own.exists() and all(r.created_by_id == contact.pk for r in own)
    from_visit = Need.objects.get(community=demo.community, source="visit")
    assert from_visit.visit.person.name == "王秀兰"
    assert from_visit.visit.needs not in (from_visit.title, from_visit.description)
    projects = Project.objects.filter(community=demo.community)
    assert set(projects.values_list("status", flat=True)) == {"running", "done"}
    work = ProjectWork.objects.filter(project__community=demo.community)
    assert (
        HoursEntry.objects.filter(source_kind="project", source_id__in=work.values("pk")).count()
        == work.count()
    )
    record = list_reads.unit_record(contact.member_unit)
    assert record.projects and any(row.delivered for row in record.commitments)
