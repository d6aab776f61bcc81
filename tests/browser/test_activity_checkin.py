"""On a phone (360 px): a volunteer signs up for a red lighthouse afternoon, scans the QR code at the
door (opens its link), is checked in, and checks out when leaving; the leader sees the hours.

Every page on the way fits the screen's width and has tap targets of at least 44 px.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from tests.browser.phone import MIN_TARGET_PX, PHONE, PROBE
from tests.factories import TEST_PASSWORD, VolunteerTeamFactory

from grassroots.activities import services
from grassroots.activities.models import Signup, Theme

pytestmark = pytest.mark.django_db(transaction=True)


def _sign_in(page, live_url: str, username: str) -> None:
    page.goto(f"{live_url}/login/")
    form = page.locator("form:has(input[name=password])")
    form.locator("input[name=username]").fill(username)
    form.locator("input[name=password]").fill(TEST_PASSWORD)
    with page.expect_navigation():
        form.locator("[type=submit]").click()


def _fits(page) -> list[str]:
    seen = page.evaluate(PROBE, MIN_TARGET_PX)
    problems = list(seen["small"])
    if seen["width"] > PHONE["width"]:
        problems.append(f"{page.url} scrolls sideways: {seen['width']} px")
    return problems


def test_sign_up_scan_the_qr_link_and_check_out_on_a_phone(
    browser, live_url, community, volunteer, socialworker
):
    team = VolunteerTeamFactory(community=community, name="助老服务队")
    starts = timezone.now() - timedelta(minutes=15)
    activity = services.activity_publish(
        actor=socialworker,
        community=community,
        team=team,
        details=services.ActivityDetails(
            title="红色灯塔·楼道清扫",
            theme=Theme.objects.get(code="red-lighthouse"),
            place="4号楼前广场",
            starts_at=starts,
            ends_at=starts + timedelta(hours=2),
            capacity=8,
            signup_deadline=starts + timedelta(hours=1),
        ),
    )
    problems: list[str] = []

    # The leader's tablet at the door shows the QR code and its link.
    office = browser.new_context(viewport=PHONE, locale="zh-CN", has_touch=True, is_mobile=True).new_page()
    _sign_in(office, live_url, socialworker.username)
    office.goto(f"{live_url}/activities/{activity.pk}/qr/")
    assert office.locator(".activity-qr svg").is_visible()
    link = office.locator("#checkin-link").get_attribute("href")
    problems += _fits(office)

    phone = browser.new_context(viewport=PHONE, locale="zh-CN", has_touch=True, is_mobile=True).new_page()
    _sign_in(phone, live_url, volunteer.username)
    phone.goto(f"{live_url}/activities/")
    problems += _fits(phone)
    with phone.expect_navigation():
        phone.locator(f"[data-activity='{activity.pk}'] a.activity-title").click()
    problems += _fits(phone)
    with phone.expect_navigation():
        phone.locator("#signup").click()
    assert phone.locator("#my-signup").get_attribute("data-status") == "confirmed"

    phone.goto(link)  # the camera opens the QR code's link
    assert phone.locator("#checked-in").is_visible()
    problems += _fits(phone)
    with phone.expect_navigation():
        phone.locator("#checked-in a.button").click()
    with phone.expect_navigation():
        phone.locator("#checkout").click()
    assert phone.locator("#my-hours").is_visible()
    problems += _fits(phone)

    signup = Signup.objects.get(activity=activity, person=volunteer.person)
    assert signup.checkin_method == "qr" and signup.checked_out_at is not None and signup.hours is not None

    # The leader's roll call shows them in and out, ready to confirm.
    office.goto(f"{live_url}/activities/{activity.pk}/roll/")
    row = office.locator(f"tr[data-signup='{signup.pk}']")
    assert row.locator("button[value=confirm]").is_visible()
    problems += _fits(office)
    phone.goto(f"{live_url}/activities/mine/")
    problems += _fits(phone)
    assert problems == []
