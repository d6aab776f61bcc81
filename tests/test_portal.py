"""The resident portal: Granny Wang reports a burst pipe, follows it and says what she thinks.

Residents reach their own cases through their account; anyone else proves they reported
a case with its number and the last four digits of their phone. Staff appear as roles,
internal notes never show, and failed guesses are throttled.
"""

from __future__ import annotations

import io
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from PIL import Image

from grassroots.accounts.models import Role
from grassroots.cases import services
from grassroots.cases.models import Attachment, Case, Category, Channel
from grassroots.cases.services import Party, ReportDetails
from grassroots.cases.workflow import Status
from grassroots.core import pii
from grassroots.people.models import Relation
from tests.factories import TEST_PASSWORD, PersonFactory, user_for

IMMEDIATE_TASKS = {
    "default": {
        "BACKEND": "django.tasks.backends.immediate.ImmediateBackend",
        "QUEUES": ["default", "notifications"],
    }
}


@pytest.fixture(autouse=True)
def _portal_settings(settings, tmp_path):
    """Tasks run at once, uploads go to a scratch folder (conftest's _fresh_cache: unthrottled)."""
    settings.TASKS = IMMEDIATE_TASKS
    settings.MEDIA_ROOT = tmp_path / "media"
    yield


@pytest.fixture
def client():
    """A browser that asks for English, so the assertions read the source strings."""
    return Client(HTTP_ACCEPT_LANGUAGE="en")


