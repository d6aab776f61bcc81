"""The dashboard's figures against a hand-counted month, and every number against its list.

Last month in 和盛苑 (docs/metrics.md tells the same story as its worked example):

- c1 no power, 4-2-301: taken on, the volunteer reports for duty in 30 minutes, done the next
  morning (24 h, on time), the resident satisfied, closed;
- c2 no power again, same building, 1 h later (a repeat problem): reported for duty after 6 h
  (late), first reported done after 3 days 2 h (late), unsatisfied (rework), done again, basically
  satisfied;
- c3 water, electricity and heating in general, 7-1-502: in hand with the repair team, given one
  more day, escalated to the street; open;
- c4 psychological support (sensitive), 4-2-301, led by the grid worker: done and satisfied;
- c5 elderly care: only reported, never registered (no place);
- c6 no power, 7-1-502: rejected;
- c7 no power, 7-1-502: registered, then merged into c3;

and c8, reported two months ago and resolved last month, then reopened: it counts in the month it
was reported in, not last month.
"""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta
from html import unescape

import pytest
from django.test import Client
from django.utils import timezone

from grassroots.cases import figures, metrics
from grassroots.cases import services as cs
from grassroots.cases.models import Case, Category
from grassroots.cases.selectors import board_list
from grassroots.cases.services import Party, ReportDetails
from grassroots.demo.clock import demo_clock
from grassroots.insights.selectors import dashboard_for
from tests.factories import VolunteerTeamFactory

pytestmark = pytest.mark.django_db


def month_start(months_back: int):
    day = timezone.localdate().replace(day=1)
    for _ in range(months_back):
        day = (day - timedelta(days=1)).replace(day=1)
    return day


def at(month, day: int, hour: int, minute: int = 0) -> datetime:
    return timezone.make_aware(datetime.combine(month.replace(day=day), time(hour, minute)))


class Story:
    """Plays the month through the services, each step at its moment."""

    def __init__(self, community, actor):
        self.community, self.actor = community, actor

    def report(self, moment, code, household=None, *, register=True) -> Case:
        details = ReportDetails(
            category=Category.objects.get(code=code),
            description="居民来电",
            channel="phone",
            household=household,
        )
        with demo_clock(moment):
            return cs.case_report(
                actor=self.actor, community=self.community, details=details, register=register
            )

    def do(self, moment, service, case, **inputs) -> Case:
        with demo_clock(moment):
            return service(actor=self.actor, case=case, **inputs)


