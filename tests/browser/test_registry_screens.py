"""The register as a daily tool, in Chromium on a phone (360 px): a social worker registers a
newcomer at a flat the register did not know, records her move within the community, and reads
both in the history of her page, the phone number masked (issue 9)."""

from __future__ import annotations

import re

from django.utils import translation
from playwright.sync_api import expect
from tests.browser.phone import PHONE, PROBE

from grassroots.people.history import source_label


def test_register_move_and_read_the_history_on_a_phone(signed_in_page, socialworker, granny_wang, live_url):
    page = signed_in_page(socialworker)
    page.set_viewport_size(PHONE)
    page.goto(f"{live_url}/households/{granny_wang.current_household_id}/")
    page.locator("#household-actions a").first.click()
    expect(page).to_have_url(re.compile(r"/people/new/\?household=\d+$"))
    expect(page.locator("input[name=address]")).to_have_value("4-2-301")
    page.fill("input[name=name]", "刘秀兰")
    page.select_option("select[name=sex]", "F")
    page.fill("input[name=birth_date]", "1950-03-09")
    page.fill("input[name=phone]", "13912345678")
    page.fill("input[name=address]", "4-3-602")  # a flat the register does not know yet
    page.select_option("select[name=relation]", "head")
    page.locator("#person-form button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/people/\d+/$"))
    expect(page.locator("h1")).to_have_text("刘秀兰")
    expect(page.locator("#history")).to_contain_text("139****5678")
    assert page.evaluate(PROBE, 0)["width"] <= PHONE["width"]  # nothing wider than the phone

    page.locator("#person-actions a[href$='/move-in/']").click()
    page.fill("input[name=address]", "4-1-101")
    page.select_option("select[name=relation]", "tenant")
    page.locator("#move-form button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/people/\d+/$"))
    history = page.locator("#history")
    expect(history).to_contain_text("4-1-101")
    expect(history).to_contain_text("4-3-602")
    with translation.override("zh-hans"):  # the browser asks for Chinese (conftest)
        moved_in_through = source_label("person-move-in")
    expect(history).to_contain_text(moved_in_through)  # the screen in words, not its code
    expect(history).not_to_contain_text("person-move-in")
    expect(page.locator("body")).not_to_contain_text("13912345678")
