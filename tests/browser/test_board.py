"""The supervision board in Chromium: the legs see the overdue case first and urge it in one click.

"As a 'leg', the community Party committee supervises the problem-solving process."
The secretary opens the board; a case that has run past its resolution time is on
top (even though another open case was reported earlier), and one click on "urge"
updates that row in place: urged once, the handlers told.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone, translation
from django.utils.translation import ngettext
from playwright.sync_api import Page, expect
from tests.factories import TEST_PASSWORD, HouseholdFactory, PersonFactory

from grassroots.cases import services
from grassroots.cases.models import Case, CaseEvent, Category, Channel
from grassroots.cases.services import Party, ReportDetails
from grassroots.cases.workflow import Action
from grassroots.notify.models import Message

pytestmark = pytest.mark.django_db(transaction=True)


def urged_badge(times: int) -> str:
    """The "urged ×n" badge as a zh-CN browser is shown it."""
    with translation.override("zh-hans"):
        text = ngettext("urged ×%(n)s", "urged ×%(n)s", times) % {"n": times}
    assert "urged" not in text, "the badge is not translated"
    return text


def dispatched_case(
    *, socialworker, volunteer, household, code: str, hours_ago: float, text: str, answers=None
) -> Case:
    """A phone case taken `hours_ago`, registered at once and given to the volunteer (not yet signed)."""
    community = household.building.community
    reporter = PersonFactory(household=household)
    case = services.case_report(
        actor=socialworker,
        community=community,
        details=ReportDetails(
            category=Category.objects.get(code=code),
            description=text,
            channel=Channel.PHONE,
            reporter_person=reporter,
            household=household,
            answers=answers or {},
            reported_at=timezone.now() - timedelta(hours=hours_ago),
        ),
        register=True,
    )
    return services.case_dispatch(
        actor=socialworker,
        case=case,
        lead=Party("person", volunteer.person_id),
        expected_version=case.version,
    )


@pytest.fixture
def open_cases(neighbourhood, socialworker, volunteer):
    """Two open cases of grid A: one answered and on time but older, one past its resolution time."""
    on_time = dispatched_case(
        socialworker=socialworker,
        volunteer=volunteer,
        household=HouseholdFactory(building=neighbourhood.building_4, entrance=1, room="402"),
        code="repairs",  # 3 days for a normal case, counted round the clock
        hours_ago=36,
        text="家里卫生间门锁坏了，需要修理。",
    )
    overdue = dispatched_case(
        socialworker=socialworker,
        volunteer=volunteer,
        household=HouseholdFactory(building=neighbourhood.building_4, entrance=3, room="201"),
        code="utilities-water",  # 1 day for a normal case
        hours_ago=30,
        text="家里停水一天了，需要送水。",
        answers={"has_drinking_water": "yes", "can_move": "yes"},
    )
    # The volunteer answered the first one (its response clock stopped): only the second is late.
    on_time = services.case_acknowledge(actor=volunteer, case=on_time)
    assert overdue.is_overdue() and not on_time.is_overdue() and not on_time.is_response_overdue()
    return {"on_time": on_time, "overdue": overdue}


def test_the_secretary_sees_the_overdue_case_first_and_urges_it(
    signed_in_page, page: Page, secretary, volunteer, open_cases, live_url
):
    overdue, on_time = open_cases["overdue"], open_cases["on_time"]
    signed_in_page(secretary, TEST_PASSWORD)
    page.goto("/cases/board/")

    rows = page.locator("table.cases-table tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_have_id(f"row-{overdue.number}")
    expect(rows.nth(1)).to_have_id(f"row-{on_time.number}")
    top = page.locator(f"#row-{overdue.number}")
    expect(top.locator(".overdue-text")).to_be_visible()  # "... late" in the due column
    expect(page.locator(f"#row-{on_time.number} .overdue-text")).to_have_count(0)
    expect(page.locator(".figures .overdue dd")).to_have_text("1")
    expect(top.locator(".badge.urged")).to_have_count(0)

    # One click: the row updates in place (no page load), urged once.
    top.locator("form.urge input[name=note]").fill("请今天务必送到，居民已等了一天。")
    url_before = page.url
    top.locator("form.urge button[type=submit]").click()
    top = page.locator(f"#row-{overdue.number}")
    expect(top.locator(".badge.urged")).to_have_text(urged_badge(1))  # in the secretary's language
    expect(top.locator("[role=status]")).to_be_visible()
    expect(top.locator("form.urge")).to_be_visible()  # may urge again later
    assert page.url == url_before
    expect(rows.nth(0)).to_have_id(f"row-{overdue.number}")
    expect(page.locator(f"#row-{on_time.number} .badge.urged")).to_have_count(0)

    overdue.refresh_from_db()
    assert overdue.urge_count == 1 and overdue.last_urged_at is not None
    urge = CaseEvent.objects.get(case=overdue, action=Action.URGE)
    assert urge.actor_id == secretary.pk and urge.note == "请今天务必送到，居民已等了一天。"
    assert Message.objects.filter(case=overdue, event=urge, recipient=volunteer).exists()

    # Reloaded, the board counts it as urged; a second urge at once is refused, saying when it may
    # come (the cooldown: the volunteer was texted a minute ago), and nothing more is sent.
    page.reload()
    expect(page.locator(".figures > div").nth(3).locator("dd")).to_have_text("1")
    top = page.locator(f"#row-{overdue.number}")
    top.locator("form.urge button[type=submit]").click()
    expect(top.locator("[role=alert], .errors, .problem").first).to_be_visible()
    expect(top.locator(".badge.urged")).to_have_text(urged_badge(1))
    overdue.refresh_from_db()
    assert overdue.urge_count == 1
    assert Message.objects.filter(case=overdue, recipient=volunteer, reason="urged").count() == 1

    # After the cooldown, the fresh row urges again.
    Case.objects.filter(pk=overdue.pk).update(last_urged_at=timezone.now() - timedelta(hours=1))
    page.reload()
    top = page.locator(f"#row-{overdue.number}")
    top.locator("form.urge button[type=submit]").click()
    expect(top.locator(".badge.urged")).to_have_text(urged_badge(2))
    overdue.refresh_from_db()
    assert overdue.urge_count == 2
