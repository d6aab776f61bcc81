"""The register as a daily tool (issue 9.1-9.2): staff screens in front of people.services.

A social worker registers a newcomer at a flat the register did not know, corrects a phone,
records a move and a death, tags and untags with a reason and changes the household head; each
write leaves history rows naming the screen, and the person and household pages show them,
masked, without the rows a role may not read. A grid worker does all this only in their grid.
"""

from __future__ import annotations

from datetime import date

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.utils import translation

from grassroots.people import history
from grassroots.people.models import Person, PersonStatus, PersonTag, RegistryChange, Relation, Residency
from grassroots.people.services import (
    household_at_address,
    household_change_head,
    household_merge,
    household_split,
    person_tag,
    person_untag,
    residency_change_relation,
)
from grassroots.places.models import Household
from tests.factories import PersonFactory, make_id_number, vulnerability_tag

pytestmark = pytest.mark.django_db


def _client(user) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


# --- the admin's date ---------------------------------------------------------------------------


def test_an_unchanged_save_in_the_admin_keeps_the_birth_date(admin_user, granny_wang):
    """The date box wrote 1944/03/08 (zh-Hans), which a type="date" input drops and submits empty."""
    client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    client.force_login(admin_user)
    page = client.get(f"/admin/people/person/{granny_wang.pk}/change/").content.decode()
    assert 'name="birth_date" value="1944-03-08"' in page
    form = {
        "community": granny_wang.community_id,
        "name": granny_wang.name,
        "sex": granny_wang.sex,
        "birth_date": "1944-03-08",  # what the browser submits for the value shown
        "note": "",
        "tags-TOTAL_FORMS": 0,
        "tags-INITIAL_FORMS": 0,
        "residencies-TOTAL_FORMS": 1,
        "residencies-INITIAL_FORMS": 1,
        "residencies-0-id": granny_wang.residencies.get().pk,
        "residencies-0-person": granny_wang.pk,
        "_save": "Save",
    }
    response = client.post(f"/admin/people/person/{granny_wang.pk}/change/", form)
    assert response.status_code == 302, response.content.decode()[:3000]
    granny_wang.refresh_from_db()
    assert granny_wang.birth_date == date(1944, 3, 8)


# --- services -----------------------------------------------------------------------------------


def test_untagging_needs_a_reason_and_is_recorded(socialworker, granny_wang):
    alone = vulnerability_tag("living-alone")
    person_tag(actor=socialworker, person=granny_wang, tag=alone, note="独居")
    with pytest.raises(ValidationError) as refused:
        person_untag(actor=socialworker, person=granny_wang, tag=alone, reason="")
    assert "reason" in refused.value.message_dict
    assert PersonTag.objects.filter(person=granny_wang, tag=alone).exists()
    with history.through("person-tags"):
        person_untag(actor=socialworker, person=granny_wang, tag=alone, reason="女儿搬来同住")
    assert not PersonTag.objects.filter(person=granny_wang, tag=alone).exists()
    row = RegistryChange.objects.get(person=granny_wang, action="untag")
    assert (row.field, row.old_display, row.new_display, row.reason, row.source) == (
        "tag:living-alone",
        "✓",
        "",
        "女儿搬来同住",
        "person-tags",
    )


def test_a_new_head_and_the_former_heads_relation_change_together(socialworker, granny_wang, household_a):
    son = PersonFactory(name="王建国", sex="M", household=household_a, relation=Relation.CHILD)
    household_change_head(
        actor=socialworker, household=household_a, person=son, former_head_relation=Relation.PARENT
    )
    relations = dict(Residency.objects.filter(household=household_a).values_list("person__name", "relation"))
    assert relations == {"王秀兰": Relation.PARENT, "王建国": Relation.HEAD}
    rows = RegistryChange.objects.filter(household=household_a, field="relation")
    assert {(row.person_id, row.old_display, row.new_display) for row in rows} == {
        (granny_wang.pk, "head", "parent"),
        (son.pk, "child", "head"),
    }


def test_a_relation_is_corrected_but_nobody_becomes_head_that_way(socialworker, household_a):
    son = PersonFactory(name="王建国", sex="M", household=household_a, relation=Relation.OTHER)
    residency_change_relation(actor=socialworker, person=son, relation=Relation.CHILD)
    assert son.residencies.get().relation == Relation.CHILD
    with pytest.raises(ValidationError):
        residency_change_relation(actor=socialworker, person=son, relation=Relation.HEAD)


