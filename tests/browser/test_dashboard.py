"""The dashboard in Chromium on a phone (360 px): the secretary opens it from her home page, reads
the three rates, and a tap on a number opens the list of exactly those cases."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect
from tests.browser.phone import MIN_TARGET_PX, PHONE, PROBE

from grassroots.cases import services
from grassroots.cases.models import Category, Channel
from grassroots.cases.services import Party, ReportDetails

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_secretary_reads_the_dashboard_on_a_phone_and_opens_a_number(
    signed_in_page, page: Page, secretary, volunteer, household_a, live_url
):
    for _ in range(2):
        case = services.case_report(
            actor=secretary,
            community=household_a.building.community,
            details=ReportDetails(
                category=Category.objects.get(code="utilities-power"),
                description="楼道停电",
                channel=Channel.PHONE,
                household=household_a,
            ),
            register=True,
        )
    services.case_dispatch(actor=secretary, case=case, lead=Party("person", volunteer.person_id))
    page.set_viewport_size(PHONE)
    signed_in_page(secretary)
    page.locator("#open-dashboard").click()
    expect(page.locator("#figure-response_rate .figure-value")).to_have_text("0.0%")
    looks = page.evaluate(PROBE, MIN_TARGET_PX)
    assert looks["width"] <= PHONE["width"], "the dashboard scrolls sideways on a phone"
    page.locator('#figure-response_rate a[data-part="accepted"]').click()
    expect(page.locator("#figure-banner")).to_be_visible()
    expect(page.locator("table.cases-table tbody tr")).to_have_count(2)
