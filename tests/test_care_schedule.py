"""Tier rules and schedule generation, as pure functions: no database."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from grassroots.care.rules import Facts, RuleSpec, decide, frequency_for, matches
from grassroots.care.schedule import Due, ServiceSpec, dues_in_month, month_days, months_between

# --- tier rules -------------------------------------------------------------------------------------

HIGH_TAGS = RuleSpec(1, "high", 7, tags=frozenset({"bedridden", "dementia"}), order=10)
HIGH_ALONE_80 = RuleSpec(2, "high", 7, min_age=80, lives_alone=True, order=20)
HIGH_DISABLED_1 = RuleSpec(3, "high", 7, tags=frozenset({"disabled"}), max_tag_level=1, order=30)
KEY_TAGS = RuleSpec(4, "key", 30, tags=frozenset({"living-alone", "disabled", "low-income"}), order=40)
KEY_80 = RuleSpec(5, "key", 30, min_age=80, order=50)
GENERAL = RuleSpec(6, "general", 90, tags=frozenset({"chronic-illness"}), order=60)
BOTH = RuleSpec(7, "key", 14, tags=frozenset({"empty-nest", "chronic-illness"}), all_tags=True, order=70)
RULES = [HIGH_TAGS, HIGH_ALONE_80, HIGH_DISABLED_1, KEY_TAGS, KEY_80, GENERAL, BOTH]


def test_a_person_with_no_tag_under_80_is_not_on_the_register():
    assert decide(RULES, Facts(age=70)) is None


def test_the_most_severe_matching_rule_wins():
    facts = Facts(age=83, tags={"chronic-illness": None, "low-income": None})
    assert (
        decide(RULES, facts) == KEY_TAGS
    )  # key beats general; age 80 key rule ties on days, earlier order wins


def test_eighty_and_living_alone_is_high_risk_but_eighty_with_family_is_key():
    assert decide(RULES, Facts(age=81, lives_alone=True)) == HIGH_ALONE_80
    assert decide(RULES, Facts(age=81, lives_alone=False)) == KEY_80
    assert decide(RULES, Facts(age=79, lives_alone=True)) is None


def test_tag_levels_count_only_up_to_the_rules_level():
    """Disability grade 1 is high risk; grades 2-4 are key (the other rule)."""
    assert decide(RULES, Facts(age=22, tags={"disabled": 1})) == HIGH_DISABLED_1
    assert decide(RULES, Facts(age=56, tags={"disabled": 2})) == KEY_TAGS


def test_all_tags_rules_need_every_tag_and_then_the_shorter_frequency_wins():
    assert decide(RULES, Facts(age=76, tags={"empty-nest": None})) is None
    chosen = decide(RULES, Facts(age=76, tags={"empty-nest": None, "chronic-illness": None}))
    assert chosen == BOTH


def test_a_rule_without_conditions_matches_nobody():
    assert not matches(RuleSpec(9, "high", 7), Facts(age=90, lives_alone=True))


def test_a_tier_set_by_hand_takes_the_shortest_frequency_of_its_rules():
    assert frequency_for("high", RULES) == 7
    assert frequency_for("key", RULES) == 14
    assert frequency_for("general", []) == 90


# --- schedule ---------------------------------------------------------------------------------------

TWICE_A_MONTH = ServiceSpec(2, "month")
MONTHLY = ServiceSpec(1, "month")
WEEKLY = ServiceSpec(1, "week")


def test_twice_a_month_falls_mid_month_and_on_the_last_day():
    dues = dues_in_month(TWICE_A_MONTH, 2026, 1, starts_on=date(2026, 1, 1))
    assert dues == [Due(date(2026, 1, 1), date(2026, 1, 16)), Due(date(2026, 1, 17), date(2026, 1, 31))]


@pytest.mark.parametrize(
    ("year", "expected"),
    [(2026, [date(2026, 2, 14), date(2026, 2, 28)]), (2028, [date(2028, 2, 15), date(2028, 2, 29)])],
)
def test_february_ends_on_the_28th_or_in_a_leap_year_the_29th(year, expected):
    dues = dues_in_month(TWICE_A_MONTH, year, 2, starts_on=date(2020, 1, 1))
    assert [due.due_on for due in dues] == expected
    assert dues_in_month(MONTHLY, year, 2, starts_on=date(2020, 1, 1))[0].due_on == expected[-1]


def test_thirty_day_months_and_the_year_end():
    assert dues_in_month(MONTHLY, 2026, 4, starts_on=date(2026, 1, 1))[0].due_on == date(2026, 4, 30)
    assert dues_in_month(MONTHLY, 2026, 12, starts_on=date(2026, 1, 1))[0].due_on == date(2026, 12, 31)
    assert months_between(date(2026, 11, 20), date(2027, 2, 1)) == [
        (2026, 11),
        (2026, 12),
        (2027, 1),
        (2027, 2),
    ]


def test_enrolling_mid_month_plans_only_what_is_still_to_come():
    dues = dues_in_month(TWICE_A_MONTH, 2026, 11, starts_on=date(2026, 11, 20))
    assert dues == [Due(date(2026, 11, 20), date(2026, 11, 30))]


def test_an_ended_enrolment_plans_nothing_after_its_end():
    dues = dues_in_month(TWICE_A_MONTH, 2026, 11, starts_on=date(2026, 1, 1), ends_on=date(2026, 11, 20))
    assert [due.due_on for due in dues] == [date(2026, 11, 15)]


def test_a_weekly_call_keeps_its_weekday_across_month_ends():
    start = date(2026, 1, 29)  # a Thursday
    january = dues_in_month(WEEKLY, 2026, 1, starts_on=start)
    february = dues_in_month(WEEKLY, 2026, 2, starts_on=start)
    assert january == []  # the first week ends on 4 February
    assert [due.due_on for due in february] == [
        date(2026, 2, 4),
        date(2026, 2, 11),
        date(2026, 2, 18),
        date(2026, 2, 25),
    ]
    assert {due.due_on.weekday() for due in february} == {2}
    march = dues_in_month(WEEKLY, 2026, 3, starts_on=start)
    assert march[0].due_on == date(2026, 3, 4)
    assert march[0].window_start == date(2026, 2, 26)  # the window opens in February: weeks ignore months


def test_a_weekly_call_across_a_leap_day():
    dues = dues_in_month(WEEKLY, 2028, 2, starts_on=date(2028, 2, 23))
    assert [due.due_on for due in dues] == [date(2028, 2, 29)]


@given(
    times=st.integers(1, 6),
    period=st.sampled_from(["week", "month"]),
    year=st.integers(2024, 2032),
    month=st.integers(1, 12),
    start_offset=st.integers(-400, 40),
)
def test_every_due_date_lies_in_its_month_after_the_start_in_order(times, period, year, month, start_offset):
    from datetime import timedelta

    starts_on = date(year, month, 1) + timedelta(days=start_offset)
    dues = dues_in_month(ServiceSpec(times, period), year, month, starts_on=starts_on)
    for due in dues:
        assert due.due_on.year == year and due.due_on.month == month
        assert starts_on <= due.window_start <= due.due_on
    assert [due.due_on for due in dues] == sorted({due.due_on for due in dues})
    if period == "month" and starts_on <= date(year, month, 1):
        assert len(dues) == times
        assert dues[-1].due_on.day == month_days(year, month)
