"""The three lists (需求清单、资源清单、项目清单): needs from cases and visits, units' offers, projects
that meet a need with resources and volunteers' ledger hours, and a unit contact's co-building record."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.utils import timezone, translation

from grassroots.accounts import roles
from grassroots.accounts.models import Role
from grassroots.activities import list_reads as reads
from grassroots.activities import lists
from grassroots.activities.models import (
    HoursEntry,
    Need,
    NeedSource,
    NeedStatus,
    Project,
    ProjectStatus,
    Resource,
    SourceKind,
)
from grassroots.care import services as care
from tests.factories import MemberUnitFactory, PartyBranchFactory, PartyMemberFactory, user_for
from tests.test_api_helpers import case_in_grid_a  # noqa: F401 (a fixture)

pytestmark = pytest.mark.django_db

SEALED = "需要每周送米面油，她儿子残疾"


def offer(title="义诊", capacity=20, **extra) -> lists.Offer:
    values = {
        "title": title,
        "capacity": capacity,
        "capacity_unit": "人次",
        "available_from": timezone.localdate(),
        "period_note": "每周六上午",
    }
    values.update(extra)
    return lists.Offer(**values)


@pytest.fixture
def client():
    """pytest-django's client, asking for English pages so that messages can be read in the tests."""
    return Client(HTTP_ACCEPT_LANGUAGE="en")


@pytest.fixture
def visit(socialworker, household_a, granny_wang):
    found, _ = care.visit_record(
        actor=socialworker,
        household=household_a,
        details=care.VisitDetails(person=granny_wang, needs=SEALED),
    )
    return found


@pytest.fixture
def need(socialworker, community):
    return lists.need_raise(actor=socialworker, community=community, title="独居老人需要送餐")


@pytest.fixture
def unit(unitcontact):
    return unitcontact.member_unit


@pytest.fixture
def resource(unitcontact, unit):
    return lists.resource_offer(actor=unitcontact, unit=unit, offer=offer())


def test_a_need_from_a_visit_carries_only_what_the_office_wrote(socialworker, community, visit, client):
    need = lists.need_raise(
        actor=socialworker, community=community, title="困难家庭需要生活物资", visit=visit
    )
    assert need.source == NeedSource.VISIT and need.visit_id == visit.pk and need.grid_id == visit.grid_id
    assert SEALED not in need.title + need.description
    client.force_login(socialworker)
    page = client.get(f"/activities/lists/needs/{need.pk}/").content.decode()
    assert "困难家庭需要生活物资" in page and SEALED not in page


def test_the_form_shows_a_visits_findings_only_to_who_may_read_them(client, socialworker, visit, monkeypatch):
    client.force_login(socialworker)
    assert SEALED in client.get(f"/activities/lists/needs/new/?visit={visit.pk}").content.decode()
    # A role that keeps the lists without reading care findings sees the form, never the findings.
    without = roles.ROLE_CAPABILITIES[Role.SOCIAL_WORKER] - {"care.careprofile.view_sensitive"}
    monkeypatch.setitem(roles.ROLE_CAPABILITIES, Role.SOCIAL_WORKER, without)
    blind_page = client.get(f"/activities/lists/needs/new/?visit={visit.pk}")
    assert blind_page.status_code == 200 and SEALED not in blind_page.content.decode()
    response = client.post("/activities/lists/needs/new/", {"visit": visit.pk, "title": "需要生活物资"})
    need = Need.objects.get()
    assert response.status_code == 302 and need.visit_id == visit.pk and need.description == ""


def test_a_need_from_a_case_links_it_and_keeps_the_typed_words_on_a_bad_form(
    client,
    socialworker,
    case_in_grid_a,  # noqa: F811
):
    client.force_login(socialworker)
    with translation.override("en"):
        response = client.post(
            "/activities/lists/needs/new/",
            {"case": case_in_grid_a.number, "title": "x", "description": "留下的字"},
        )
    assert response.status_code == 422
    assert "Say in a few words what is needed." in response.content.decode()
    assert "留下的字" in response.content.decode()
    client.post("/activities/lists/needs/new/", {"case": case_in_grid_a.number, "title": "楼道需要照明"})
    need = Need.objects.get()
    assert (
        need.case_id == case_in_grid_a.pk
        and need.source == NeedSource.CASE
        and need.grid_id == case_in_grid_a.grid_id
    )


