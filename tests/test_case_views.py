"""The case screens, as each role uses them: intake, patrol report, dispatch, my tasks, the board,
the call-back, the case page and the case list.

The story: Granny Wang (4-2-301, grid A) phones because she has no drinking water.
The social worker takes the call, registers and dispatches it to the volunteer of
grid A, who reports for duty and reports it done; the social worker calls her
back. Meanwhile the Party secretary watches the board. Each screen must show a
case only to those who may see it (404 for everyone else, 404 for an outsider
from the next community), and every mistake must come back as a clear message
with what was typed kept and nothing saved.
"""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from grassroots.cases import selectors, services
from grassroots.cases.clock import overdue_since
from grassroots.cases.models import Attachment, Case, CaseEvent, Category, Channel, Urgency
from grassroots.cases.services import Party, ReportDetails
from grassroots.cases.workflow import Status
from grassroots.people.models import PersonTag, VulnerabilityTag
from tests.factories import TEST_PASSWORD, PersonFactory, VolunteerFactory

# --- fixtures --------------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _immediate_tasks(settings, tmp_path):
    """Run background tasks at once, and keep uploaded photos in a throwaway folder."""
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
    settings.MEDIA_ROOT = tmp_path / "media"


def browser_for(user) -> Client:
    """A signed-in client that asks for English pages, so messages can be read in the tests."""
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    assert client.login(username=user.username, password=TEST_PASSWORD)
    return client


@pytest.fixture
def water() -> Category:
    """No drinking water: two required yes/no questions; urgent limits 15 minutes / 2 hours."""
    return Category.objects.get(code="utilities-water")


@pytest.fixture
def hazard() -> Category:
    return Category.objects.get(code="facilities-hazard")


@pytest.fixture
def living_alone(granny_wang) -> PersonTag:
    tag = VulnerabilityTag.objects.get(code="living-alone")
    return PersonTag.objects.create(person=granny_wang, tag=tag)


