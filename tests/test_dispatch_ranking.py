"""Dispatch that decides fast (issue 10.8): suggestions ranked with their reasons, the best one leading.

The rules are cases.suggest.WEIGHTS; these tests pin what they must mean to a coordinator: the
skill asked for, being free now, living near, the open tasks one carries and the hours one gave.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from grassroots.activities.hours import Work, hours_record
from grassroots.activities.models import SourceKind
from grassroots.cases import selectors, services, suggest
from grassroots.cases.models import Case, Category
from grassroots.cases.services import Party
from grassroots.orgs.models import WEEK_SLOTS, slot_label, week_slot
from tests.factories import PersonFactory, VolunteerFactory, VolunteerTeamFactory
from tests.test_case_views import browser_for, report

pytestmark = pytest.mark.django_db

#: A Tuesday afternoon, local time.
TUESDAY_3PM = datetime(2026, 12, 8, 15, 0)


@pytest.fixture
def water() -> Category:
    return Category.objects.get(code="utilities-water")


def give_hours(actor, person, case: Case, hours: int, *, days_ago: int) -> None:
    """Hours in the ledger for work on a case, some days ago."""
    hours_record(
        actor=actor,
        work=Work(
            person=person,
            community_id=case.community_id,
            source_kind=SourceKind.CASE,
            source_id=case.pk,
            hours=Decimal(hours),
            worked_at=timezone.now() - timedelta(days=days_ago),
        ),
    )


def volunteer(neighbourhood, name: str, *, building=None, grid=None, slots=(), skills=()):
    person = PersonFactory(name=name, household=None, community=neighbourhood.community)
    record = VolunteerFactory(
        person=person,
        home_grid=grid or neighbourhood.grid_b,
        home_building=building,
        weekly_slots=list(slots),
    )
    record.skills.add(*skills)
    return record


def facts_for(case: Case, user) -> dict[str, suggest.Fit]:
    groups = selectors.dispatch_suggestions_for(user=user, case=case)
    return {c.party: c.fit for group in groups for c in group.candidates}


def test_parts_of_the_week_begin_at_noon_and_six():
    assert week_slot(datetime(2026, 12, 8, 11, 59)) == "tue-am"
    assert week_slot(datetime(2026, 12, 8, 12, 0)) == "tue-pm"
    assert week_slot(datetime(2026, 12, 8, 18, 0)) == "tue-eve"
    assert week_slot(datetime(2026, 12, 13, 9, 0)) == "sun-am"
    assert set(map(week_slot, [TUESDAY_3PM + timedelta(hours=h) for h in range(0, 168, 3)])) <= set(
        WEEK_SLOTS
    )
    with translation.override("en"):
        assert slot_label("tue-pm") == "Tue afternoon"


def test_the_skilled_neighbour_who_is_free_now_comes_first_with_every_reason(
    neighbourhood, socialworker, water, household_a
):
    case = report(socialworker, neighbourhood.community, category=water, household=household_a)
    delivery = water.default_skill
    near = volunteer(
        neighbourhood, "钱立新", building=neighbourhood.building_4, grid=neighbourhood.grid_a,
        slots=["tue-pm"], skills=[delivery],
    )  # fmt: skip
    far = volunteer(neighbourhood, "孙海燕", slots=["sat-am"], skills=[delivery])
    with translation.override("en"):
        ranked = suggest.rank(facts_for(case, socialworker), now=timezone.make_aware(TUESDAY_3PM))
        skill = str(delivery)
    order = [item.party for item in ranked]
    assert order.index(f"person:{near.person_id}") < order.index(f"person:{far.person_id}")
    best = ranked[0]
    assert best.party == f"person:{near.person_id}"
    assert best.reasons == [skill, "lives in the building", "free Tue afternoon", "no open tasks"]
    far_reasons = next(item.reasons for item in ranked if item.party == f"person:{far.person_id}")
    assert "not usually free now" in far_reasons


def test_open_tasks_and_recent_hours_spread_the_work(neighbourhood, socialworker, water, household_a):
    case = report(socialworker, neighbourhood.community, category=water, household=household_a)
    delivery = water.default_skill
    busy = volunteer(neighbourhood, "钱立新", grid=neighbourhood.grid_a, skills=[delivery])
    rested = volunteer(neighbourhood, "孙海燕", grid=neighbourhood.grid_a, skills=[delivery])
    now = timezone.now()
    before = {item.party: item.score for item in suggest.rank(facts_for(case, socialworker), now=now)}
    assert before[f"person:{busy.person_id}"] == before[f"person:{rested.person_id}"]

    # Busy takes on another case and gave 12 hours this month: rested now comes first.
    other = report(socialworker, neighbourhood.community, category=water, household=household_a)
    services.case_dispatch(actor=socialworker, case=other, lead=Party("person", busy.person_id))
    give_hours(socialworker, busy.person, other, 12, days_ago=3)
    with translation.override("en"):
        after = {item.party: item for item in suggest.rank(facts_for(case, socialworker), now=now)}
    assert after[f"person:{rested.person_id}"].score > after[f"person:{busy.person_id}"].score
    assert "1 open task" in after[f"person:{busy.person_id}"].reasons
    assert "12 h in the last 30 days" in after[f"person:{busy.person_id}"].reasons
    assert "no open tasks" in after[f"person:{rested.person_id}"].reasons


def test_hours_older_than_the_window_do_not_count(neighbourhood, socialworker, water, household_a):
    case = report(socialworker, neighbourhood.community, category=water, household=household_a)
    old_hand = volunteer(neighbourhood, "钱立新", grid=neighbourhood.grid_a, skills=[water.default_skill])
    now = timezone.now()
    give_hours(socialworker, old_hand.person, case, 8, days_ago=suggest.RECENT_DAYS + 1)
    assert suggest.recent_hours([old_hand.person_id], now=now) == {}


def test_the_best_suggestion_is_ticked_as_lead_and_one_click_dispatches(
    neighbourhood, socialworker, water, household_a
):
    team = VolunteerTeamFactory(community=neighbourhood.community, name="送水服务队")
    water.default_team = team
    water.save(update_fields=["default_team"])
    case = report(socialworker, neighbourhood.community, category=water, household=household_a)
    client = browser_for(socialworker)
    page = client.get(reverse("case-dispatch", args=[case.number])).text
    party = f"team:{team.pk}"
    assert "Suggested" in page
    assert f'name="parties" value="{party}" checked' in page
    assert f'name="lead" value="{party}" checked' in page
    assert "the category&#x27;s team" in page
    assert page.count(f'name="parties" value="{party}"') == 1  # shown once, in the suggestions

    # One click: the form as it came, submitted.
    response = client.post(
        reverse("case-dispatch", args=[case.number]),
        {"version": case.version, "parties": [party], "lead": party, "mode": "dispatch"},
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.lead.team_id == team.pk


def test_a_redispatch_starts_from_who_has_it_now(neighbourhood, socialworker, water, household_a, volunteer):
    team = VolunteerTeamFactory(community=neighbourhood.community, name="送水服务队")
    water.default_team = team
    water.save(update_fields=["default_team"])
    case = report(socialworker, neighbourhood.community, category=water, household=household_a)
    services.case_dispatch(actor=socialworker, case=case, lead=Party("person", volunteer.person_id))
    page = browser_for(socialworker).get(reverse("case-dispatch", args=[case.number])).text
    assert f'name="lead" value="person:{volunteer.person_id}" checked' in page
    assert f'name="lead" value="team:{team.pk}" checked' not in page


def test_only_who_fits_is_ranked(neighbourhood, socialworker, gridworker, water, household_a):
    case = report(socialworker, neighbourhood.community, category=water, household=household_a)
    facts = facts_for(case, socialworker)
    assert f"user:{socialworker.pk}" in facts  # listed among the social workers, never suggested
    ranked = [item.party for item in suggest.rank(facts)]
    assert f"user:{gridworker.pk}" in ranked  # grid A's worker fits a case in grid A
    assert f"user:{socialworker.pk}" not in ranked


def test_the_answers_that_make_a_case_urgent_are_marked_for_the_intake_form(socialworker, water):
    page = browser_for(socialworker).get(reverse("case-questions"), {"category": water.pk}).text
    assert 'name="answer_has_drinking_water" value="no" data-urgent' in page
    assert 'name="answer_has_drinking_water" value="yes">' in page  # water at home: not urgent by itself
    assert "data-urgent" not in page.split("answer_can_move", 1)[1]