def test_a_flat_the_register_lacked_is_created_in_its_buildings_grid(socialworker, community, grid_a):
    household = household_at_address(
        actor=socialworker, community_id=community.pk, building_number=4, entrance=3, room="602"
    )
    assert (household.address, household.grid_id) == ("4-3-602", grid_a.pk)
    assert RegistryChange.objects.filter(household=household, action="household_new").exists()
    again = household_at_address(
        actor=socialworker, community_id=community.pk, building_number=4, entrance=3, room="602"
    )
    assert again == household
    with pytest.raises(ValidationError) as refused:
        household_at_address(
            actor=socialworker, community_id=community.pk, building_number=4, entrance=9, room="1"
        )
    assert "household" in refused.value.message_dict


def test_a_grid_worker_works_only_in_their_grid(gridworker, community, household_b):
    with pytest.raises(ValidationError):  # building 7 lies in grid B: no such building for them
        household_at_address(
            actor=gridworker, community_id=community.pk, building_number=7, entrance=1, room="9"
        )
    neighbour = PersonFactory(name="赵六", sex="M", household=household_b)
    with pytest.raises(PermissionDenied):
        person_untag(actor=gridworker, person=neighbour, tag=vulnerability_tag("living-alone"), reason="搬走")


# --- screens ------------------------------------------------------------------------------------


def test_a_social_worker_registers_a_newcomer_at_a_new_flat(socialworker):
    response = _client(socialworker).post(
        "/people/new/",
        {
            "name": "刘秀兰",
            "sex": "F",
            "birth_date": "1950-03-09",
            "id_number": make_id_number(date(1950, 3, 9), sex="F", serial=11),
            "phone": "13912345678",
            "address": "4-3-602",
            "relation": Relation.HEAD,
            "residence_type": "migrant",
            "on": "2026-11-01",
        },
    )
    person = Person.objects.get(name="刘秀兰")
    assert response.status_code == 302 and response.url == f"/people/{person.pk}/"
    assert person.current_household.address == "4-3-602"
    assert set(RegistryChange.objects.filter(person=person).values_list("source", flat=True)) == {
        "person-new"
    }
    page = _client(socialworker).get(response.url, headers={"Accept-Language": "en"}).content.decode()
    assert 'id="history"' in page and "139****5678" in page and "13912345678" not in page
    assert "through registering a person" in page and "person-new" not in page


def test_bad_input_keeps_what_was_typed_and_says_where(socialworker):
    response = _client(socialworker).post(
        "/people/new/",
        {
            "name": "刘秀兰",
            "sex": "F",
            "address": "4楼",
            "relation": Relation.HEAD,
            "residence_type": "migrant",
        },
    )
    page = response.content.decode()
    assert response.status_code == 200 and not Person.objects.filter(name="刘秀兰").exists()
    assert 'value="刘秀兰"' in page and "building-entrance-room" in page


def test_a_grid_worker_cannot_register_into_another_grid(gridworker, household_b):
    client = _client(gridworker)
    assert client.get(f"/people/new/?household={household_b.pk}").status_code == 200  # the blank form
    response = client.post(
        "/people/new/",
        {
            "name": "赵六",
            "sex": "M",
            "address": "7-1-502",
            "relation": "head",
            "residence_type": "permanent",
            "on": "2026-11-01",
        },
    )
    assert not Person.objects.filter(name="赵六").exists()
    assert "There is no building 7 here that you work in." in response.content.decode()


def test_moving_out_and_a_death_close_the_stay(socialworker, granny_wang, household_a):
    client = _client(socialworker)
    response = client.post(f"/people/{granny_wang.pk}/move-out/", {"status": "deceased", "on": "2026-11-20"})
    assert response.status_code == 302
    granny_wang.refresh_from_db()
    assert granny_wang.status == PersonStatus.DECEASED and granny_wang.current_household is None
    assert RegistryChange.objects.filter(
        person=granny_wang, action="death", source="person-move-out"
    ).exists()
    assert "died" in client.get(f"/households/{household_a.pk}/").content.decode()


