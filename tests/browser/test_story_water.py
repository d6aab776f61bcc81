"""Story 1, walked end to end in Chromium: Aunt Liu has no drinking water.

"Aunt Liu, a resident, was inconvenient to move and lacked drinking water at home.
She called the community for help. Volunteers sent water to the door at the first
time to solve the urgent need."

The social worker (mouth) takes the call on the intake screen, finds Aunt Liu by
her phone number, registers an urgent "no drinking water" case and dispatches it to
a volunteer who delivers water; the volunteer (hands) reports for duty and reports
done from "My tasks"; the social worker calls Aunt Liu back (satisfied) and closes
the case. The case page then tells the whole story in order, well inside the
urgent limit.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from django.utils import timezone, translation
from playwright.sync_api import Page, expect
from tests.factories import TEST_PASSWORD, HouseholdFactory, PersonFactory

from grassroots.cases.models import Case, Category, Satisfaction, Urgency
from grassroots.cases.workflow import Action, Status, label
from grassroots.orgs.models import Skill
from grassroots.people.models import Person, Relation

pytestmark = pytest.mark.django_db(transaction=True)

AUNT_LIU_PHONE = "13920260315"


def act_as(page: Page, signed_in_page, user) -> Page:
    """Hand the browser to the next person in the story (a fresh session, through the login form)."""
    page.context.clear_cookies()
    return signed_in_page(user, TEST_PASSWORD)


def labels(*actions: str) -> list[str]:
    """The timeline's words for these actions, as a zh-CN browser is shown them."""
    with translation.override("zh-hans"):
        return [label(action) for action in actions]


@pytest.fixture
def aunt_liu(neighbourhood) -> Person:
    """刘桂英, 77, at 4-3-502 (building 4, grid A): cannot get down the stairs to fetch water."""
    home = HouseholdFactory(building=neighbourhood.building_4, entrance=3, room="502")
    return PersonFactory(
        name="刘桂英",
        sex="F",
        birth_date=date(1948, 11, 2),
        phone=AUNT_LIU_PHONE,
        household=home,
        relation=Relation.HEAD,
    )


@pytest.fixture
def water_volunteer(volunteer):
    """赵德明 (the `volunteer` account, grid A) delivers water: the skill the category asks for."""
    volunteer.person.volunteer.skills.add(Skill.objects.get(code="delivery"))
    return volunteer


