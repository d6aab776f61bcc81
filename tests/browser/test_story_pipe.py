"""Story 2, walked end to end in Chromium: Aunt Kan's burst water pipe.

"Aunt Kan is an elderly person living alone. The water pipe in her home is broken
and she can't find a repairman. She remembers that the social worker said during
the door-to-door visit: 'find the community if you have difficulties'. After
dialing the phone and explaining the situation, the social worker contacted the
volunteers while appeasing, and the problem was solved quickly."

The social worker (mouth) finds Aunt Kan by name on the intake screen and sees that
she lives alone, registers an urgent burst-pipe case and, on the dispatch screen,
sends it to the plumbing volunteers (the 水电维修队 team) with a note of what she
told Aunt Kan. A member of the team (hands) sees the team's task in "My tasks",
reports for duty, adds a progress note and reports it fixed the same day; the
call-back finds Aunt Kan satisfied.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from django.utils import translation
from playwright.sync_api import Page, expect
from tests.factories import (
    TEST_PASSWORD,
    HouseholdFactory,
    PersonFactory,
    PersonTagFactory,
    VolunteerFactory,
    VolunteerTeamFactory,
    user_for,
    vulnerability_tag,
)

from grassroots.accounts.models import Role
from grassroots.cases.models import Case, Category, Satisfaction, Urgency
from grassroots.cases.workflow import Action, Status, label
from grassroots.notify.models import Message
from grassroots.orgs.models import Skill
from grassroots.people.models import Person, Relation

pytestmark = pytest.mark.django_db(transaction=True)

REASSURANCE = "已安抚阚阿姨：请她先关好总阀，维修志愿者马上上门。"


def act_as(page: Page, signed_in_page, user) -> Page:
    """Hand the browser to the next person in the story (a fresh session, through the login form)."""
    page.context.clear_cookies()
    return signed_in_page(user, TEST_PASSWORD)


def labels(*actions: str) -> list[str]:
    """The timeline's words for these actions, as a zh-CN browser is shown them."""
    with translation.override("zh-hans"):
        return [label(action) for action in actions]


@pytest.fixture
def aunt_kan(neighbourhood) -> Person:
    """阚淑珍, 81, living alone at 7-2-201 (building 7, grid B)."""
    home = HouseholdFactory(building=neighbourhood.building_7, entrance=2, room="201")
    kan = PersonFactory(
        name="阚淑珍",
        sex="F",
        birth_date=date(1944, 6, 18),
        phone="13920260618",
        household=home,
        relation=Relation.HEAD,
    )
    PersonTagFactory(person=kan, tag=vulnerability_tag("living-alone"))
    return kan


@pytest.fixture
def plumbers(community, grid_b):
    """The 水电维修队 and its leader 马振华, a plumber with an account."""
    team = VolunteerTeamFactory(community=community, name="水电维修队", focus="水管、电路维修")
    person = PersonFactory(name="马振华", sex="M", birth_date=date(1968, 4, 9), community=community)
    volunteer = VolunteerFactory(person=person, home_grid=grid_b, availability="全天", teams=[team])
    volunteer.skills.add(Skill.objects.get(code="plumbing"))
    team.leader = person  # a team is told through its leader
    team.save(update_fields=["leader"])
    user = user_for(
        Role.VOLUNTEER,
        community=community,
        person=person,
        username="plumber",
        last_name="马",
        first_name="振华",
    )
    return {"team": team, "user": user}