def test_a_move_within_the_community(socialworker, granny_wang):
    response = _client(socialworker).post(
        f"/people/{granny_wang.pk}/move-in/",
        {"address": "4-1-101", "relation": "head", "residence_type": "permanent", "on": "2026-11-20"},
    )
    assert response.status_code == 302
    assert granny_wang.residencies.filter(moved_out__isnull=True).get().household.address == "4-1-101"
    assert granny_wang.residencies.get(household__room="301").moved_out == date(2026, 11, 20)


def test_tag_and_untag_through_the_screen(socialworker, granny_wang):
    client = _client(socialworker)
    alone = vulnerability_tag("living-alone")
    assert (
        client.post(f"/people/{granny_wang.pk}/tags/", {"tag": alone.pk, "note": "独居"}).status_code == 302
    )
    refused = client.post(f"/people/{granny_wang.pk}/tags/{alone.pk}/remove/", {"reason": ""})
    assert refused.status_code == 422 and PersonTag.objects.filter(person=granny_wang).exists()
    client.post(f"/people/{granny_wang.pk}/tags/{alone.pk}/remove/", {"reason": "女儿同住"})
    assert not PersonTag.objects.filter(person=granny_wang).exists()
    page = client.get(f"/people/{granny_wang.pk}/").content.decode()
    assert "tag removed" in page and "女儿同住" in page


def test_the_head_changes_through_the_household_screen(socialworker, granny_wang, household_a):
    son = PersonFactory(name="王建国", sex="M", household=household_a, relation=Relation.CHILD)
    response = _client(socialworker).post(
        f"/people/households/{household_a.pk}/head/", {"person": son.pk, "former_head_relation": "parent"}
    )
    assert response.status_code == 302
    assert son.residencies.get().relation == Relation.HEAD


def test_staff_without_the_edit_capability_get_no_screens(street_user, resident, granny_wang):
    for user in (street_user, resident):
        client = _client(user)
        assert client.get(f"/people/{granny_wang.pk}/edit/").status_code == 404
        assert (
            client.post(
                f"/people/{granny_wang.pk}/move-out/", {"status": "moved_out", "on": "2026-11-20"}
            ).status_code
            == 404
        )
    granny_wang.refresh_from_db()
    assert granny_wang.status == PersonStatus.LIVING


# --- history on the pages -----------------------------------------------------------------------


def test_history_of_a_sensitive_tag_is_hidden_from_who_may_not_see_the_tag(
    socialworker, granny_wang, monkeypatch
):
    person_tag(
        actor=socialworker, person=granny_wang, tag=vulnerability_tag("disabled"), level=2, note="肢体"
    )
    person_tag(actor=socialworker, person=granny_wang, tag=vulnerability_tag("living-alone"))
    seen = {row.field for row in history.history_for(socialworker, person=granny_wang).rows}
    assert {"tag:disabled", "tag:living-alone"} <= seen
    real = history.user_can
    monkeypatch.setattr(
        history, "user_can", lambda user, cap: cap != "people.persontag.view_sensitive" and real(user, cap)
    )
    seen = {row.field for row in history.history_for(socialworker, person=granny_wang).rows}
    assert "tag:living-alone" in seen and "tag:disabled" not in seen


def test_residents_do_not_read_the_history(resident, granny_wang, household_a):
    assert history.history_for(resident, person=granny_wang) is None
    page = _client(resident).get(f"/households/{household_a.pk}/").content.decode()
    assert 'id="history"' not in page


def test_the_household_page_shows_its_history(socialworker, granny_wang, household_a):
    residency_change_relation(actor=socialworker, person=granny_wang, relation=Relation.OTHER)
    page = _client(socialworker).get(f"/households/{household_a.pk}/").content.decode()
    assert 'id="history"' in page and "relation changed" in page
    assert Household.objects.count() == 3


# --- search (issue 9.5) -------------------------------------------------------------------------


def test_a_given_name_alone_finds_the_person(socialworker, granny_wang, household_a):
    from grassroots.people.search import search_people

    everyone = Person.objects.visible_to(socialworker)
    assert granny_wang in search_people(everyone, "秀兰")
    surname_first = PersonFactory(
        name="秀兰芳", sex="F", household=household_a, relation=Relation.OTHER
    )  # a name starting with it comes first
    assert search_people(everyone, "秀兰")[0] == surname_first
    assert granny_wang not in search_people(everyone, "兰")  # one character: the surname only


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("4号楼", (4, None, None)),
        ("4栋", (4, None, None)),
        ("4-2", (4, 2, None)),
        ("4号楼2单元", (4, 2, None)),
        ("4栋2单元301室", (4, 2, "301")),
        ("4幢2门301", (4, 2, "301")),
    ],
)
def test_building_queries_as_they_are_said(typed, expected):
    from grassroots.people.search import parse_query

    query = parse_query(typed)
    assert (query.kind, query.building, query.entrance, query.room) == ("address", *expected)


