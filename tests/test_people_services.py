"""The write path for people: bad input saves nothing, moves keep history, reveals are audited.

Each refusal must name the field that is wrong (forms show the message beside it)
and leave the database exactly as it was.
"""

from __future__ import annotations

from datetime import date

import pytest
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.utils import translation

from grassroots.core import pii
from grassroots.people.models import (
    Person,
    PersonalDataAccess,
    PersonStatus,
    Relation,
    ResidenceType,
    Residency,
)
from grassroots.people.search import pinyin_keys, search_people
from grassroots.people.services import (
    PersonDetails,
    person_move_in,
    person_move_out,
    person_register,
    person_reveal,
    person_update,
)
from grassroots.places.models import Household
from tests.factories import HouseholdFactory, PersonFactory, make_id_number

AUNT_LIU_ID = make_id_number(date(1948, 6, 15), sex="F", serial=7)


def rows() -> tuple[int, int, int]:
    return Person.objects.count(), Residency.objects.count(), PersonalDataAccess.objects.count()


def refused(call, **kwargs) -> dict[str, list[str]]:
    """Run a service that must refuse; return its per-field messages, checking nothing was saved."""
    before = rows()
    with pytest.raises(ValidationError) as caught:
        call(**kwargs)
    assert rows() == before, "a refused write must save nothing"
    error = caught.value
    return error.message_dict if hasattr(error, "error_dict") else {NON_FIELD_ERRORS: error.messages}


def register(actor, household, **details):
    return person_register(
        actor=actor,
        community_id=household.building.community_id,
        details=PersonDetails(**details),
        household=household,
        relation=Relation.HEAD,
        residence_type=ResidenceType.REGISTERED,
        moved_in=date(2020, 1, 1),
    )


# --- intake: what a worker types ---------------------------------------------------------


def test_a_valid_registration_derives_and_protects_what_it_can(secretary, household_a):
    aunt = register(
        secretary, household_a, name=" 刘桂英 ", id_number=AUNT_LIU_ID.lower(), phone="138 0000 1111"
    )
    aunt.refresh_from_db()
    assert aunt.name == "刘桂英"
    assert (aunt.birth_date, aunt.sex) == (date(1948, 6, 15), "F")  # from the ID number
    assert (aunt.name_pinyin, aunt.name_initials) == pinyin_keys("刘桂英") == ("liuguiying", "lgy")
    assert aunt.id_number_masked == AUNT_LIU_ID[:3] + "*" * 11 + AUNT_LIU_ID[-4:]
    assert aunt.phone_masked == "138****1111"
    assert AUNT_LIU_ID not in aunt.id_number_encrypted and "13800001111" not in aunt.phone_encrypted
    assert Person.objects.with_id_number(AUNT_LIU_ID).get() == aunt
    assert Person.objects.with_phone("+86 13800001111").get() == aunt
    assert aunt.status == PersonStatus.LIVING and aunt.current_household == household_a


def test_a_wrong_check_digit_is_refused_on_the_id_number(secretary, household_a):
    wrong = AUNT_LIU_ID[:17] + ("0" if AUNT_LIU_ID[17] != "0" else "1")
    with translation.override("en"):
        errors = refused(
            register, actor=secretary, household=household_a, name="刘桂英", sex="F", id_number=wrong
        )
    assert errors == {"id_number": ["The check digit is wrong: please read the number again."]}


def test_a_birth_date_that_disagrees_with_the_id_number_is_refused(secretary, household_a):
    errors = refused(
        register,
        actor=secretary,
        household=household_a,
        name="刘桂英",
        id_number=AUNT_LIU_ID,
        birth_date=date(1948, 6, 16),
    )
    assert list(errors) == ["birth_date"]
    assert "1948-06-15" in errors["birth_date"][0]


def test_a_sex_that_disagrees_with_the_id_number_is_refused(secretary, household_a):
    errors = refused(
        register, actor=secretary, household=household_a, name="刘桂英", id_number=AUNT_LIU_ID, sex="M"
    )
    assert list(errors) == ["sex"]


