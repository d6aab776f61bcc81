"""Playwright fixtures: Debian's Chromium against pytest-django's live server.

Playwright's own browser download cannot work on a closed network, so the tests
drive /usr/bin/chromium (Debian's package; `.ci/run` installs it). Every test in
this folder is marked `browser`, so `pytest -m "not browser"` skips them all.

    def test_secretary_sees_the_figures(signed_in_page, secretary):
        page = signed_in_page(secretary)      # or signed_in_page("secretary")
        page.goto("/")                        # relative URLs reach the live server
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from tests.factories import TEST_PASSWORD

# Playwright's sync API keeps an event loop running in this thread, and Django refuses
# ORM calls from a thread with a running loop. Tests and their fixtures are plain
# synchronous code, so tell Django it is safe (for this test process only).
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("GRASSROOTS_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
# Chromium on a closed network, as root in CI: no sandbox (root), no GPU (no screen),
# and none of the background calls home whose refused connections slow every start.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
HERE = Path(__file__).parent


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if HERE in item.path.parents:
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session", autouse=True)
def _close_connections_of_the_event_loop(playwright):
    """Close, before Playwright stops, the database connections opened while its loop ran.

    With a running event loop, Django keeps this thread's connections apart from the
    ones it had before (see tests/conftest.py), so these are not the ones pytest-django
    closes; left open, PostgreSQL refuses to drop the test database at the end.
    """
    yield
    from django.db import connections

    connections.close_all()


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict) -> dict:
    """pytest-playwright's launch options (--headed, --slowmo) plus Debian's Chromium and its flags."""
    if not Path(CHROMIUM).exists():
        raise pytest.UsageError(
            f"Chromium not found at {CHROMIUM}: apt-get install chromium (or set GRASSROOTS_CHROMIUM)"
        )
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [*browser_type_launch_args.get("args", []), *CHROMIUM_ARGS],
    }


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict) -> dict:
    """A phone-sized window would be `**playwright.devices[...]`; staff pages are tested at laptop size."""
    return {**browser_context_args, "viewport": {"width": 1280, "height": 900}, "locale": "zh-CN"}


@pytest.fixture(scope="session")
def base_url(live_server) -> str:
    """Playwright resolves relative URLs against this: page.goto("/login/") reaches the live server."""
    return live_server.url


@pytest.fixture
def live_url(live_server) -> str:
    """The live server's address without a trailing slash: f"{live_url}/login/"."""
    return live_server.url.rstrip("/")


@pytest.fixture
def signed_in_page(page, live_url: str) -> Callable:
    """Sign in through the real login form; returns the page, now on the user's home page.

    `signed_in_page(user)` or `signed_in_page("secretary")`; the user must exist (use the
    role fixtures from tests/conftest.py) and have TEST_PASSWORD unless another is given.
    """

    page.set_default_timeout(15_000)

    def sign_in(user, password: str = TEST_PASSWORD):
        username = getattr(user, "username", user)
        page.goto(f"{live_url}/login/")
        form = page.locator("form:has(input[name=password])")
        form.locator("input[name=username]").fill(username)
        form.locator("input[name=password]").fill(password)
        with page.expect_navigation():
            form.locator("[type=submit]").click()
        if page.url.split("?")[0].endswith("/login/"):
            raise AssertionError(f"signing in as {username!r} failed: still on {page.url}")
        return page

    return sign_in