def test_the_people_search_counts_and_pages_instead_of_cutting_at_fifty(socialworker, household_a):
    for serial in range(55):
        PersonFactory(
            name=f"王{chr(0x4E00 + serial)}", sex="M", household=household_a, relation=Relation.OTHER
        )
    client = _client(socialworker)
    first = client.get("/people/", {"q": "王"}).content.decode()
    assert "55 found" in first and "page 1 of 2" in first
    second = client.get("/people/", {"q": "王", "page": 2}).content.decode()
    assert second.count('href="/people/') - second.count('href="/people/new') >= 6


def test_the_case_list_searches_reporter_words_and_address(socialworker, community, granny_wang, household_a):
    from grassroots.cases import services as cases
    from grassroots.cases.models import Category, Channel

    case = cases.case_report(
        actor=socialworker,
        community=community,
        details=cases.ReportDetails(
            category=Category.objects.get(code="repairs"),
            description="楼道地砖破损",
            channel=Channel.PHONE,
            reporter_person=granny_wang,
            household=household_a,
        ),
        register=True,
    )
    client = _client(socialworker)
    for typed in ("秀兰", "王秀兰", "地砖", "4-2-301", "4号楼", case.number[-4:]):
        assert case.number in client.get("/cases/", {"q": typed}).content.decode(), typed
    for typed in ("水管", "7-1-502"):
        assert case.number not in client.get("/cases/", {"q": typed}).content.decode(), typed


# --- organisations (issue 9.3) ------------------------------------------------------------------


def test_organisation_pages_count_and_list_what_the_reader_may_see(
    socialworker, volunteer, community, granny_wang
):
    from tests.factories import MemberUnitFactory, PartyBranchFactory, PartyMemberFactory

    branch = PartyBranchFactory(community=community, name="第一党支部")
    PartyMemberFactory(person=granny_wang, branch=branch)
    MemberUnitFactory(community=community, name="大沽街社区卫生服务中心", kind="hospital")
    MemberUnitFactory(community=community, name="和盛苑物业", kind="property")
    staff = _client(socialworker)
    home = staff.get("/orgs/", {"kind": "hospital"}).content.decode()
    assert "第一党支部" in home and "1 member" in home
    assert "大沽街社区卫生服务中心" in home and "和盛苑物业" not in home
    assert "王秀兰" in staff.get(f"/orgs/branches/{branch.pk}/").content.decode()
    hands = _client(volunteer).get(f"/orgs/branches/{branch.pk}/").content.decode()
    assert "第一党支部" in hands and "王秀兰" not in hands  # the hands do not read party members


def test_a_volunteer_sees_how_many_are_in_a_team_not_who(volunteer, community, neighbourhood):
    from tests.factories import PersonFactory, VolunteerFactory, VolunteerTeamFactory

    team = VolunteerTeamFactory(community=community, name="助老服务队")
    for name in ("钱一", "钱二", "钱三"):
        VolunteerFactory(
            person=PersonFactory(name=name, household=neighbourhood.home_7_1_502),
            home_grid=neighbourhood.grid_b,
            teams=[team],
        )
    VolunteerFactory(
        person=PersonFactory(name="钱四", household=neighbourhood.home_7_1_502),
        home_grid=neighbourhood.grid_b,
        teams=[team],
        active=False,
    )
    home = _client(volunteer).get("/orgs/", headers={"Accept-Language": "en"}).content.decode()
    assert "助老服务队" in home and "3 members" in home and "钱一" not in home


# --- intake (issue 9.4) -------------------------------------------------------------------------


