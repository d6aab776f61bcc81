"""The case clock: due, near due and overdue, defined once for every screen that shows them.

The board ranks and counts cases in SQL, the API filters its list, the sweep looks
for cases to announce, and the pages, the serializer and the portal ask about one
case at a time. All of them read this module, so that the case the board counts
as overdue is the one `?overdue=true` returns and the one whose badge says so. We
had two definitions that disagreed (the board and the API called a resolved case
waiting for its call-back overdue); nothing outside this module may restate the rule.

The rule, on the resolution clock:
- it runs only while a case is registered, dispatched or acknowledged
  (`workflow.UNRESOLVED`): a reported case has no clock yet, and resolving stops it;
- overdue: running, and past its resolution due time;
- near due: running, not overdue, registered, and with no more than a fifth of its
  window (registration to resolution due) left, that margin being at most two hours
  and at least fifteen minutes.
The response clock runs in the same states, until someone has responded.

The board's order (`board_order`): a case with a clock overdue comes first, whichever clock
it is (a case nobody has answered for a day is as late as one past its resolution due), the
one late the longest on top: ranked by the due time of its first overdue clock. The other
cases follow by their resolution clock (near due, on track, no clock yet, stopped).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import IntEnum
from fractions import Fraction
from typing import TYPE_CHECKING

from django.db.models import BooleanField, DateTimeField, DurationField, ExpressionWrapper, F, Q, Value, When
from django.db.models import Case as Choose
from django.db.models.lookups import LessThanOrEqual

from grassroots.cases.workflow import UNRESOLVED

if TYPE_CHECKING:
    from grassroots.cases.models import Case

#: The states in which the clocks run: the only ones in which a case can be overdue or near due.
RUNNING = UNRESOLVED
#: Near due: at most this share of the window (registration to resolution due) is left ...
NEAR_DUE_FRACTION = Fraction(1, 5)
#: ... but never more than this before the due time (a week-long case is not "near" for a day) ...
NEAR_DUE_CAP = timedelta(hours=2)
#: ... and always this close to it (an urgent case's short window still gets a warning).
NEAR_DUE_FLOOR = timedelta(minutes=15)


class Clock(IntEnum):
    """Where a case stands against its resolution clock, in the board's order (most pressing first)."""

    OVERDUE = 0
    NEAR_DUE = 1
    ON_TRACK = 2
    NO_CLOCK = 3  # no resolution due yet: reported, not yet registered
    STOPPED = 4  # resolved (or finished) with a due time: the clock no longer runs


# --- in SQL: for lists, filters and counts ----------------------------------------------------------------


def _times(expression, factor: int):
    """A duration times a whole number; Django cannot infer the type of that product itself."""
    return ExpressionWrapper(expression * Value(factor), output_field=DurationField())


def overdue_q(now: datetime) -> Q:
    """Cases overdue at `now`, as a filter."""
    return Q(status__in=RUNNING, resolution_due__lt=now)


def response_overdue_q(now: datetime) -> Q:
    """Cases whose response clock is overdue at `now` (nobody has responded in time), as a filter."""
    return Q(status__in=RUNNING, responded_at__isnull=True, response_due__lt=now)


def near_due_q(now: datetime) -> Q:
    """Cases near due at `now`, as a filter.

    "Left at most a fraction of the window" is compared as left × denominator ≤ window ×
    numerator: exact on every database, with no division of a duration.
    """
    left = F("resolution_due") - Value(now, output_field=DateTimeField())
    window = F("resolution_due") - F("registered_at")
    within_fraction = LessThanOrEqual(
        _times(left, NEAR_DUE_FRACTION.denominator), _times(window, NEAR_DUE_FRACTION.numerator)
    )
    return Q(status__in=RUNNING, registered_at__isnull=False, resolution_due__gte=now) & (
        Q(resolution_due__lte=now + NEAR_DUE_FLOOR)
        | (Q(resolution_due__lte=now + NEAR_DUE_CAP) & Q(within_fraction))
    )


def clock_annotations(now: datetime) -> dict:
    """`clock` (a Clock value, for ranking) and `is_overdue_now`, for `CaseQuerySet.with_clock`."""
    return {
        "clock": Choose(
            When(resolution_due__isnull=True, then=Value(int(Clock.NO_CLOCK))),
            When(~Q(status__in=RUNNING), then=Value(int(Clock.STOPPED))),
            When(overdue_q(now), then=Value(int(Clock.OVERDUE))),
            When(near_due_q(now), then=Value(int(Clock.NEAR_DUE))),
            default=Value(int(Clock.ON_TRACK)),
        ),
        "overdue_since": overdue_since_expression(now),
        # A When, not the bare condition: with no due time that would be NULL, not False.
        "is_overdue_now": Choose(
            When(overdue_q(now), then=Value(True)), default=Value(False), output_field=BooleanField()
        ),
    }


