"""The Content-Security-Policy in Chromium: the busy pages run without one refusal, and still work.

The policy refuses inline scripts, inline styles, event-handler attributes and anything from
another site; a page that relied on one would lose a behaviour quietly (the browser only writes
"Refused to ..." to the console). Every test here watches the console and the page's
securitypolicyviolation events while it uses the page as its people do, and fails on any.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect
from tests.factories import PersonTagFactory, vulnerability_tag

from grassroots.care import services as care_services
from grassroots.care.defaults import install_default_rules
from grassroots.cases.models import Category, Channel, Urgency
from grassroots.cases.services import ReportDetails, case_report

pytestmark = pytest.mark.django_db(transaction=True)

REPORT_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (event) => {
  const where = `${event.sourceFile}:${event.lineNumber}`;
  window.cspViolation(`${event.violatedDirective} refused ${event.blockedURI || "inline"} (${where})`);
});
"""


@pytest.fixture
def refusals(page: Page) -> list[str]:
    """What the browser refused on this page, from the console and from violation events."""
    found: list[str] = []
    page.expose_function("cspViolation", lambda text: found.append(text))
    page.add_init_script(REPORT_VIOLATIONS)
    page.on(
        "console",
        lambda message: (
            found.append(message.text)
            if re.search(r"Content Security Policy|Refused to", message.text)
            else None
        ),
    )
    page.on("pageerror", lambda error: found.append(f"uncaught: {error}"))
    return found


@pytest.fixture
def water_case(socialworker, community, household_a, granny_wang):
    category = Category.objects.get(code="utilities-water")
    details = ReportDetails(
        category=category,
        description="家里没有饮用水了",
        channel=Channel.PHONE,
        urgency=Urgency.URGENT,
        reporter_person=granny_wang,
        household=household_a,
        answers={"has_drinking_water": "no", "can_move": "no"},
    )
    return case_report(actor=socialworker, community=community, details=details, register=True)


@pytest.fixture
def visited(socialworker, community, household_a, granny_wang):
    """Granny Wang on the register and reached this month, so the visit rate has a bar to draw."""
    install_default_rules()
    PersonTagFactory(person=granny_wang, tag=vulnerability_tag("disabled"), level=1)
    care_services.register_refresh(community=community)
    visit, _ = care_services.visit_record(
        actor=socialworker,
        household=household_a,
        details=care_services.VisitDetails(person=granny_wang, health="血压偏高", wellbeing=3),
    )
    return visit


def test_intake_finds_the_caller_through_htmx_without_a_refusal(
    signed_in_page, page: Page, refusals, socialworker, granny_wang, live_url
):
    signed_in_page(socialworker)
    page.goto("/cases/intake/")
    lookup = page.locator("#lookup")
    lookup.fill("4-2-301")
    pick = page.locator(f"#lookup-results button.pick[hx-get$='person={granny_wang.pk}']")
    expect(pick).to_be_visible()
    lookup.press("Enter")  # the lookup form never leaves the page (it was onsubmit="return false")
    assert page.url == f"{live_url}/cases/intake/"
    pick.click()
    expect(page.locator("#reporter .caller")).to_contain_text(granny_wang.name)
    expect(page.locator("#lookup-results")).to_be_empty()  # data-clear-after, once the caller is in
    expect(page.locator("select[name=household]")).to_have_value(str(granny_wang.current_household_id))
    # A number nobody has: the lookup offers to take it down for a new caller, which fills the form.
    lookup.fill("13912345678")
    page.locator("#lookup-results [data-new-caller]").click()
    expect(page.locator("input[name=reporter_phone]")).to_have_value("13912345678")
    expect(page.locator("input[name=reporter_kind][value=other]")).to_be_checked()
    # htmx made no <style> of its own (includeIndicatorStyles: false) and the page has none.
    assert page.locator("style").count() == 0
    assert refusals == []


def test_the_patrol_report_site_plan_picks_a_building(
    signed_in_page, page: Page, refusals, patroller, household_a
):
    signed_in_page(patroller)
    page.goto("/cases/report/")
    plan = page.locator("details.site-plan-box")
    if plan.get_attribute("open") is None:
        plan.locator("summary").click()
    # Building 4, where Granny Wang lives, as the patroller sees it on the plan.
    building = plan.locator("svg.site-plan g[data-building]").filter(has_text=re.compile(r"^4$"))
    building_id = building.get_attribute("data-building")
    building.locator("rect").click()
    expect(page.locator("select[name=building]")).to_have_value(building_id)
    expect(building).to_have_class(re.compile(r"\bchosen\b"))
    expect(page.locator("svg.site-plan .marker")).to_have_class(re.compile(r"\bshown\b"))
    assert float(page.input_value("input[name=plan_x]")) > 0
    # The building's households came in through htmx: Granny Wang's among them.
    expect(page.locator(f"select[name=household] option[value='{household_a.pk}']")).to_have_count(1)
    assert refusals == []


def test_the_care_visit_form_and_the_board_load_without_a_refusal(
    signed_in_page, page: Page, refusals, secretary, household_a, water_case
):
    signed_in_page(secretary)
    page.goto(f"/care/households/{household_a.pk}/visit/")
    expect(page.locator("form textarea").first).to_be_visible()
    page.goto("/cases/board/")
    expect(page.locator("main")).to_contain_text(water_case.number)
    assert refusals == []


def test_the_visit_rate_draws_its_bars_and_the_register_filters_by_grid(
    signed_in_page, page: Page, refusals, secretary, visited, grid_a
):
    signed_in_page(secretary)
    page.goto("/care/rate/")
    row = page.locator("#visit-rate tr[data-grid=A]")
    percent = int(row.locator("td").nth(3).inner_text().rstrip("%"))
    assert percent > 0
    bar = row.locator("svg.care-bar")
    filled = row.locator("svg.care-bar rect").bounding_box()["width"] / bar.bounding_box()["width"]
    assert abs(filled - percent / 100) < 0.02
    page.goto("/care/register/")
    with page.expect_navigation():
        page.select_option("select[name=grid]", str(grid_a.pk))  # data-autosubmit
    assert f"grid={grid_a.pk}" in page.url
    assert refusals == []


def test_the_admin_and_swagger_ui_work_under_the_policy(
    signed_in_page, page: Page, refusals, admin_user, granny_wang
):
    signed_in_page(admin_user)
    page.goto("/admin/")
    expect(page.locator("#content")).to_be_visible()
    page.goto(f"/admin/people/person/{granny_wang.pk}/change/")
    expect(page.locator("#content form")).to_be_visible()
    page.goto("/api/v1/docs/")
    expect(page.locator(".opblock").first).to_be_visible()
    assert refusals == []


def test_a_refusal_is_noticed(signed_in_page, page: Page, refusals, secretary):
    """The watch itself: an inline style put in by hand is refused, and reported."""
    signed_in_page(secretary)
    page.goto("/cases/")
    page.evaluate("document.body.insertAdjacentHTML('beforeend', '<p style=\"color: red\">x</p>')")
    page.wait_for_timeout(300)
    assert any("style-src" in refusal for refusal in refusals), refusals