def test_an_unknown_caller_is_registered_in_place_during_the_call(socialworker, household_a):
    client = _client(socialworker)
    assert "Register the caller as a resident" in client.get("/cases/intake/").content.decode()
    typed = {
        "reporter_name": "陈阿姨",
        "reporter_phone": "13600001234",
        "new_sex": "F",
        "new_relation": "other",
    }
    refused = client.post("/cases/intake/new-resident/", {**typed, "new_address": "4楼"})
    assert refused.status_code == 422 and not Person.objects.filter(name="陈阿姨").exists()
    assert (
        'value="陈阿姨"' in refused.content.decode() and "building-entrance-room" in refused.content.decode()
    )
    response = client.post("/cases/intake/new-resident/", {**typed, "new_address": "4-2-301"})
    person = Person.objects.get(name="陈阿姨")
    assert response.status_code == 200 and person.current_household == household_a
    page = response.content.decode()
    assert f'name="reporter_person" value="{person.pk}"' in page and "136****1234" in page
    assert set(RegistryChange.objects.filter(person=person).values_list("source", flat=True)) == {"intake"}


def test_a_refused_caller_registration_leaves_no_empty_flat(gridworker):
    before = Household.objects.count()
    response = _client(gridworker).post(
        "/cases/intake/new-resident/",
        {
            "reporter_name": "陈阿姨",
            "reporter_phone": "123",
            "new_sex": "F",
            "new_address": "4-3-999",
            "new_relation": "other",
        },
    )
    assert response.status_code == 422 and "A phone number is 11 digits" in response.content.decode()
    assert Household.objects.count() == before and not Person.objects.filter(name="陈阿姨").exists()


def test_the_office_creates_and_edits_organisations_in_its_own_community(
    socialworker, volunteer, outsider, community
):
    client = _client(socialworker)
    refused = client.post("/orgs/units/new/", {"name": "", "kind": "school"})
    assert refused.status_code == 200 and "This field is required." in refused.content.decode()
    response = client.post(
        "/orgs/units/new/", {"name": "大沽小学", "kind": "school", "offers": "场地", "inside_community": "on"}
    )
    from grassroots.orgs.models import MemberUnit

    unit = MemberUnit.objects.get(name="大沽小学")
    assert response.status_code == 302 and unit.community == community
    assert (
        client.post(f"/orgs/units/{unit.pk}/edit/", {"name": "大沽第一小学", "kind": "school"}).status_code
        == 302
    )
    assert (
        _client(volunteer).post(f"/orgs/units/{unit.pk}/edit/", {"name": "x", "kind": "school"}).status_code
        == 404
    )
    assert (
        _client(outsider).post(f"/orgs/units/{unit.pk}/edit/", {"name": "x", "kind": "school"}).status_code
        == 404
    )
    unit.refresh_from_db()
    assert unit.name == "大沽第一小学"


def test_a_grid_worker_reads_the_history_of_their_grid_only(
    gridworker, socialworker, granny_wang, household_b
):
    neighbour = PersonFactory(name="赵六", sex="M", household=household_b)
    for person in (granny_wang, neighbour):
        residency_change_relation(actor=socialworker, person=person, relation=Relation.OTHER)
    assert [row.field for row in history.history_for(gridworker, person=granny_wang).rows] == ["relation"]
    assert history.history_for(gridworker, person=neighbour).rows == []


def test_a_refused_registration_leaves_no_empty_flat(socialworker, monkeypatch):
    """The flat is created for the newcomer in the same transaction as her registration."""
    from grassroots.people import services

    def refuse(**kwargs):
        raise ValidationError({"name": "refused"})

    monkeypatch.setattr(services, "person_register", refuse)
    before = Household.objects.count()
    response = _client(socialworker).post(
        "/people/new/",
        {"name": "刘秀兰", "sex": "F", "address": "4-3-777", "relation": "head"}
        | {"residence_type": "permanent", "on": "2026-11-01"},
    )
    assert response.status_code == 200 and "refused" in response.content.decode()
    assert Household.objects.count() == before


def test_a_building_head_is_chosen_among_its_residents_and_recorded(
    socialworker, gridworker, granny_wang, household_a
):
    response = _client(socialworker).post(
        f"/people/buildings/{household_a.building_id}/head/", {"person": granny_wang.pk}
    )
    assert response.status_code == 302
    household_a.building.refresh_from_db()
    assert household_a.building.head == granny_wang
    row = RegistryChange.objects.get(action="building_head")
    assert (row.person_id, row.new_display, row.source) == (granny_wang.pk, "王秀兰", "building-head")
    from grassroots.places.models import Building

    building_7 = Building.objects.get(number=7)
    assert _client(gridworker).get(f"/people/buildings/{building_7.pk}/head/").status_code == 404