def test_several_mistakes_are_reported_together(secretary, household_a):
    errors = refused(register, actor=secretary, household=household_a, name=" ", phone="12345", sex="")
    assert set(errors) == {"name", "phone", "sex"}


def test_a_birth_date_in_the_future_is_refused(secretary, household_a):
    errors = refused(
        register, actor=secretary, household=household_a, name="刘桂英", sex="F", birth_date=date(2999, 1, 1)
    )
    assert list(errors) == ["birth_date"]


def test_the_same_id_number_cannot_be_registered_twice(secretary, household_a, household_b):
    register(secretary, household_a, name="刘桂英", id_number=AUNT_LIU_ID)
    spaced = f"{AUNT_LIU_ID[:6]} {AUNT_LIU_ID[6:14]} {AUNT_LIU_ID[14:]}"
    errors = refused(register, actor=secretary, household=household_b, name="刘桂英", id_number=spaced)
    assert list(errors) == ["id_number"]


def test_the_same_name_and_birth_date_in_the_same_household_is_a_duplicate(
    secretary, household_a, household_b
):
    register(secretary, household_a, name="阚淑珍", sex="F", birth_date=date(1950, 2, 3))
    errors = refused(
        register, actor=secretary, household=household_a, name="阚淑珍", sex="F", birth_date=date(1950, 2, 3)
    )
    assert list(errors) == ["name"]
    # The same name and birth date elsewhere is another person (namesakes are common).
    register(secretary, household_b, name="阚淑珍", sex="F", birth_date=date(1950, 2, 3))
    assert Person.objects.filter(name="阚淑珍").count() == 2


def test_updating_a_person_cannot_take_anothers_id_number(secretary, household_a, household_b):
    register(secretary, household_a, name="刘桂英", id_number=AUNT_LIU_ID)
    other = register(secretary, household_b, name="李强", sex="M", birth_date=date(1975, 1, 1))
    before = rows()
    with pytest.raises(ValidationError) as caught:
        person_update(
            actor=secretary, person=other, details=PersonDetails(name="李强", id_number=AUNT_LIU_ID)
        )
    assert list(caught.value.message_dict) == ["id_number"]
    assert rows() == before
    other.refresh_from_db()
    assert other.id_number_hash == ""


def test_a_household_in_a_building_of_another_grid_is_refused(neighbourhood):
    before = Household.objects.count()
    misplaced = Household(
        building=neighbourhood.building_4, grid=neighbourhood.grid_b, entrance=1, room="999"
    )
    with pytest.raises(ValidationError) as caught:
        misplaced.full_clean()
    assert list(caught.value.message_dict) == ["grid"]
    assert Household.objects.count() == before


def test_a_household_entrance_the_building_lacks_is_refused(neighbourhood):
    misplaced = Household(
        building=neighbourhood.building_7, grid=neighbourhood.grid_b, entrance=3, room="101"
    )
    with pytest.raises(ValidationError) as caught:
        misplaced.full_clean()
    assert list(caught.value.message_dict) == ["entrance"]


def test_a_household_of_another_community_is_refused(secretary, community, other_household):
    errors = refused(
        person_register,
        actor=secretary,
        community_id=community.id,
        details=PersonDetails(name="刘桂英", id_number=AUNT_LIU_ID),
        household=other_household,
    )
    assert list(errors) == ["household"]


def test_registering_needs_the_capability(volunteer, household_a):
    before = rows()
    with pytest.raises(PermissionDenied):
        register(volunteer, household_a, name="刘桂英", id_number=AUNT_LIU_ID)
    assert rows() == before


# --- moves: history, never overwritten ------------------------------------------------------


