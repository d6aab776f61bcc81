"""Exporting households, organisations, visits and the care register (issue 9.10, 9.12).

Each file is what its page shows, for whom the page shows it: masked numbers, the user's scope
(a grid worker's file holds their grid), the watermark line, an audit event; a full export needs
its capability and a purpose and is logged; a visit's findings only for those who read them.
"""

from __future__ import annotations

import io

import pytest
from django.test import Client
from python_calamine import CalamineWorkbook

from grassroots.care import services as care
from grassroots.care.defaults import install_default_rules
from grassroots.care.models import CareRecordAccess
from grassroots.core.models import AuditEvent
from grassroots.people.models import PersonalDataAccess
from tests.factories import (
    MemberUnitFactory,
    PartyBranchFactory,
    PartyMemberFactory,
    PersonFactory,
    PersonTagFactory,
    VolunteerFactory,
    VolunteerTeamFactory,
    vulnerability_tag,
)

pytestmark = pytest.mark.django_db


def _client(user) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


def _sheets(response) -> dict[str, list[list]]:
    assert response.status_code == 200, response.status_code
    assert response["Content-Disposition"].startswith("attachment")
    book = CalamineWorkbook.from_filelike(io.BytesIO(response.content))
    return {name: book.get_sheet_by_name(name).to_python() for name in book.sheet_names}


def _sheet(response) -> list[list]:
    return next(iter(_sheets(response).values()))


@pytest.fixture
def stranger(household_b):
    """Somebody in grid B, where the grid worker of grid A does not work."""
    return PersonFactory(name="王二", phone="13900009999", household=household_b, relation="head")


# --- households ---------------------------------------------------------------------------------


def test_the_households_export_is_masked_and_scoped(gridworker, granny_wang, stranger):
    rows = _sheet(_client(gridworker).get("/ledger/export/households.xlsx"))
    assert rows[0][0].startswith("Exported by gridworker") and rows[1][0] == "住址 / Address"
    by_address = {row[0]: row for row in rows[2:]}
    assert by_address["4-2-301"][2:5] == ["王秀兰", "138****5678", 1]
    assert "7-1-502" not in by_address  # grid B
    assert "13812345678" not in str(rows) and "王二" not in str(rows)
    event = AuditEvent.objects.filter(kind="export").latest("seq")
    assert event.detail["list"] == "households" and event.detail["unmasked"] is False
    assert not PersonalDataAccess.objects.exists()


def test_a_grid_worker_asking_for_another_grid_gets_an_empty_file(gridworker, stranger, grid_b):
    rows = _sheet(_client(gridworker).get(f"/ledger/export/households.xlsx?grid={grid_b.pk}"))
    assert rows[1][0] == "住址 / Address" and rows[2:] == []


def test_the_ledger_page_offers_the_households_in_full_to_the_secretary_only(secretary, socialworker):
    full = 'formaction="/ledger/export/households.xlsx"'
    assert full in _client(secretary).get("/ledger/").content.decode()
    assert full not in _client(socialworker).get("/ledger/").content.decode()


def test_the_households_export_keeps_the_page_filter(secretary, granny_wang, stranger, grid_b, neighbourhood):
    client = _client(secretary)
    grid_rows = _sheet(client.get(f"/ledger/export/households.xlsx?grid={grid_b.pk}"))[2:]
    assert [row[0] for row in grid_rows] == ["7-1-502"]
    building = neighbourhood.building_4
    building_rows = _sheet(client.get(f"/ledger/export/households.xlsx?building={building.pk}"))[2:]
    assert {row[0] for row in building_rows} == {"4-1-101", "4-2-301"}


def test_a_full_households_export_needs_the_capability_and_a_purpose(secretary, socialworker, granny_wang):
    assert (
        _client(socialworker)
        .post("/ledger/export/households.xlsx", {"full": "1", "purpose": "核查"})
        .status_code
        == 404
    )
    client = _client(secretary)
    assert client.post("/ledger/export/households.xlsx", {"full": "1", "purpose": ""}).status_code == 422
    assert not PersonalDataAccess.objects.exists()
    rows = _sheet(client.post("/ledger/export/households.xlsx", {"full": "1", "purpose": "防汛联络"}))
    assert "防汛联络" in rows[0][0]
    assert next(row for row in rows[2:] if row[0] == "4-2-301")[3] == "13812345678"
    logged = list(PersonalDataAccess.objects.values_list("person", "field", "purpose"))
    assert logged == [(granny_wang.pk, "phone", "防汛联络")]


# --- organisations ------------------------------------------------------------------------------