def test_aunt_kan_burst_pipe_is_fixed_the_same_day(
    signed_in_page, page: Page, socialworker, aunt_kan, plumbers, live_url
):
    pipe = Category.objects.get(code="repairs-pipe")
    team, plumber = plumbers["team"], plumbers["user"]
    team_party = f"team:{team.pk}"

    # 1. Aunt Kan calls; the social worker types her name and sees who she is.
    act_as(page, signed_in_page, socialworker)
    page.goto("/cases/intake/")
    page.locator("#lookup").fill("阚淑珍")
    found = page.locator("#lookup-results li").filter(has_text="阚淑珍")
    expect(found).to_have_count(1)
    expect(found).to_contain_text("7-2-201")
    expect(found.locator(".tag")).to_contain_text("独居")
    found.locator("button.pick").click()
    caller = page.locator("#reporter .caller")
    expect(caller).to_contain_text("阚淑珍")
    expect(caller.locator(".tag")).to_contain_text("独居")  # living alone: no one to help at home
    expect(page.locator("select[name=household]")).to_have_value(str(aunt_kan.current_household_id))

    # 2. A burst pipe, still leaking, urgent.
    page.select_option("select[name=category]", str(pipe.pk))
    page.check("input[name=answer_leaking_now][value=yes]")
    page.check("input[name=answer_valve_closed][value=no]")
    page.check("input[name=urgency][value=urgent]")
    page.fill("textarea[name=description]", "厨房水管爆裂，一直漏水，阚阿姨独居，找不到维修工。")
    with page.expect_navigation(url=re.compile(r"/cases/[^/]+/dispatch/$")):
        page.click("button[name=go][value=dispatch]")
    number = page.url.rstrip("/").split("/")[-2]

    # 3. The dispatch screen suggests the plumber by his skill; the social worker sends the
    # whole 水电维修队 (from the list of teams) and tells them what she told Aunt Kan.
    suggested = page.locator(f"input[name=parties][value='person:{plumber.person_id}']")
    expect(suggested).to_be_visible()
    teams = page.locator("details.group").filter(has=page.locator(f"input[value='{team_party}']"))
    if teams.get_attribute("open") is None:
        teams.locator("summary").click()
    page.check(f"input[name=parties][value='{team_party}']")
    page.check(f"input[name=lead][value='{team_party}']")
    page.fill("textarea[name=note]", REASSURANCE)
    with page.expect_navigation(url=f"**/cases/{number}/"):
        page.click("button[name=mode][value=dispatch]")
    expect(page.locator(".case-parties")).to_contain_text("水电维修队")
    expect(page.locator(".case-timeline")).to_contain_text(REASSURANCE)
    # The team is told through its leader, in his inbox.
    assert Message.objects.filter(case__number=number, reason="dispatched", recipient=plumber).exists()

    # 4. The plumber, a member of the team, finds the team's task in "My tasks".
    act_as(page, signed_in_page, plumber)
    page.goto("/cases/tasks/")
    task = page.locator(f"#case-{number}")
    expect(task).to_contain_text("7-2-201")
    expect(task).to_contain_text("阚淑珍")
    with page.expect_navigation(url=re.compile(r"/cases/tasks/")):
        task.locator("form[action$='/act/acknowledge/'] button[type=submit]").click()

    # On the way: a progress note.
    task = page.locator(f"#case-{number}")
    note_box = task.locator("details.action").filter(has=page.locator("form[action$='/act/note/']"))
    note_box.locator("summary").click()
    note_box.locator("textarea[name=note]").fill("已到现场，总阀已关，正在更换水管。")
    with page.expect_navigation(url=re.compile(r"/cases/tasks/")):
        note_box.locator("button[type=submit]").click()

    # Fixed: reports done.
    task = page.locator(f"#case-{number}")
    task.locator("form[action$='/act/resolve/'] textarea[name=report]").fill("更换了破裂的水管，已不再漏水。")
    with page.expect_navigation(url=re.compile(r"/cases/tasks/")):
        task.locator("form[action$='/act/resolve/'] button[type=submit]").click()
    expect(page.locator(f"#case-{number} form[action$='/act/resolve/']")).to_have_count(0)

    # 5. The call-back: Aunt Kan is satisfied; the social worker closes the case.
    act_as(page, signed_in_page, socialworker)
    page.goto(f"/cases/{number}/verify/")
    expect(page.locator("body")).to_contain_text("更换了破裂的水管")
    page.check("input[name=satisfaction][value=satisfied]")
    with page.expect_navigation(url=f"**/cases/{number}/verify/"):
        page.click("form[action$='/act/verify/'] button[type=submit]")
    with page.expect_navigation(url=f"**/cases/{number}/verify/"):
        page.click("form[action$='/act/close/'] button[type=submit]")

    page.goto(f"/cases/{number}/")
    steps = page.locator(".case-timeline ol.timeline > li .what > strong:first-child")
    expect(steps).to_have_text(
        labels(
            Action.REPORT,
            Action.REGISTER,
            Action.DISPATCH,
            Action.ACKNOWLEDGE,
            Action.NOTE,
            Action.RESOLVE,
            Action.VERIFY,
            Action.CLOSE,
        )
    )
    # The plumber acknowledged for the team: the page says who signed.
    expect(page.locator(".case-parties li.ack")).to_contain_text("马振华")

    case = Case.objects.get(number=number)
    assert case.status == Status.CLOSED and case.satisfaction == Satisfaction.SATISFIED
    assert case.urgency == Urgency.URGENT
    # Solved quickly: well inside the urgent limit, the same day.
    assert case.resolved_at - case.registered_at < timedelta(hours=1)
    assert case.resolved_at <= case.resolution_due