def png_bytes(size: tuple[int, int] = (8, 8)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(buffer, format="PNG")
    return buffer.getvalue()


def report(actor, community, *, category, household=None, person=None, register=True, **extra) -> Case:
    details = ReportDetails(
        category=category,
        description=extra.pop("description", "家里没有饮用水了"),
        channel=extra.pop("channel", Channel.PHONE),
        urgency=extra.pop("urgency", Urgency.URGENT),
        reporter_person=person,
        household=household,
        answers=extra.pop("answers", {"has_drinking_water": "no", "can_move": "no"}),
        **extra,
    )
    return services.case_report(actor=actor, community=community, details=details, register=register)


@pytest.fixture
def water_case(socialworker, community, water, household_a, granny_wang) -> Case:
    """Granny Wang's call, registered by the social worker (grid A)."""
    return report(socialworker, community, category=water, household=household_a, person=granny_wang)


@pytest.fixture
def grid_b_case(socialworker, community, water, household_b) -> Case:
    return report(socialworker, community, category=water, household=household_b)


@pytest.fixture
def dispatched_case(water_case, socialworker, volunteer) -> Case:
    """Given to the volunteer of grid A as lead."""
    return services.case_dispatch(
        actor=socialworker, case=water_case, lead=Party("person", volunteer.person_id)
    )


def intake_post(water, household_a, **changes) -> dict:
    data = {
        "reporter_kind": "other",
        "reporter_name": "刘阿姨",
        "reporter_phone": "13900001111",
        "category": str(water.pk),
        "answer_has_drinking_water": "no",
        "answer_can_move": "no",
        "urgency": "urgent",
        "description": "Aunt Liu cannot go out and has no drinking water",
        "channel": "phone",
        "building": str(household_a.building_id),
        "household": str(household_a.pk),
        "location_note": "",
        "go": "register",
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


# --- who may open which screen ---------------------------------------------------------------------

STAFF = ["secretary", "socialworker", "gridworker", "street_user", "admin_user"]
FIELD = ["volunteer", "unitcontact", "patroller", "resident"]


@pytest.mark.parametrize("role", STAFF)
def test_coordinators_open_intake_board_and_list(request, role):
    client = browser_for(request.getfixturevalue(role))
    for name in ("case-intake", "case-board", "case-list"):
        assert client.get(reverse(name)).status_code == 200, name


@pytest.mark.parametrize("role", FIELD)
def test_field_roles_do_not_find_intake_board_or_list(request, role):
    client = browser_for(request.getfixturevalue(role))
    for name in ("case-intake", "case-board", "case-list", "case-intake-lookup"):
        assert client.get(reverse(name)).status_code == 404, name


@pytest.mark.parametrize("role", ["volunteer", "unitcontact", "patroller", "socialworker"])
def test_my_tasks_opens_for_those_who_can_be_summoned(request, role):
    assert browser_for(request.getfixturevalue(role)).get(reverse("case-tasks")).status_code == 200


def test_residents_have_no_task_page(resident):
    assert browser_for(resident).get(reverse("case-tasks")).status_code == 404


@pytest.mark.parametrize("role", ["patroller", "resident", "volunteer", "socialworker"])
def test_the_report_form_opens_for_everyone_who_may_report(request, role):
    response = browser_for(request.getfixturevalue(role)).get(reverse("case-report"))
    assert response.status_code == 200
    assert 'capture="environment"' in response.text


def test_the_navigation_offers_each_role_its_screens(secretary, patroller, volunteer):
    secretary_page = browser_for(secretary).get(reverse("home")).text
    assert reverse("case-board") in secretary_page and reverse("case-intake") in secretary_page
    patroller_page = browser_for(patroller).get(reverse("home")).text
    assert reverse("case-report") in patroller_page and reverse("case-board") not in patroller_page
    assert reverse("case-tasks") in browser_for(volunteer).get(reverse("home")).text


# --- the case page -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "role",
    [
        "secretary",
        "socialworker",
        "gridworker",
        "street_user",
        "admin_user",
    ],
)
def test_staff_in_scope_see_the_case_page(request, role, water_case):
    response = browser_for(request.getfixturevalue(role)).get(
        reverse("case-detail", args=[water_case.number])
    )
    assert response.status_code == 200
    assert water_case.number in response.text


@pytest.mark.parametrize("role", ["volunteer", "unitcontact", "patroller", "outsider"])
def test_others_get_404_on_a_case_that_is_not_theirs(request, role, water_case):
    response = browser_for(request.getfixturevalue(role)).get(
        reverse("case-detail", args=[water_case.number])
    )
    assert response.status_code == 404


def test_a_grid_worker_does_not_see_another_grids_case(gridworker, grid_b_case):
    response = browser_for(gridworker).get(reverse("case-detail", args=[grid_b_case.number]))
    assert response.status_code == 404


def test_the_reporter_and_the_assigned_volunteer_see_the_case(resident, volunteer, dispatched_case):
    url = reverse("case-detail", args=[dispatched_case.number])
    assert browser_for(resident).get(url).status_code == 200
    assert browser_for(volunteer).get(url).status_code == 200


def test_an_unknown_number_is_404(secretary, db):
    assert browser_for(secretary).get(reverse("case-detail", args=["HSY-20000101-0001"])).status_code == 404


def test_the_case_page_shows_clocks_parties_timeline_and_actions(socialworker, dispatched_case, volunteer):
    response = browser_for(socialworker).get(reverse("case-detail", args=[dispatched_case.number]))
    text = response.text
    assert "Response due" in text and "Resolution due" in text
    assert volunteer.person.name in text
    assert "not yet reported for duty" in text
    assert "138****5678" in text  # the reporter, masked
    assert "13812345678" not in text
    assert "Is there still drinking water at home?" in text
    assert text.count('class="timeline"') == 1
    for action in ("register", "report", "dispatch"):
        assert CaseEvent.objects.filter(case=dispatched_case, action=action).exists()
    assert "Dispatch or whistle" in text  # re-dispatch is still possible
    assert reverse("case-act", args=[dispatched_case.number, "urge"]) not in text  # urging is for the legs


def test_an_anonymous_report_is_shown_as_anonymous(socialworker, community, water, household_a):
    case = report(socialworker, community, category=water, household=household_a, anonymous=True)
    response = browser_for(socialworker).get(reverse("case-detail", args=[case.number]))
    assert "anonymous" in response.text


def test_the_case_page_query_count_does_not_grow_with_the_timeline(
    socialworker, dispatched_case, django_assert_max_num_queries
):
    client = browser_for(socialworker)
    url = reverse("case-detail", args=[dispatched_case.number])
    for index in range(5):
        services.case_note(actor=socialworker, case=dispatched_case, note=f"called again {index}")
    # 14, the one-tap links sent, and the coordinator's own cases outside their scope (cases.scope)
    with django_assert_max_num_queries(16):
        assert client.get(url).status_code == 200


# --- attachments -------------------------------------------------------------------------------------


def test_photos_are_streamed_only_to_those_who_see_the_case(
    socialworker, outsider, community, water, household_a
):
    photo = SimpleUploadedFile("tap.png", png_bytes(), content_type="image/png")
    case = report(socialworker, community, category=water, household=household_a, photos=[photo])
    attachment = Attachment.objects.get(case=case)
    url = reverse("case-attachment", args=[case.number, attachment.pk])
    response = browser_for(socialworker).get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert b"".join(response.streaming_content).startswith(b"\x89PNG")
    assert browser_for(outsider).get(url).status_code == 404
    page = browser_for(socialworker).get(reverse("case-detail", args=[case.number])).text
    assert url in page and "/media/" not in page


# --- intake ----------------------------------------------------------------------------------------


def test_intake_finds_the_caller_by_phone_with_tags(socialworker, granny_wang, living_alone):
    response = browser_for(socialworker).get(reverse("case-intake-lookup"), {"q": "13812345678"})
    assert response.status_code == 200
    assert granny_wang.name in response.text
    assert "138****5678" in response.text
    assert "13812345678" not in response.text.replace('value="13812345678"', "")
    assert "living alone" in response.text


def _kans(household, given) -> list:
    """People surnamed 阚 with these given names (one per character of a string)."""
    return [PersonFactory(name=f"阚{name}", household=household) for name in given]


def _shown(text: str, names: list[str]) -> list[str]:
    """The names in the order the lookup lists them."""
    return sorted((name for name in names if f"<strong>{name}</strong>" in text), key=text.index)


def test_the_lookup_says_how_many_it_found_and_puts_the_vulnerable_caller_in_view(
    socialworker, household_a, household_b
):
    """Typing the surname 阚 listed eight people in name order and not Aunt Kan, with no hint."""
    others = _kans(household_b, "丹军卫俊宝惠晨若玉子")  # ten who sort before 阚秀英
    aunt_kan = PersonFactory(name="阚秀英", household=household_a)
    PersonTag.objects.create(person=aunt_kan, tag=VulnerabilityTag.objects.get(code="living-alone"))
    client = browser_for(socialworker)
    text = client.get(reverse("case-intake-lookup"), {"q": "阚"}).text
    assert _shown(text, ["阚秀英", *(p.name for p in others)])[0] == "阚秀英"
    assert "8 of 11 shown." in text
    assert "more=1" in text and f"{reverse('person-search')}?q=%E9%98%9A" in text
    more = client.get(reverse("case-intake-lookup"), {"q": "阚", "more": "1"}).text
    assert len(_shown(more, ["阚秀英", *(p.name for p in others)])) == 11
    assert "shown" not in more  # all of them are: nothing more to say


def test_the_lookup_puts_the_exact_name_first_then_the_workers_own_grid(
    socialworker, household_a, household_b, grid_b
):
    kan = PersonFactory(name="阚秀", household=household_a)  # the name typed in full
    _kans(household_a, ["秀英", "秀兰"])  # prefix matches in grid A ...
    PersonFactory(name="阚秀丽", household=household_b)
    socialworker.grids.add(grid_b)  # ... but this worker looks after grid B
    text = browser_for(socialworker).get(reverse("case-intake-lookup"), {"q": "阚秀"}).text
    assert _shown(text, [kan.name, "阚秀丽", "阚秀英", "阚秀兰"])[:2] == ["阚秀", "阚秀丽"]
    assert "shown" not in text  # four found, four shown


def test_the_lookup_counts_no_further_than_its_cap(socialworker, household_a, monkeypatch):
    monkeypatch.setattr(selectors, "LOOKUP_COUNT_CAP", 10)
    _kans(household_a, "丹军卫俊宝惠晨若玉子秀英")
    text = browser_for(socialworker).get(reverse("case-intake-lookup"), {"q": "阚"}).text
    assert "8 of more than 10 shown" in text


def test_the_lookup_query_count_is_pinned(socialworker, household_a, django_assert_max_num_queries):
    client = browser_for(socialworker)
    client.get(reverse("case-intake"))  # warm the session
    _kans(household_a, "丹军卫俊宝")
    with django_assert_max_num_queries(4):  # session, user, rows, their tags; all shown: no count
        assert "shown" not in client.get(reverse("case-intake-lookup"), {"q": "阚"}).text
    _kans(household_a, "惠晨若玉子秀英")
    with django_assert_max_num_queries(5):  # ... and the count, bounded, when some are not shown
        assert "8 of 12 shown" in client.get(reverse("case-intake-lookup"), {"q": "阚"}).text


def test_intake_shows_the_callers_open_cases(socialworker, granny_wang, water_case):
    response = browser_for(socialworker).get(reverse("case-intake-caller"), {"person": granny_wang.pk})
    assert response.status_code == 200
    assert water_case.number in response.text
    assert 'hx-swap-oob="true"' in response.text  # the place is filled in from the household
    assert f'value="{granny_wang.current_household_id}" selected' in response.text


def test_intake_does_not_find_people_out_of_scope(gridworker, household_b):
    PersonFactory(name="孙秀荣", household=household_b, phone="13700007777")
    response = browser_for(gridworker).get(reverse("case-intake-lookup"), {"q": "13700007777"})
    assert "孙秀荣" not in response.text


def test_the_category_questions_are_swapped_in(socialworker, water):
    response = browser_for(socialworker).get(reverse("case-questions"), {"category": water.pk})
    assert 'name="answer_has_drinking_water"' in response.text
    assert 'type="radio"' in response.text


def test_intake_registers_a_case_with_its_clocks_and_timeline(socialworker, water, household_a):
    before = timezone.now()
    response = browser_for(socialworker).post(reverse("case-intake"), intake_post(water, household_a))
    case = Case.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("case-detail", args=[case.number])
    assert case.status == Status.REGISTERED
    assert case.channel == Channel.PHONE and case.urgency == Urgency.URGENT
    assert case.household == household_a and case.grid == household_a.grid
    assert case.answers == {"has_drinking_water": "no", "can_move": "no"}
    assert case.reporter_name == "刘阿姨" and case.reporter_phone_masked == "139****1111"
    assert before <= case.registered_at <= timezone.now()
    assert case.response_due == case.registered_at + timedelta(minutes=water.response_minutes_urgent)
    assert case.resolution_due == case.registered_at + timedelta(minutes=water.resolution_minutes_urgent)
    assert list(case.events.values_list("action", flat=True)) == ["report", "register"]


def test_register_and_dispatch_goes_on_to_the_dispatch_screen(socialworker, water, household_a):
    client = browser_for(socialworker)
    response = client.post(reverse("case-intake"), intake_post(water, household_a, go="dispatch"))
    case = Case.objects.get()
    assert response["Location"] == reverse("case-dispatch", args=[case.number])
    assert client.get(response["Location"]).status_code == 200


def test_intake_with_the_found_resident_as_reporter(socialworker, water, granny_wang):
    data = intake_post(water, granny_wang.current_household, reporter_kind="person")
    data["reporter_person"] = str(granny_wang.pk)
    browser_for(socialworker).post(reverse("case-intake"), data)
    case = Case.objects.get()
    assert case.reporter_person == granny_wang and not case.reporter_name


def test_a_missing_required_answer_keeps_what_was_typed_and_saves_nothing(socialworker, water, household_a):
    data = intake_post(water, household_a, answer_can_move=None)
    response = browser_for(socialworker).post(reverse("case-intake"), data)
    assert response.status_code == 422
    assert "Please answer “Can the caller leave home on their own?”" in response.text
    assert "Aunt Liu cannot go out and has no drinking water" in response.text
    assert 'value="no" checked' in response.text  # the answer given is kept
    assert Case.objects.count() == 0


def test_a_file_that_is_not_a_photo_is_refused(socialworker, water, household_a):
    data = intake_post(water, household_a)
    data["photos"] = SimpleUploadedFile("x.jpg", b"not an image", content_type="image/jpeg")
    response = browser_for(socialworker).post(reverse("case-intake"), data)
    assert response.status_code == 422
    assert "“x.jpg” is not a photo we can read" in response.text
    assert "Aunt Liu cannot go out and has no drinking water" in response.text
    assert Case.objects.count() == 0 and Attachment.objects.count() == 0


@override_settings(GRASSROOTS_MAX_UPLOAD_BYTES=64)
def test_a_photo_that_is_too_large_is_refused(socialworker, water, household_a):
    data = intake_post(water, household_a)
    data["photos"] = SimpleUploadedFile("big.png", png_bytes((64, 64)), content_type="image/png")
    response = browser_for(socialworker).post(reverse("case-intake"), data)
    assert response.status_code == 422
    assert "“big.png” is too large" in response.text
    assert "Aunt Liu cannot go out and has no drinking water" in response.text
    assert Case.objects.count() == 0


def test_an_empty_description_is_shown_on_its_field(socialworker, water, household_a):
    response = browser_for(socialworker).post(
        reverse("case-intake"), intake_post(water, household_a, description="")
    )
    assert response.status_code == 422
    assert "Please describe the problem." in response.text
    assert Case.objects.count() == 0


def test_a_grid_worker_must_say_where(gridworker, water, household_a):
    data = intake_post(water, household_a, building="", household="")
    response = browser_for(gridworker).post(reverse("case-intake"), data)
    assert response.status_code == 422
    assert "Choose the building (and household) in your grids." in response.text
    assert Case.objects.count() == 0


def test_intake_takes_the_place_from_a_tap_on_the_site_plan(socialworker, water, household_a):
    page = browser_for(socialworker).get(reverse("case-intake")).text
    assert 'class="site-plan"' in page and 'name="plan_x"' in page
    data = intake_post(water, household_a, building="", household="", plan_x="1", plan_y="1")
    response = browser_for(socialworker).post(reverse("case-intake"), data)
    assert response.status_code == 302, response.text[:2000]
    case = Case.objects.get()
    assert case.building is not None and case.plan_x == 1.0  # the building nearest to the tap


# --- patrol report --------------------------------------------------------------------------------


def test_a_patroller_reports_a_hazard_with_a_photo_and_a_point(patroller, hazard, neighbourhood):
    data = {
        "category": str(hazard.pk),
        "answer_injured": "no",
        "description": "Broken floor tile at the entrance",
        "building": "",
        "household": "",
        "plan_x": "20",
        "plan_y": "20",
        "photos": SimpleUploadedFile("tile.png", png_bytes(), content_type="image/png"),
    }
    response = browser_for(patroller).post(reverse("case-report"), data)
    case = Case.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("case-detail", args=[case.number])
    assert case.status == Status.REPORTED
    assert case.channel == Channel.PATROL
    assert case.reporter_user == patroller
    assert case.building is not None  # the nearest building on the plan
    assert case.plan_x == 20.0
    assert case.attachments.get().content_type == "image/png"


def test_a_resident_reports_from_home_on_the_web(resident, hazard, granny_wang):
    data = {
        "category": str(hazard.pk),
        "answer_injured": "no",
        "description": "The corridor light is broken",
        "household": str(granny_wang.current_household_id),
    }
    browser_for(resident).post(reverse("case-report"), data)
    case = Case.objects.get()
    assert case.channel == Channel.WEB
    assert case.household_id == granny_wang.current_household_id


def test_a_bad_patrol_report_keeps_the_description(patroller, hazard):
    data = {
        "category": str(hazard.pk),
        "description": "Broken tile",
        "photos": SimpleUploadedFile("x.jpg", b"not an image", content_type="image/jpeg"),
    }
    response = browser_for(patroller).post(reverse("case-report"), data)
    assert response.status_code == 422
    assert "Broken tile" in response.text
    assert "is not a photo we can read" in response.text
    assert "Please answer" in response.text
    assert Case.objects.count() == 0


def test_sensitive_categories_are_not_offered_to_patrollers(patroller):
    response = browser_for(patroller).get(reverse("case-report"))
    psychological = Category.objects.get(code="psychological")
    assert f'value="{psychological.pk}"' not in response.text


# --- dispatch ------------------------------------------------------------------------------------------


def test_dispatch_suggests_the_grid_worker_and_skilled_volunteers(
    socialworker, gridworker, water_case, volunteer
):
    volunteer_record = volunteer.person.volunteer
    volunteer_record.skills.add(water_case.category.default_skill)
    response = browser_for(socialworker).get(reverse("case-dispatch", args=[water_case.number]))
    assert response.status_code == 200
    assert f'value="user:{gridworker.pk}"' in response.text
    assert f'value="person:{volunteer.person_id}"' in response.text
    assert "lives in this grid" in response.text


@pytest.mark.parametrize("role", ["volunteer", "patroller", "resident", "outsider"])
def test_only_coordinators_dispatch(request, role, water_case):
    url = reverse("case-dispatch", args=[water_case.number])
    assert browser_for(request.getfixturevalue(role)).get(url).status_code == 404


def test_dispatch_to_a_lead(socialworker, water_case, volunteer):
    party = f"person:{volunteer.person_id}"
    response = browser_for(socialworker).post(
        reverse("case-dispatch", args=[water_case.number]),
        {
            "version": water_case.version,
            "parties": [party],
            "lead": party,
            "mode": "dispatch",
            "note": "bring water",
        },
    )
    assert response.status_code == 302
    water_case.refresh_from_db()
    assert water_case.status == Status.DISPATCHED
    assert water_case.lead.person_id == volunteer.person_id


def test_the_whistle_summons_several_parties_with_their_roles(
    socialworker, water_case, volunteer, unitcontact
):
    lead, unit = f"person:{volunteer.person_id}", f"unit:{unitcontact.member_unit_id}"
    response = browser_for(socialworker).post(
        reverse("case-dispatch", args=[water_case.number]),
        {
            "version": water_case.version,
            "parties": [lead, unit],
            "lead": lead,
            f"role_note:{unit}": "property company",
            "mode": "whistle",
        },
    )
    assert response.status_code == 302
    assignments = {str(a.party_kind): a for a in water_case.assignments.filter(active=True)}
    assert assignments["unit"].role_note == "property company"
    assert assignments["person"].is_lead
    page = browser_for(socialworker).get(reverse("case-detail", args=[water_case.number])).text
    assert "0 of 2 have reported for duty." in page


def test_a_whistle_needs_two_parties(socialworker, water_case, volunteer):
    lead = f"person:{volunteer.person_id}"
    response = browser_for(socialworker).post(
        reverse("case-dispatch", args=[water_case.number]),
        {"version": water_case.version, "parties": [lead], "lead": lead, "mode": "whistle"},
    )
    assert response.status_code == 422
    assert "A whistle summons at least two parties." in response.text
    water_case.refresh_from_db()
    assert water_case.status == Status.REGISTERED


def test_dispatch_with_a_stale_version_says_someone_else_did_it(socialworker, water_case, volunteer):
    lead = f"person:{volunteer.person_id}"
    services.case_note(actor=socialworker, case=water_case, note="called back")
    response = browser_for(socialworker).post(
        reverse("case-dispatch", args=[water_case.number]),
        {"version": water_case.version, "parties": [lead], "lead": lead, "mode": "dispatch"},
    )
    assert response.status_code == 409
    assert "Someone else just did this." in response.text
    assert f'value="{lead}" checked' in response.text  # the choice is kept


# --- actions on the case page ----------------------------------------------------------------------


def act(client, case, action, version=None, **data):
    data["version"] = case.version if version is None else version
    return client.post(reverse("case-act", args=[case.number, action]), data)


def test_an_action_not_allowed_now_is_explained(socialworker, water_case):
    response = act(browser_for(socialworker), water_case, "close")
    assert response.status_code == 422
    assert "Not possible now." in response.text
    assert "“close” is not possible while the case is “registered”." in response.text
    water_case.refresh_from_db()
    assert water_case.status == Status.REGISTERED


def test_a_stale_version_gives_the_someone_else_message(secretary, socialworker, water_case):
    services.case_note(actor=socialworker, case=water_case, note="called back")
    response = act(browser_for(secretary), water_case, "urge", version=water_case.version, note="hurry")
    assert response.status_code == 409
    assert "Someone else just did this." in response.text
    assert "Someone else just changed this case" in response.text
    assert "hurry" in response.text  # what was typed is kept
    assert (
        f'name="version" value="{water_case.version + 1}"' in response.text
    )  # against the case as it is now
    water_case.refresh_from_db()
    assert water_case.urge_count == 0


def test_a_reason_is_required_to_reject(socialworker, community, water, household_a):
    case = report(socialworker, community, category=water, household=household_a, register=False)
    response = act(browser_for(socialworker), case, "reject", reason="")
    assert response.status_code == 422
    assert "Please give the reason for rejecting." in response.text
    case.refresh_from_db()
    assert case.status == Status.REPORTED


def test_merge_into_a_duplicate_by_number(socialworker, community, water, household_a, water_case):
    duplicate = report(socialworker, community, category=water, household=household_a, register=False)
    response = act(browser_for(socialworker), duplicate, "merge", into=water_case.number.lower(), note="")
    assert response.status_code == 302
    duplicate.refresh_from_db()
    assert duplicate.merged_into == water_case


def test_merge_into_an_unknown_number_is_refused(socialworker, community, water, household_a):
    duplicate = report(socialworker, community, category=water, household=household_a, register=False)
    response = act(browser_for(socialworker), duplicate, "merge", into="HSY-19990101-0001", note="")
    assert response.status_code == 422
    assert "No such case." in response.text


def test_an_action_by_someone_who_may_not_is_404(volunteer, water_case):
    assert act(browser_for(volunteer), water_case, "urge").status_code == 404


def test_the_whole_loop_through_the_screens(socialworker, secretary, volunteer, dispatched_case):
    hands = browser_for(volunteer)
    case = dispatched_case
    response = act(hands, case, "acknowledge", next="tasks", note="on my way")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("case-tasks"))
    case.refresh_from_db()
    assert case.status == Status.ACKNOWLEDGED
    act(
        hands,
        case,
        "note",
        note="bought two buckets",
        photos=SimpleUploadedFile("w.png", png_bytes(), "image/png"),
    )
    case.refresh_from_db()
    assert case.attachments.filter(stage="after").count() == 1
    response = act(hands, case, "resolve", next="tasks", report="Water delivered")
    case.refresh_from_db()
    assert case.status == Status.RESOLVED
    mouth = browser_for(socialworker)
    assert mouth.get(reverse("case-verify", args=[case.number])).status_code == 200
    response = act(
        mouth, case, "verify", next="verify", satisfaction="unsatisfied", note="only one bucket came"
    )
    case.refresh_from_db()
    assert case.status == Status.DISPATCHED and case.rework_count == 1
    act(hands, case, "acknowledge", next="tasks")
    case.refresh_from_db()
    act(hands, case, "resolve", next="tasks", report="Second bucket delivered")
    case.refresh_from_db()
    act(mouth, case, "verify", next="verify", satisfaction="satisfied")
    case.refresh_from_db()
    assert case.status == Status.VERIFIED
    response = act(mouth, case, "close", next="verify")
    assert response["Location"] == reverse("case-verify", args=[case.number])
    case.refresh_from_db()
    assert case.status == Status.CLOSED
    page = mouth.get(reverse("case-detail", args=[case.number])).text
    assert "Water delivered" in page and "The resident is unsatisfied." in page