def test_a_volunteer_or_unit_contact_cannot_raise_a_need(volunteer, unitcontact, community):
    for actor in (volunteer, unitcontact):
        with pytest.raises(PermissionDenied):
            lists.need_raise(actor=actor, community=community, title="送水")


def test_a_unit_contact_offers_and_edits_their_units_resources_with_history(unitcontact, unit, resource):
    assert resource.unit == unit and resource.community_id == unit.community_id
    changed = lists.resource_offer(actor=unitcontact, unit=unit, offer=offer(capacity=30), resource=resource)
    assert changed.capacity == 30
    assert [(c.action, c.detail) for c in resource.changes.order_by("id")] == [
        ("resource.offer", {}),
        ("resource.change", {"capacity": ["20", "30"]}),
    ]


def test_a_unit_contact_cannot_offer_for_another_unit(unitcontact, community):
    other = MemberUnitFactory(community=community, name="区中医院")
    with pytest.raises(PermissionDenied):
        lists.resource_offer(actor=unitcontact, unit=other, offer=offer())


def test_an_offer_says_what_is_wrong(unitcontact, unit):
    with translation.override("en"), pytest.raises(ValidationError) as error:
        lists.resource_offer(
            actor=unitcontact,
            unit=unit,
            offer=offer(capacity=0, available_until=timezone.localdate() - timedelta(days=1)),
        )
    assert set(error.value.message_dict) == {"capacity", "available_until"}


def test_a_unit_contact_sees_only_their_units_resources_and_projects(
    unitcontact, unit, resource, socialworker, need
):
    other = MemberUnitFactory(community=unit.community, name="区中医院")
    theirs = lists.resource_offer(actor=socialworker, unit=other, offer=offer("理发"))
    project = lists.project_start(actor=socialworker, need=need, title="送餐", starts_on=timezone.localdate())
    other_project = lists.project_start(
        actor=socialworker, need=need, title="理发日", starts_on=timezone.localdate()
    )
    lists.project_take_resource(actor=socialworker, project=project, resource=resource, committed=5)
    lists.project_take_resource(actor=socialworker, project=other_project, resource=theirs, committed=5)
    assert set(Resource.objects.visible_to(unitcontact)) == {resource}
    assert set(Project.objects.visible_to(unitcontact)) == {project}
    assert not Need.objects.visible_to(unitcontact).exists()
    assert set(Resource.objects.visible_to(socialworker)) == {resource, theirs}


def test_a_project_meets_a_need_with_resources_and_ledger_hours(socialworker, need, resource, volunteer):
    today = timezone.localdate()
    project = lists.project_start(actor=socialworker, need=need, title="送餐到户", starts_on=today)
    assert Need.objects.get(pk=need.pk).status == NeedStatus.IN_PROJECT
    commitment = lists.project_take_resource(
        actor=socialworker, project=project, resource=resource, committed=10
    )
    with pytest.raises(ValidationError):
        lists.project_take_resource(actor=socialworker, project=project, resource=resource, committed=5)
    with pytest.raises(ValidationError):
        lists.project_deliver(actor=socialworker, commitment=commitment, delivered=11)
    lists.project_deliver(actor=socialworker, commitment=commitment, delivered=6)
    with pytest.raises(ValidationError):  # not on the project yet
        lists.project_work_record(
            actor=socialworker, project=project, person=volunteer.person, hours=Decimal(2), worked_on=today
        )
    lists.project_add_person(actor=socialworker, project=project, person=volunteer.person)
    work = lists.project_work_record(
        actor=socialworker, project=project, person=volunteer.person, hours=Decimal("2.5"), worked_on=today
    )
    entry = HoursEntry.objects.get(source_kind=SourceKind.PROJECT, source_id=work.pk)
    assert entry.person == volunteer.person and entry.hours == Decimal("2.5") and entry.note == "送餐到户"
    assert Project.objects.get(pk=project.pk).status == ProjectStatus.RUNNING
    lists.project_update(
        actor=socialworker, project=project, status=ProjectStatus.DONE, starts_on=today, ends_on=today
    )
    assert Need.objects.get(pk=need.pk).status == NeedStatus.MET
    listed = reads.projects_for(socialworker).get(pk=project.pk)
    assert listed.hours == Decimal("2.5") and listed.people == 1