@pytest.fixture
def organisations(community, granny_wang, grid_a, grid_b, stranger):
    branch = PartyBranchFactory(community=community, name="第一党支部")
    PartyMemberFactory(branch=branch, person=granny_wang, workplace="")
    team = VolunteerTeamFactory(community=community, name="助老服务队")
    VolunteerFactory(person=granny_wang, home_grid=grid_a, teams=[team])
    VolunteerFactory(person=stranger, home_grid=grid_b, teams=[team])
    MemberUnitFactory(community=community, name="和盛苑物业", contact_phone="022-23456789")
    return branch, team


def test_the_organisations_export_lists_branches_teams_and_units(secretary, organisations):
    sheets = _sheets(_client(secretary).get("/ledger/export/organisations.xlsx"))
    branches, teams, units = (rows[2:] for rows in sheets.values())
    assert [row[:2] for row in branches] == [["第一党支部", "王秀兰"]]
    assert sorted(row[2] for row in teams) == ["王二", "王秀兰"]
    assert units[0][0] == "和盛苑物业" and units[0][3] == "022-23456789"  # a work number, as on its page
    for rows in sheets.values():
        assert rows[0][0].startswith("Exported by secretary")
        assert "13812345678" not in str(rows) and "13900009999" not in str(rows)


def test_a_grid_worker_exports_what_the_organisation_page_shows_them(gridworker, organisations):
    """Branches and teams are the community's: the grid worker's page lists none, nor does the file,
    and nobody of grid B is in it."""
    client = _client(gridworker)
    sheets = _sheets(client.get("/ledger/export/organisations.xlsx"))
    page = client.get("/orgs/").content.decode()
    for name, (rows, shown) in {
        "Party branches": (sheets["Party branches"][2:], "第一党支部" in page),
        "Volunteer teams": (sheets["Volunteer teams"][2:], "助老服务队" in page),
    }.items():
        assert bool(rows) == shown, name
    assert "王二" not in str(sheets)


# --- visits and the care register ---------------------------------------------------------------


@pytest.fixture
def visited(community, household_a, granny_wang, socialworker):
    install_default_rules()
    PersonTagFactory(person=granny_wang, tag=vulnerability_tag("disabled"), level=1)
    care.register_refresh(community=community)
    visit, _ = care.visit_record(
        actor=socialworker,
        household=household_a,
        details=care.VisitDetails(person=granny_wang, health="卧床，需要轮椅"),
    )
    return visit


def test_the_visits_export_has_the_findings_for_who_reads_them_and_logs_it(socialworker, visited):
    rows = _sheet(_client(socialworker).get("/ledger/export/visits.xlsx"))
    assert "健康 / Health" in rows[1]
    row = rows[2]
    assert row[1] == "4-2-301" and row[3] == "王秀兰" and "卧床，需要轮椅" in row
    access = CareRecordAccess.objects.get(visit=visited)
    assert access.user == socialworker


def test_the_visits_export_leaves_the_findings_out_for_a_role_that_cannot_read_them(street_user, visited):
    rows = _sheet(_client(street_user).get("/ledger/export/visits.xlsx"))
    assert "健康 / Health" not in rows[1] and len(rows) == 3
    assert "卧床" not in str(rows)
    assert not CareRecordAccess.objects.exists()


def test_the_visits_export_of_another_month_and_another_grid(socialworker, visited, grid_b):
    client = _client(socialworker)
    assert len(_sheet(client.get("/ledger/export/visits.xlsx?month=2001-01"))) == 2
    assert len(_sheet(client.get(f"/ledger/export/visits.xlsx?grid={grid_b.pk}"))) == 2


def test_the_care_register_export_is_the_page_in_its_scope(
    gridworker, secretary, visited, community, household_b
):
    other = PersonFactory(name="赵七", household=household_b)
    PersonTagFactory(person=other, tag=vulnerability_tag("disabled"), level=1)
    care.register_refresh(community=community)
    names = [row[1] for row in _sheet(_client(secretary).get("/ledger/export/care-register.xlsx"))[2:]]
    assert set(names) == {"王秀兰", "赵七"}
    rows = _sheet(_client(gridworker).get("/ledger/export/care-register.xlsx"))
    assert [row[1] for row in rows[2:]] == ["王秀兰"] and rows[2][2] == "4-2-301"
    assert "13812345678" not in str(rows)


def test_the_list_pages_link_their_exports(secretary, visited, grid_a, neighbourhood):
    client = _client(secretary)
    pages = {
        f"/grids/{grid_a.pk}/": f'href="/ledger/export/households.xlsx?grid={grid_a.pk}" download',
        f"/buildings/{neighbourhood.building_4.pk}/": "/ledger/export/households.xlsx?building=",
        "/orgs/": 'href="/ledger/export/organisations.xlsx" download',
        "/care/rate/?month=2026-05": 'href="/ledger/export/visits.xlsx?month=2026-05" download',
        "/care/register/?tier=high": "/ledger/export/care-register.xlsx?tier=high",
    }
    for page, link in pages.items():
        assert link in client.get(page).content.decode(), page