@pytest.mark.parametrize("role", ["volunteer", "patroller", "resident"])
def test_only_coordinators_open_the_call_back_screen(request, role, dispatched_case):
    url = reverse("case-verify", args=[dispatched_case.number])
    assert browser_for(request.getfixturevalue(role)).get(url).status_code == 404


# --- my tasks -------------------------------------------------------------------------------------------


def test_a_volunteers_task_shows_what_to_do_but_no_tags_or_other_cases(
    volunteer, dispatched_case, living_alone, socialworker, community, water, household_a, granny_wang
):
    other = report(socialworker, community, category=water, household=household_a, person=granny_wang)
    response = browser_for(volunteer).get(reverse("case-tasks"))
    assert response.status_code == 200
    text = response.text
    assert dispatched_case.number in text
    assert "4-2-301" in text and "138****5678" in text and granny_wang.name in text
    assert "Report for duty" in text
    assert "living alone" not in text and "独居" not in text
    assert other.number not in text
    case_page = browser_for(volunteer).get(reverse("case-detail", args=[dispatched_case.number])).text
    assert "living alone" not in case_page and "独居" not in case_page


def test_a_task_error_is_shown_on_the_task_page(volunteer, dispatched_case):
    hands = browser_for(volunteer)
    act(hands, dispatched_case, "acknowledge", next="tasks")
    dispatched_case.refresh_from_db()
    response = act(hands, dispatched_case, "resolve", next="tasks", report="")
    assert response.status_code == 422
    assert "Please say what was done." in response.text
    assert "My tasks" in response.text


