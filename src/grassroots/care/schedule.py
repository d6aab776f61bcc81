"""When each service of a programme falls due, month by month: pure date arithmetic, tested on its own.

- "N a month": the month is cut into N equal parts and each is due at the end of its
  part (2 a month: the middle and the last day; the last day of February is the 28th
  or, in a leap year, the 29th).
- "N a week": counted in weeks from the enrolment's start, each week's N due days
  spread over its seven days, so a weekly call falls on the same weekday every week
  and never depends on where a month ends.
A service is due only on days between the enrolment's start and its end (if any).
Each due date has a window: it opens the day after the previous one of the same
service (or at the start of the period), so "due" means "window open, not done".
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta
from math import ceil


@dataclass(frozen=True)
class ServiceSpec:
    times: int
    period: str  # "week" or "month"


@dataclass(frozen=True)
class Due:
    window_start: date
    due_on: date


def month_days(year: int, month: int) -> int:
    return calendar.monthrange(year, month)[1]


def next_month(year: int, month: int) -> tuple[int, int]:
    return (year + 1, 1) if month == 12 else (year, month + 1)


def months_between(first: date, last: date) -> list[tuple[int, int]]:
    """Every (year, month) from the month of `first` to the month of `last`, inclusive."""
    months = []
    year, month = first.year, first.month
    while (year, month) <= (last.year, last.month):
        months.append((year, month))
        year, month = next_month(year, month)
    return months


def _monthly(spec: ServiceSpec, year: int, month: int) -> list[Due]:
    days = month_days(year, month)
    first = date(year, month, 1)
    dues = []
    previous_end = 0
    for index in range(1, spec.times + 1):
        end = ceil(days * index / spec.times)
        dues.append(Due(first + timedelta(days=previous_end), date(year, month, end)))
        previous_end = end
    return dues


def _weekly(spec: ServiceSpec, year: int, month: int, anchor: date) -> list[Due]:
    """Due days of the weeks counted from `anchor` that fall in this month."""
    offsets = [ceil(7 * index / spec.times) - 1 for index in range(1, spec.times + 1)]
    first = date(year, month, 1)
    last = date(year, month, month_days(year, month))
    dues = []
    week_start = anchor + timedelta(days=7 * max(0, (first - anchor).days // 7))
    while week_start <= last:
        previous = -1
        for offset in offsets:
            due_on = week_start + timedelta(days=offset)
            if first <= due_on <= last:
                dues.append(Due(week_start + timedelta(days=previous + 1), due_on))
            previous = offset
        week_start += timedelta(days=7)
    return dues


def dues_in_month(
    spec: ServiceSpec, year: int, month: int, *, starts_on: date, ends_on: date | None = None
) -> list[Due]:
    """The due dates of one service in one month for an enrolment running from starts_on to ends_on."""
    if spec.times < 1:
        return []
    dues = _weekly(spec, year, month, starts_on) if spec.period == "week" else _monthly(spec, year, month)
    kept = []
    for due in dues:
        if due.due_on < starts_on or (ends_on is not None and due.due_on > ends_on):
            continue
        kept.append(Due(max(due.window_start, starts_on), due.due_on))
    return kept
