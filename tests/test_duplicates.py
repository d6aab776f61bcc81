"""Likely duplicates (issue 14.3): ten neighbours report one dark corridor; only one case is worked on.

A new report of the same category at the same household or building within the category's
window, or with a very similar description, is flagged at intake and on the coordinator's
list; one click merges it, another clears the flag; the merged report's resident is told and
follows the surviving case.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from grassroots.cases import duplicates
from grassroots.cases.models import Case, CaseEvent, Category, Channel, Urgency
from grassroots.cases.services import (
    Party,
    ReportDetails,
    case_acknowledge,
    case_dispatch,
    case_merge,
    case_reject,
    case_report,
    case_resolve,
)
from grassroots.cases.workflow import Status
from grassroots.notify.models import Message
from tests.factories import TEST_PASSWORD, HouseholdFactory, PersonFactory

IMMEDIATE = {
    "default": {
        "BACKEND": "django.tasks.backends.immediate.ImmediateBackend",
        "QUEUES": ["default", "notifications"],
    }
}


@pytest.fixture(autouse=True)
def _immediate(settings, tmp_path):
    settings.TASKS = IMMEDIATE
    settings.GRASSROOTS_NOTIFY_OUTBOX = str(tmp_path / "outbox.log")
    settings.GRASSROOTS_NOTIFY_EMAIL = False


def browser_for(user) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    assert client.login(username=user.username, password=TEST_PASSWORD)
    return client


def category(code: str) -> Category:
    return Category.objects.get(code=code)


def report(
    actor, community, code, *, description, household=None, building=None, at=None, register=True, **extra
):
    details = ReportDetails(
        category=category(code),
        description=description,
        channel=Channel.PHONE,
        urgency=Urgency.NORMAL,
        household=household,
        building=building,
        reported_at=at,
        **extra,
    )
    return case_report(actor=actor, community=community, details=details, register=register)


LIGHTS = "4号楼2单元楼道灯不亮了，晚上看不见路"


# --- the rule -----------------------------------------------------------------------------------------


def test_same_category_same_building_within_the_window_is_flagged(socialworker, community, neighbourhood):
    first = report(
        socialworker,
        community,
        "facilities-lighting",
        description=LIGHTS,
        household=neighbourhood.home_4_2_301,
    )
    second = report(
        socialworker,
        community,
        "facilities-lighting",
        description="楼道里黑漆漆的",
        household=neighbourhood.home_4_1_101,
    )
    assert second.suspected_duplicate == first
    assert second.suspicion == "building"
    first.refresh_from_db()
    assert first.suspected_duplicate is None  # the earlier one is the original


def test_a_household_category_is_not_a_repeat_next_door(socialworker, community, neighbourhood):
    """家居小修 is a household's own problem: the neighbour's broken tap is another case."""
    report(
        socialworker,
        community,
        "repairs-home",
        description="厨房水龙头关不紧一直滴水",
        household=neighbourhood.home_4_2_301,
    )
    neighbour = report(
        socialworker,
        community,
        "repairs-home",
        description="卫生间门锁坏了打不开",
        household=neighbourhood.home_4_1_101,
    )
    assert neighbour.suspected_duplicate is None
    again = report(
        socialworker,
        community,
        "repairs-home",
        description="门锁还是坏的",
        household=neighbourhood.home_4_1_101,
    )
    assert again.suspected_duplicate == neighbour
    assert again.suspicion == "household"


def test_outside_the_window_or_after_closure_it_is_a_new_problem(socialworker, community, neighbourhood):
    long_ago = timezone.now() - timedelta(hours=category("facilities-lighting").duplicate_window_hours + 1)
    report(
        socialworker,
        community,
        "facilities-lighting",
        description=LIGHTS,
        household=neighbourhood.home_4_2_301,
        at=long_ago,
    )
    late = report(
        socialworker,
        community,
        "facilities-lighting",
        description="灯坏了",
        household=neighbourhood.home_4_1_101,
        register=False,
    )
    assert late.suspected_duplicate is None

    case_reject(actor=socialworker, case=late, reason="重复登记")
    after = report(
        socialworker,
        community,
        "facilities-lighting",
        description="灯又坏了",
        household=neighbourhood.home_4_1_101,
    )
    assert after.suspected_duplicate is None  # a case no longer open is not repeated


def test_a_window_of_zero_turns_the_place_rule_off(socialworker, community, neighbourhood):
    Category.objects.filter(code="facilities-lighting").update(duplicate_window_hours=0)
    report(
        socialworker,
        community,
        "facilities-lighting",
        description=LIGHTS,
        household=neighbourhood.home_4_2_301,
    )
    second = report(
        socialworker,
        community,
        "facilities-lighting",
        description=LIGHTS,
        household=neighbourhood.home_4_1_101,
    )
    assert second.suspected_duplicate is None


def test_a_very_similar_description_is_flagged_whatever_the_category(socialworker, community, neighbourhood):
    first = report(
        socialworker, community, "facilities-lighting", description=LIGHTS, building=neighbourhood.building_4
    )
    other_words = report(
        socialworker,
        community,
        "property",
        description="4号楼2单元楼道灯不亮，晚上看不见路了",
        building=neighbourhood.building_7,
    )
    assert other_words.suspected_duplicate == first
    assert other_words.suspicion == "words"
    unrelated = report(
        socialworker,
        community,
        "dispute",
        description="7号楼门口停车太乱，消防通道被堵",
        building=neighbourhood.building_7,
    )
    assert unrelated.suspected_duplicate is None


def test_similarity_ignores_punctuation_and_short_texts():
    assert (
        duplicates.similarity("5号楼电梯坏了，老人下不了楼", "5号楼的电梯坏了老人没法下楼")
        >= duplicates.DESCRIPTION_SIMILARITY
    )
    assert duplicates.similarity("灯坏了", "灯坏了") == 0.0  # too short to tell
    assert (
        duplicates.similarity("刘阿姨家里没有饮用水了", "张大爷家水管漏水了")
        < duplicates.DESCRIPTION_SIMILARITY
    )


def test_another_community_is_never_a_duplicate(
    socialworker, community, other_community, other_household, neighbourhood
):
    from tests.factories import user_for

    other_worker = user_for("socialworker", community=other_community, username="xg-worker")
    report(
        other_worker, other_community, "facilities-lighting", description=LIGHTS, household=other_household
    )
    ours = report(
        socialworker,
        community,
        "facilities-lighting",
        description=LIGHTS,
        household=neighbourhood.home_4_2_301,
    )
    assert ours.suspected_duplicate is None


def test_the_nearest_place_wins(socialworker, community, neighbourhood):
    same_building = report(
        socialworker,
        community,
        "utilities-power",
        description="整栋楼停电",
        household=neighbourhood.home_4_1_101,
    )
    same_home = report(
        socialworker,
        community,
        "utilities-power",
        description="家里停电了",
        household=neighbourhood.home_4_2_301,
    )
    assert same_home.suspected_duplicate == same_building
    again = report(
        socialworker,
        community,
        "utilities-power",
        description="还是没电",
        household=neighbourhood.home_4_2_301,
    )
    assert again.suspected_duplicate == same_home and again.suspicion == "household"


def test_a_report_compared_before_it_waits_knows_what_changed_while_it_waited(
    socialworker, community, neighbourhood
):
    """A report reads and compares the open cases before it waits its turn for the day's number
    (cases.services.case_report), then reads only the cases added meanwhile: one reported at the
    same home meanwhile wins, and once it is closed it is no longer looked at."""
    building = report(
        socialworker,
        community,
        "utilities-power",
        description="整栋楼停电",
        household=neighbourhood.home_4_1_101,
    )
    new = report(
        socialworker,
        community,
        "utilities-power",
        description="家里停电了",
        household=neighbourhood.home_4_2_301,
    )
    ahead = duplicates.read_ahead(new)
    assert set(ahead) == {building.pk}
    meanwhile = report(
        socialworker,
        community,
        "utilities-power",
        description="还是没电",
        household=neighbourhood.home_4_2_301,
        at=new.reported_at - timedelta(minutes=1),
        register=False,
    )
    found = duplicates.suspect(new, ahead=ahead)
    assert (found.case, found.reason) == (meanwhile, "household")
    assert found == duplicates.suspect(new)
    case_reject(actor=socialworker, case=meanwhile, reason="重复来电")
    found = duplicates.suspect(new, ahead=ahead)
    assert (found.case, found.reason) == (building, "building")
    assert found == duplicates.suspect(new)


# --- the case page and the list -------------------------------------------------------------------------


@pytest.fixture
def pair(socialworker, community, neighbourhood):
    first = report(
        socialworker,
        community,
        "facilities-lighting",
        description=LIGHTS,
        household=neighbourhood.home_4_2_301,
    )
    second = report(
        socialworker,
        community,
        "facilities-lighting",
        description="楼道灯坏了",
        household=neighbourhood.home_4_1_101,
    )
    assert second.suspected_duplicate == first
    return first, second


def test_the_case_page_offers_one_click_merge_and_not_a_duplicate(socialworker, pair):
    first, second = pair
    page = browser_for(socialworker).get(reverse("case-detail", args=[second.number])).content.decode()
    assert "Likely duplicate of" in page and first.number in page
    assert f"Merge into {first.number}" in page
    assert "same category, same building" in page
    response = browser_for(socialworker).post(
        reverse("case-act", args=[second.number, "merge"]),
        {"version": second.version, "into": first.number, "next": "case"},
    )
    assert response.status_code == 302
    second.refresh_from_db()
    assert second.status == Status.MERGED and second.merged_into == first
    assert second.suspected_duplicate is None


def test_not_a_duplicate_clears_the_flag_and_says_so_on_the_timeline(socialworker, pair):
    first, second = pair
    response = browser_for(socialworker).post(
        reverse("case-act", args=[second.number, "not_duplicate"]),
        {"version": second.version, "note": "另一单元"},
    )
    assert response.status_code == 302
    second.refresh_from_db()
    assert second.suspected_duplicate is None and second.status == Status.REGISTERED
    event = CaseEvent.objects.filter(case=second).latest("pk")
    assert event.action == "not_duplicate" and event.changes == {"not_duplicate_of": first.number}
    assert not event.public  # the resident's timeline does not hear of another resident's report
    page = browser_for(socialworker).get(reverse("case-detail", args=[second.number])).content.decode()
    assert "Likely duplicate of" not in page
    assert f"Not a repeat of {first.number}." in page  # the staff timeline says what was decided
    again = browser_for(socialworker).post(
        reverse("case-act", args=[second.number, "not_duplicate"]), {"version": second.version}
    )
    assert again.status_code == 422  # nothing to clear any more


def test_the_list_filters_likely_duplicates_and_merges_from_the_row(
    socialworker, pair, django_assert_max_num_queries
):
    first, second = pair
    client = browser_for(socialworker)
    with django_assert_max_num_queries(30):
        listing = client.get(reverse("case-list"), {"duplicates": "on"})
    rows = list(listing.context["page"].object_list)
    assert rows == [second]
    assert rows[0].likely_duplicate == first
    assert f"Merge into {first.number}" in listing.content.decode()
    response = client.post(
        reverse("case-act", args=[second.number, "merge"]),
        {"version": second.version, "into": first.number, "next": "list"},
    )
    assert response.status_code == 302 and response.url == reverse("case-list")
    assert list(client.get(reverse("case-list"), {"duplicates": "on"}).context["page"].object_list) == []


def test_a_flag_pointing_at_a_case_the_user_cannot_see_is_not_shown(
    socialworker, gridworker, community, neighbourhood
):
    """The grid worker of grid A does not see grid B's case, so not even its number as a duplicate."""
    hidden = report(
        socialworker, community, "property", description=LIGHTS, building=neighbourhood.building_7
    )
    mine = report(
        socialworker, community, "facilities-lighting", description=LIGHTS, building=neighbourhood.building_4
    )
    assert mine.suspected_duplicate == hidden
    page = browser_for(gridworker).get(reverse("case-detail", args=[mine.number])).content.decode()
    assert hidden.number not in page


