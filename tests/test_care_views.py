"""Care pages as each role sees them: who sees the register, who sees findings, and that views are logged.

Deny by default: a page outside a role's scope answers 404, exactly like a page that
does not exist. Findings (health, family ...) are shown only to social workers,
grid workers in their grids and the secretary, and each view writes an access row.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from grassroots.care import services
from grassroots.care.defaults import RULES, install_default_rules
from grassroots.care.models import (
    CareProfile,
    CareRecordAccess,
    PlannedService,
    Programme,
    ProgrammeService,
    Visit,
)
from tests.factories import PersonTagFactory, VolunteerTeamFactory, vulnerability_tag

pytestmark = pytest.mark.django_db
REFERENCE_TAGS = sorted({code for rule in RULES for code in rule[3]} | {"elderly-80"})


@pytest.fixture(autouse=True)
def _reference_data(db):
    """Tags and tier rules as the migrations install them (a transactional test may have flushed them)."""
    for code in REFERENCE_TAGS:
        vulnerability_tag(code)
    install_default_rules()


def category(code: str):
    """A case category as the cases migration installs it, or a plain stand-in after a flush."""
    from grassroots.cases.models import Category

    found, _created = Category.objects.get_or_create(code=code, defaults={"name_zh": code, "name_en": code})
    return found


TODAY = timezone.localdate()
SECRET_HEALTH = "脑梗后遗症，右侧肢体无力"


def client_for(user, *, language: str | None = None) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE=language) if language else Client()
    client.force_login(user)
    return client


@pytest.fixture
def visited(community, granny_wang, household_a, socialworker):
    """Granny Wang on the register (disabled grade 1 for the test), visited with sensitive findings."""
    PersonTagFactory(person=granny_wang, tag=vulnerability_tag("disabled"), level=1)
    services.register_refresh(community=community)
    visit, _ = services.visit_record(
        actor=socialworker,
        household=household_a,
        details=services.VisitDetails(
            person=granny_wang, health=SECRET_HEALTH, family="儿子丧偶，肢体残疾", wellbeing=2
        ),
    )
    return visit


@pytest.fixture
def enrolled(community, household_a, granny_wang, socialworker, volunteer):
    team = VolunteerTeamFactory(community=community, name="助老服务队")
    volunteer.person.volunteer.teams.add(team)
    programme = Programme.objects.create(community=community, name="幸福归巢·银发互助", team=team)
    ProgrammeService.objects.create(
        programme=programme, kind="haircut", name="上门理发", times=1, period="month"
    )
    return services.enrol(
        actor=socialworker,
        programme=programme,
        household=household_a,
        person=granny_wang,
        reason="家庭困难：儿子残疾，孙女脑瘫",
        starts_on=TODAY - timedelta(days=40),
    )


STAFF_PAGES = ["care-worklist", "care-register", "care-campaigns", "care-programmes", "care-rate"]


@pytest.mark.parametrize("page_name", STAFF_PAGES)
@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("secretary", 200),
        ("socialworker", 200),
        ("gridworker", 200),
        ("street_user", 200),
        ("admin_user", 200),
        ("volunteer", 404),
        ("unitcontact", 404),
        ("patroller", 404),
        ("resident", 404),
    ],
)
def test_care_pages_by_role(request, page_name, role, status):
    user = request.getfixturevalue(role)
    assert client_for(user).get(reverse(page_name)).status_code == status


def test_the_flags_page_is_for_the_legs(secretary, socialworker, street_user):
    assert client_for(secretary).get(reverse("care-flags")).status_code == 200
    assert client_for(street_user).get(reverse("care-flags")).status_code == 200
    assert client_for(socialworker).get(reverse("care-flags")).status_code == 404


@pytest.mark.parametrize(
    ("role", "sees_findings"),
    [("secretary", True), ("socialworker", True), ("gridworker", True), ("street_user", False)],
)
def test_findings_only_for_roles_with_the_care_permission_and_each_view_is_logged(
    request, visited, role, sees_findings
):
    user = request.getfixturevalue(role)
    response = client_for(user).get(reverse("care-visit", args=[visited.pk]))
    assert response.status_code == 200
    assert (SECRET_HEALTH in response.content.decode()) is sees_findings
    assert CareRecordAccess.objects.filter(user=user, visit=visited).count() == (1 if sees_findings else 0)


def test_a_grid_worker_of_another_grid_and_an_outsider_get_404(visited, community, grid_b, outsider):
    from tests.factories import user_for

    other_grid_worker = user_for("gridworker", community=community, grids=[grid_b], username="gridworker-b")
    for user in (other_grid_worker, outsider):
        assert client_for(user).get(reverse("care-visit", args=[visited.pk])).status_code == 404
        assert client_for(user).get(reverse("care-visit-new", args=[visited.household_id])).status_code == 404


@pytest.mark.parametrize("role", ["volunteer", "unitcontact", "patroller", "resident", "outsider"])
def test_other_roles_never_see_a_visit(request, visited, role):
    user = request.getfixturevalue(role)
    assert client_for(user).get(reverse("care-visit", args=[visited.pk])).status_code == 404


def test_the_person_page_shows_the_tier_and_logs_the_view(visited, granny_wang, socialworker, street_user):
    response = client_for(socialworker).get(reverse("person-detail", args=[granny_wang.pk]))
    body = response.content.decode()
    assert 'id="care"' in body and "care-tier-high" in body
    assert CareRecordAccess.objects.filter(user=socialworker, person=granny_wang, what="person").count() == 1
    street = client_for(street_user).get(reverse("person-detail", args=[granny_wang.pk])).content.decode()
    assert "care-tier-high" in street  # the street sees tiers...
    assert not CareRecordAccess.objects.filter(user=street_user).exists()  # ...but no findings, so no log


def test_the_household_page_shows_visits_programmes_and_cases_in_one_timeline(
    visited, enrolled, household_a, gridworker
):

    services.visit_raise_case(
        actor=gridworker,
        visit=visited,
        category=category("repairs-home"),
        description="门锁坏了",
    )
    body = client_for(gridworker).get(reverse("household-detail", args=[household_a.pk])).content.decode()
    assert "幸福归巢·银发互助" in body
    assert "care-tl-visit" in body and "care-tl-case" in body and "care-tl-enrolment" in body
    assert "上门理发" in body  # planned services
    assert CareRecordAccess.objects.filter(user=gridworker, household=household_a, what="household").exists()


def test_volunteers_see_only_name_address_and_the_service(enrolled, visited, volunteer, granny_wang):
    client = client_for(volunteer)
    assert client.get(reverse("care-home")).url == reverse("care-tasks")
    body = client.get(reverse("care-tasks")).content.decode()
    assert "上门理发" in body and granny_wang.name in body and "4-2-301" in body
    assert SECRET_HEALTH not in body and "家庭困难" not in body
    enrolment = client.get(reverse("care-enrolment", args=[enrolled.pk])).content.decode()
    assert "家庭困难" not in enrolment  # the reason is family detail
    assert client.get(reverse("person-detail", args=[granny_wang.pk])).status_code == 404
    planned = enrolled.planned.filter(due_on__lt=TODAY).first()
    response = client.post(
        reverse("care-service-done", args=[planned.pk]), {"hours": "1.5", "notes": "理完发了"}
    )
    assert response.status_code == 302
    planned.refresh_from_db()
    assert (planned.status, planned.volunteer, str(planned.hours)) == ("done", volunteer.person, "1.5")


def test_a_volunteer_of_another_team_cannot_record_the_service(enrolled, community):
    from tests.factories import PersonFactory, VolunteerFactory, user_for

    person = PersonFactory(name="路人甲")
    VolunteerFactory(person=person, home_grid=None)
    other = user_for("volunteer", community=community, person=person, username="other-volunteer")
    planned = enrolled.planned.first()
    assert client_for(other).post(reverse("care-service-done", args=[planned.pk])).status_code == 404
    assert client_for(other).get(reverse("care-enrolment", args=[enrolled.pk])).status_code == 404


def test_the_visit_form_records_once_and_raises_a_case(household_a, granny_wang, socialworker):
    from grassroots.cases.models import Case

    client = client_for(socialworker)
    url = reverse("care-visit-new", args=[household_a.pk])
    assert client.get(url).status_code == 200
    data = {
        "client_token": "browser-token-1",
        "method": "home",
        "outcome": "visited",
        "person": granny_wang.pk,
        "health": "感冒",
        "consent_given": "on",
        "hazards": ["gas"],
        "wellbeing": "3",
        "raise_case": "on",
        "case_category": category("utilities-gas").pk,
        "case_description": "燃气灶有异味",
        "set_tier": "high",
        "tier_reason": "独自照顾残疾儿子和孙女",
    }
    first = client.post(url, data, headers={"X-Care-Draft": "1"})
    assert first.status_code == 200 and first.json()["created"] is True
    again = client.post(url, data, headers={"X-Care-Draft": "1"})
    assert again.json() == {**first.json(), "created": False}
    visit = Visit.objects.get()
    assert visit.case is not None and visit.case.channel == "visit" and visit.case.status == "registered"
    assert Case.objects.count() == 1
    assert granny_wang.care_profile.tier == "high"


def test_the_visit_form_keeps_what_was_typed_when_it_is_wrong(household_a, socialworker):
    client = client_for(socialworker)
    url = reverse("care-visit-new", args=[household_a.pk])
    response = client.post(
        url, {"method": "home", "outcome": "visited", "health": "还记得这句话", "raise_case": "on"}
    )
    assert response.status_code == 422
    assert "还记得这句话" in response.content.decode()
    assert not Visit.objects.exists()
    json_response = client.post(url, {"method": "home", "raise_case": "on"}, headers={"X-Care-Draft": "1"})
    assert json_response.status_code == 422 and "outcome" in json_response.json()["errors"]


def test_campaign_page_and_assignment(community, household_a, household_b, socialworker, gridworker):
    client = client_for(socialworker)
    response = client.post(
        reverse("care-campaign-new"),
        {
            "name": "敲门行动",
            "starts_on": TODAY,
            "ends_on": TODAY + timedelta(days=30),
            "households": "4-2-301 7-1-502",
        },
    )
    assert response.status_code == 302
    campaign_url = response.url
    page = client.get(campaign_url)
    assert page.status_code == 200 and "4-2-301" in page.content.decode()
    campaign = page.context["campaign"]
    client.post(
        reverse("care-campaign-assign", args=[campaign.pk]),
        {"visitor": gridworker.pk, "households": [household_a.pk]},
    )
    assert list(campaign.targets.filter(visitor=gridworker).values_list("household_id", flat=True)) == [
        household_a.pk
    ]
    assert client_for(gridworker).post(reverse("care-campaign-new"), {"name": "x"}).status_code == 404
    bad = client.post(
        reverse("care-campaign-new"),
        {"name": "x", "starts_on": TODAY, "ends_on": TODAY, "households": "99-9-9"},
    )
    assert bad.status_code == 200 and "99-9-9" in bad.content.decode()


def test_hot_pages_take_a_fixed_number_of_queries(
    community, neighbourhood, gridworker, django_assert_max_num_queries
):
    from tests.factories import HouseholdFactory, PersonFactory

    for n in range(12):
        person = PersonFactory(
            birth_date=date(1940, 1, 1),
            household=HouseholdFactory(building=neighbourhood.building_4, entrance=3, room=f"{n}09"),
        )
        PersonTagFactory(person=person, tag=vulnerability_tag("living-alone"))
    services.register_refresh(community=community)
    client = client_for(gridworker)
    with django_assert_max_num_queries(14):
        assert client.get(reverse("care-worklist")).status_code == 200
    with django_assert_max_num_queries(14):
        assert client.get(reverse("care-register")).status_code == 200


# --- a volunteer's tasks: the pressing ones first, a page at a time, one form when a row is opened ------


def _planned(enrolment, *, due_in: int, window_days: int = 7, status: str = "planned", volunteer=None):
    """A service of the enrolment due `due_in` days from today (negative: overdue), its window open."""
    return PlannedService.objects.create(
        enrolment=enrolment,
        service=enrolment.programme.services.first(),
        community=enrolment.community,
        household=enrolment.household,
        grid=enrolment.grid,
        window_start=TODAY + timedelta(days=min(due_in, 0) - window_days),
        due_on=TODAY + timedelta(days=due_in),
        status=status,
        volunteer=volunteer,
    )


@pytest.fixture
def two_enrolments(enrolled, socialworker, household_b):
    """Granny Wang's enrolment, and a neighbour's in grid B, with no services planned yet."""
    from tests.factories import PersonFactory

    neighbour = services.enrol(
        actor=socialworker,
        programme=enrolled.programme,
        household=household_b,
        person=PersonFactory(name="孙桂芝", household=household_b),
        reason="独居",
        starts_on=TODAY - timedelta(days=40),
    )
    PlannedService.objects.all().delete()
    return enrolled, neighbour


def _rows(body: str) -> list[int]:
    return [int(pk) for pk in re.findall(r'data-service="(\d+)"', body)]


def test_the_volunteers_tasks_put_their_people_today_and_overdue_first_and_count_the_rest(
    two_enrolments, volunteer
):
    wang, sun = two_enrolments
    later = _planned(wang, due_in=5)  # window open, due next week
    long_overdue = _planned(wang, due_in=-6)
    today = _planned(sun, due_in=0)
    _planned(sun, due_in=-30, status="done", volunteer=volunteer.person)  # served Granny Sun before
    body = client_for(volunteer, language="en").get(reverse("care-tasks")).content.decode()
    assert _rows(body) == [today.pk, long_overdue.pk, later.pk]  # hers first: the volunteer's own
    assert "2 due today or overdue" in body and "1 for people you have served" in body
    assert "1 more due later" in body


def test_the_tasks_page_holds_a_form_only_for_the_row_opened(two_enrolments, volunteer, community):
    from tests.factories import PersonFactory, VolunteerFactory, user_for

    wang, _sun = two_enrolments
    planned = [_planned(wang, due_in=-day) for day in range(5)]
    client = client_for(volunteer)
    body = client.get(reverse("care-tasks")).content.decode()
    assert 'class="care-done"' not in body  # 408 forms for 202 rows was what made the page slow
    record = reverse("care-service-record", args=[planned[0].pk])
    assert body.count('hx-trigger="toggle once"') == 5 and record in body
    opened = client.get(record, {"next": reverse("care-tasks")}, HTTP_HX_REQUEST="true").content.decode()
    assert reverse("care-service-done", args=[planned[0].pk]) in opened and "<html" not in opened
    assert 'name="next" value="/care/tasks/"' in opened
    assert "<html" in client.get(record).content.decode()  # without JavaScript: a page of its own
    assert 'name="next" value=""' in client.get(record, {"next": "//evil.example"}).content.decode()
    person = PersonFactory(name="路人乙")
    VolunteerFactory(person=person, home_grid=None)
    other = user_for("volunteer", community=community, person=person, username="another-volunteer")
    assert client_for(other).get(record).status_code == 404


def test_the_tasks_page_reads_a_page_of_rows_whatever_the_backlog(
    two_enrolments, volunteer, django_assert_max_num_queries
):
    wang, sun = two_enrolments
    client = client_for(volunteer, language="en")
    client.get(reverse("care-tasks"))  # warm the session
    for enrolment in (wang, sun):
        for day in range(3):
            _planned(enrolment, due_in=-day)
    with django_assert_max_num_queries(6):
        assert len(_rows(client.get(reverse("care-tasks")).content.decode())) == 6
    for enrolment in (wang, sun):
        for day in range(3, 14):
            _planned(enrolment, due_in=-day)
        for day in range(1, 20):
            _planned(enrolment, due_in=day, window_days=day + 1)
    with django_assert_max_num_queries(6):
        body = client.get(reverse("care-tasks")).content.decode()
    assert len(_rows(body)) == 25 and "?page=2" in body
    assert "28 due today or overdue" in body and "38 more due later" in body
    last = client.get(reverse("care-tasks"), {"page": 3}).content.decode()
    assert len(_rows(last)) == 66 - 50 == last.count('<tr class="later')  # the last page: due later
    assert "?page=2" in last and "?page=4" not in last


# --- taking on someone nobody has ----------------------------------------------------------------------


def test_the_worklist_offers_to_take_on_someone_nobody_has(community, granny_wang, socialworker, gridworker):
    PersonTagFactory(person=granny_wang, tag=vulnerability_tag("bedridden"))
    services.register_refresh(community=community)
    CareProfile.objects.filter(person=granny_wang).update(next_due_on=TODAY - timedelta(days=10))
    take = reverse("care-person-take", args=[granny_wang.pk])
    for user in (socialworker, gridworker):
        assert take in client_for(user).get(reverse("care-worklist")).content.decode()
    response = client_for(socialworker).post(take)
    assert response.status_code == 302 and response.url == reverse("care-worklist")
    mine = client_for(socialworker).get(reverse("care-worklist")).content.decode()
    assert granny_wang.name in mine and take not in mine
    assert granny_wang.name not in client_for(gridworker).get(reverse("care-worklist")).content.decode()
    assert client_for(gridworker).post(take).status_code == 302  # too late: told so, nothing changes
    granny_wang.care_profile.refresh_from_db()
    assert granny_wang.care_profile.responsible == socialworker
    assert client_for(gridworker).get(take).status_code == 405


def test_deleting_a_visit_keeps_the_trace_of_who_read_it(visited, socialworker, secretary, granny_wang):
    """13.7: deleting a visit (in the admin, or any other way) used to cascade to its access rows."""
    client_for(socialworker).get(reverse("care-visit", args=[visited.pk]))
    accesses = CareRecordAccess.objects.filter(visit_id=visited.pk)
    assert accesses.exists()
    visit_id, count = visited.pk, accesses.count()
    visited.delete()
    kept = CareRecordAccess.objects.filter(visit_id=visit_id)
    assert kept.count() == count and all(row.user == socialworker for row in kept)
    granny_wang.tags.all().delete()
    page = client_for(secretary).get(reverse("care-access"))
    assert page.status_code == 200
    from grassroots.care.admin import CareRecordAccessAdmin

    assert not CareRecordAccessAdmin.has_delete_permission(None, None)
