"""Story 1 at the speed of a phone call (issue 10.8): a known caller, a suggested team, dispatched.

From opening the intake page to "dispatched", the social worker may spend at most 8 interactions
(a click, a tick, a choice or a typed field each count one): the number, the caller, the
category, its two questions, what the problem is, "register and dispatch", "dispatch". The page
does the rest: the lookup
fills the caller and the place, the answer "no drinking water" proposes the urgent limits, and the
dispatch screen has the best suggestion (the category's team) already ticked as the lead.
"""

from __future__ import annotations

import re
from datetime import date

import pytest
from playwright.sync_api import Page, expect
from tests.factories import HouseholdFactory, PersonFactory, VolunteerTeamFactory

from grassroots.cases.models import Case, Category, Urgency
from grassroots.cases.workflow import Status
from grassroots.people.models import Relation

pytestmark = pytest.mark.django_db(transaction=True)

AUNT_LIU_PHONE = "13920260315"
MOST_INTERACTIONS = 8


class Counted:
    """The page, with every interaction the user makes counted (navigation and waiting are not)."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.interactions = 0

    def _one(self) -> Page:
        self.interactions += 1
        return self.page

    def fill(self, selector: str, text: str) -> None:
        self._one().fill(selector, text)

    def click(self, selector: str) -> None:
        self._one().click(selector)

    def check(self, selector: str) -> None:
        self._one().check(selector)

    def select(self, selector: str, value: str) -> None:
        self._one().select_option(selector, value)


def test_a_known_caller_is_dispatched_to_the_suggested_team_in_eight_interactions(
    signed_in_page, page: Page, socialworker, neighbourhood
):
    home = HouseholdFactory(building=neighbourhood.building_4, entrance=3, room="502")
    aunt_liu = PersonFactory(
        name="刘桂英", sex="F", birth_date=date(1948, 11, 2), phone=AUNT_LIU_PHONE, household=home,
        relation=Relation.HEAD,
    )  # fmt: skip
    water = Category.objects.get(code="utilities-water")
    team = VolunteerTeamFactory(community=neighbourhood.community, name="送水服务队")
    water.default_team = team
    water.save(update_fields=["default_team"])

    signed_in_page(socialworker)
    page.goto("/cases/intake/")
    user = Counted(page)

    user.fill("#lookup", AUNT_LIU_PHONE)
    pick = page.locator(f"#lookup-results button.pick[hx-get$='person={aunt_liu.pk}']")
    expect(pick).to_be_visible()
    user.click(f"#lookup-results button.pick[hx-get$='person={aunt_liu.pk}']")
    expect(page.locator("select[name=household]")).to_have_value(str(home.pk))

    user.select("select[name=category]", str(water.pk))
    expect(page.locator("#questions input[name=answer_has_drinking_water]")).to_have_count(2)
    user.check("input[name=answer_has_drinking_water][value=no]")
    # "No drinking water" proposes the urgent limits: no extra tick.
    expect(page.locator("input[name=urgency][value=urgent]")).to_be_checked()
    user.check("input[name=answer_can_move][value=no]")
    user.fill("textarea[name=description]", "刘阿姨行动不便，家中没有饮用水。")

    with page.expect_navigation(url=re.compile(r"/cases/[^/]+/dispatch/$")):
        user.click("button[name=go][value=dispatch]")
    number = page.url.rstrip("/").split("/")[-2]

    # The category's team is the first suggestion, ticked as the lead, with its reason.
    suggested = page.locator("details.group.suggested")
    expect(suggested.locator(f"input[name=lead][value='team:{team.pk}']")).to_be_checked()
    expect(suggested.locator(f"input[name=parties][value='team:{team.pk}']")).to_be_checked()
    expect(suggested).to_contain_text("送水服务队")
    with page.expect_navigation(url=f"**/cases/{number}/"):
        user.click("button[name=mode][value=dispatch]")

    assert user.interactions <= MOST_INTERACTIONS, user.interactions
    case = Case.objects.get(number=number)
    assert case.status == Status.DISPATCHED
    assert case.urgency == Urgency.URGENT
    assert case.reporter_person_id == aunt_liu.pk and case.household_id == home.pk
    assert case.lead.team_id == team.pk