def test_a_supporter_does_not_get_the_lead_buttons(socialworker, water_case, volunteer, unitcontact):
    services.case_whistle(
        actor=socialworker,
        case=water_case,
        lead=Party("person", volunteer.person_id),
        parties=[Party("unit", unitcontact.member_unit_id)],
    )
    text = browser_for(unitcontact).get(reverse("case-tasks")).text
    assert water_case.number in text
    assert "Report for duty" in text
    assert reverse("case-act", args=[water_case.number, "resolve"]) not in text


# --- the supervision board -----------------------------------------------------------------------------


def _due_in(case: Case, minutes: int) -> None:
    Case.objects.filter(pk=case.pk).update(resolution_due=timezone.now() + timedelta(minutes=minutes))


@pytest.fixture
def board_cases(socialworker, community, water, household_a, household_b):
    later = report(socialworker, community, category=water, household=household_a, description="later")
    overdue = report(socialworker, community, category=water, household=household_b, description="overdue")
    near = report(socialworker, community, category=water, household=household_a, description="near")
    _due_in(later, 3 * 24 * 60)
    _due_in(overdue, -30)
    _due_in(near, 45)
    # Registered a day ago: 45 minutes left of a day is near due (cases.clock); 45 minutes left
    # of a window of 45 minutes would not be.
    Case.objects.filter(pk=near.pk).update(registered_at=timezone.now() - timedelta(days=1))
    return {"later": later, "overdue": overdue, "near": near}