def png(name: str = "photo.png", colour: str = "red") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), colour).save(buffer, format="PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def signed_in(client, user):
    assert client.login(username=user.username, password=TEST_PASSWORD)
    return client


@pytest.fixture
def pipe(db) -> Category:
    """Burst or leaking pipe: one required question ("Is water leaking now?")."""
    return Category.objects.get(code="repairs-pipe")


@pytest.fixture
def reported_case(resident, pipe, community) -> Case:
    """Granny Wang's burst pipe, reported from her account (no reporter phone: hers is on file)."""
    return services.case_report(
        actor=resident,
        community=community,
        details=ReportDetails(
            category=pipe,
            description="厨房水管爆了，水一直在流",
            channel=Channel.WEB,
            reporter_person=resident.person,
            household=resident.person.current_household,
            answers={"leaking_now": "yes"},
        ),
    )


@pytest.fixture
def resolved_case(reported_case, socialworker, volunteer) -> Case:
    """The pipe case registered, dispatched to the volunteer, signed for and reported done with a photo."""
    case = services.case_register(actor=socialworker, case=reported_case)
    case = services.case_dispatch(
        actor=socialworker,
        case=case,
        lead=Party("user", volunteer.pk),
        note="请赵师傅带扳手，联系王秀兰家属",
    )
    case = services.case_acknowledge(actor=volunteer, case=case)
    case = services.case_note(actor=volunteer, case=case, note="内部：老人情绪低落，家属不在", public=False)
    case = services.case_note(actor=volunteer, case=case, note="已关闭总阀，正在更换管件")
    return services.case_resolve(
        actor=volunteer, case=case, report="管道已更换，不再漏水", photos=[png("after.png")]
    )


def follow(client, number: str, digits: str):
    return client.post(reverse("portal-follow"), {"number": number, "digits": digits})


def error_text(response) -> str:
    match = re.search(
        r'<div class="errors summary" role="alert">(.*?)</div>', response.content.decode(), re.S
    )
    return match.group(1).strip() if match else ""


# --- reporting ------------------------------------------------------------------------------------


def test_a_resident_reports_a_burst_pipe_at_home(client, resident, pipe, household_a):
    signed_in(client, resident)
    page = client.get(reverse("portal-report"))
    assert page.status_code == 200
    assert household_a.address in page.content.decode()

    response = client.post(
        reverse("portal-report"),
        {
            "category": str(pipe.pk),
            "q_leaking_now": "yes",
            "description": "厨房水管爆了",
            "place": "home",
            "photo": png(),
        },
    )

    case = Case.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("portal-case", args=[case.number])
    assert case.channel == Channel.WEB
    assert case.reporter_user == resident
    assert case.reporter_person == resident.person
    assert case.household == household_a
    assert case.answers == {"leaking_now": "yes"}
    assert case.status == Status.REPORTED
    assert Attachment.objects.get(case=case).stage == "before"
    page = client.get(response["Location"])
    assert case.number in page.content.decode()


def test_the_report_form_offers_public_categories_and_someone_to_talk_to(client, resident):
    signed_in(client, resident)
    html = client.get(reverse("portal-report")).content.decode()
    assert "burst or leaking pipe" in html
    assert "psychological support" not in html
    assert "I need someone to talk to" in html


def test_asking_for_someone_to_talk_to_files_a_discreet_case(client, resident):
    signed_in(client, resident)
    response = client.post(reverse("portal-report"), {"category": "talk", "description": "", "place": "home"})
    assert response.status_code == 302
    case = Case.objects.get()
    assert case.category.code == "psychological"
    assert case.category.sensitive
    page = client.get(response["Location"]).content.decode()
    assert "Someone to talk to" in page
    assert "psychological" not in page


def test_bad_input_says_what_is_wrong_keeps_what_was_typed_and_saves_nothing(client, resident, pipe):
    signed_in(client, resident)
    response = client.post(
        reverse("portal-report"),
        {
            "category": str(pipe.pk),
            "description": "卫生间漏水，楼下都湿了",
            "place": "home",
            "photo": SimpleUploadedFile("leak.jpg", b"not a picture at all", content_type="image/jpeg"),
        },
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "Please answer “Is water leaking now?”." in html
    assert "is not a photo we can read" in html
    assert "卫生间漏水，楼下都湿了" in html
    assert re.search(r'<input type="radio" name="place" value="home"[^>]* checked>', html)
    assert not Case.objects.exists()
    assert not Attachment.objects.exists()


def test_the_category_questions_are_swapped_in(client, pipe):
    response = client.get(reverse("portal-questions"), {"category": str(pipe.pk)}, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert 'name="q_leaking_now"' in html
    assert 'type="radio"' in html


def test_a_visitor_without_an_account_reports_with_a_name_and_a_phone(client, community, pipe, neighbourhood):
    response = client.post(
        reverse("portal-report"),
        {
            "category": str(pipe.pk),
            "q_leaking_now": "no",
            "description": "7号楼门口的水管在漏水",
            "building": str(neighbourhood.building_7.pk),
            "location_note": "1单元门口",
            "name": "孙女士",
            "phone": "139 0000 4321",
        },
    )
    case = Case.objects.get()
    assert response.status_code == 302
    assert case.channel == Channel.WEB
    assert case.reporter_user is None and case.reporter_person is None
    assert case.reporter_name == "孙女士"
    assert case.reporter_phone_masked == "139****4321"
    assert case.reporter_phone_tail_hash == pii.phone_tail_hash("4321")
    assert case.building == neighbourhood.building_7
    assert case.grid == neighbourhood.grid_b
    # The visitor sees the case at once; someone else's browser does not.
    assert client.get(response["Location"]).status_code == 200
    client.cookies.clear()
    assert client.get(response["Location"]).status_code == 404


def test_a_visitor_must_give_a_phone_that_works(client, community, pipe):
    response = client.post(
        reverse("portal-report"),
        {"category": str(pipe.pk), "q_leaking_now": "no", "description": "漏水", "location_note": "3号楼"},
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "Please tell us your name." in html
    assert "Please give a phone number we can call you back on." in html
    response = client.post(
        reverse("portal-report"),
        {
            "category": str(pipe.pk),
            "q_leaking_now": "no",
            "description": "漏水",
            "location_note": "3号楼",
            "name": "孙女士",
            "phone": "12345",
        },
    )
    assert "This does not look like a phone number" in response.content.decode()
    assert "孙女士" in response.content.decode()
    assert not Case.objects.exists()


def test_anonymous_submissions_are_throttled_per_address(client, community, pipe, settings):
    settings.GRASSROOTS_PORTAL_LIMITS = {"report": (2, 3600)}
    data = {
        "category": str(pipe.pk),
        "q_leaking_now": "no",
        "description": "漏水",
        "location_note": "3号楼",
        "name": "孙女士",
        "phone": "13900004321",
    }
    assert client.post(reverse("portal-report"), data).status_code == 302
    assert client.post(reverse("portal-report"), data).status_code == 302
    response = client.post(reverse("portal-report"), data)
    assert response.status_code == 429
    assert 0 < int(response["Retry-After"]) <= 3600
    assert Case.objects.count() == 2


def test_staff_are_sent_to_their_own_screens(client, socialworker):
    signed_in(client, socialworker)
    response = client.get(reverse("portal-report"))
    assert "This form is for residents" in response.content.decode()


# --- following ------------------------------------------------------------------------------------


def test_anyone_follows_a_case_with_its_number_and_the_last_four_digits(client, reported_case):
    form = client.get(reverse("portal-track"), {"number": reported_case.number}).content.decode()
    assert f'value="{reported_case.number}"' in form  # where notifications to residents point
    response = follow(client, reported_case.number.lower(), "5678")  # Granny Wang's phone ends 5678
    assert response.status_code == 302
    page = client.get(response["Location"])
    assert page.status_code == 200
    assert "厨房水管爆了" in page.content.decode()


def test_the_link_in_the_reporters_message_opens_the_case_with_its_random_token(client, reported_case):
    """A case number and four digits can be guessed by a neighbour; the link's 96-bit token cannot."""
    assert len(reported_case.public_token) == 24
    response = client.get(reverse("portal-follow-link", args=[reported_case.public_token]))
    assert response.status_code == 302
    assert "厨房水管爆了" in client.get(response["Location"]).content.decode()


def test_a_wrong_token_opens_nothing_and_counts_against_the_limit(client, reported_case):
    for attempt in range(10):
        assert client.get(reverse("portal-follow-link", args=[f"{attempt:024x}"])).status_code == 404
    assert client.get(reverse("portal-case", args=[reported_case.number])).status_code == 404
    throttled = client.get(reverse("portal-follow-link", args=[reported_case.public_token]))
    assert throttled.status_code == 429  # even the right token waits now


def test_wrong_digits_and_unknown_numbers_get_the_same_answer(client, reported_case):
    wrong_digits = follow(client, reported_case.number, "0000")
    unknown_number = follow(client, "HSY-19990101-0001", "5678")
    assert wrong_digits.status_code == unknown_number.status_code == 200
    assert error_text(wrong_digits) == error_text(unknown_number)
    assert "We found no case with this number and these digits" in error_text(wrong_digits)
    assert client.get(reverse("portal-case", args=[reported_case.number])).status_code == 404


def test_failed_attempts_are_throttled_with_retry_after(client, reported_case):
    for attempt in range(10):
        assert follow(client, reported_case.number, f"{attempt:04d}").status_code == 200
    response = follow(client, reported_case.number, "5678")  # even the right digits wait now
    assert response.status_code == 429
    assert 0 < int(response["Retry-After"]) <= 15 * 60
    other = client.post(
        reverse("portal-follow"), {"number": reported_case.number, "digits": "5678"}, REMOTE_ADDR="10.0.0.9"
    )
    assert other.status_code == 302


def test_a_case_reported_by_phone_is_followed_with_the_callers_digits(client, socialworker, pipe, community):
    case = services.case_report(
        actor=socialworker,
        community=community,
        details=ReportDetails(
            category=pipe,
            description="阚阿姨家水管爆裂",
            channel=Channel.PHONE,
            reporter_name="阚女士",
            reporter_phone="022-2588-1234",
            answers={"leaking_now": "yes"},
        ),
    )
    assert follow(client, case.number, "1234").status_code == 302


def test_an_anonymous_report_without_a_phone_cannot_be_followed(client, patroller, pipe, community):
    case = services.case_report(
        actor=patroller,
        community=community,
        details=ReportDetails(
            category=pipe,
            description="路边水管漏水",
            channel=Channel.PATROL,
            anonymous=True,
            answers={"leaking_now": "yes"},
        ),
    )
    for digits in ("0000", "1234"):
        assert "We found no case" in error_text(follow(client, case.number, digits))


# --- what the resident sees -------------------------------------------------------------------------


def test_the_timeline_shows_roles_not_names_and_hides_internal_notes(
    client, resolved_case, socialworker, volunteer
):
    socialworker.first_name, socialworker.last_name, socialworker.username = "美", "李", "limei"
    socialworker.save()
    volunteer.username = "zhaodeming"
    volunteer.save()
    follow(client, resolved_case.number, "5678")
    html = client.get(reverse("portal-case", args=[resolved_case.number])).content.decode()

    assert "social worker" in html
    assert "volunteer" in html
    assert "已关闭总阀，正在更换管件" in html  # a public progress note
    assert "管道已更换，不再漏水" in html  # the handler's report
    assert "内部：" not in html  # the internal note
    assert "请赵师傅带扳手" not in html  # dispatch instructions to staff
    for name in ("李", "赵德明", socialworker.username, volunteer.username):
        assert name not in html
    assert "Done" in html  # status in plain words


def test_after_photos_are_shown_only_to_those_who_may_see_the_case(client, resolved_case):
    photo = Attachment.objects.get(case=resolved_case, stage="after")
    url = reverse("portal-photo", args=[resolved_case.number, photo.pk])
    assert client.get(url).status_code == 404
    follow(client, resolved_case.number, "5678")
    assert url in client.get(reverse("portal-case", args=[resolved_case.number])).content.decode()
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"


def test_a_resident_cannot_see_another_residents_case(client, resident, community, household_b, pipe):
    neighbour = PersonFactory(name="孙秀荣", household=household_b, relation=Relation.HEAD)
    neighbour_account = user_for(Role.RESIDENT, person=neighbour, username="neighbour")
    theirs = services.case_report(
        actor=neighbour_account,
        community=community,
        details=ReportDetails(
            category=pipe,
            description="邻居家的事",
            channel=Channel.WEB,
            reporter_person=neighbour,
            household=household_b,
            answers={"leaking_now": "no"},
        ),
    )
    signed_in(client, resident)
    response = client.get(reverse("portal-case", args=[theirs.number]))
    assert response.status_code == 404
    assert "邻居家的事" not in response.content.decode()
    assert theirs.number not in client.get(reverse("portal-mine")).content.decode()
    photo_url = reverse("portal-photo", args=[theirs.number, 1])
    assert client.get(photo_url).status_code == 404


def test_the_residents_home_offers_reporting_and_lists_their_cases(client, resident, reported_case):
    signed_in(client, resident)
    home = client.get(reverse("home")).content.decode()
    assert reverse("portal-report") in home
    assert reverse("portal-mine") in home
    fragment = client.get(reverse("portal-mine"), HTTP_HX_REQUEST="true").content.decode()
    assert reported_case.number in fragment
    assert "<html" not in fragment


# --- rating ----------------------------------------------------------------------------------------


def test_the_reporter_rates_unsatisfied_and_the_case_goes_back_as_rework(client, resident, resolved_case):
    signed_in(client, resident)
    page = client.get(reverse("portal-case", args=[resolved_case.number])).content.decode()
    assert 'name="satisfaction"' in page

    response = client.post(
        reverse("portal-rate", args=[resolved_case.number]),
        {"satisfaction": "unsatisfied", "note": "还是有点渗水", "version": resolved_case.version},
    )

    resolved_case.refresh_from_db()
    assert response.status_code == 302
    assert resolved_case.status == Status.DISPATCHED
    assert resolved_case.rework_count == 1
    assert resolved_case.satisfaction == "unsatisfied"
    verify = resolved_case.events.get(action="verify")
    assert verify.actor == resident
    assert verify.note == "还是有点渗水"


def test_the_reporter_rates_satisfied_and_the_case_is_verified(client, resident, resolved_case):
    signed_in(client, resident)
    client.post(
        reverse("portal-rate", args=[resolved_case.number]),
        {"satisfaction": "satisfied", "version": resolved_case.version},
    )
    resolved_case.refresh_from_db()
    assert resolved_case.status == Status.VERIFIED
    page = client.get(reverse("portal-case", args=[resolved_case.number])).content.decode()
    assert 'name="satisfaction"' not in page
    assert "Your verdict" in page


def test_a_rating_without_an_answer_is_refused(client, resident, resolved_case):
    signed_in(client, resident)
    response = client.post(
        reverse("portal-rate", args=[resolved_case.number]),
        {"note": "嗯", "version": resolved_case.version},
    )
    assert response.status_code == 200
    assert "Choose one of the three answers." in response.content.decode()
    assert "嗯" in response.content.decode()
    resolved_case.refresh_from_db()
    assert resolved_case.status == Status.RESOLVED


def test_a_stale_rating_is_refused(client, resident, resolved_case):
    signed_in(client, resident)
    response = client.post(
        reverse("portal-rate", args=[resolved_case.number]),
        {"satisfaction": "satisfied", "version": resolved_case.version - 1},
        follow=True,
    )
    assert "The case changed a moment ago" in response.content.decode()
    resolved_case.refresh_from_db()
    assert resolved_case.status == Status.RESOLVED


def test_visitors_rate_only_when_the_token_service_exists(client, resolved_case, monkeypatch):
    follow(client, resolved_case.number, "5678")
    url = reverse("portal-case", args=[resolved_case.number])
    if not hasattr(services, "case_rate_by_token"):
        assert 'name="satisfaction"' not in client.get(url).content.decode()
        response = client.post(
            reverse("portal-rate", args=[resolved_case.number]), {"satisfaction": "satisfied"}
        )
        resolved_case.refresh_from_db()
        assert resolved_case.status == Status.RESOLVED

    calls = []
    monkeypatch.setattr(services, "case_rate_by_token", lambda **kwargs: calls.append(kwargs), raising=False)
    assert 'name="satisfaction"' in client.get(url).content.decode()
    response = client.post(
        reverse("portal-rate", args=[resolved_case.number]), {"satisfaction": "basic", "note": "还行"}
    )
    assert response.status_code == 302
    assert calls == [{"case": calls[0]["case"], "satisfaction": "basic", "note": "还行"}]
    assert calls[0]["case"].pk == resolved_case.pk


def test_the_case_page_runs_a_fixed_number_of_queries(client, resolved_case, django_assert_max_num_queries):
    follow(client, resolved_case.number, "5678")
    with django_assert_max_num_queries(7):
        assert client.get(reverse("portal-case", args=[resolved_case.number])).status_code == 200
