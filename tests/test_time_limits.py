"""Default time limits a community can live by, and clocks that read right once work is done (14.19)."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from grassroots.cases import clock
from grassroots.cases.models import Case, Category, Urgency
from grassroots.cases.services import case_due_times
from grassroots.cases.workflow import Status
from tests.factories import TEST_PASSWORD

SHANGHAI = ZoneInfo("Asia/Shanghai")
WEDNESDAY_NIGHT = datetime(2026, 12, 2, 22, 43, tzinfo=SHANGHAI)


def due(code: str, urgency: str = Urgency.NORMAL, start: datetime = WEDNESDAY_NIGHT):
    return case_due_times(Category.objects.get(code=code), urgency, start)


@pytest.mark.django_db
def test_a_small_home_repair_reported_at_night_is_answered_the_next_morning():
    response, resolution = due("repairs-home")
    assert response.date() == WEDNESDAY_NIGHT.date() + timedelta(days=1)  # not five days later
    assert response.astimezone(SHANGHAI).hour < 12
    assert resolution - WEDNESDAY_NIGHT <= timedelta(days=10)  # 7 working days, a weekend between


@pytest.mark.django_db
def test_a_corridor_hazard_is_resolved_within_a_day_round_the_clock():
    response, resolution = due("facilities-hazard")
    assert response - WEDNESDAY_NIGHT <= timedelta(hours=1)
    assert resolution - WEDNESDAY_NIGHT <= timedelta(hours=24)


@pytest.mark.django_db
def test_every_default_category_answers_within_hours_and_resolves_within_a_working_fortnight():
    for category in Category.objects.filter(active=True):
        for urgency in (Urgency.NORMAL, Urgency.URGENT):
            response, resolution = case_due_times(category, urgency, WEDNESDAY_NIGHT)
            # Answered by the next working morning at the latest, never days later.
            assert response - WEDNESDAY_NIGHT <= timedelta(hours=14), (category.code, urgency)
            assert resolution - WEDNESDAY_NIGHT <= timedelta(days=11), (category.code, urgency)
            if urgency == Urgency.URGENT:
                assert response - WEDNESDAY_NIGHT <= timedelta(hours=12), category.code


def case_with(status: str, *, due_at, resolved_at=None) -> Case:
    return Case(status=status, resolution_due=due_at, resolved_at=resolved_at)


def test_the_clock_reads_time_left_late_by_or_done():
    now = timezone.now()
    assert (
        clock.reading_of(case_with(Status.DISPATCHED, due_at=now + timedelta(hours=3)), now).state == "left"
    )
    late = clock.reading_of(case_with(Status.DISPATCHED, due_at=now - timedelta(hours=3)), now)
    assert late.state == "overdue" and late.end - late.start == timedelta(hours=3)
    on_time = case_with(Status.RESOLVED, due_at=now + timedelta(days=1), resolved_at=now - timedelta(hours=1))
    assert clock.reading_of(on_time, now).state == "done"
    after = case_with(Status.CLOSED, due_at=now - timedelta(days=2), resolved_at=now - timedelta(days=1))
    reading = clock.reading_of(after, now)
    assert reading.state == "done_late" and reading.end - reading.start == timedelta(days=1)
    assert clock.reading_of(case_with(Status.REJECTED, due_at=now), now).state == "none"
    assert clock.reading_of(case_with(Status.REPORTED, due_at=None), now).state == "none"


def test_a_resolved_case_page_says_done_not_time_left(socialworker, community, household_a):
    from grassroots.cases.services import (
        Party,
        ReportDetails,
        case_acknowledge,
        case_dispatch,
        case_report,
        case_resolve,
    )

    case = case_report(
        actor=socialworker,
        community=community,
        details=ReportDetails(
            category=Category.objects.get(code="repairs-home"),
            description="厨房水龙头关不紧",
            channel="phone",
            household=household_a,
        ),
        register=True,
    )
    case = case_dispatch(actor=socialworker, case=case, lead=Party("user", socialworker.pk))
    case = case_acknowledge(actor=socialworker, case=case)
    case = case_resolve(actor=socialworker, case=case, report="已修好")
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    assert client.login(username=socialworker.username, password=TEST_PASSWORD)
    page = client.get(reverse("case-detail", args=[case.number])).content.decode()
    assert "done in time" in page
    assert " left</span>" not in page


@pytest.mark.django_db
def test_a_demo_rebuild_reapplies_the_reviewed_limits_and_duplicate_rules():
    """`grassroots demo --rebuild` re-seeds the reference data: the later data migrations count too."""
    from grassroots.demo.builder import _reseed_reference_data

    Category.objects.filter(code="facilities-lighting").update(
        response_minutes_urgent=240,
        resolution_minutes_urgent=2880,
        response_minutes_normal=1440,
        resolution_minutes_normal=7200,
        working_time=True,
        duplicate_place="household",
    )
    _reseed_reference_data()
    lighting = Category.objects.get(code="facilities-lighting")
    assert lighting.response_minutes_normal == 120 and lighting.resolution_minutes_normal == 2 * 9 * 60
    assert Category.objects.get(code="repairs-home").duplicate_place == "household"