@pytest.fixture
def month(community, secretary, gridworker, volunteer, household_a, household_b):
    b, a = month_start(1), month_start(2)
    story = Story(community, secretary)
    team = VolunteerTeamFactory(community=community, name="维修服务队")
    helper = Party("person", volunteer.person_id)
    cases = {}

    c1 = story.report(at(b, 1, 9), "utilities-power", household_a)
    story.do(at(b, 1, 9, 10), cs.case_dispatch, c1, lead=helper)
    story.do(at(b, 1, 9, 30), cs.case_acknowledge, c1, party=helper)
    story.do(at(b, 2, 9), cs.case_resolve, c1, report="已恢复供电")
    story.do(at(b, 2, 10), cs.case_verify, c1, satisfaction="satisfied")
    cases["c1"] = story.do(at(b, 2, 11), cs.case_close, c1)

    c2 = story.report(at(b, 1, 10), "utilities-power", household_a)
    story.do(at(b, 1, 10, 5), cs.case_dispatch, c2, lead=helper)
    story.do(at(b, 1, 16), cs.case_acknowledge, c2, party=helper)
    story.do(at(b, 4, 12), cs.case_resolve, c2, report="换了保险丝")
    story.do(at(b, 4, 13), cs.case_verify, c2, satisfaction="unsatisfied")
    story.do(at(b, 4, 14), cs.case_acknowledge, c2, party=helper)
    story.do(at(b, 5, 10), cs.case_resolve, c2, report="更换了线路")
    cases["c2"] = story.do(at(b, 5, 11), cs.case_verify, c2, satisfaction="basic")

    c3 = story.report(at(b, 3, 9), "utilities", household_b)
    story.do(at(b, 3, 9, 5), cs.case_dispatch, c3, lead=Party("team", team.pk))
    story.do(at(b, 3, 9, 25), cs.case_acknowledge, c3, party=Party("team", team.pk))
    story.do(at(b, 3, 10), cs.case_extend, c3, minutes=24 * 60, reason="等配件")
    story.do(at(b, 3, 11), cs.case_decide_extension, c3, approve=True)
    cases["c3"] = story.do(at(b, 3, 12), cs.case_escalate, c3, reason="需要街道协调")

    c4 = story.report(at(b, 3, 11), "psychological", household_a)
    grid_lead = Party("user", gridworker.pk)
    story.do(at(b, 3, 11, 5), cs.case_dispatch, c4, lead=grid_lead)
    story.do(at(b, 3, 11, 15), cs.case_acknowledge, c4, party=grid_lead)
    story.do(at(b, 3, 15), cs.case_resolve, c4, report="已疏导")
    cases["c4"] = story.do(at(b, 3, 16), cs.case_verify, c4, satisfaction="satisfied")

    cases["c5"] = story.report(at(b, 6, 9), "elderly", register=False)
    c6 = story.report(at(b, 6, 10), "utilities-power", household_b, register=False)
    cases["c6"] = story.do(at(b, 6, 10, 30), cs.case_reject, c6, reason="属于供电公司")
    c7 = story.report(at(b, 6, 11), "utilities-power", household_b)
    cases["c7"] = story.do(at(b, 6, 11, 30), cs.case_merge, c7, into=cases["c3"])

    c8 = story.report(at(a, 25, 9), "utilities-power", household_b)
    story.do(at(a, 25, 9, 5), cs.case_dispatch, c8, lead=helper)
    story.do(at(a, 25, 9, 30), cs.case_acknowledge, c8, party=helper)
    story.do(at(b, 2, 9), cs.case_resolve, c8, report="修好了")
    story.do(at(b, 2, 10), cs.case_verify, c8, satisfaction="satisfied")
    story.do(at(b, 2, 11), cs.case_close, c8)
    cases["c8"] = story.do(at(b, 3, 9), cs.case_reopen, c8, reason="又停电了")
    return cases


def counts_for(user, community, *, months_back: int = 1, **filters):
    first = month_start(months_back)
    chosen = figures.Filters(figures.Period(first, first), **filters)
    return figures.counters_for(user=user, community_ids=[community.pk], filters=chosen)[community.pk]


def test_the_secretary_counts_the_month_by_hand(month, community, secretary):
    c = counts_for(secretary, community)
    assert (c["reported"], c["accepted"], c["pending"], c["rejected"], c["merged"]) == (7, 4, 1, 1, 1)
    assert (c["responded"], c["responded_on_time"]) == (4, 3)  # c2 answered after 6 h of 4
    assert (c["resolved_ever"], c["resolved_on_time"]) == (3, 2)  # c2 first reported done late
    assert (c["status_closed"], c["status_verified"]) == (1, 2)
    assert (c["rated"], c["verdict_satisfied"], c["verdict_basic"], c["verdict_unsatisfied"]) == (3, 2, 1, 0)
    assert (c["reworked"], c["extended"], c["escalated"], c["repeat"]) == (1, 1, 1, 1)
    shown = figures.figures_from(c)
    assert shown["response_rate"].value == 1
    assert shown["resolution_rate"].value == 0.75
    assert shown["satisfaction_rate"].value == pytest.approx(2.8 / 3)
    # 0.1 × 1 + 0.45 × 0.75 + 0.45 × 0.9333 = 0.8575
    assert shown["score"].value == pytest.approx(85.75)
    assert shown["rework_rate"].value == pytest.approx(1 / 3)
    # Responses: 15 min (c4), 25 (c3), 30 (c1), 6 h (c2): the median falls in 15–30 min, p90 in 4–8 h.
    assert metrics.bucket_bounds(shown["respond_p50"].value) == (15, 30)
    assert metrics.bucket_bounds(shown["respond_p90"].value) == (240, 480)
    # Resolutions standing: c4 4 h, c1 24 h, c2 4 days (registration to the report that held).
    assert metrics.bucket_bounds(shown["resolve_p50"].value) == (24 * 60, 2 * 24 * 60)