def test_moves_are_kept_as_history(secretary, neighbourhood):
    home, next_home = neighbourhood.home_4_2_301, neighbourhood.home_7_1_502
    aunt = register(secretary, home, name="刘桂英", id_number=AUNT_LIU_ID)
    first = Residency.objects.get(person=aunt)
    assert first.moved_out is None and first.is_current

    second = person_move_in(
        actor=secretary,
        person=aunt,
        household=next_home,
        relation=Relation.HEAD,
        residence_type=ResidenceType.PERMANENT,
        on=date(2023, 4, 1),
        note="搬到7号楼",
    )
    first.refresh_from_db()
    aunt.refresh_from_db()
    assert (first.household, first.moved_in, first.moved_out) == (home, date(2020, 1, 1), date(2023, 4, 1))
    assert (second.household, second.moved_in, second.moved_out) == (next_home, date(2023, 4, 1), None)
    assert aunt.current_household == next_home and aunt.status == PersonStatus.LIVING

    person_move_out(actor=secretary, person=aunt, on=date(2025, 9, 30), note="搬离社区")
    aunt.refresh_from_db()
    second.refresh_from_db()
    assert second.moved_out == date(2025, 9, 30) and second.move_note == "搬离社区"
    assert aunt.current_household is None and aunt.status == PersonStatus.MOVED_OUT
    stays = list(aunt.residencies.order_by("moved_in").values_list("household_id", "moved_in", "moved_out"))
    assert stays == [
        (home.id, date(2020, 1, 1), date(2023, 4, 1)),
        (next_home.id, date(2023, 4, 1), date(2025, 9, 30)),
    ]

    # Coming back opens a third stay; the first two are untouched.
    person_move_in(
        actor=secretary,
        person=aunt,
        household=home,
        relation=Relation.HEAD,
        residence_type=ResidenceType.REGISTERED,
        on=date(2026, 1, 10),
    )
    aunt.refresh_from_db()
    assert aunt.residencies.count() == 3 and aunt.current_household == home
    assert aunt.residencies.filter(moved_out__isnull=True).count() == 1


def test_a_move_out_before_the_move_in_is_refused(secretary, household_a):
    aunt = register(secretary, household_a, name="刘桂英", id_number=AUNT_LIU_ID)
    errors = refused(person_move_out, actor=secretary, person=aunt, on=date(2019, 12, 31))
    assert list(errors) == ["on"]
    assert Residency.objects.get(person=aunt).moved_out is None


def test_moving_out_someone_who_does_not_live_here_is_refused(secretary, community):
    visitor = PersonFactory(community=community)
    assert list(refused(person_move_out, actor=secretary, person=visitor, on=date(2024, 1, 1))) == [
        NON_FIELD_ERRORS
    ]


def test_moving_into_the_same_home_or_another_community_is_refused(secretary, household_a, other_household):
    aunt = register(secretary, household_a, name="刘桂英", id_number=AUNT_LIU_ID)
    for household in (household_a, other_household):
        errors = refused(
            person_move_in,
            actor=secretary,
            person=aunt,
            household=household,
            relation=Relation.HEAD,
            residence_type=ResidenceType.REGISTERED,
            on=date(2024, 1, 1),
        )
        assert list(errors) == ["household"]


def test_the_deceased_do_not_move(secretary, household_a, household_b):
    aunt = register(secretary, household_a, name="刘桂英", id_number=AUNT_LIU_ID)
    person_move_out(actor=secretary, person=aunt, on=date(2024, 2, 1), status=PersonStatus.DECEASED)
    aunt.refresh_from_db()
    assert aunt.status == PersonStatus.DECEASED and aunt.current_household is None
    refused(
        person_move_in,
        actor=secretary,
        person=aunt,
        household=household_b,
        relation=Relation.HEAD,
        residence_type=ResidenceType.REGISTERED,
        on=date(2024, 3, 1),
    )


def test_a_patroller_cannot_move_people(patroller, secretary, household_a):
    aunt = register(secretary, household_a, name="刘桂英", id_number=AUNT_LIU_ID)
    with pytest.raises(PermissionDenied):
        person_move_out(actor=patroller, person=aunt, on=date(2024, 1, 1))
    assert Residency.objects.get(person=aunt).moved_out is None