def overdue_since_expression(now: datetime) -> Choose:
    """The due time of a case's first overdue clock (response or resolution), NULL when none is overdue.

    The response clock is taken when it is overdue and due no later than the resolution clock
    (or the resolution clock is not overdue); Least() would not do: it is NULL on SQLite as soon
    as one of its arguments is.
    """
    response_first = response_overdue_q(now) & (~overdue_q(now) | Q(response_due__lte=F("resolution_due")))
    return Choose(
        When(response_first, then=F("response_due")),
        When(overdue_q(now), then=F("resolution_due")),
        default=Value(None),
        output_field=DateTimeField(),
    )


#: The board's order over a queryset annotated with `clock_annotations`: overdue first (the
#: longest late on top, whichever clock), then by the resolution clock. Ties: due time, age, id.
BOARD_ORDER = (
    F("overdue_since").asc(nulls_last=True),
    "clock",
    F("resolution_due").asc(nulls_last=True),
    "reported_at",
    "id",
)


# --- in Python: for one case already loaded ---------------------------------------------------------------
#
# The same rule again, on a case in memory: a page showing one case (or a badge on each
# row of a list) should not need a query, nor a queryset that was annotated for it.
# tests/test_clock.py checks on cases in every state that these answer as the SQL does.


def is_overdue(case: Case, now: datetime) -> bool:
    return case.status in RUNNING and case.resolution_due is not None and case.resolution_due < now


def is_near_due(case: Case, now: datetime) -> bool:
    if (
        case.status not in RUNNING
        or case.resolution_due is None
        or case.registered_at is None
        or case.resolution_due < now
    ):
        return False
    left = case.resolution_due - now
    window = case.resolution_due - case.registered_at
    within_fraction = left * NEAR_DUE_FRACTION.denominator <= window * NEAR_DUE_FRACTION.numerator
    return left <= NEAR_DUE_FLOOR or (left <= NEAR_DUE_CAP and within_fraction)


def is_response_overdue(case: Case, now: datetime) -> bool:
    return (
        case.status in RUNNING
        and case.responded_at is None
        and case.response_due is not None
        and case.response_due < now
    )


def overdue_since(case: Case, now: datetime) -> datetime | None:
    """The Python twin of `overdue_since_expression`: when the first overdue clock fell due."""
    late = [
        due
        for due, over in (
            (case.response_due, is_response_overdue(case, now)),
            (case.resolution_due, is_overdue(case, now)),
        )
        if over
    ]
    return min(late) if late else None


def clock_of(case: Case, now: datetime) -> Clock:
    """The Python twin of the `clock` annotation."""
    if case.resolution_due is None:
        return Clock.NO_CLOCK
    if case.status not in RUNNING:
        return Clock.STOPPED
    if is_overdue(case, now):
        return Clock.OVERDUE
    if is_near_due(case, now):
        return Clock.NEAR_DUE
    return Clock.ON_TRACK


@dataclass(frozen=True)
class Reading:
    """What a page says of the resolution clock: `state`, and the span it speaks of (start to end).

    - "left": running, `end` is the due time (time left = start to end);
    - "overdue": running and past due (late by = start, the due time, to end, now);
    - "done": resolved in time; "done_late": resolved after the due time (late by = start to end);
    - "none": no clock (never registered, or stopped without being resolved: rejected, merged).
    A resolved case never reads "time left": its clock stopped when the work was reported done.
    """

    state: str
    start: datetime | None = None
    end: datetime | None = None

    @property
    def late(self) -> bool:
        return self.state in {"overdue", "done_late"}


def reading_of(case: Case, now: datetime) -> Reading:
    """How the resolution clock of a loaded case reads now (the rule above, for the pages)."""
    due = case.resolution_due
    if due is None:
        return Reading("none")
    if case.resolved_at is not None and case.status not in RUNNING:
        return Reading("done_late", due, case.resolved_at) if case.resolved_at > due else Reading("done")
    if case.status in RUNNING:
        return Reading("overdue", due, now) if due < now else Reading("left", now, due)
    return Reading("none")