def test_the_unit_record_shows_offered_taken_on_and_delivered(
    client, unitcontact, unit, resource, socialworker, need, community
):
    branch = PartyBranchFactory(community=community)
    member = PartyMemberFactory(branch=branch, kind="serving", unit=unit, commitment_hours=20)
    project = lists.project_start(
        actor=socialworker, need=need, title="义诊进社区", starts_on=timezone.localdate()
    )
    commitment = lists.project_take_resource(
        actor=socialworker, project=project, resource=resource, committed=8
    )
    lists.project_deliver(actor=socialworker, commitment=commitment, delivered=3)
    lists.project_add_person(actor=socialworker, project=project, person=member.person)
    lists.project_work_record(
        actor=socialworker,
        project=project,
        person=member.person,
        hours=Decimal(3),
        worked_on=timezone.localdate(),
    )
    record = reads.unit_record(unit)
    assert (record.projects, record.delivered_in_full, record.hours) == (1, 0, Decimal(3))
    lists.project_deliver(actor=socialworker, commitment=commitment, delivered=8)
    assert reads.unit_record(unit).delivered_in_full == 1
    client.force_login(unitcontact)
    page = client.get(f"/activities/lists/units/{unit.pk}/")
    text = page.content.decode()
    assert page.status_code == 200 and "义诊进社区" in text and "义诊" in text and member.person.name in text
    other = MemberUnitFactory(community=community)
    assert client.get(f"/activities/lists/units/{other.pk}/").status_code == 404


def test_the_committee_filters_and_counts_the_lists(client, secretary, socialworker, community, need, visit):
    lists.need_raise(actor=socialworker, community=community, title="需要助浴", visit=visit)
    closed = lists.need_raise(actor=socialworker, community=community, title="旧需求")
    lists.need_set_status(actor=socialworker, need=closed, status=NeedStatus.CLOSED, note="已由家属解决")
    counts = {code: n for code, _, n in reads.need_counts(secretary)}
    assert counts[NeedStatus.OPEN] == 2 and counts[NeedStatus.CLOSED] == 1
    client.force_login(secretary)
    page = client.get("/activities/lists/needs/?status=open&source=visit").content.decode()
    assert "需要助浴" in page and "独居老人需要送餐" not in page and "旧需求" not in page
    home = client.get("/activities/lists/")
    assert home.status_code == 200


def test_closing_a_need_asks_why(socialworker, need):
    with pytest.raises(ValidationError):
        lists.need_set_status(actor=socialworker, need=need, status=NeedStatus.CLOSED)


def test_an_outsider_reaches_none_of_our_lists(outsider, need, resource, client):
    assert not Need.objects.visible_to(outsider).exists()
    assert not Resource.objects.visible_to(outsider).exists()
    client.force_login(outsider)
    assert client.get(f"/activities/lists/needs/{need.pk}/").status_code == 404
    assert client.get(f"/activities/lists/resources/{resource.pk}/").status_code == 404
    with pytest.raises(PermissionDenied):
        lists.project_start(actor=outsider, need=need, title="越权", starts_on=timezone.localdate())


def test_the_project_page_records_work_and_says_what_is_wrong(client, socialworker, need, volunteer):
    project = lists.project_start(actor=socialworker, need=need, title="送餐", starts_on=timezone.localdate())
    client.force_login(socialworker)
    url = f"/activities/lists/projects/{project.pk}/"
    assert client.post(url, {"action": "person", "person": volunteer.person_id}).status_code == 302
    with translation.override("en"):
        bad = client.post(
            url, {"action": "work", "person": volunteer.person_id, "hours": "2", "worked_on": "2000-01-01"}
        )
    assert bad.status_code == 422 and "between the project" in bad.content.decode()
    good = client.post(
        url,
        {
            "action": "work",
            "person": volunteer.person_id,
            "hours": "2",
            "worked_on": timezone.localdate().isoformat(),
        },
    )
    assert good.status_code == 302
    assert HoursEntry.objects.filter(source_kind=SourceKind.PROJECT, person=volunteer.person).count() == 1