def test_a_case_spanning_months_counts_in_the_month_it_was_reported(month, community, secretary):
    c = counts_for(secretary, community, months_back=2)
    # c8: taken on and answered in time; resolved late next month, reopened: rework, not resolved now.
    assert (c["reported"], c["accepted"], c["responded_on_time"]) == (1, 1, 1)
    assert (c["resolved_ever"], c["resolved_on_time"], c["reworked"], c["status_dispatched"]) == (1, 0, 1, 1)
    assert c["rated"] == 1  # the latest verdict stands while the rework is open


def test_a_viewer_who_may_not_see_sensitive_cases_does_not_count_them(
    month, community, street_user, gridworker
):
    street = counts_for(street_user, community)
    assert (street["reported"], street["accepted"], street["rated"]) == (6, 3, 2)
    assert figures.figures_from(street)["satisfaction_rate"].value == pytest.approx(1.8 / 2)
    # The grid worker leads c4 (sensitive) and sees it as its party, but no figure counts it: grid A
    # holds c1 and c2 only (c5 has no place).
    grid = counts_for(gridworker, community)
    assert (grid["reported"], grid["accepted"], grid["repeat"]) == (2, 2, 1)


def test_the_filters_narrow_the_rollups_as_the_list_does(month, community, secretary, grid_b):
    assert counts_for(secretary, community, grid_id=grid_b.pk)["reported"] == 3  # c3, c6, c7
    utilities = Category.objects.get(code="utilities")
    assert counts_for(secretary, community, category_id=utilities.pk)["reported"] == 5  # with its children
    assert counts_for(secretary, community, channel="web")["reported"] == 0
    team = month["c3"].lead
    assert counts_for(secretary, community, handler=f"team:{team.team_id}")["accepted"] == 1


def test_the_handler_filter_offers_the_leads_the_rollups_counted(month, community, secretary, outsider):
    from grassroots.cases.selectors import counted_handler_choices_for

    team = month["c3"].lead
    today = timezone.localdate()
    offered = dict(counted_handler_choices_for(user=secretary, today=today))
    assert offered[f"team:{team.team_id}"] == "维修服务队"
    assert f"team:{team.team_id}" not in dict(counted_handler_choices_for(user=outsider, today=today))
    client = Client()
    client.force_login(secretary)
    page = client.get("/dashboard/", {"handler": f"team:{team.team_id}"})
    assert page.status_code == 200 and f'value="team:{team.team_id}" selected' in page.content.decode()


def test_the_now_figures_are_the_boards(month, community, secretary):
    now = timezone.now()
    live = figures.live_for(
        user=secretary,
        community_ids=[community.pk],
        filters=figures.Filters(figures.Period.month_of(now.date())),
        now=now,
    )
    # Open now: c2 and c4 (verified, not closed), c3, c5 (reported), c8 (reopened); overdue: c3, c8.
    assert live[community.pk] == {"open_now": 5, "overdue_now": 2}
    board = board_list(user=secretary, filters={}, now=now).figures
    assert (board["total"], board["overdue"]) == (5, 2)


def _links(html: str) -> list[tuple[str, int]]:
    return [
        (unescape(href), int(count))
        for href, count in re.findall(r'<a href="(/cases/\?[^"]+)"[^>]*>(\d+)</a>', html)
    ]


