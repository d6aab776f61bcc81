"""The second factor in Chromium, on a phone: a social worker enrols an authenticator and signs in.

The pages a sensitive account meets after its password (the authenticator set-up with its QR
code, the recovery codes, the code page) are used on a phone as often as at a desk: they must
fit 360 px with thumb-sized targets like every field page.
"""

from __future__ import annotations

import base64
import re

import pytest
from django_otp.oath import TOTP
from tests.browser.phone import MIN_TARGET_PX, PHONE, PROBE
from tests.factories import TEST_PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)


def _fits(page) -> None:
    seen = page.evaluate(PROBE, MIN_TARGET_PX)
    assert seen["width"] <= PHONE["width"] and seen["small"] == [], (page.url, seen["small"])


def _sign_in(page, live_url: str, username: str) -> None:
    page.goto(f"{live_url}/login/")
    form = page.locator("form:has(input[name=password])")
    form.locator("input[name=username]").fill(username)
    form.locator("input[name=password]").fill(TEST_PASSWORD)
    with page.expect_navigation():
        form.locator("[type=submit]").click()


def test_a_social_worker_enrols_an_authenticator_and_signs_in_with_a_code_on_a_phone(
    browser, live_url, socialworker, settings
):
    settings.GRASSROOTS_REQUIRE_SECOND_FACTOR = True
    page = browser.new_context(viewport=PHONE, locale="zh-CN").new_page()
    _sign_in(page, live_url, socialworker.username)
    assert "/account/authenticator/" in page.url
    assert page.locator(".qr svg").is_visible()
    _fits(page)
    page.locator(".secret summary").click()
    key = base64.b32decode(page.inner_text(".secret p").strip())
    page.fill("input[name=code]", f"{TOTP(key).token():06d}")
    page.locator("main form button.primary").click()
    codes = page.locator(".recovery-codes li").all_inner_texts()
    assert len(codes) == 10
    _fits(page)
    page.locator("main a.button.primary").click()
    assert page.url == f"{live_url}/"

    again = browser.new_context(viewport=PHONE, locale="zh-CN").new_page()
    _sign_in(again, live_url, socialworker.username)
    assert re.search(r"/login/code/\?next=", again.url)
    _fits(again)
    again.fill("input[name=code]", codes[0])
    again.locator("main form button.primary").click()
    assert again.url == f"{live_url}/"
