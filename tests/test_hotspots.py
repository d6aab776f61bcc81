"""Hotspots (未诉先办): the rule against counted cases, and the one proactive case raised for one.

The default rule (seeded by migration cases/0010): at least 3 cases of the same category at the
same building within 14 days. Building 4 is in grid A (households 4-2-301 and 4-1-101), building 7
in grid B (7-1-502).
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.utils import timezone

from grassroots.cases import hotspots
from grassroots.cases import services as cs
from grassroots.cases.models import Case, Category, Channel, Hotspot, HotspotRule, HotspotScope
from grassroots.cases.services import ReportDetails
from grassroots.demo.clock import demo_clock

pytestmark = pytest.mark.django_db


@pytest.fixture
def report(community, secretary):
    """Report (and register) a case of a category at a household, some days ago."""

    def report(code: str, household, *, days_ago: float = 1, register: bool = True) -> Case:
        with demo_clock(timezone.now() - timedelta(days=days_ago)):
            return cs.case_report(
                actor=secretary,
                community=community,
                details=ReportDetails(
                    category=Category.objects.get(code=code),
                    description="楼道漏水，墙面渗水",
                    channel=Channel.PHONE,
                    household=household,
                ),
                register=register,
            )

    return report


def found(user, community) -> list[hotspots.Found]:
    return hotspots.hotspots_for(user=user, community_ids=[community.pk])


def listed(user, spot) -> int:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    page = client.get(spot.url)
    assert page.status_code == 200
    return page.context["page"].paginator.count


def test_the_default_rule_is_seeded():
    rule = HotspotRule.objects.get()
    assert (rule.scope, rule.min_cases, rule.window_days, rule.category) == (
        HotspotScope.BUILDING,
        3,
        14,
        None,
    )


def test_two_cases_are_no_hotspot_and_three_are(report, household_a, neighbourhood, secretary, community):
    report("utilities-power", household_a, days_ago=3)
    report("utilities-power", neighbourhood.home_4_1_101, days_ago=2)
    assert found(secretary, community) == []
    report("utilities-power", household_a, days_ago=1)
    (spot,) = found(secretary, community)
    assert (spot.place, spot.place_id, spot.category.code, spot.count) == (
        "building",
        neighbourhood.building_4.pk,
        "utilities-power",
        3,
    )
    assert spot.raisable
    assert listed(secretary, spot) == 3


def test_a_case_outside_the_window_or_at_another_building_does_not_count(
    report, household_a, household_b, secretary, community
):
    report("utilities-power", household_a, days_ago=15)  # outside the 14 days
    report("utilities-power", household_a, days_ago=2)
    report("utilities-power", household_b, days_ago=1)  # building 7
    report("elderly", household_a, days_ago=1)  # another category
    report("utilities-power", household_a, days_ago=1)
    assert found(secretary, community) == []
    report("utilities-power", household_a, days_ago=0.5)
    (spot,) = found(secretary, community)
    assert spot.count == 3  # the three in the window at building 4, not the one of 15 days ago
    assert listed(secretary, spot) == 3


def test_rejected_and_merged_cases_do_not_count(report, household_a, secretary, community):
    first = report("utilities-power", household_a, days_ago=3)
    rejected = report("utilities-power", household_a, days_ago=2, register=False)
    cs.case_reject(actor=secretary, case=rejected, reason="重复来电")
    merged = report("utilities-power", household_a, days_ago=1)
    cs.case_merge(actor=secretary, case=merged, into=first)
    report("utilities-power", household_a, days_ago=1)
    assert found(secretary, community) == []


def test_a_sensitive_category_is_hidden_from_who_may_not_see_it(
    report, household_a, neighbourhood, secretary, gridworker, street_user, community
):
    for days in (1, 2, 3):
        report("psychological", household_a, days_ago=days)
    (spot,) = found(secretary, community)
    assert spot.category.code == "psychological"
    assert listed(secretary, spot) == 3
    assert found(gridworker, community) == []  # grid A, but not sensitive cases
    assert found(street_user, community) == []
    for viewer in (gridworker, street_user):
        assert listed(viewer, spot) == 0  # the click-through hides them too


def test_a_rule_as_data_counts_a_category_group_in_a_grid(
    report, household_a, household_b, neighbourhood, secretary, community
):
    HotspotRule.objects.update(active=False)
    utilities = Category.objects.get(code="utilities")
    HotspotRule.objects.create(
        name="网格内水电气暖", category=utilities, scope=HotspotScope.GRID, min_cases=2, window_days=7
    )
    report("utilities-power", household_a, days_ago=2)
    report("utilities-power", household_b, days_ago=2)  # grid B
    assert found(secretary, community) == []
    report("utilities", neighbourhood.home_4_1_101, days_ago=1)  # the group's parent, grid A
    (spot,) = found(secretary, community)
    assert (spot.place, spot.place_id, spot.category, spot.count) == (
        "grid",
        neighbourhood.grid_a.pk,
        utilities,
        2,
    )
    assert listed(secretary, spot) == 2


def test_one_proactive_case_links_the_cases_and_is_raised_once(
    report, household_a, neighbourhood, secretary, socialworker, community
):
    behind = {report("utilities-power", household_a, days_ago=days).pk for days in (1, 2, 3)}
    (spot,) = found(secretary, community)
    hotspot = hotspots.hotspot_raise(actor=secretary, key=spot.key)
    case = hotspot.case
    assert case.channel == Channel.PROACTIVE
    assert (case.building, case.grid, case.category.code) == (
        neighbourhood.building_4,
        neighbourhood.grid_a,
        "utilities-power",
    )
    assert case.registered_at is not None
    assert set(hotspot.cases.values_list("pk", flat=True)) == behind
    again = hotspots.hotspot_raise(actor=socialworker, key=spot.key)
    assert again.pk == hotspot.pk
    assert Case.objects.filter(channel=Channel.PROACTIVE).count() == 1
    (spot,) = found(secretary, community)
    assert spot.raised == hotspot and not spot.raisable
    # The proactive case does not count towards the hotspot; a fourth report is still covered.
    report("utilities-power", household_a, days_ago=0)
    (spot,) = found(secretary, community)
    assert spot.count == 4 and spot.raised == hotspot
    assert hotspots.hotspot_raise(actor=secretary, key=spot.key).pk == hotspot.pk


def test_enough_new_cases_after_a_raise_make_a_new_hotspot(report, household_a, secretary, community):
    for days in (5, 6, 7):
        report("utilities-power", household_a, days_ago=days)
    (spot,) = found(secretary, community)
    with demo_clock(timezone.now() - timedelta(days=4)):
        first = hotspots.hotspot_raise(actor=secretary, key=spot.key)
    for days in (1, 2, 3):
        report("utilities-power", household_a, days_ago=days)
    (spot,) = found(secretary, community)
    assert spot.raisable
    second = hotspots.hotspot_raise(actor=secretary, key=spot.key)
    assert second.pk != first.pk and second.cases.count() == 6


def test_who_may_raise(report, household_a, street_user, volunteer, secretary, community):
    for days in (1, 2, 3):
        report("utilities-power", household_a, days_ago=days)
    (spot,) = found(secretary, community)
    with pytest.raises(PermissionDenied):
        hotspots.hotspot_raise(actor=street_user, key=spot.key)
    with pytest.raises(ValidationError):
        hotspots.hotspot_raise(actor=secretary, key="999.b1.c1")
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(volunteer)
    assert client.post("/cases/hotspots/raise/", {"hotspot": spot.key}).status_code == 404
    assert not Hotspot.objects.exists()


def test_the_dashboard_offers_it_the_board_shows_it_and_the_case_page_links(
    report, household_a, secretary, community
):
    numbers = {report("utilities-power", household_a, days_ago=days).number for days in (1, 2, 3)}
    (spot,) = found(secretary, community)
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(secretary)
    page = client.get("/dashboard/").content.decode()
    assert f'value="{spot.key}"' in page and spot.url in page
    assert f'data-hotspot="{spot.key}"' in client.get("/cases/board/").content.decode()
    answer = client.post("/cases/hotspots/raise/", {"hotspot": spot.key})
    proactive = Case.objects.get(channel=Channel.PROACTIVE)
    assert answer.status_code == 302 and answer["Location"] == f"/cases/{proactive.number}/"
    shown = client.get(answer["Location"]).content.decode()
    assert all(number in shown for number in numbers)
    assert proactive.number in client.get(f"/cases/{min(numbers)}/").content.decode()
    assert client.post("/cases/hotspots/raise/", {"hotspot": spot.key}).status_code == 302
    assert Case.objects.filter(channel=Channel.PROACTIVE).count() == 1
    # Raised and open: the board still shows it, with its case.
    assert proactive.number in client.get("/cases/board/").content.decode()


def test_the_read_is_bounded_by_the_window(
    report, household_a, household_b, secretary, community, django_assert_max_num_queries
):
    for days in (1, 2, 3):
        report("utilities-power", household_a, days_ago=days)
        report("utilities-power", household_b, days_ago=days)
    for days in range(20, 35):
        report("elderly", household_a, days_ago=days)  # old history the read never touches
    with django_assert_max_num_queries(6):
        spots = found(secretary, community)
    assert len(spots) == 2