# --- revealing a number in full ----------------------------------------------------------


def test_revealing_a_number_needs_a_purpose_and_is_logged(socialworker, granny_wang):
    phone = person_reveal(
        actor=socialworker, person=granny_wang, field="phone", purpose="回访确认", ip_address="127.0.0.1"
    )
    assert phone == "13812345678"
    access = PersonalDataAccess.objects.get()
    assert (access.user, access.person, access.field, access.purpose) == (
        socialworker,
        granny_wang,
        "phone",
        "回访确认",
    )
    assert access.ip_address == "127.0.0.1" and access.at is not None


def test_revealing_the_id_number_returns_it_in_full(secretary, granny_wang):
    number = person_reveal(
        actor=secretary, person=granny_wang, field="id_number", purpose="办理低保", ip_address=None
    )
    pii.validate_id_number(number)
    assert pii.id_hash(number) == granny_wang.id_number_hash
    assert pii.mask_id_number(number) == granny_wang.id_number_masked
    assert pii.id_birth_date(number) == date(1944, 3, 8)
    assert PersonalDataAccess.objects.filter(field="id_number", user=secretary).count() == 1


@pytest.mark.parametrize("purpose", ["", "  ", "x"])
def test_revealing_without_a_purpose_is_refused(socialworker, granny_wang, purpose):
    errors = refused(
        person_reveal, actor=socialworker, person=granny_wang, field="phone", purpose=purpose, ip_address=None
    )
    assert list(errors) == ["purpose"]


def test_revealing_an_unknown_field_is_refused(socialworker, granny_wang):
    errors = refused(
        person_reveal, actor=socialworker, person=granny_wang, field="note", purpose="回访", ip_address=None
    )
    assert list(errors) == ["field"]


@pytest.mark.parametrize("role", ["volunteer", "patroller", "street_user", "resident"])
def test_roles_without_the_capability_cannot_reveal(request, role, granny_wang):
    actor = request.getfixturevalue(role)
    with pytest.raises(PermissionDenied):
        person_reveal(actor=actor, person=granny_wang, field="phone", purpose="想看看", ip_address=None)
    assert not PersonalDataAccess.objects.exists()


def test_a_worker_of_another_community_cannot_reveal_our_residents(outsider, granny_wang):
    with pytest.raises(PermissionDenied):
        person_reveal(actor=outsider, person=granny_wang, field="phone", purpose="回访", ip_address=None)
    assert not PersonalDataAccess.objects.exists()


def test_a_grid_worker_cannot_reveal_outside_their_grid(gridworker, secretary, household_b):
    neighbour = register(secretary, household_b, name="李强", sex="M", phone="13900002222")
    with pytest.raises(PermissionDenied):
        person_reveal(actor=gridworker, person=neighbour, field="phone", purpose="回访", ip_address=None)
    assert not PersonalDataAccess.objects.exists()


# --- search: the way a worker asks ----------------------------------------------------------


@pytest.fixture
def residents(neighbourhood, granny_wang):
    """Granny Wang (4-2-301, 13812345678) and neighbours chosen to be confused with her."""
    people = {
        "王秀兰": granny_wang,
        "王芳": PersonFactory(name="王芳", household=neighbourhood.home_4_2_301, phone="13700001111"),
        "王建国": PersonFactory(name="王建国", household=neighbourhood.home_4_1_101, phone="13999995678"),
        "李强": PersonFactory(name="李强", household=neighbourhood.home_7_1_502, phone="13612345678"),
        "汪晓丽": PersonFactory(name="汪晓丽", household=neighbourhood.home_7_1_502, phone="13500003333"),
    }
    gone = PersonFactory(name="王秀芝", household=HouseholdFactory(building=neighbourhood.building_4))
    Person.objects.filter(pk=gone.pk).update(current_household=None, status=PersonStatus.MOVED_OUT)
    return people


def found(queryset, query: str) -> set[str]:
    return {person.name for person in search_people(queryset, query)}


