"""The browser harness itself: Chromium reaches the live server and reads a page."""

from __future__ import annotations

import json

import pytest


def test_chromium_reads_the_health_check(page, live_url):
    response = page.goto(f"{live_url}/healthz")
    assert response is not None and response.status == 200
    body = json.loads(page.inner_text("body"))
    assert body["status"] == "ok"


def test_relative_addresses_reach_the_live_server(page, live_url):
    page.goto("/healthz")
    assert page.url == f"{live_url}/healthz"


def test_signing_in_through_the_form_with_styles_served(signed_in_page, secretary, live_url):
    page = signed_in_page(secretary)
    assert page.url == f"{live_url}/"
    assert page.locator("input[name=password]").count() == 0
    # The stylesheet came from the live server without collectstatic (plain storage, finders).
    assert page.evaluate("Array.from(document.styleSheets).some(s => s.cssRules.length > 0)")


def test_a_wrong_password_keeps_you_on_the_login_page(signed_in_page, secretary):
    with pytest.raises(AssertionError, match="signing in as 'secretary' failed"):
        signed_in_page(secretary, password="not-the-password")
