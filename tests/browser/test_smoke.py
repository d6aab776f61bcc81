"""The browser harness itself: Chromium reaches the live server and reads a page."""

from __future__ import annotations

import json


def test_chromium_reads_the_health_check(page, live_url):
    response = page.goto(f"{live_url}/healthz")
    assert response is not None and response.status == 200
    body = json.loads(page.inner_text("body"))
    assert body["status"] == "ok"
