"""The field pages on a phone (360x740), walked in Chromium over the demo as every account.

Grid workers, volunteers and patrollers use grassroots standing in a stairwell with one
thumb. Every page a demo account reaches from its home (and from Granny Wang's household,
her person page and a visit form) must fit the width of the screen, and every tap target
must be at least 44x44 px (WCAG 2.5.5). The one exception is WCAG 2.5.8's: a link inside
a sentence keeps the height of its line. The header folds behind a menu button, so that a
page starts near the top of the screen; on a laptop the full menu stays in view.
"""

from __future__ import annotations

import re
from io import StringIO

import pytest
from django.core.management import call_command
from tests.browser.phone import MIN_TARGET_PX, PHONE, PROBE
from tests.factories import TEST_PASSWORD

from grassroots.cases import services
from grassroots.cases.models import Category, Channel
from grassroots.cases.services import ReportDetails
from grassroots.demo.builder import DEMO_PASSWORD
from grassroots.demo.plan import PRINTED_USERNAMES

pytestmark = pytest.mark.django_db(transaction=True)

#: The compact header: one row for the name and the menu button.
MAX_HEADER_PX = 64
#: Links the walk does not follow: files, signing out, the language switch, the admin, API docs.
NOT_FOLLOWED = re.compile(r"^/(static|media|logout|i18n|admin|api)/")
PAGES_PER_ACCOUNT = 30


def _shape(path: str) -> str:
    """Pages of one kind share a shape (/cases/N/, /people/N/): one of each is enough."""
    return re.sub(r"\d+", "N", path)


def _sign_in(page, live_url: str, username: str, password: str = DEMO_PASSWORD) -> None:
    page.goto(f"{live_url}/login/")
    form = page.locator("form:has(input[name=password])")
    form.locator("input[name=username]").fill(username)
    form.locator("input[name=password]").fill(password)
    with page.expect_navigation():
        form.locator("[type=submit]").click()


def _walk(page, live_url: str, start: list[str]) -> dict[str, dict]:
    """Open the pages the account can reach, breadth first, one per shape; what each looked like."""
    seen: dict[str, dict] = {}
    shapes: set[str] = set()
    queue = list(start)
    while queue and len(seen) < PAGES_PER_ACCOUNT:
        path = queue.pop(0)
        if path in seen or _shape(path) in shapes or NOT_FOLLOWED.match(path):
            continue
        shapes.add(_shape(path))
        response = page.goto(f"{live_url}{path}")
        if (
            response is None
            or response.status != 200
            or "html" not in response.headers.get("content-type", "")
        ):
            continue
        seen[path] = page.evaluate(PROBE, MIN_TARGET_PX)
        queue.extend(link for link in seen[path]["links"] if link not in seen)
    return seen


@pytest.fixture
def demo(django_db_blocker):
    """The demo community, built through the command (the live server reads the committed rows)."""
    call_command("demo", "--build-only", "--no-migrate", stdout=StringIO())
    from grassroots.people.models import Person

    wang = Person.objects.get(name="王秀兰", current_household__isnull=False)
    return {"household": wang.current_household_id, "person": wang.pk}


def test_every_field_page_fits_a_phone_with_thumb_sized_targets(demo, browser, live_url):
    start = [
        "/",
        f"/households/{demo['household']}/",
        f"/people/{demo['person']}/",
        f"/care/households/{demo['household']}/visit/",
    ]
    problems: dict[str, list[str]] = {}
    walked = 0
    for username in (name for name in PRINTED_USERNAMES if name != "admin"):
        context = browser.new_context(viewport=PHONE, locale="zh-CN", has_touch=True, is_mobile=True)
        page = context.new_page()
        _sign_in(page, live_url, username)
        for path, seen in _walk(page, live_url, start).items():
            walked += 1
            found = [*seen["small"]]
            if seen["width"] > PHONE["width"]:
                found.append(f"scrolls sideways: {seen['width']} px wide")
            if seen["header"] > MAX_HEADER_PX:
                found.append(f"header {seen['header']} px tall")
            if found:
                problems[f"{username} {path}"] = found
        if username == "socialworker":
            _check_stacked_cells_are_labelled(page, live_url)
        context.close()
    assert walked >= 60, walked
    assert problems == {}
    laptop = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
    _sign_in(laptop, live_url, "socialworker")
    laptop.goto(f"{live_url}/care/register/")
    assert laptop.locator("table.care-register thead").is_visible()
    cell = laptop.locator("table.care-register tbody tr").first.locator("td").nth(2)
    assert cell.evaluate("td => getComputedStyle(td, '::before').content") in ("none", "normal")


def _check_stacked_cells_are_labelled(page, live_url: str) -> None:
    """A table that folds into cards on a phone hides its heading row: each value says its column."""
    page.goto(f"{live_url}/care/register/")
    assert not page.locator("table.care-register thead").is_visible()
    heading = page.locator("table.care-register thead th").nth(2).text_content().strip()
    cell = page.locator("table.care-register tbody tr").first.locator("td").nth(2)
    assert heading and cell.get_attribute("data-label") == heading
    assert heading in cell.evaluate("td => getComputedStyle(td, '::before').content")


def test_the_menu_button_folds_the_header_on_a_phone_and_not_on_a_laptop(
    browser, live_url, socialworker, household_a
):
    services.case_report(
        actor=socialworker,
        community=household_a.building.community,
        details=ReportDetails(
            category=Category.objects.get(code="repairs"),
            description="楼道水管漏水",
            channel=Channel.PHONE,
            household=household_a,
        ),
        register=True,
    )
    phone = browser.new_context(viewport=PHONE, locale="zh-CN").new_page()
    _sign_in(phone, live_url, socialworker.username, TEST_PASSWORD)
    phone.goto(f"{live_url}/cases/board/")
    toggle = phone.locator(".menu-toggle")
    board_link = phone.locator(".mainnav a[href='/cases/board/']")
    assert toggle.is_visible() and toggle.get_attribute("aria-expanded") == "false"
    assert not board_link.is_visible()
    assert phone.locator("header.topbar").bounding_box()["height"] <= MAX_HEADER_PX
    # The board's first case starts on the first screen.
    assert phone.locator("table.cases-table tbody tr").first.bounding_box()["y"] < PHONE["height"]
    toggle.click()
    assert toggle.get_attribute("aria-expanded") == "true"
    assert board_link.is_visible() and phone.locator("button", has_text="退出登录").is_visible()
    phone.keyboard.press("Escape")
    assert not board_link.is_visible()

    laptop = browser.new_context(viewport={"width": 1280, "height": 800}, locale="zh-CN").new_page()
    _sign_in(laptop, live_url, socialworker.username, TEST_PASSWORD)
    assert not laptop.locator(".menu-toggle").is_visible()
    assert laptop.locator(".mainnav a[href='/cases/board/']").is_visible()
    assert laptop.locator("header.topbar").bounding_box()["height"] <= MAX_HEADER_PX