def test_the_board_badges_a_likely_duplicate(secretary, pair):
    page = browser_for(secretary).get(reverse("case-board")).content.decode()
    assert "likely duplicate" in page


# --- intake ---------------------------------------------------------------------------------------------


def test_intake_shows_what_may_already_be_open_while_the_call_is_typed(socialworker, pair, neighbourhood):
    first, second = pair
    response = browser_for(socialworker).get(
        reverse("case-intake-duplicates"),
        {
            "category": category("facilities-lighting").pk,
            "household": HouseholdFactory(building=neighbourhood.building_4, entrance=3, room="202").pk,
            "description": "",
        },
    )
    assert response.status_code == 200
    text = response.content.decode()
    assert first.number in text and second.number in text
    assert "This may already be open" in text
    nothing = browser_for(socialworker).get(
        reverse("case-intake-duplicates"), {"category": category("dispute").pk, "description": "邻居装修太吵"}
    )
    assert nothing.status_code == 200 and "This may already be open" not in nothing.content.decode()


def test_intake_duplicates_are_for_the_mouth_only(resident, volunteer):
    for user in (resident, volunteer):
        assert browser_for(user).get(reverse("case-intake-duplicates")).status_code == 404


# --- the reporter follows the surviving case --------------------------------------------------------------


def test_the_merged_reporter_is_told_and_follows_the_surviving_case(
    socialworker, community, neighbourhood, django_capture_on_commit_callbacks
):
    aunt = PersonFactory(name="刘桂芝")
    uncle = PersonFactory(name="赵德顺")
    first = report(
        socialworker,
        community,
        "facilities-lighting",
        description=LIGHTS,
        household=neighbourhood.home_4_2_301,
        reporter_person=aunt,
        reporter_phone="13900001111",
    )
    second = report(
        socialworker,
        community,
        "facilities-lighting",
        description="楼道灯坏了",
        household=neighbourhood.home_4_1_101,
        reporter_person=uncle,
        reporter_phone="13900002222",
    )
    with django_capture_on_commit_callbacks(execute=True):
        case_merge(actor=socialworker, case=second, into=first)
    merged = Message.objects.get(case=second, reason="merged")
    assert first.number in merged.body and second.number in merged.body
    assert merged.recipient_name == "赵德顺"

    first = case_dispatch(actor=socialworker, case=first, lead=Party("user", socialworker.pk))
    first = case_acknowledge(actor=socialworker, case=first)
    with django_capture_on_commit_callbacks(execute=True):
        first = case_resolve(actor=socialworker, case=first, report="已更换灯泡")
    resolved_for = set(
        Message.objects.filter(case=first, reason="resolved").values_list("recipient_name", flat=True)
    )
    assert {"刘桂芝", "赵德顺"} <= resolved_for
    assert Case.objects.get(pk=second.pk).status == Status.MERGED