def test_a_unit_contact_edits_an_offer_on_the_phone_page(client, unitcontact, resource):
    client.force_login(unitcontact)
    data = {
        "title": "义诊",
        "capacity": "25",
        "capacity_unit": "人次",
        "available_from": timezone.localdate().isoformat(),
        "period_note": "每月第一个周六",
        "active": "on",
    }
    assert client.post(f"/activities/lists/resources/{resource.pk}/", data).status_code == 302
    assert Resource.objects.get(pk=resource.pk).period_note == "每月第一个周六"
    other_contact = user_for(
        Role.UNIT_CONTACT,
        community=resource.community,
        member_unit=MemberUnitFactory(community=resource.community),
    )
    client.force_login(other_contact)
    assert client.post(f"/activities/lists/resources/{resource.pk}/", data).status_code == 404


# --- the API -----------------------------------------------------------------------------------------


def _ids(response) -> set[int]:
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["results"]}


def test_the_api_reads_the_three_lists_scoped_like_the_pages(
    socialworker, unitcontact, volunteer, outsider, need, resource, visit
):
    from tests.test_api_helpers import as_user

    from_visit = lists.need_raise(
        actor=socialworker, community=need.community, title="需要生活物资", visit=visit
    )
    project = lists.project_start(actor=socialworker, need=need, title="送餐", starts_on=timezone.localdate())
    lists.project_take_resource(actor=socialworker, project=project, resource=resource, committed=3)
    office, contact = as_user(socialworker), as_user(unitcontact)
    assert _ids(office.get("/api/v1/needs/")) == {need.pk, from_visit.pk}
    assert _ids(office.get("/api/v1/needs/", {"source": "visit"})) == {from_visit.pk}
    detail = office.get(f"/api/v1/needs/{from_visit.pk}/").json()
    assert detail["visit"] == visit.pk and SEALED not in str(detail)
    assert _ids(contact.get("/api/v1/resources/")) == {resource.pk}
    assert _ids(contact.get("/api/v1/projects/")) == {project.pk}
    assert contact.get(f"/api/v1/needs/{need.pk}/").status_code == 404
    assert office.get(f"/api/v1/projects/{project.pk}/").json()["commitments"] == [
        {"resource": resource.pk, "unit": resource.unit_id, "committed": 3, "delivered": 0}
    ]
    for path in ("/api/v1/needs/", "/api/v1/resources/", "/api/v1/projects/"):
        assert _ids(as_user(outsider).get(path)) == set()
        assert _ids(as_user(volunteer).get(path)) == set()
    assert office.get("/api/v1/needs/", {"status": "nonsense"}).status_code == 400


def test_the_api_reads_activities_sign_ups_and_hours(socialworker, volunteer, community, need):
    from grassroots.activities import services as activities
    from grassroots.activities.models import Theme
    from tests.test_api_helpers import as_user

    starts = timezone.now() + timedelta(days=1)
    activity = activities.activity_publish(
        actor=socialworker,
        community=community,
        details=activities.ActivityDetails(
            title="红色灯塔",
            theme=Theme.objects.get(code="red-lighthouse"),
            place="4号楼",
            starts_at=starts,
            ends_at=starts + timedelta(hours=2),
            capacity=3,
            signup_deadline=starts,
        ),
    )
    signup = activities.signup_add(actor=volunteer, activity=activity)
    project = lists.project_start(actor=socialworker, need=need, title="送餐", starts_on=timezone.localdate())
    lists.project_add_person(actor=socialworker, project=project, person=volunteer.person)
    lists.project_work_record(
        actor=socialworker,
        project=project,
        person=volunteer.person,
        hours=Decimal(2),
        worked_on=timezone.localdate(),
    )
    mine = as_user(volunteer)
    assert _ids(mine.get("/api/v1/activities/")) == {activity.pk}
    assert _ids(mine.get("/api/v1/signups/", {"activity": activity.pk})) == {signup.pk}
    hours = mine.get("/api/v1/hours/", {"source_kind": "project"}).json()["results"]
    assert [(row["person"]["id"], row["hours"]) for row in hours] == [(volunteer.person_id, "2.0")]


def test_only_people_of_the_community_or_its_serving_members_work_on_a_project(
    socialworker, need, other_household, community
):
    from tests.factories import PersonFactory

    project = lists.project_start(actor=socialworker, need=need, title="送餐", starts_on=timezone.localdate())
    stranger = PersonFactory(household=other_household)
    with pytest.raises(ValidationError):
        lists.project_add_person(actor=socialworker, project=project, person=stranger)
    PartyMemberFactory(person=stranger, branch=PartyBranchFactory(community=community), kind="serving")
    assert lists.project_add_person(actor=socialworker, project=project, person=stranger).person == stranger