def test_aunt_liu_gets_drinking_water_within_the_hour(
    signed_in_page, page: Page, socialworker, water_volunteer, aunt_liu, live_url
):
    water = Category.objects.get(code="utilities-water")
    volunteer_party = f"person:{water_volunteer.person_id}"

    # 1. The social worker takes Aunt Liu's call: types the number she gives.
    act_as(page, signed_in_page, socialworker)
    page.goto("/cases/intake/")
    page.locator("#lookup").fill(AUNT_LIU_PHONE)
    pick = page.locator(f"#lookup-results button.pick[hx-get$='person={aunt_liu.pk}']")
    expect(pick).to_be_visible()
    # The registry's match is shown masked, never the full number.
    expect(page.locator("#lookup-results")).to_contain_text("139****0315")
    expect(page.locator("#lookup-results")).not_to_contain_text(AUNT_LIU_PHONE)
    pick.click()

    # Her name and household fill in: she is the caller, 4-3-502 is the place.
    expect(page.locator("#reporter .caller")).to_contain_text("刘桂英")
    expect(page.locator("#reporter .caller")).to_contain_text("4-3-502")
    expect(page.locator("#lookup-results")).to_be_empty()
    expect(page.locator("input[name=reporter_kind][value=person]")).to_be_checked()
    expect(page.locator("input[name=reporter_person]")).to_have_value(str(aunt_liu.pk))
    expect(page.locator("select[name=household]")).to_have_value(str(aunt_liu.current_household_id))

    # 2. "No water / no drinking water", urgent; the category's questions must be answered.
    page.select_option("select[name=category]", str(water.pk))
    expect(page.locator("#questions input[name=answer_has_drinking_water]")).to_have_count(2)
    page.check("input[name=answer_has_drinking_water][value=no]")
    page.check("input[name=answer_can_move][value=no]")
    page.check("input[name=urgency][value=urgent]")
    page.fill("textarea[name=description]", "刘阿姨行动不便，家中没有饮用水，请尽快送水上门。")
    expect(page.locator("select[name=channel]")).to_have_value("phone")

    # 3. Register and dispatch: straight on to the dispatch screen of the new case.
    with page.expect_navigation(url=re.compile(r"/cases/[^/]+/dispatch/$")):
        page.click("button[name=go][value=dispatch]")
    number = page.url.rstrip("/").split("/")[-2]
    case = Case.objects.get(number=number)
    assert (case.status, case.urgency, case.category_id) == (Status.REGISTERED, Urgency.URGENT, water.pk)
    assert case.reporter_person_id == aunt_liu.pk and case.household_id == aunt_liu.current_household_id
    assert case.answers == {"has_drinking_water": "no", "can_move": "no"}
    assert case.resolution_due - case.registered_at == timedelta(minutes=water.resolution_minutes_urgent)

    # The volunteer who delivers water in Aunt Liu's grid is suggested; pick him as the lead.
    summon = page.locator(f"input[name=parties][value='{volunteer_party}']")
    expect(summon).to_be_visible()
    summon.check()
    page.check(f"input[name=lead][value='{volunteer_party}']")
    page.fill("textarea[name=note]", "请带两桶饮用水，刘阿姨腿脚不便，送到家门口。")
    with page.expect_navigation(url=f"**/cases/{number}/"):
        page.click("button[name=mode][value=dispatch]")
    expect(page.locator(".case-parties")).to_contain_text("赵德明")

    # 4. The volunteer signs in and finds the task in "My tasks": where, whom, what.
    act_as(page, signed_in_page, water_volunteer)
    page.goto("/cases/tasks/")
    task = page.locator(f"#case-{number}")
    expect(task).to_contain_text("4-3-502")
    expect(task).to_contain_text("刘桂英")
    expect(task).to_contain_text("139****0315")
    # The social worker's instructions are not on the task card: they are on the case page's timeline.
    with page.expect_navigation(url=f"**/cases/{number}/"):
        task.locator(f"a[href$='/cases/{number}/']").click()
    expect(page.locator(".case-timeline")).to_contain_text("请带两桶饮用水")
    page.goto("/cases/tasks/")
    task = page.locator(f"#case-{number}")
    with page.expect_navigation(url=re.compile(r"/cases/tasks/")):
        task.locator("form[action$='/act/acknowledge/'] button[type=submit]").click()
    task = page.locator(f"#case-{number}")
    expect(task.locator("form[action$='/act/acknowledge/']")).to_have_count(0)

    # 5. Water delivered: he reports done.
    task.locator("form[action$='/act/resolve/'] textarea[name=report]").fill("送水上门")
    with page.expect_navigation(url=re.compile(r"/cases/tasks/")):
        task.locator("form[action$='/act/resolve/'] button[type=submit]").click()
    # Nothing left for him to press: the community calls Aunt Liu back.
    expect(page.locator(f"#case-{number} form[action$='/act/resolve/']")).to_have_count(0)

    # 6. The social worker calls Aunt Liu back: satisfied. Then closes the case.
    act_as(page, signed_in_page, socialworker)
    page.goto(f"/cases/{number}/verify/")
    expect(page.locator("body")).to_contain_text("刘桂英")
    expect(page.locator("body")).to_contain_text("送水上门")
    page.check("input[name=satisfaction][value=satisfied]")
    page.fill("form[action$='/act/verify/'] textarea[name=note]", "刘阿姨说水已送到，非常感谢。")
    with page.expect_navigation(url=f"**/cases/{number}/verify/"):
        page.click("form[action$='/act/verify/'] button[type=submit]")
    with page.expect_navigation(url=f"**/cases/{number}/verify/"):
        page.click("form[action$='/act/close/'] button[type=submit]")
    expect(page.locator("form[action$='/act/close/']")).to_have_count(0)

    # 7. The case page tells the whole story, in order, and the clocks show it was fast.
    page.goto(f"/cases/{number}/")
    steps = page.locator(".case-timeline ol.timeline > li .what > strong:first-child")
    expect(steps).to_have_text(
        labels(
            Action.REPORT,
            Action.REGISTER,
            Action.DISPATCH,
            Action.ACKNOWLEDGE,
            Action.RESOLVE,
            Action.VERIFY,
            Action.CLOSE,
        )
    )
    timeline = page.locator(".case-timeline")
    expect(timeline).to_contain_text("送水上门")
    expect(timeline).to_contain_text("请带两桶饮用水")
    expect(page.locator(".case-head .badge.overdue")).to_have_count(0)
    expect(page.locator(".case-clocks .badge.overdue")).to_have_count(0)

    case.refresh_from_db()
    assert case.status == Status.CLOSED and case.satisfaction == Satisfaction.SATISFIED
    assert case.responded_at is not None and case.responded_at <= case.response_due
    taken = case.resolved_at - case.registered_at
    assert taken < timedelta(minutes=water.resolution_minutes_urgent) / 4, taken
    assert case.resolved_at <= timezone.now()
    # What the page shows agrees: resolved (HH:MM) no later than the resolution due time.
    clocks = page.locator(".case-clocks")
    due = timezone.localtime(case.resolution_due).strftime("%Y-%m-%d %H:%M")
    resolved = timezone.localtime(case.resolved_at).strftime("%Y-%m-%d %H:%M")
    expect(clocks).to_contain_text(due)
    expect(clocks).to_contain_text(resolved)