# --- splitting and merging households (9.1) -----------------------------------------------------


def _flat(actor, address: str) -> Household:
    building, entrance, room = address.split("-")
    return household_at_address(
        actor=actor,
        community_id=actor.community_id,
        building_number=int(building),
        entrance=int(entrance),
        room=room,
    )


def _family(household_a, granny_wang):
    """Granny Wang (head), her son and his wife at 4-2-301."""
    son = PersonFactory(name="王建国", sex="M", household=household_a, relation=Relation.CHILD)
    wife = PersonFactory(name="李丽娟", sex="F", household=household_a, relation=Relation.CHILD_IN_LAW)
    return son, wife


def test_a_split_moves_the_chosen_members_with_their_new_relations(socialworker, household_a, granny_wang):
    son, wife = _family(household_a, granny_wang)
    new_flat = _flat(socialworker, "4-2-302")
    with history.through("household-split"):
        household_split(
            actor=socialworker,
            household=household_a,
            to=new_flat,
            leaving={son.pk: Relation.HEAD, wife.pk: Relation.SPOUSE},
            on=date(2026, 11, 1),
            note="儿子一家分户",
        )
    assert son.residencies.get(moved_out__isnull=True).household == new_flat
    assert son.residencies.get(moved_out__isnull=True).relation == Relation.HEAD
    assert wife.residencies.get(moved_out__isnull=True).relation == Relation.SPOUSE
    assert granny_wang.residencies.get(moved_out__isnull=True).household == household_a
    son.refresh_from_db()
    assert son.current_household == new_flat
    old = son.residencies.get(household=household_a)
    assert old.moved_out == date(2026, 11, 1) and old.move_note == "儿子一家分户"
    rows = RegistryChange.objects.filter(person=son, action="household_split", field="household")
    assert {(r.household_id, r.old_display, r.new_display) for r in rows} == {
        (household_a.pk, "4-2-301", ""),
        (new_flat.pk, "", "4-2-302"),
    }
    assert all(r.source == "household-split" for r in rows)
    for side in (household_a, new_flat):
        act = RegistryChange.objects.get(household=side, person=None, action="household_split")
        assert (act.old_display, act.new_display) == ("4-2-301", "4-2-302")


def test_when_the_head_leaves_in_a_split_someone_who_stays_becomes_head(
    socialworker, household_a, granny_wang
):
    son, wife = _family(household_a, granny_wang)
    new_flat = _flat(socialworker, "4-2-302")
    arguments = {
        "actor": socialworker,
        "household": household_a,
        "to": new_flat,
        "leaving": {granny_wang.pk: Relation.HEAD},
        "on": date(2026, 11, 1),
    }
    with pytest.raises(ValidationError) as refused:
        household_split(**arguments)
    assert "remaining_head" in refused.value.message_dict
    assert granny_wang.residencies.get(moved_out__isnull=True).household == household_a  # nothing moved
    household_split(**arguments, remaining_head=son.pk)
    assert son.residencies.get(moved_out__isnull=True).relation == Relation.HEAD
    assert wife.residencies.get(moved_out__isnull=True).relation == Relation.CHILD_IN_LAW
    assert RegistryChange.objects.filter(person=son, action="relation", new_display="head").exists()


@pytest.mark.parametrize(
    ("leaving", "message"),
    [
        ({}, "Choose who moves"),
        ("everybody", "Everybody would leave"),
        ({"son": Relation.CHILD}, "choose who is the head"),  # an empty flat needs a head
        ({"son": Relation.HEAD, "wife": Relation.HEAD}, "Only one person"),
    ],
)
def test_a_split_that_would_break_a_household_is_refused_and_moves_nobody(
    socialworker, household_a, granny_wang, leaving, message
):
    son, wife = _family(household_a, granny_wang)
    people = {"son": son, "wife": wife}
    if leaving == "everybody":
        leaving = {granny_wang.pk: Relation.HEAD, son.pk: Relation.CHILD, wife.pk: Relation.CHILD_IN_LAW}
    else:
        leaving = {people[name].pk: relation for name, relation in leaving.items()}
    with translation.override("en"), pytest.raises(ValidationError) as refused:
        household_split(
            actor=socialworker,
            household=household_a,
            to=_flat(socialworker, "4-2-302"),
            leaving=leaving,
            on=date(2026, 11, 1),
        )
    assert message in " ".join(refused.value.messages)
    assert not Residency.objects.filter(household=household_a, moved_out__isnull=False).exists()


