"""Working-time deadlines on the Chinese calendar (holidays and make-up working days)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from grassroots.cases.calendar import add_working_minutes, is_working_day

SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(*args) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI)


def test_time_within_a_working_day():
    assert add_working_minutes(at(2026, 11, 25, 9, 0), 120) == at(2026, 11, 25, 11, 0)


def test_a_friday_evening_case_is_due_on_monday():
    # Friday 27 Nov 2026, 20:00: nothing counts until Monday 08:30; 8 working hours later is 16:30.
    assert add_working_minutes(at(2026, 11, 27, 20, 0), 8 * 60) == at(2026, 11, 30, 16, 30)


def test_time_rolls_over_the_end_of_the_day():
    # 16:30 + 2 h: one hour today (to 17:30), one hour tomorrow from 08:30.
    assert add_working_minutes(at(2026, 11, 25, 16, 30), 120) == at(2026, 11, 26, 9, 30)


def test_the_national_day_holiday_does_not_count():
    # 30 Sep 2026 is a working day; 1-7 Oct are holidays; 8 Oct is the next working day.
    assert is_working_day(at(2026, 9, 30, 12).date())
    assert not is_working_day(at(2026, 10, 5, 12).date())
    assert add_working_minutes(at(2026, 9, 30, 17, 0), 60) == at(2026, 10, 8, 9, 0)


def test_a_make_up_saturday_counts():
    # Saturday 10 Oct 2026 is a make-up working day (调休).
    assert is_working_day(at(2026, 10, 10, 12).date())
    assert add_working_minutes(at(2026, 10, 9, 17, 0), 60) == at(2026, 10, 10, 9, 0)


def test_a_year_without_holiday_data_still_gives_a_deadline():
    # Beyond the library's data only weekends rest: Friday 5 Jan 2035 17:00 + 1 h -> Monday 09:00.
    assert add_working_minutes(at(2035, 1, 5, 17, 0), 60) == at(2035, 1, 8, 9, 0)
