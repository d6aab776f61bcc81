"""Care in the API, read-only: scoped as the care pages, findings only with the sensitive capability.

Granny Wang (grid A) and a neighbour of building 7 (grid B) are on the register, each
visited once with findings; the neighbouring community has a visit of its own.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from grassroots.care import services
from grassroots.care.models import (
    Campaign,
    CareProfile,
    CareRecordAccess,
    Programme,
    ProgrammeService,
    Visit,
)
from tests.factories import PersonFactory, VolunteerTeamFactory
from tests.test_api_helpers import _fresh_rate_limits, as_user  # noqa: F401 (fixtures)

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()


@pytest.fixture
def scene(
    community,
    other_community,
    grid_a,
    grid_b,
    household_a,
    household_b,
    other_household,
    granny_wang,
    socialworker,
    outsider,
):
    neighbour = PersonFactory(name="李大爷", phone="13900001111", household=household_b)
    profiles = {
        "a": CareProfile.objects.create(
            person=granny_wang,
            community=community,
            household=household_a,
            grid=grid_a,
            tier="high",
            override_tier="high",
            override_reason="刚出院，独居",
            on_register=True,
        ),
        "b": CareProfile.objects.create(
            person=neighbour,
            community=community,
            household=household_b,
            grid=grid_b,
            tier="key",
            on_register=True,
        ),
    }
    visit_a, _ = services.visit_record(
        actor=socialworker,
        household=household_a,
        details=services.VisitDetails(
            person=granny_wang, health="高血压", family="儿子残疾", hazards=["stairs"]
        ),
    )
    visit_b, _ = services.visit_record(
        actor=socialworker,
        household=household_b,
        details=services.VisitDetails(person=neighbour, needs="买菜"),
    )
    visit_out = Visit.objects.create(
        community=other_community,
        household=other_household,
        grid=other_household.grid,
        visitor=outsider,
        health="隔壁社区",
    )
    campaign = Campaign.objects.create(
        community=community,
        name="敲门行动",
        starts_on=TODAY - timedelta(days=3),
        ends_on=TODAY + timedelta(days=3),
    )
    team = VolunteerTeamFactory(community=community, name="助老服务队")
    programme = Programme.objects.create(community=community, name="幸福归巢·银发互助", team=team)
    ProgrammeService.objects.create(
        programme=programme, kind="home_chat", name="上门聊天", times=2, period="month"
    )
    services.enrol(
        actor=socialworker,
        programme=programme,
        household=household_a,
        person=granny_wang,
        reason="敲门行动发现",
        starts_on=TODAY.replace(day=1),
    )
    return {
        "profiles": profiles,
        "visits": {"a": visit_a, "b": visit_b, "out": visit_out},
        "campaign": campaign,
        "programme": programme,
    }


def ids(response) -> set[int]:
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["results"]}


@pytest.mark.parametrize("role", ["secretary", "socialworker"])
def test_community_staff_see_register_and_visits_with_findings(role, request, scene):
    api = as_user(request.getfixturevalue(role))
    profiles, visits = scene["profiles"], scene["visits"]
    assert ids(api.get("/api/v1/care/register/")) == {profiles["a"].pk, profiles["b"].pk}
    listed = api.get("/api/v1/care/visits/")
    assert ids(listed) == {visits["a"].pk, visits["b"].pk}
    row = next(r for r in listed.json()["results"] if r["id"] == visits["a"].pk)
    assert (row["health"], row["family"], row["hazards"]) == ("高血压", "儿子残疾", ["stairs"])
    assert row["person"] == {"id": scene["profiles"]["a"].person_id, "name": "王秀兰", "phone": "138****5678"}
    register_row = api.get(f"/api/v1/care/register/{profiles['a'].pk}/").json()
    assert register_row["override_reason"] == "刚出院，独居"
    assert ids(api.get("/api/v1/care/campaigns/")) == {scene["campaign"].pk}
    assert ids(api.get("/api/v1/care/programmes/")) == {scene["programme"].pk}
    assert ids(api.get("/api/v1/care/planned-services/"))
    assert not CareRecordAccess.objects.exists(), "lists write no access rows"


def test_gridworker_sees_only_their_grid(gridworker, scene):
    api = as_user(gridworker)
    profiles, visits = scene["profiles"], scene["visits"]
    assert ids(api.get("/api/v1/care/register/")) == {profiles["a"].pk}
    assert ids(api.get("/api/v1/care/visits/")) == {visits["a"].pk}
    assert api.get(f"/api/v1/care/visits/{visits['b'].pk}/").status_code == 404
    assert api.get(f"/api/v1/care/register/{profiles['b'].pk}/").status_code == 404
    # Campaigns and programmes belong to the whole community.
    assert ids(api.get("/api/v1/care/campaigns/")) == {scene["campaign"].pk}
    assert ids(api.get("/api/v1/care/programmes/")) == {scene["programme"].pk}


def test_volunteer_sees_no_care_records(volunteer, scene):
    api = as_user(volunteer)
    for resource in ("register", "visits", "campaigns", "programmes", "planned-services"):
        assert ids(api.get(f"/api/v1/care/{resource}/")) == set()
    assert api.get(f"/api/v1/care/visits/{scene['visits']['a'].pk}/").status_code == 404


def test_street_sees_visits_without_findings_and_writes_no_log(street_user, scene):
    api = as_user(street_user)
    visit = api.get(f"/api/v1/care/visits/{scene['visits']['a'].pk}/").json()
    assert visit["household_address"] == "4-2-301"
    assert all(visit[name] is None for name in ("health", "family", "hazards", "needs", "mood", "wellbeing"))
    profile = api.get(f"/api/v1/care/register/{scene['profiles']['a'].pk}/").json()
    assert profile["override_reason"] is None
    assert not CareRecordAccess.objects.exists()


def test_outsider_sees_nothing_of_ours(outsider, scene):
    api = as_user(outsider)
    assert ids(api.get("/api/v1/care/visits/")) == {scene["visits"]["out"].pk}
    assert ids(api.get("/api/v1/care/register/")) == set()
    assert api.get(f"/api/v1/care/visits/{scene['visits']['a'].pk}/").status_code == 404
    assert api.get(f"/api/v1/care/register/{scene['profiles']['a'].pk}/").status_code == 404
    assert api.get(f"/api/v1/care/campaigns/{scene['campaign'].pk}/").status_code == 404
    assert api.get(f"/api/v1/care/programmes/{scene['programme'].pk}/").status_code == 404


def test_visit_detail_with_findings_writes_the_access_row(socialworker, scene):
    visit = scene["visits"]["a"]
    response = as_user(socialworker).get(f"/api/v1/care/visits/{visit.pk}/")
    assert response.status_code == 200
    assert response.json()["health"] == "高血压"
    row = CareRecordAccess.objects.get()
    assert (row.user, row.what, row.visit_id, row.person_id, row.household_id) == (
        socialworker,
        "visit",
        visit.pk,
        visit.person_id,
        visit.household_id,
    )


def test_no_column_of_ciphertext_leaves(socialworker, scene):
    body = as_user(socialworker).get("/api/v1/care/register/").content.decode()
    assert "13812345678" not in body
    assert "phone_encrypted" not in body and "hash" not in body


def test_filters(socialworker, scene, grid_a):
    api = as_user(socialworker)
    assert ids(api.get("/api/v1/care/register/", {"tier": "key"})) == {scene["profiles"]["b"].pk}
    assert ids(api.get("/api/v1/care/visits/", {"grid": grid_a.pk})) == {scene["visits"]["a"].pk}
    assert len(ids(api.get("/api/v1/care/visits/", {"month": TODAY.strftime("%Y-%m")}))) == 2
    assert ids(api.get("/api/v1/care/visits/", {"month": "nonsense"})) == set()
    assert api.get("/api/v1/care/visits/", {"grid": ""}).status_code == 400
