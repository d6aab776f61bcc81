"""No page's SQL query count grows with the data: the hot pages cost as many queries for a large
community as for a small one (the district benchmark, bench/district_http.py, times them).

Each page is rendered once with a little data, then again after the community has grown (more
residents, households, cases, timeline entries, parties, care profiles), and must run exactly
as many queries both times: a page that queried per row (a missing select_related/prefetch, a
count per status) would run more the second time.
"""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from grassroots.care.services import register_refresh
from grassroots.cases import services
from grassroots.cases.models import Category
from grassroots.cases.services import Party
from grassroots.people.models import PersonTag
from tests.factories import HouseholdFactory, PersonFactory, vulnerability_tag
from tests.test_case_views import browser_for, report

pytestmark = pytest.mark.django_db


def queries(client, url: str, params: dict) -> int:
    """How many SQL queries one answer ran (the page must answer 200)."""
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, params)
    assert response.status_code == 200, url
    return len(captured)


class Community:
    """Grows a community round by round: households of building 4 (grid A), their residents (a
    王 living alone, tagged, so on the care register), and cases there, dispatched and worked on."""

    def __init__(self, neighbourhood, socialworker, volunteer) -> None:
        self.neighbourhood = neighbourhood
        self.socialworker = socialworker
        self.volunteer = volunteer
        self.water = Category.objects.get(code="utilities-water")
        self.alone = vulnerability_tag("living-alone")
        self.rounds = 0
        self.first_case = None

    def grow(self, rounds: int) -> None:
        hood = self.neighbourhood
        for _ in range(rounds):
            self.rounds += 1
            household = HouseholdFactory(building=hood.building_4, entrance=3, room=f"{self.rounds + 100}")
            elder = PersonFactory(household=household, name=f"王秀{'兰英梅芳珍华荣云琴'[self.rounds % 9]}")
            PersonTag.objects.create(person=elder, tag=self.alone)
            PersonFactory(household=hood.home_4_2_301, name="王小明")  # the household page grows too
            for home, reporter in ((household, elder), (hood.home_4_2_301, None)):
                case = report(
                    self.socialworker, hood.community, category=self.water, household=home, person=reporter
                )
                services.case_dispatch(
                    actor=self.socialworker, case=case, lead=Party("person", self.volunteer.person_id)
                )
                services.case_acknowledge(actor=self.volunteer, case=case)
            self.first_case = self.first_case or case
            services.case_note(actor=self.socialworker, case=self.first_case, note=f"进展 {self.rounds}")
        register_refresh(community=hood.community)


def test_no_hot_page_runs_more_queries_for_a_larger_community(
    neighbourhood, secretary, socialworker, gridworker, volunteer, street_user
):
    grown = Community(neighbourhood, socialworker, volunteer)
    grown.grow(2)
    case = grown.first_case
    pages = {
        "supervision board": (secretary, reverse("case-board"), {}),
        "case list": (secretary, reverse("case-list"), {}),
        "case list, filtered": (secretary, reverse("case-list"), {"status": "acknowledged", "q": "饮用水"}),
        "case list of the street": (street_user, reverse("case-list"), {}),
        "case page": (secretary, reverse("case-detail", args=[case.number]), {}),
        "household page": (
            socialworker,
            reverse("household-detail", args=[neighbourhood.home_4_2_301.pk]),
            {},
        ),
        "search: surname": (socialworker, reverse("person-search"), {"q": "王"}),
        "search: full name": (socialworker, reverse("person-search"), {"q": "王小明"}),
        "search: initials": (socialworker, reverse("person-search"), {"q": "wx"}),
        "search: address": (socialworker, reverse("person-search"), {"q": "4-3"}),
        "care worklist": (gridworker, reverse("care-worklist"), {}),
    }
    clients = {user.pk: browser_for(user) for user, _url, _params in pages.values()}
    for user, url, params in pages.values():  # the first answer of a session reads more (its language...)
        queries(clients[user.pk], url, params)
    small = {label: queries(clients[user.pk], url, params) for label, (user, url, params) in pages.items()}
    grown.grow(5)
    large = {label: queries(clients[user.pk], url, params) for label, (user, url, params) in pages.items()}
    assert large == small
    # The pages did show the larger community (so the equality above is about the same pages).
    page = clients[secretary.pk].get(reverse("case-list")).text
    assert page.count('class="case-cell"') == 2 * grown.rounds
    worklist = clients[gridworker.pk].get(reverse("care-worklist")).text
    assert worklist.count("王秀") >= grown.rounds
