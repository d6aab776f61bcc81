"""The care part of the Heshengyuan demo: the article's Granny Wang, a running campaign, a populated register.

The whole demo is built once for this module (rolled back at the end): the demo
builder calls build_care_demo after the registry. Page speed on this data is measured
by bench/pages.py, not here.
"""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from django.db import transaction
from django.test import Client

from grassroots.accounts.models import User
from grassroots.care.models import (
    Campaign,
    CareProfile,
    Enrolment,
    Outcome,
    PlannedService,
    ServiceStatus,
    TierChange,
    Visit,
)
from grassroots.demo.builder import demo_build
from grassroots.demo.care import PROGRAMME_NAME
from grassroots.people.models import Person

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), transaction.atomic():
        community = demo_build()
        yield SimpleNamespace(community=community)
        transaction.set_rollback(True)


def test_the_register_holds_hundreds_in_plausible_proportions(demo):
    register = CareProfile.objects.filter(community=demo.community, on_register=True)
    residents = Person.objects.filter(community=demo.community, current_household__isnull=False).count()
    by_tier = {tier: register.filter(tier=tier).count() for tier in ("high", "key", "general")}
    assert 300 <= register.count() <= 0.2 * residents, by_tier
    assert 0 < by_tier["high"] < by_tier["key"], by_tier


def test_granny_wang_was_found_by_the_campaign_and_enrolled_with_months_of_services(demo):
    granny = Person.objects.get(community=demo.community, name="王秀兰")
    household = granny.current_household
    assert household.building.number == 4
    # The findings are sealed (no SQL can search them): the campaign's visit is the one that found illness.
    [visit] = [v for v in Visit.objects.filter(person=granny, campaign__isnull=False) if "患" in v.health]
    assert "脑瘫" in visit.family and "残疾" in visit.family
    consent = granny.consents.get()  # she agreed before the findings were written
    assert consent.given_by == "self" and consent.at <= visit.visited_at
    assert visit.case is not None and visit.case.channel == "visit"
    assert CareProfile.objects.get(person=granny).tier == "high"
    assert TierChange.objects.filter(profile__person=granny, to_tier="high").exists()
    enrolment = Enrolment.objects.get(household=household, programme__name=PROGRAMME_NAME)
    assert enrolment.team.name == "助老服务队" and enrolment.visit == visit
    done = PlannedService.objects.filter(enrolment=enrolment, status=ServiceStatus.DONE)
    assert len({(item.due_on.year, item.due_on.month) for item in done}) >= 3
    kinds = {item.service.kind for item in done}
    assert kinds >= {"home_chat", "phone_call", "clinic", "haircut", "supplies"}
    assert all(item.volunteer_id and item.hours for item in done)


def test_a_campaign_over_the_elderly_is_running_with_partial_coverage(demo):
    campaign = Campaign.objects.get(community=demo.community, name="邻里守望·幸福敲门")
    assert campaign.is_running()
    targets = campaign.targets.all()
    visited = targets.filter(status=Outcome.VISITED).count()
    assert targets.count() > 300
    assert 0.3 < visited / targets.count() < 0.7
    assert targets.filter(status=Outcome.PENDING).exists() and targets.filter(status=Outcome.REFUSED).exists()
    assert not targets.filter(visitor__isnull=True).exists()


def test_the_demo_accounts_have_work_to_show(demo):
    client = Client()
    for username, url, expected in [
        ("gridworker", "/care/worklist/", "care-item"),
        ("volunteer", "/care/tasks/", "王秀兰"),
        ("secretary", "/care/rate/", "visit-rate"),
        ("secretary", "/care/flags/", "care-flags"),
    ]:
        client.force_login(User.objects.get(username=username, community=demo.community))
        response = client.get(url)
        assert response.status_code == 200 and expected in response.content.decode(), (username, url)


@pytest.mark.parametrize(
    ("username", "which"),
    [
        ("gridworker", "worklist"),
        ("socialworker", "worklist"),
        ("secretary", "coverage"),
        ("gridworker", "coverage"),
    ],
)
def test_worklist_and_coverage_pages_keep_their_query_count(
    demo, username, which, django_assert_max_num_queries
):
    client = Client()
    client.force_login(User.objects.get(username=username, community=demo.community))
    campaign = Campaign.objects.get(community=demo.community, name="邻里守望·幸福敲门")
    url = "/care/worklist/" if which == "worklist" else f"/care/campaigns/{campaign.pk}/"
    assert client.get(url).status_code == 200
    with django_assert_max_num_queries(40):  # no query per row: hundreds of rows on this data
        assert client.get(url).status_code == 200