@pytest.mark.parametrize("role", ["secretary", "street_user", "gridworker", "socialworker"])
def test_every_number_on_the_dashboard_is_the_count_of_its_list(month, request, role):
    user = request.getfixturevalue(role)
    client = Client()
    client.force_login(user)
    b = month_start(1).strftime("%Y-%m")
    page = client.get(f"/dashboard/?month_from={b}&month_to={b}")
    assert page.status_code == 200
    links = _links(page.content.decode())
    assert len(links) > 20
    for href, count in links:
        listed = client.get(href)
        assert listed.status_code == 200, href
        assert listed.context["page"].paginator.count == count, href
    sensitive = month["c4"].number
    for href, _count in links:
        assert sensitive not in client.get(href).content.decode() or role in {"secretary", "socialworker"}


def test_the_street_sees_its_communities_side_by_side(month, community, other_community, street_user):
    client = Client()
    client.force_login(street_user)
    b = month_start(1).strftime("%Y-%m")
    page = client.get(f"/dashboard/?month_from={b}&month_to={b}")
    rows = {row.community.pk: row for row in page.context["board"].communities}
    assert set(rows) == {community.pk, other_community.pk}
    assert rows[community.pk].figures["reported"].value == 6
    assert rows[other_community.pk].figures["reported"].value == 0
    assert page.context["board"].total.figures["reported"].value == 6
    one = client.get(f"/dashboard/?month_from={b}&month_to={b}&community={other_community.pk}")
    assert [row.community for row in one.context["board"].communities] == [other_community]


def test_the_month_fields_show_the_months_counted(month, secretary):
    client = Client()
    client.force_login(secretary)
    this_month = timezone.localdate().strftime("%Y-%m")
    for query in ("", "?grid=&month_from=", f"?month_to={this_month}"):
        page = client.get(f"/dashboard/{query}").content.decode()
        assert f'name="month_from" value="{this_month}"' in page, query
        assert f'name="month_to" value="{this_month}"' in page, query
    earlier = month_start(1).strftime("%Y-%m")
    page = client.get(f"/dashboard/?month_from={earlier}").content.decode()
    assert f'name="month_from" value="{earlier}"' in page and f'name="month_to" value="{earlier}"' in page
    wrong = client.get("/dashboard/?month_from=2026-13").content.decode()
    assert 'name="month_from" value="2026-13"' in wrong  # what was typed stays, with its error


def test_the_api_gives_the_pages_numbers(month, community, secretary):
    client = Client()
    client.force_login(secretary)
    b = month_start(1).strftime("%Y-%m")
    answer = client.get(f"/api/v1/figures/?month_from={b}&month_to={b}").json()
    (ours,) = answer["communities"]
    assert ours["figures"]["resolution_rate"]["value"] == 0.75
    assert ours["figures"]["reported"]["parts"] == {
        "reported": 7,
        "accepted": 4,
        "pending": 1,
        "rejected": 1,
        "merged": 1,
    }
    assert answer["total"] is None
    board = dashboard_for(
        user=secretary,
        communities=[community],
        filters=figures.Filters(figures.Period(month_start(1), month_start(1))),
        now=timezone.now(),
        today=timezone.localdate(),
    )
    assert {key: f.value for key, f in board.communities[0].figures.items()} == {
        key: f["value"] for key, f in ours["figures"].items()
    }
    assert client.get("/api/v1/figures/?month_from=2026-13").status_code == 400
    assert client.get("/api/v1/figures/?community=999999").status_code == 400


def test_who_may_not_read_figures_reads_none(month, volunteer, resident):
    for user in (volunteer, resident):
        client = Client()
        client.force_login(user)
        assert client.get("/dashboard/").status_code == 404
        assert client.get("/api/v1/figures/").status_code == 404