def test_the_board_puts_overdue_then_near_due_first(secretary, board_cases):
    text = browser_for(secretary).get(reverse("case-board")).text
    positions = [text.index(f'id="row-{board_cases[key].number}"') for key in ("overdue", "near", "later")]
    assert positions == sorted(positions)
    assert "rank-0" in text and "rank-1" in text


def _clocks(case: Case, *, response_minutes: int, resolution_minutes: int, responded: bool = False) -> None:
    now = timezone.now()
    Case.objects.filter(pk=case.pk).update(
        response_due=now + timedelta(minutes=response_minutes),
        resolution_due=now + timedelta(minutes=resolution_minutes),
        responded_at=now - timedelta(days=1) if responded else None,
    )


def test_the_board_puts_the_first_overdue_clock_first_the_longest_late_on_top(
    secretary, socialworker, community, water, household_a, household_b
):
    """Nobody has answered one case for three hours: it is later than one 30 minutes past its
    resolution due, though its own resolution is two days off; five hours past resolution beats both."""
    cases = {key: report(socialworker, community, category=water, household=household_a) for key in "abcde"}
    _clocks(cases["a"], response_minutes=-3 * 60, resolution_minutes=2 * 24 * 60)  # no response, 3 h late
    _clocks(cases["b"], response_minutes=-10 * 60, resolution_minutes=-30, responded=True)  # 30 min late
    _clocks(cases["c"], response_minutes=-6 * 60, resolution_minutes=-5 * 60, responded=True)  # 5 h late
    _clocks(cases["d"], response_minutes=-60, resolution_minutes=24 * 60, responded=True)  # on track
    _clocks(cases["e"], response_minutes=30, resolution_minutes=60)  # neither clock overdue yet
    text = browser_for(secretary).get(reverse("case-board")).text
    order = sorted(cases, key=lambda key: text.index(f'id="row-{cases[key].number}"'))
    assert order == ["c", "a", "b", "e", "d"]
    assert "no response, 3" in text  # the row says which clock is late, and by how much


