# ruff: noqa: F811 (the refusals fixture comes from tests.browser.test_csp)
"""The dashboard's charts in Chromium: drawn by the vendored ECharts from the page's data, each beside
its table, with no refusal of the Content-Security-Policy and no error, on a laptop (1280 px) and on a
phone (360 px) without sideways scrolling; the street office sees its communities side by side."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect
from tests.browser.phone import PHONE
from tests.browser.test_csp import refusals  # noqa: F401 (a fixture)

from grassroots.cases import services
from grassroots.cases.models import Category, Channel
from grassroots.cases.services import Party, ReportDetails

pytestmark = pytest.mark.django_db(transaction=True)

#: Is a chart drawn: a canvas of a real size inside it (ECharts' canvas renderer).
CANVASES = """() => [...document.querySelectorAll('[data-chart]')].map(el => {
  const canvas = el.querySelector('canvas');
  return {name: el.dataset.chart, width: canvas ? canvas.getBoundingClientRect().width : 0,
          height: canvas ? canvas.getBoundingClientRect().height : 0,
          box: el.getBoundingClientRect().width};
})"""


@pytest.fixture
def problems(page: Page, refusals: list[str]) -> list[str]:
    """What the CSP refused (tests/browser/test_csp.py's watch), and every console error besides."""
    page.on("console", lambda message: refusals.append(message.text) if message.type == "error" else None)
    return refusals


@pytest.fixture
def cases(secretary, volunteer, household_a, household_b):
    water, power = Category.objects.get(code="utilities-water"), Category.objects.get(code="utilities-power")
    made = []
    for category, household in ((water, household_a), (water, household_b), (power, household_a)):
        made.append(
            services.case_report(
                actor=secretary,
                community=household.building.community,
                details=ReportDetails(
                    category=category,
                    description="楼道漏水",
                    channel=Channel.PHONE,
                    household=household,
                    answers={"has_drinking_water": "yes", "can_move": "yes"} if category == water else {},
                ),
                register=True,
            )
        )
    services.case_dispatch(actor=secretary, case=made[0], lead=Party("person", volunteer.person_id))
    return made


def _drawn(page: Page) -> dict[str, dict]:
    page.wait_for_function("() => document.querySelectorAll('[data-chart][data-drawn]').length >= 3")
    return {chart["name"]: chart for chart in page.evaluate(CANVASES)}


@pytest.mark.parametrize("viewport", [{"width": 1280, "height": 900}, PHONE], ids=["laptop", "phone"])
def test_the_charts_draw_beside_their_tables_without_a_refusal(
    signed_in_page, page: Page, problems, secretary, cases, viewport, live_url
):
    page.set_viewport_size(viewport)
    signed_in_page(secretary)
    page.goto(f"{live_url}/dashboard/")
    charts = _drawn(page)
    assert set(charts) == {"trend", "top", "on-time"}
    for name, chart in charts.items():
        assert chart["width"] > 200 and chart["height"] > 200, (name, chart)
        assert chart["width"] <= viewport["width"], name
    expect(page.locator("#figure-top-categories tbody tr")).to_have_count(1)  # water and power: utilities
    expect(page.locator("#figure-months tbody tr")).to_have_count(12)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= viewport["width"], "the dashboard scrolls sideways"
    if viewport["width"] >= 1280:
        chart = page.locator('[data-chart="trend"]').bounding_box()
        table = page.locator("#figure-months").bounding_box()
        assert table["x"] > chart["x"] + chart["width"] - 1, "the table is beside its chart"
    assert problems == []


def test_a_chart_follows_the_window_and_the_street_sees_its_communities(
    signed_in_page, page: Page, problems, street_user, other_community, cases, live_url
):
    signed_in_page(street_user)
    page.goto(f"{live_url}/dashboard/")
    charts = _drawn(page)
    assert "compare" in charts
    wide = charts["compare"]["width"]
    page.set_viewport_size(PHONE)
    page.wait_for_function(
        "(wide) => document.querySelector('[data-chart=compare] canvas')"
        ".getBoundingClientRect().width < wide",
        arg=wide,
    )
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    expect(page.locator("#compare tbody tr")).to_have_count(2)
    assert problems == []


def test_without_javascript_the_tables_remain(browser, live_server, secretary, cases):
    context = browser.new_context(java_script_enabled=False, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(f"{live_server.url}/login/")
    page.fill("input[name=username]", secretary.username)
    from tests.factories import TEST_PASSWORD

    page.fill("input[name=password]", TEST_PASSWORD)
    page.locator("form:has(input[name=password]) [type=submit]").click()
    page.goto(f"{live_server.url}/dashboard/")
    expect(page.locator("#figure-top-categories tbody tr")).to_have_count(1)  # water and power: utilities
    expect(page.locator(".chart-box").first).to_be_hidden()
    context.close()
