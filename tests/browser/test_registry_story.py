"""A social worker takes a call in a real browser: finds Granny Wang by her pinyin
initials, opens her household, and switches the interface to English and back."""

from __future__ import annotations

import re

from playwright.sync_api import expect


def test_socialworker_finds_granny_wang_by_initials_and_opens_her_household(
    signed_in_page, socialworker, granny_wang, live_url
):
    page = signed_in_page(socialworker)
    search = page.locator("input[name=q]")
    search.fill("wxl")
    # Live results arrive through HTMX while typing, without a page load.
    result = page.locator("#search-results").get_by_role("link", name="王秀兰")
    expect(result).to_be_visible()
    expect(page.locator("#search-results")).to_contain_text("138****5678")
    expect(page.locator("#search-results")).not_to_contain_text("13812345678")

    page.locator("#search-results").get_by_role("link", name="4-2-301").click()
    expect(page).to_have_url(re.compile(r"/households/\d+/$"))
    expect(page.locator("h1")).to_contain_text("4-2-301")
    expect(page.locator("table.people")).to_contain_text("王秀兰")


def test_the_language_switcher_changes_every_label(signed_in_page, socialworker, granny_wang, live_url):
    page = signed_in_page(socialworker)
    page.goto(f"{live_url}/people/?q=4-2-301")
    expect(page.locator("h1")).to_have_text("查找居民")

    page.get_by_role("button", name="English").click()
    expect(page.locator("h1")).to_have_text("Find a resident")
    expect(page.locator("input[name=q]")).to_have_value("4-2-301")  # the page stays where it was
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()

    page.get_by_role("button", name="中文").click()
    expect(page.locator("h1")).to_have_text("查找居民")


def test_a_volunteer_cannot_reach_the_resident_search(signed_in_page, volunteer, granny_wang, live_url):
    page = signed_in_page(volunteer)
    response = page.goto(f"{live_url}/people/?q=wxl")
    assert response is not None and response.status == 404
    expect(page.locator("body")).not_to_contain_text("王秀兰")
