"""Working-time deadlines on the Chinese calendar (holidays and make-up working days)."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.core import checks
from django.core.exceptions import ImproperlyConfigured

from grassroots.cases import calendar
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


# --- years chinese-calendar does not know yet -----------------------------------------------------


def _holiday_file(tmp_path, text: str) -> str:
    path = tmp_path / "holidays.toml"
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_a_holiday_file_gives_the_schedule_of_a_year_the_package_does_not_know(tmp_path, settings):
    # A made-up schedule for 2035 (the package knows years up to its release only).
    settings.GRASSROOTS_HOLIDAYS_FILE = _holiday_file(
        tmp_path,
        '[2035]\nsource = "test"\nrest = ["2035-01-01", "2035-01-02"]\nwork = ["2035-01-06"]\n',
    )
    assert calendar.is_covered(2035)
    assert not is_working_day(date(2035, 1, 2))  # a Tuesday off
    assert is_working_day(date(2035, 1, 6))  # a make-up Saturday
    assert not is_working_day(date(2035, 1, 7))  # an ordinary Sunday
    # Monday 1 Jan and Tuesday 2 Jan rest: an hour from Monday morning ends on Wednesday at 09:30.
    assert add_working_minutes(at(2035, 1, 1, 10, 0), 60) == at(2035, 1, 3, 9, 30)


def test_a_malformed_holiday_file_is_refused_with_its_reason(tmp_path, settings):
    settings.GRASSROOTS_HOLIDAYS_FILE = _holiday_file(tmp_path, '[2035]\nrest = ["2036-01-01"]\n')
    with pytest.raises(ImproperlyConfigured, match="not in 2035"):
        calendar.extra_days()


def test_the_shipped_holiday_file_reads():
    calendar.extra_days.cache_clear()
    assert isinstance(calendar.extra_days().years, set)


def test_the_check_warns_when_this_years_holidays_are_unknown():
    messages = calendar.coverage_messages(date(2035, 3, 1))
    assert [message.id for message in messages] == ["grassroots.cases.W001"]
    assert messages[0].level == checks.WARNING and "2035" in messages[0].msg


def test_the_check_notes_in_december_that_next_years_holidays_are_unknown():
    last_known = max(calendar.years_known_to_the_package())
    assert calendar.coverage_messages(date(last_known, 11, 30)) == []
    messages = calendar.coverage_messages(date(last_known, 12, 1))
    assert [message.id for message in messages] == ["grassroots.cases.I002"]
    assert messages[0].level == checks.INFO and str(last_known + 1) in messages[0].msg


def test_the_check_is_silent_once_a_holiday_file_covers_the_year(tmp_path, settings):
    last_known = max(calendar.years_known_to_the_package())
    settings.GRASSROOTS_HOLIDAYS_FILE = _holiday_file(tmp_path, f"[{last_known + 1}]\nrest = []\n")
    assert calendar.coverage_messages(date(last_known, 12, 1)) == []
    assert calendar.coverage_messages(date(last_known + 1, 6, 1)) == []