@pytest.mark.parametrize(
    ("query", "names"),
    [
        ("王芳", {"王芳"}),  # a two-character name
        ("王秀兰", {"王秀兰"}),
        ("王", {"王秀兰", "王芳", "王建国", "王秀芝"}),  # a surname alone
        ("wxl", {"王秀兰", "汪晓丽"}),  # pinyin initials: 王 and 汪 are both "w"
        ("WXL", {"王秀兰", "汪晓丽"}),
        ("wangxiulan", {"王秀兰"}),
        ("wjg", {"王建国"}),
        ("13812345678", {"王秀兰"}),  # the whole number
        ("+86 138-1234-5678", {"王秀兰"}),
        ("5678", {"王秀兰", "王建国", "李强"}),  # last four (尾号)
        ("345678", {"王秀兰", "李强"}),  # last six: 王建国 ends in 995678
        ("2345678", {"王秀兰", "李强"}),
        ("4-2-301", {"王秀兰", "王芳"}),  # building-entrance-room
        ("4-2", {"王秀兰", "王芳"}),
        ("4", {"王秀兰", "王芳", "王建国"}),  # a whole building; not those who moved away
        ("7-1-502", {"李强", "汪晓丽"}),
        ("9", set()),
        ("", set()),
        ("赵", set()),
    ],
)
def test_search_finds_people_the_way_workers_ask(residents, query: str, names: set[str]):
    assert found(Person.objects.all(), query) == names


def test_search_stays_inside_the_scope_it_is_given(residents, gridworker, outsider, secretary):
    assert found(Person.objects.visible_to(secretary), "王") == {"王秀兰", "王芳", "王建国", "王秀芝"}
    assert found(Person.objects.visible_to(gridworker), "wxl") == {"王秀兰"}  # 汪晓丽 lives in grid B
    assert found(Person.objects.visible_to(gridworker), "7-1-502") == set()
    assert found(Person.objects.visible_to(gridworker), "345678") == {"王秀兰"}
    for query in ("王", "wxl", "5678", "13812345678", "4-2-301", "4"):
        assert found(Person.objects.visible_to(outsider), query) == set(), query


def test_search_by_phone_decrypts_only_the_candidates(residents, monkeypatch):
    """A fragment longer than four digits is checked against the few people sharing the last four."""
    decrypted = []
    real_decrypt = pii.decrypt
    monkeypatch.setattr(pii, "decrypt", lambda token: decrypted.append(token) or real_decrypt(token))
    assert found(Person.objects.all(), "345678") == {"王秀兰", "李强"}
    assert len(decrypted) == 3  # the three numbers ending in 5678, nobody else


# --- writes stay inside the actor's scope ----------------------------------------------------------


def test_an_outsider_cannot_change_our_residents(outsider, granny_wang):
    from django.core.exceptions import PermissionDenied

    from grassroots.people.services import PersonDetails, person_update

    with pytest.raises(PermissionDenied):
        person_update(actor=outsider, person=granny_wang, details=PersonDetails(name="改名", sex="F"))
    granny_wang.refresh_from_db()
    assert granny_wang.name == "王秀兰"


def test_a_grid_worker_cannot_move_someone_into_another_grid(gridworker, granny_wang, household_b):
    from datetime import date

    from django.core.exceptions import PermissionDenied

    from grassroots.people.services import person_move_in

    with pytest.raises(PermissionDenied):
        person_move_in(
            actor=gridworker,
            person=granny_wang,
            household=household_b,
            relation="head",
            residence_type="registered",
            on=date(2026, 11, 1),
        )
    granny_wang.refresh_from_db()
    assert granny_wang.current_household.grid != household_b.grid


def test_an_outsider_cannot_register_people_in_our_community(outsider, community):
    from django.core.exceptions import PermissionDenied

    from grassroots.people.services import PersonDetails, person_register

    with pytest.raises(PermissionDenied):
        person_register(
            actor=outsider, community_id=community.id, details=PersonDetails(name="张三", sex="M")
        )