def test_the_rules_are_data(month, community, secretary, settings):
    settings.GRASSROOTS_METRICS = {
        "resolved_statuses": ["verified", "closed"],
        "satisfaction_weights": {"satisfied": 1, "basic": 1, "unsatisfied": 0},
        "score_weights": {"response": 0, "resolution": 1, "satisfaction": 1},
    }
    shown = figures.figures_from(counts_for(secretary, community))
    assert shown["resolution_rate"].value == 0.75  # c1 closed, c2 and c4 verified
    assert shown["satisfaction_rate"].value == 1
    assert shown["score"].value == pytest.approx(87.5)
    client = Client()
    client.force_login(secretary)
    b = month_start(1).strftime("%Y-%m")
    listed = client.get(f"/cases/?figure=resolved&month_from={b}&month_to={b}")
    assert listed.context["page"].paginator.count == 3


def test_the_secretarys_home_opens_the_dashboard(secretary):
    client = Client()
    client.force_login(secretary)
    assert 'href="/dashboard/"' in client.get("/").content.decode()


def test_the_secretarys_home_shows_this_months_headline_and_the_ways_on(month, secretary, street_user):
    """The three rates, the score and the board's "now" figures of this month, the dashboard's own
    numbers; the dashboard, the supervision board and the reports one tap away."""
    for user in (secretary, street_user):
        client = Client()
        client.force_login(user)
        home = client.get("/")
        page = client.get("/dashboard/")
        html = home.content.decode()
        for key in (
            "response_rate",
            "resolution_rate",
            "satisfaction_rate",
            "score",
            "open_now",
            "overdue_now",
        ):
            shown = page.context["shown"].figures[key]
            card = re.search(rf'id="headline-{key}">(.*?)</section>', html, re.S)
            assert card is not None and f">{shown.text}</a>" in card.group(1), key
        assert 'href="/dashboard/"' in html and 'href="/cases/board/"' in html
        assert 'href="/dashboard/reports/"' in html


def _options(page: str, name: str) -> list[str]:
    select = re.search(rf'<select name="{name}"[^>]*>(.*?)</select>', page, re.S)
    assert select, name
    return re.findall(r"<option[^>]*>([^<]*)</option>", select.group(1))


def test_the_filters_drawn_once_are_each_viewers_own(month, community, secretary, outsider, street_user):
    """The filter form is kept a few minutes per viewer and query (insights.views.filters_cache_key):
    one viewer's grids and chosen values never show in another's."""
    pages = {}
    for user in (secretary, outsider, street_user, secretary):
        client = Client()
        client.force_login(user)
        pages[user.username] = client.get("/dashboard/").content.decode()
    assert "新港第一网格" in _options(pages["outsider"], "grid")
    assert "新港第一网格" not in _options(pages["secretary"], "grid")
    assert "新港第一网格" in _options(pages["street"], "grid") and len(
        _options(pages["street"], "grid")
    ) > len(_options(pages["secretary"], "grid"))
    client = Client()
    client.force_login(secretary)
    chosen = client.get("/dashboard/", {"channel": "web"}).content.decode()
    assert '<option value="web" selected>' in chosen
    again = client.get("/dashboard/").content.decode()
    assert '<option value="web" selected>' not in again


def test_the_period_and_the_trend_count_as_the_counters_do(month, community, secretary, street_user):
    """One grouped query per community and month answers the period and the trend: both agree with
    counters_for over the same months."""
    b = month_start(1)
    for user in (secretary, street_user):
        wide = figures.Filters(figures.Period(month_start(2), b))
        board = dashboard_for(
            user=user, communities=[community], filters=wide, now=timezone.now(), today=timezone.localdate()
        )
        expected = figures.counters_for(user=user, community_ids=[community.pk], filters=wide)[community.pk]
        assert board.communities[0].figures["reported"].value == expected["reported"] > 0
        by_month = {point.month: point.accepted for point in board.trend}
        for when in (month_start(2), b):
            one = figures.Filters(figures.Period(when, when))
            counted = figures.counters_for(user=user, community_ids=[community.pk], filters=one)[community.pk]
            assert by_month[when] == counted["accepted"]
        assert [(m, n) for m, n, _url in board.months] == sorted(by_month.items())
