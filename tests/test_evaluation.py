# ruff: noqa: F811 (the month's fixture comes from tests.test_dashboard)
"""The handlers' evaluation against the hand-counted month of tests/test_dashboard.py.

Last month the volunteer 赵德明 led c1 (on time throughout, satisfied) and c2 (reported for duty
late, first reported done late, sent back, basically satisfied); the repair team led c3 (in hand on
time, not done); the grid worker (staff, not evaluated here) led c4. c8, the volunteer's too, was
reported the month before.
"""

from __future__ import annotations

import pytest
from django.test import Client

from tests.test_dashboard import _links, month, month_start  # noqa: F401

pytestmark = pytest.mark.django_db


def page_for(user, **params):
    client = Client()
    client.force_login(user)
    b = month_start(1).strftime("%Y-%m")
    return client, client.get("/dashboard/handlers/", {"month_from": b, "month_to": b, **params})


def test_each_handler_is_counted_by_the_dashboards_rules(month, secretary, volunteer):
    _client, page = page_for(secretary)
    assert page.status_code == 200
    kinds = page.context["evaluation"].kinds
    (person,) = kinds["person"]
    assert (person.lead, person.name, person.volume.count) == (f"person:{volunteer.person_id}", "赵德明", 2)
    assert {f.key: f.value for f in person.shown} == {
        "on_time_response": 0.5,
        "on_time_resolution": 0.5,
        "rework_rate": 0.5,
        "satisfaction_rate": pytest.approx(0.9),
    }
    (team,) = kinds["team"]
    assert (team.name, team.volume.count) == ("维修服务队", 1)
    assert {f.key: f.value for f in team.shown} == {
        "on_time_response": 1.0,
        "on_time_resolution": None,
        "rework_rate": None,
        "satisfaction_rate": None,
    }
    assert kinds["unit"] == []


def test_every_number_is_the_count_of_its_list(month, secretary, street_user):
    for user in (secretary, street_user):
        client, page = page_for(user)
        links = _links(page.content.decode())
        assert len(links) >= 10
        for href, count in links:
            assert client.get(href).context["page"].paginator.count == count, href


@pytest.mark.parametrize("role", ["socialworker", "gridworker", "volunteer", "resident"])
def test_only_the_legs_read_evaluations(month, request, role):
    user = request.getfixturevalue(role)
    _client, page = page_for(user)
    assert page.status_code == 404
    if role in {"socialworker", "gridworker"}:
        client = Client()
        client.force_login(user)
        assert "/dashboard/handlers/" not in client.get("/dashboard/").content.decode()


def test_the_read_is_one_grouped_query_whatever_the_handlers(month, secretary, django_assert_max_num_queries):
    from grassroots.cases import figures
    from grassroots.insights.selectors import evaluation_for

    filters = figures.Filters(figures.Period(month_start(1), month_start(1)))
    communities = list(figures.communities_for(user=secretary))
    with django_assert_max_num_queries(4):  # the rollups, then a name query per kind of lead
        evaluation_for(user=secretary, communities=communities, filters=filters)
