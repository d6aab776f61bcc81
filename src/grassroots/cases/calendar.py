"""Deadlines in working time on the Chinese calendar.

A category can count its time limits in working hours: public holidays do not
count and make-up working days (调休) do. The holiday data comes from the
maintained `chinese-calendar` package; for a year it does not know yet, only
weekends are treated as rest days, and a warning is logged once so that an
operator upgrades the package.
"""

from __future__ import annotations

import logging
from datetime import date, datetime, time, timedelta
from functools import cache

import chinese_calendar
from django.utils.translation import ngettext

logger = logging.getLogger(__name__)

WORKDAY_START = time(8, 30)
WORKDAY_END = time(17, 30)


@cache
def _warn_unknown_year(year: int) -> None:
    logger.warning(
        "No holiday data for %s: counting only weekends as rest days; upgrade chinese-calendar", year
    )


@cache
def is_working_day(day: date) -> bool:
    """True on a working day, make-up working days included."""
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:
        _warn_unknown_year(day.year)
        return day.weekday() < 5


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
