# ruff: noqa: F811 (fixtures imported from tests.test_api_helpers are parameters here)
"""The API sees exactly what the pages see: one scoping door, role by role.

Cases: grid A (Granny Wang's water), grid B (a power cut), a sensitive case in grid A,
one case of the neighbouring community. People: Granny Wang and the volunteer Zhao.
Each role of tests/conftest.py lists what it may see, and gets 404 for the rest.
Personal data is masked exactly as on the person page; the encrypted columns never leave.
"""

from __future__ import annotations

import pytest

from grassroots.cases.services import Party, case_dispatch, case_register
from tests.factories import PersonTagFactory, vulnerability_tag
from tests.test_api_helpers import (  # noqa: F401 (fixtures)
    HOTLINE_KEY,
    Api,
    _fresh_rate_limits,
    as_user,
    case_in_grid_a,
    case_in_grid_b,
    hotline,
    outsider_case,
    sensitive_case,
)

ROLES = [
    "admin_user",
    "secretary",
    "street_user",
    "socialworker",
    "gridworker",
    "volunteer",
    "unitcontact",
    "patroller",
    "resident",
    "outsider",
]

#: Which of the four cases each role's list holds ("a", "b", "sensitive", "outsider").
CASES_SEEN = {
    "admin_user": {"a", "b", "sensitive", "outsider"},
    "secretary": {"a", "b", "sensitive"},
    "street_user": {"a", "b", "outsider"},
    "socialworker": {"a", "b", "sensitive"},
    "gridworker": {"a"},
    "volunteer": {"a"},  # the case dispatched to them
    "unitcontact": set(),
    "patroller": set(),
    "resident": {"a"},  # Granny Wang reported it
    "outsider": {"outsider"},
}

#: Which people each role's resident list holds.
PEOPLE_SEEN = {
    "admin_user": {"王秀兰", "赵德明"},
    "secretary": {"王秀兰", "赵德明"},
    "street_user": {"王秀兰", "赵德明"},
    "socialworker": {"王秀兰", "赵德明"},
    "gridworker": {"王秀兰", "赵德明"},  # both live in grid A
    "volunteer": set(),
    "unitcontact": set(),
    "patroller": set(),
    "resident": {"王秀兰"},  # her own household
    "outsider": set(),
}


@pytest.fixture
def scene(socialworker, volunteer, case_in_grid_a, case_in_grid_b, sensitive_case, outsider_case):
    case_dispatch(actor=socialworker, case=case_in_grid_a, lead=Party("person", volunteer.person_id))
    case_register(actor=socialworker, case=case_in_grid_b)
    return {"a": case_in_grid_a, "b": case_in_grid_b, "sensitive": sensitive_case, "outsider": outsider_case}


@pytest.mark.parametrize("role", ROLES)
def test_each_role_lists_and_opens_exactly_its_cases(role, request, scene):
    api = as_user(request.getfixturevalue(role))
    listed = api.get("/api/v1/cases/", {"page_size": 200}).json()["results"]
    names = {name for name, case in scene.items() if case.number in {row["number"] for row in listed}}
    assert names == CASES_SEEN[role]
    for name, case in scene.items():
        expected = 200 if name in CASES_SEEN[role] else 404
        assert api.get(f"/api/v1/cases/{case.pk}/").status_code == expected, (role, name)


@pytest.mark.parametrize("role", ROLES)
def test_each_role_lists_exactly_its_people(role, request, granny_wang, volunteer):
    api = as_user(request.getfixturevalue(role))
    listed = api.get("/api/v1/residents/").json()["results"]
    assert {row["name"] for row in listed} == PEOPLE_SEEN[role]
    expected = 200 if "王秀兰" in PEOPLE_SEEN[role] else 404
    assert api.get(f"/api/v1/residents/{granny_wang.pk}/").status_code == expected


def test_personal_data_is_masked_as_on_the_person_page(socialworker, granny_wang):
    row = as_user(socialworker).get(f"/api/v1/residents/{granny_wang.pk}/").json()
    assert row["phone"] == granny_wang.phone_masked == "138****5678"
    assert row["id_number"] == granny_wang.id_number_masked and "*" in row["id_number"]
    assert row["household_address"] == "4-2-301"
    assert row["residencies"][0]["address"] == "4-2-301"
    text = str(row)
    for secret in (granny_wang.phone_encrypted, granny_wang.phone_hash, granny_wang.id_number_hash):
        assert secret not in text
    assert not {key for key in row if "encrypted" in key or "hash" in key}