def test_the_board_order_rule_answers_in_python_as_in_sql(socialworker, community, water, household_a):
    cases = [report(socialworker, community, category=water, household=household_a) for _ in range(4)]
    _clocks(cases[0], response_minutes=-60, resolution_minutes=-120)  # both late: resolution first
    _clocks(cases[1], response_minutes=-120, resolution_minutes=-60)  # both late: response first
    _clocks(cases[2], response_minutes=-60, resolution_minutes=60, responded=True)  # answered: none
    _clocks(cases[3], response_minutes=-60, resolution_minutes=60)
    now = timezone.now()
    annotated = Case.objects.filter(pk__in=[c.pk for c in cases]).with_clock(now).order_by("id")
    for case in annotated:
        assert case.overdue_since == overdue_since(case, now)
    assert [c.overdue_since for c in annotated] == [
        Case.objects.get(pk=cases[0].pk).resolution_due,
        Case.objects.get(pk=cases[1].pk).response_due,
        None,
        Case.objects.get(pk=cases[3].pk).response_due,
    ]


def test_the_board_filters_by_grid_and_counts(secretary, board_cases, grid_b):
    text = browser_for(secretary).get(reverse("case-board"), {"grid": grid_b.pk}).text
    assert board_cases["overdue"].number in text
    assert board_cases["later"].number not in text


def test_a_grid_worker_sees_only_their_grid_on_the_board(gridworker, board_cases):
    text = browser_for(gridworker).get(reverse("case-board")).text
    assert board_cases["near"].number in text
    assert board_cases["overdue"].number not in text


def test_the_board_filters_by_lead(secretary, socialworker, board_cases, volunteer):
    services.case_dispatch(
        actor=socialworker, case=board_cases["near"], lead=Party("person", volunteer.person_id)
    )
    text = (
        browser_for(secretary).get(reverse("case-board"), {"handler": f"person:{volunteer.person_id}"}).text
    )
    assert board_cases["near"].number in text
    assert board_cases["later"].number not in text


def test_the_board_query_count_is_pinned(
    secretary,
    socialworker,
    community,
    water,
    household_a,
    board_cases,
    volunteer,
    django_assert_max_num_queries,
):
    client = browser_for(secretary)
    client.get(reverse("case-board"))  # warm the session
    for case in board_cases.values():
        services.case_dispatch(actor=socialworker, case=case, lead=Party("person", volunteer.person_id))
    # 12, the hotspots' 3 (cases.hotspots): the rules, their grouped read, the raises found; and the
    # coordinator's own cases outside their scope (cases.scope).
    with django_assert_max_num_queries(16):
        assert client.get(reverse("case-board")).status_code == 200
    for _ in range(10):
        case = report(socialworker, community, category=water, household=household_a)
        services.case_dispatch(actor=socialworker, case=case, lead=Party("person", volunteer.person_id))
    with django_assert_max_num_queries(16):  # the ten water cases at 4-2-301 are a hotspot now
        response = client.get(reverse("case-board"), {"grid": household_a.grid_id})
        assert response.text.count('<tr id="row-') == 12