def test_a_merge_moves_everybody_and_keeps_the_flat_with_its_history(
    socialworker, household_a, household_b, granny_wang
):
    daughter = PersonFactory(name="王桂英", sex="F", household=household_b, relation=Relation.HEAD)
    son, wife = _family(household_a, granny_wang)
    relations = {granny_wang.pk: Relation.PARENT, son.pk: Relation.SIBLING, wife.pk: Relation.OTHER}
    with translation.override("en"), pytest.raises(ValidationError) as refused:
        household_merge(
            actor=socialworker,
            household=household_a,
            into=household_b,
            relations={**relations, granny_wang.pk: Relation.HEAD},
            on=date(2026, 11, 1),
        )
    assert "already has a head" in " ".join(refused.value.messages)
    with pytest.raises(ValidationError):  # everybody must be given a relation
        household_merge(
            actor=socialworker,
            household=household_a,
            into=household_b,
            relations={son.pk: "sibling"},
            on=date(2026, 11, 1),
        )
    household_merge(
        actor=socialworker, household=household_a, into=household_b, relations=relations, on=date(2026, 11, 1)
    )
    assert set(
        Residency.objects.filter(household=household_b, moved_out__isnull=True).values_list(
            "person_id", flat=True
        )
    ) == {daughter.pk, granny_wang.pk, son.pk, wife.pk}
    assert not Residency.objects.filter(household=household_a, moved_out__isnull=True).exists()
    assert Household.objects.filter(pk=household_a.pk).exists()
    assert RegistryChange.objects.filter(person=granny_wang, action="household_merge").count() == 2
    assert RegistryChange.objects.filter(
        household=household_a, person=None, action="household_merge"
    ).exists()


def test_a_grid_worker_splits_only_inside_their_grid(gridworker, household_a, household_b, granny_wang):
    son, _wife = _family(household_a, granny_wang)
    with pytest.raises(PermissionDenied):
        household_split(
            actor=gridworker,
            household=household_a,
            to=household_b,  # grid B
            leaving={son.pk: Relation.HEAD},
            on=date(2026, 11, 1),
        )
    assert _client(gridworker).get(f"/people/households/{household_b.pk}/split/").status_code == 404


def test_the_split_screen_keeps_what_was_typed_and_then_splits(socialworker, household_a, granny_wang):
    son, wife = _family(household_a, granny_wang)
    client = _client(socialworker)
    page = client.get(f"/people/households/{household_a.pk}/split/").content.decode()
    assert f'name="member_{son.pk}"' in page and "stays here" in page
    typed = {
        f"member_{son.pk}": "head",
        f"member_{wife.pk}": "spouse",
        f"member_{granny_wang.pk}": "",
        "address": "4-2-302",
        "on": "2026-11-01",
        "note": "分户",
        "remaining_head": "",
    }
    refused = client.post(f"/people/households/{household_a.pk}/split/", {**typed, "address": "4-2"})
    assert refused.status_code == 200
    body = refused.content.decode()
    assert "building-entrance-room" in body and 'value="分户"' in body
    assert not Household.objects.filter(room="302").exists()
    done = client.post(f"/people/households/{household_a.pk}/split/", typed)
    assert done.status_code == 302
    new_flat = Household.objects.get(building=household_a.building, entrance=2, room="302")
    assert son.residencies.get(moved_out__isnull=True).household == new_flat
    page = client.get(f"/households/{household_a.pk}/").content.decode()
    assert "household split" in page


def test_the_merge_screen_goes_to_the_household_they_joined(
    socialworker, household_a, household_b, granny_wang
):
    PersonFactory(name="王桂英", sex="F", household=household_b, relation=Relation.HEAD)
    response = _client(socialworker).post(
        f"/people/households/{household_a.pk}/merge/",
        {f"member_{granny_wang.pk}": "parent", "address": household_b.address, "on": "2026-11-01"},
    )
    assert response.status_code == 302 and response["Location"] == f"/households/{household_b.pk}/"
    assert granny_wang.residencies.get(moved_out__isnull=True).household == household_b