def test_sensitive_tags_only_to_roles_that_may_see_them(socialworker, resident, granny_wang):
    PersonTagFactory(person=granny_wang, tag=vulnerability_tag("living-alone"))
    PersonTagFactory(person=granny_wang, tag=vulnerability_tag("disabled"), level=2)
    staff = as_user(socialworker).get(f"/api/v1/residents/{granny_wang.pk}/").json()
    assert {tag["code"] for tag in staff["tags"]} == {"living-alone", "disabled"}
    own = as_user(resident).get(f"/api/v1/residents/{granny_wang.pk}/").json()
    assert {tag["code"] for tag in own["tags"]} == {"living-alone"}


def test_grid_worker_sees_only_the_places_of_their_grid(gridworker, grid_a, grid_b, household_a, household_b):
    api = as_user(gridworker)
    assert [row["code"] for row in api.get("/api/v1/grids/").json()["results"]] == ["A"]
    addresses = {row["address"] for row in api.get("/api/v1/households/").json()["results"]}
    assert "4-2-301" in addresses and "7-1-502" not in addresses
    assert api.get(f"/api/v1/households/{household_b.pk}/").status_code == 404
    assert api.get("/api/v1/households/", {"address": "4-2-301"}).json()["count"] == 1


def test_the_outsider_sees_nothing_of_ours(outsider, community, household_a):
    api = as_user(outsider)
    assert community.pk not in {row["id"] for row in api.get("/api/v1/communities/").json()["results"]}
    assert api.get(f"/api/v1/communities/{community.pk}/").status_code == 404
    assert api.get(f"/api/v1/households/{household_a.pk}/").status_code == 404


def test_patroller_sees_places_but_never_people(patroller, household_a, granny_wang):
    api = as_user(patroller)
    assert api.get(f"/api/v1/households/{household_a.pk}/").status_code == 200
    assert api.get("/api/v1/residents/").json()["count"] == 0


def test_orgs_follow_the_role(secretary, patroller, unitcontact):
    assert as_user(secretary).get("/api/v1/member-units/").json()["count"] == 1
    assert as_user(unitcontact).get("/api/v1/member-units/").json()["count"] == 1
    assert as_user(patroller).get("/api/v1/member-units/").json()["count"] == 0


def test_categories_are_public_ones_for_residents(resident, socialworker):
    public = {
        row["code"]
        for row in as_user(resident).get("/api/v1/categories/", {"page_size": 200}).json()["results"]
    }
    everything = {
        row["code"]
        for row in as_user(socialworker).get("/api/v1/categories/", {"page_size": 200}).json()["results"]
    }
    assert public < everything and "psychological" not in public and "psychological" in everything


# --- an integration's key -----------------------------------------------------------------------------


def test_a_key_reports_and_follows_only_its_own_cases(hotline, scene, household_a, socialworker, granny_wang):
    api = Api(key=HOTLINE_KEY)
    assert api.get("/api/v1/cases/").json()["count"] == 0
    created = api.post(
        "/api/v1/cases/",
        {
            "category": "utilities-power",
            "description": "12345转办：7号楼停电",
            "household": household_a.pk,
            "reporter_name": "王女士",
            "reporter_phone": "13812345678",
        },
    )
    assert created.status_code == 201, created.content
    case = created.json()
    assert case["channel"] == "hotline" and case["reporter"] == {
        "anonymous": False,
        "person": None,
        "name": "",
        "phone": "",
    }
    assert [row["number"] for row in api.get("/api/v1/cases/").json()["results"]] == [case["number"]]
    assert api.get(f"/api/v1/cases/{scene['a'].pk}/").status_code == 404
    # The community's coordinators see it at once, with the caller linked by phone.
    seen = as_user(socialworker).get(f"/api/v1/cases/{case['id']}/").json()
    assert seen["reporter"]["person"] == granny_wang.pk and seen["reporter"]["phone"] == "138****5678"


def test_a_key_never_sees_people_and_needs_its_scopes(hotline, granny_wang):
    api = Api(key=HOTLINE_KEY, header="x-api-key")
    assert api.get("/api/v1/residents/").status_code == 403
    assert api.get("/api/v1/party-branches/").status_code == 403
    assert api.get("/api/v1/households/").status_code == 200
    hotline.scopes = ["open311"]
    hotline.save()
    assert api.get("/api/v1/households/").status_code == 403
    assert api.get("/api/v1/cases/").status_code == 403
    me = api.get("/api/v1/me/").json()
    assert me["api_client"] == "12345 hotline" and me["role"] == "patroller" and me["scopes"] == ["open311"]


def test_a_key_cannot_register_or_pick_another_channel(hotline, household_a):
    api = Api(key=HOTLINE_KEY)
    body = {"category": "utilities-power", "description": "停电", "household": household_a.pk}
    assert "register" in api.post("/api/v1/cases/", {**body, "register": True}).json()
    assert "channel" in api.post("/api/v1/cases/", {**body, "channel": "phone"}).json()