def test_one_click_urges_from_the_board(secretary, board_cases):
    case = board_cases["overdue"]
    response = browser_for(secretary).post(
        reverse("case-board-act", args=[case.number, "urge"]),
        {"version": case.version, "note": "please hurry"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    assert f'id="row-{case.number}"' in response.text
    assert "Urged: the handlers are told." in response.text
    case.refresh_from_db()
    assert case.urge_count == 1
    assert case.events.last().note == "please hurry"


def test_the_mouth_cannot_urge(socialworker, board_cases):
    case = board_cases["overdue"]
    text = browser_for(socialworker).get(reverse("case-board")).text
    assert reverse("case-board-act", args=[case.number, "urge"]) not in text
    response = browser_for(socialworker).post(
        reverse("case-board-act", args=[case.number, "urge"]),
        {"version": case.version},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 404


def test_a_stale_urge_on_the_board_says_so_in_the_row(secretary, socialworker, board_cases):
    case = board_cases["near"]
    services.case_note(actor=socialworker, case=case, note="called")
    response = browser_for(secretary).post(
        reverse("case-board-act", args=[case.number, "urge"]),
        {"version": case.version},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 422
    assert "Someone else just changed this case" in response.text


def test_the_legs_decide_a_request_for_more_time_from_the_board(secretary, volunteer, dispatched_case):
    hands = browser_for(volunteer)
    act(hands, dispatched_case, "acknowledge", next="tasks")
    dispatched_case.refresh_from_db()
    act(hands, dispatched_case, "extend", next="tasks", minutes="120", reason="shop closed")
    dispatched_case.refresh_from_db()
    due = dispatched_case.resolution_due
    assert dispatched_case.extension_requested_minutes == 120
    legs = browser_for(secretary)
    assert "2 hours more?" in legs.get(reverse("case-board")).text
    response = legs.post(
        reverse("case-board-act", args=[dispatched_case.number, "decide_extension"]),
        {"version": dispatched_case.version, "decision": "approve", "note": ""},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    dispatched_case.refresh_from_db()
    assert dispatched_case.resolution_due == due + timedelta(minutes=120)
    assert dispatched_case.extension_requested_minutes is None


# --- the case list and the household page -------------------------------------------------------------


def test_the_case_list_searches_by_number(secretary, board_cases):
    number = board_cases["near"].number
    response = browser_for(secretary).get(reverse("case-list"), {"q": number[-4:]})
    assert number in response.text
    # The rows found (a row may still name another case: the one it likely repeats).
    assert [case.number for case in response.context["page"].object_list] == [number]


def test_the_case_list_keeps_finished_cases_and_filters_by_status(secretary, socialworker, board_cases):
    services.case_escalate(actor=socialworker, case=board_cases["later"], reason="needs the street")
    rejected = board_cases["overdue"]
    Case.objects.filter(pk=rejected.pk).update(status=Status.REJECTED)
    client = browser_for(secretary)
    text = client.get(reverse("case-list"), {"status": "registered"}).text
    assert board_cases["near"].number in text and rejected.number not in text
    assert rejected.number in client.get(reverse("case-list"), {"status": "rejected"}).text
    assert client.get(reverse("case-list"), {"status": "closed"}).text.count('class="case-cell"') == 0


def test_the_household_page_lists_its_cases_newest_first(
    socialworker, water_case, community, water, household_a
):
    newer = report(socialworker, community, category=water, household=household_a)
    text = browser_for(socialworker).get(reverse("household-detail", args=[household_a.pk])).text
    assert text.index(newer.number) < text.index(water_case.number)


def test_the_household_page_lists_only_cases_the_user_may_see(
    gridworker, socialworker, water_case, household_a, community
):
    psychological = Category.objects.get(code="psychological")
    discreet = report(socialworker, community, category=psychological, household=household_a, answers={})
    url = reverse("household-detail", args=[household_a.pk])
    text = browser_for(gridworker).get(url).text
    assert water_case.number in text and discreet.number not in text
    assert discreet.number in browser_for(socialworker).get(url).text


def test_sensitive_cases_stay_with_the_roles_that_handle_them(
    socialworker, gridworker, community, household_a
):
    psychological = Category.objects.get(code="psychological")
    case = report(socialworker, community, category=psychological, household=household_a, answers={})
    assert browser_for(socialworker).get(reverse("case-detail", args=[case.number])).status_code == 200
    assert browser_for(gridworker).get(reverse("case-detail", args=[case.number])).status_code == 404
    assert case.number not in browser_for(gridworker).get(reverse("case-board")).text


def test_a_volunteer_from_another_grid_is_offered_after_those_of_the_grid(
    socialworker, water_case, volunteer, grid_b
):
    skill = water_case.category.default_skill
    volunteer.person.volunteer.skills.add(skill)
    elsewhere = VolunteerFactory(home_grid=grid_b)
    elsewhere.skills.add(skill)
    text = browser_for(socialworker).get(reverse("case-dispatch", args=[water_case.number])).text
    assert text.index(f'value="person:{volunteer.person_id}"') < text.index(
        f'value="person:{elsewhere.person_id}"'
    )


def test_staff_of_another_community_are_not_offered(socialworker, water_case, outsider):
    text = browser_for(socialworker).get(reverse("case-dispatch", args=[water_case.number])).text
    assert f'value="user:{socialworker.pk}"' in text
    assert f'value="user:{outsider.pk}"' not in text


def test_the_case_page_offers_only_what_makes_sense_now(secretary, volunteer, dispatched_case):
    url = reverse("case-detail", args=[dispatched_case.number])
    decide = reverse("case-act", args=[dispatched_case.number, "decide_extension"])
    acknowledge = reverse("case-act", args=[dispatched_case.number, "acknowledge"])
    assert decide not in browser_for(secretary).get(url).text  # nothing asked yet
    hands = browser_for(volunteer)
    assert acknowledge in hands.get(url).text
    act(hands, dispatched_case, "acknowledge")
    dispatched_case.refresh_from_db()
    assert acknowledge not in hands.get(url).text
    act(hands, dispatched_case, "extend", minutes="60", reason="waiting for a part")
    assert decide in browser_for(secretary).get(url).text
    assert reverse("case-act", args=[dispatched_case.number, "extend"]) not in hands.get(url).text


def test_the_list_and_the_task_page_query_counts_are_pinned(
    secretary, volunteer, socialworker, community, water, household_a, django_assert_max_num_queries
):
    for _ in range(6):
        case = report(socialworker, community, category=water, household=household_a)
        services.case_dispatch(actor=socialworker, case=case, lead=Party("person", volunteer.person_id))
    legs, hands = browser_for(secretary), browser_for(volunteer)
    # The handler choices read, then kept (the cache's own queries); the coordinator's own cases
    # outside their scope (cases.scope).
    with django_assert_max_num_queries(18):
        assert legs.get(reverse("case-list")).text.count('class="case-cell"') == 6
    with django_assert_max_num_queries(12):  # kept: one cache read instead
        assert legs.get(reverse("case-list")).text.count('class="case-cell"') == 6
    with django_assert_max_num_queries(6):
        assert hands.get(reverse("case-tasks")).text.count('class="card task') == 6


def test_intake_shows_the_callers_recent_care_visits_without_their_findings(socialworker, granny_wang):
    from grassroots.care.models import Visit

    Visit.objects.create(
        community=granny_wang.community,
        household=granny_wang.current_household,
        grid=granny_wang.current_household.grid,
        person=granny_wang,
        visitor=socialworker,
        method="phone",
        outcome="visited",
        health="高血压，近期住院",
    )
    response = browser_for(socialworker).get(reverse("case-intake-caller"), {"person": granny_wang.pk})
    assert response.status_code == 200
    assert response.context["recent_visits"][0].person == granny_wang
    assert "care-visit" in response.text or "/care/visits/" in response.text
    assert "高血压" not in response.text  # findings stay on the visit page, where opening it is logged


def test_merge_takes_the_number_as_displayed_and_offers_the_likely_duplicates(
    socialworker, community, water, household_a
):
    """A long community code (the demo's DEMO-HSY) gives 22-character numbers: the form takes them."""
    community.code = "DEMO-HSY"
    community.save(update_fields=["code"])
    original = report(socialworker, community, category=water, household=household_a, register=False)
    duplicate = report(socialworker, community, category=water, household=household_a, register=False)
    assert len(original.number) == 22
    page = browser_for(socialworker).get(reverse("case-detail", args=[duplicate.number])).content.decode()
    assert f'<option value="{original.number}">' in page  # offered to pick from
    assert f'<option value="{duplicate.number}">' not in page  # never itself
    response = act(browser_for(socialworker), duplicate, "merge", into=original.number, note="")
    assert response.status_code == 302
    duplicate.refresh_from_db()
    assert duplicate.merged_into == original


def test_fresh_clocks_on_the_same_minute_read_as_set_again_not_moved(socialworker, water_case):
    """A rework whose new due time shows the same minute does not say "moved from X to X"."""
    from django.utils import translation

    from grassroots.cases.selectors import describe_changes

    due = water_case.resolution_due.isoformat()
    event = water_case.events.last()
    event.action, event.changes = "reopen", {"resolution_due": {"old": due, "new": due}}
    with translation.override("en"):
        lines = describe_changes(event, {})
    assert len(lines) == 1 and lines[0].startswith("Resolution due set again: ")


def test_a_task_card_offers_one_way_to_add_a_note_each(volunteer, water_case, socialworker):
    """Reporting for duty carries a reply; the separate note action keeps its own words."""
    services.case_dispatch(actor=socialworker, case=water_case, lead=Party("user", volunteer.pk))
    page = browser_for(volunteer).get(reverse("case-tasks")).content.decode()
    assert "Reply with a note" in page
    assert page.count("<summary>Add a note</summary>") == 0


# --- numbers in free text (issue 13.4) --------------------------------------------------------------


@pytest.fixture
def case_with_a_number(socialworker, community, water, household_a, granny_wang, volunteer) -> Case:
    """A resident says where to call: her son's mobile and her ID number are in the description."""
    case = report(
        socialworker,
        community,
        category=water,
        household=household_a,
        person=granny_wang,
        description="家里没水了，请打我儿子电话 139 0000 1234，身份证 120101194403081234",
    )
    return services.case_dispatch(actor=socialworker, case=case, lead=Party("person", volunteer.person_id))


def test_numbers_in_a_description_are_masked_for_who_may_not_reveal_them(
    case_with_a_number, volunteer, socialworker
):
    for page in (f"/cases/{case_with_a_number.number}/", "/cases/tasks/"):
        seen = browser_for(volunteer).get(page).content.decode()
        assert "139****1234" in seen and "120***********1234" in seen, page
        assert "0000 1234" not in seen and "19440308" not in seen, page
    staff = browser_for(socialworker).get(f"/cases/{case_with_a_number.number}/").content.decode()
    assert "139 0000 1234" in staff and "120101194403081234" in staff


def test_the_api_masks_them_the_same_way(case_with_a_number, volunteer, socialworker):
    from rest_framework.test import APIClient

    for user, full in ((volunteer, False), (socialworker, True)):
        api = APIClient()
        api.force_authenticate(user)
        description = api.get(f"/api/v1/cases/{case_with_a_number.pk}/").json()["description"]
        assert ("139 0000 1234" in description) is full and ("120101194403081234" in description) is full
        assert "家里没水了" in description


def test_the_handler_choices_are_kept_per_viewer_and_scope(
    secretary, outsider, socialworker, volunteer, community, water, household_a
):
    """The list's handler filter reads the leads once per viewer for a few minutes
    (selectors.kept_for_viewer): a lead given meanwhile is offered once the kept list is read again,
    and one viewer's list is never another's."""
    from django.core.cache import cache

    case = report(socialworker, community, category=water, household=household_a)
    assert selectors.handler_choices_for(user=secretary) == []
    services.case_dispatch(actor=socialworker, case=case, lead=Party("person", volunteer.person_id))
    assert selectors.handler_choices_for(user=secretary) == []  # kept
    assert selectors.handler_choices_for(user=outsider) == []  # another viewer: read, and not ours
    assert selectors.viewer_key(secretary) != selectors.viewer_key(outsider)
    cache.clear()  # as when the kept list expires
    assert [value for value, _label in selectors.handler_choices_for(user=secretary)] == [
        f"person:{volunteer.person_id}"
    ]
    assert selectors.handler_choices_for(user=outsider) == []


@pytest.mark.parametrize("named", [200, 0])
def test_a_coordinator_sees_their_scope_and_their_own_cases_outside_it(
    named, monkeypatch, secretary, outsider, socialworker, community, other_community, water, household_a
):
    """cases.scope names a coordinator's own cases outside their scope by id (or, past
    OWN_OUTSIDE_NAMED of them, keeps the OR): the same cases either way. (An assignment from before
    the secretary changed community: the services summon only a community's own parties.)"""
    from grassroots.cases import scope
    from grassroots.cases.models import Assignment

    monkeypatch.setattr(scope, "OWN_OUTSIDE_NAMED", named)
    ours = report(socialworker, community, category=water, household=household_a)
    theirs, summoned = (report(outsider, other_community, category=water, register=True) for _ in range(2))
    Assignment.objects.create(case=summoned, user=secretary, active=True)
    visible = set(Case.objects.visible_to(secretary).values_list("pk", flat=True))
    assert visible == {ours.pk, summoned.pk} and theirs.pk not in visible
    assert Case.objects.visible_to(secretary).filter(pk=summoned.pk).exists()
