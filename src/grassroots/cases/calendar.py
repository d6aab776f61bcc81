"""Deadlines in working time on the Chinese calendar.

A category can count its time limits in working hours: public holidays do not
count and make-up working days (调休) do. The holiday data comes from the
maintained `chinese-calendar` package, and for the years it does not know yet
from the State Council's notice copied into `cases/holidays.toml` or into the
file GRASSROOTS_HOLIDAYS_FILE names. For a year neither knows only weekends are
treated as rest days, a warning is logged once, and `grassroots check` says so
(see `coverage_messages`), so the yearly bump is never forgotten.
"""

from __future__ import annotations

import logging
import tomllib
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import cache
from pathlib import Path

import chinese_calendar
from chinese_calendar import constants as calendar_data
from django.conf import settings
from django.core import checks
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.utils import timezone
from django.utils.translation import ngettext

logger = logging.getLogger(__name__)

WORKDAY_START = time(8, 30)
WORKDAY_END = time(17, 30)


@cache
def _warn_unknown_year(year: int) -> None:
    logger.warning(
        "No holiday data for %s: counting only weekends as rest days; upgrade chinese-calendar", year
    )


SHIPPED_HOLIDAYS = Path(__file__).with_name("holidays.toml")


@dataclass
class ExtraDays:
    """Holidays and make-up working days read from the holiday files, by year."""

    rest: set[date] = field(default_factory=set)
    work: set[date] = field(default_factory=set)
    years: set[int] = field(default_factory=set)


def _read_holiday_file(path: Path, into: ExtraDays) -> None:
    """Add one file's years to `into`; a malformed file stops the start with the reason."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        for year, notice in data.items():
            for kind in ("rest", "work"):
                days = {date.fromisoformat(text) for text in notice.get(kind, [])}
                if any(day.year != int(year) for day in days):
                    raise ValueError(f"a day of [{year}] {kind} is not in {year}")
                getattr(into, kind).update(days)
            into.years.add(int(year))
    except (OSError, ValueError, TypeError, AttributeError, tomllib.TOMLDecodeError) as error:
        raise ImproperlyConfigured(f"Holiday file {path}: {error}") from error


@cache
def extra_days() -> ExtraDays:
    """The shipped holiday file, then the operator's (GRASSROOTS_HOLIDAYS_FILE), read once."""
    days = ExtraDays()
    _read_holiday_file(SHIPPED_HOLIDAYS, days)
    own = getattr(settings, "GRASSROOTS_HOLIDAYS_FILE", "")
    if own:
        _read_holiday_file(Path(own), days)
    return days


def years_known_to_the_package() -> set[int]:
    return {day.year for day in calendar_data.holidays}


def is_covered(year: int) -> bool:
    """Whether the holidays of `year` are known (to chinese-calendar or a holiday file)."""
    return year in years_known_to_the_package() or year in extra_days().years


@cache
def is_working_day(day: date) -> bool:
    """True on a working day, make-up working days included."""
    extra = extra_days()
    if day.year in extra.years:
        if day in extra.work:
            return True
        return day.weekday() < 5 and day not in extra.rest
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:
        _warn_unknown_year(day.year)
        return day.weekday() < 5


@receiver(setting_changed)
def _forget_the_calendar(*, setting: str, **kwargs) -> None:
    if setting == "GRASSROOTS_HOLIDAYS_FILE":
        extra_days.cache_clear()
        is_working_day.cache_clear()


#: From this month the next year's schedule is out (the State Council publishes it in the autumn).
NEXT_YEAR_EXPECTED_FROM_MONTH = 12
ADVICE = "upgrade chinese-calendar, or copy the State Council's notice into GRASSROOTS_HOLIDAYS_FILE"


def coverage_messages(today: date | None = None) -> list:
    """System check: a warning when this year's holidays are unknown, a note when next year's are.

    Without them a deadline in working time counts a public holiday as a working day. Next year's
    is a note (`Info`) in December, so a deployment is told in time without failing its checks.
    """
    today = today or timezone.localdate()
    messages = []
    if not is_covered(today.year):
        messages.append(
            checks.Warning(
                f"No holiday data for {today.year}: working-time deadlines count holidays as working days",
                hint=ADVICE,
                id="grassroots.cases.W001",
            )
        )
    if today.month >= NEXT_YEAR_EXPECTED_FROM_MONTH and not is_covered(today.year + 1):
        messages.append(
            checks.Info(f"No holiday data for {today.year + 1} yet", hint=ADVICE, id="grassroots.cases.I002")
        )
    return messages


def add_working_minutes(start: datetime, minutes: int) -> datetime:
    """The moment `minutes` of working time after `start` (an aware local datetime).

    Working time runs 08:30-17:30 on working days; time outside it does not count,
    so a case registered on a Friday evening with 8 working hours is due on Monday.
    """
    moment = start
    remaining = timedelta(minutes=minutes)
    while True:
        day = moment.date()
        day_start = moment.replace(
            hour=WORKDAY_START.hour, minute=WORKDAY_START.minute, second=0, microsecond=0
        )
        day_end = moment.replace(hour=WORKDAY_END.hour, minute=WORKDAY_END.minute, second=0, microsecond=0)
        if is_working_day(day) and moment < day_end:
            moment = max(moment, day_start)
            available = day_end - moment
            if remaining <= available:
                return moment + remaining
            remaining -= available
        next_day = (moment + timedelta(days=1)).replace(
            hour=WORKDAY_START.hour, minute=WORKDAY_START.minute, second=0, microsecond=0
        )
        moment = next_day


def duration_text(minutes: int) -> str:
    """A duration as people say it: "2 days", "4 hours", "30 minutes"."""
    if minutes and minutes % (24 * 60) == 0:
        days = minutes // (24 * 60)
        return ngettext("%(n)d day", "%(n)d days", days) % {"n": days}
    if minutes and minutes % 60 == 0:
        hours = minutes // 60
        return ngettext("%(n)d hour", "%(n)d hours", hours) % {"n": hours}
    return ngettext("%(n)d minute", "%(n)d minutes", minutes or 0) % {"n": minutes or 0}