def test_the_search_page_answers_htmx_with_its_results_partial_only(residents, secretary, client):
    """Typing in the box swaps in the results table alone (the page's `results` partial)."""
    client.force_login(secretary)
    partial = client.get("/people/", {"q": "王秀兰"}, HTTP_HX_REQUEST="true").content.decode()
    assert "王秀兰" in partial
    assert "<html" not in partial and 'id="search-results"' not in partial
    page = client.get("/people/", {"q": "王秀兰"}).content.decode()
    assert "<html" in page and 'id="search-results"' in page and "王秀兰" in page


@pytest.mark.parametrize(
    ("name", "initials", "spelled"),
    [
        ("阚秀英", "kxy", "kanxiuying"),  # Aunt Kan: 阚 is "kan" as a surname
        ("单田芳", "stf", "shantianfang"),
        ("曾国强", "zgq", "zengguoqiang"),
        ("解小东", "xxd", "xiexiaodong"),
        ("仇建华", "qjh", "qiujianhua"),
        ("区志明", "ozm", "ouzhiming"),
        ("朴英姬", "pyj", "piaoyingji"),
        ("查良镛", "zly", "zhaliangyong"),
        ("翟红梅", "zhm", "zhaihongmei"),
        ("尉迟敬", "ycj", "yuchijing"),
        ("王秀兰", "wxl", "wangxiulan"),  # a surname with one reading is unchanged
    ],
)
def test_surnames_are_keyed_by_their_reading_as_surnames(name, initials, spelled):
    assert pinyin_keys(name) == (spelled, initials)


@pytest.mark.parametrize(
    ("name", "own", "otherwise"),
    [
        ("阚秀英", "kxy", "hxy"),  # Aunt Kan: typed as a surname, or as 阚 reads elsewhere
        ("单田芳", "stf", "dtf"),
        ("曾国强", "zgq", "cgq"),
        ("解小东", "xxd", "jxd"),
        ("仇建华", "qjh", "cjh"),
        ("朴英姬", "pyj", "pyj"),
        ("翟红梅", "zhm", "dhm"),
        ("乐天明", "ytm", "ltm"),
    ],
)
def test_every_reading_of_a_polyphonic_name_finds_it_the_surname_reading_first(
    neighbourhood, name, own, otherwise
):
    """14.6: whichever way a worker spells a surname, the person is found; their own reading ranks first."""
    person = PersonFactory(name=name, household=neighbourhood.home_4_1_101)
    decoy = PersonFactory(
        name="董海明" if otherwise == "dhm" else "陈建华", household=neighbourhood.home_7_1_502
    )
    everyone = Person.objects.all()
    assert person in search_people(everyone, own)
    assert person in search_people(everyone, otherwise)
    if otherwise in {"dhm", "cjh"}:  # a decoy whose own reading is what was typed comes before
        assert list(search_people(everyone, otherwise))[:2] == [decoy, person]


def test_other_readings_are_kept_up_to_date_when_a_name_is_corrected(secretary, household_a):
    """A corrected name is re-keyed: the old name's other readings no longer find the person."""
    person = register(secretary, household_a, name="阚秀英", sex="F", birth_date=date(1950, 2, 3))
    assert person in search_people(Person.objects.all(), "hxy")
    person_update(
        actor=secretary,
        person=person,
        details=PersonDetails(name="王秀英", sex="F", birth_date=date(1950, 2, 3)),
    )
    assert person not in search_people(Person.objects.all(), "hxy")
    assert person in search_people(Person.objects.all(), "wxy")


def test_a_name_keeps_a_bounded_number_of_other_readings():
    from grassroots.people.search import OTHER_READINGS, other_readings

    readings = other_readings("曾长乐")  # three polyphonic characters
    assert 1 <= len(readings) <= OTHER_READINGS
    assert ("cengchangle", "ccl") in readings  # the surname read otherwise comes among the first
    assert other_readings("Alice") == []
