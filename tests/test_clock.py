"""One clock: the board, the API, the sweep and the case itself agree on what is overdue.

The community has a case in every status, each with its resolution due long past, near
(a day's window nearly spent, or a short window inside its last fifteen minutes), still
some way off in a short window (which the board used to call "due within two hours"),
far off, or not set. Only the cases being worked on (registered, dispatched, in
progress) can be overdue or near due: a resolved case waiting for its call-back is not
late, whatever its due time said. The board's counts and rows, `?overdue=true`, the
serializer's `overdue`, the overdue sweep and `Case.is_overdue` all say so, and the SQL
annotation answers as the Python properties do, right up to the microsecond at every
edge of the rule.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from grassroots.cases import services
from grassroots.cases.clock import (
    NEAR_DUE_CAP,
    NEAR_DUE_FLOOR,
    NEAR_DUE_FRACTION,
    Clock,
    clock_of,
    overdue_since,
)
from grassroots.cases.models import Case, Category, Channel, Urgency
from grassroots.cases.services import ReportDetails
from grassroots.cases.tasks import sweep_overdue
from grassroots.cases.workflow import OPEN, Status
from tests.test_api_helpers import _fresh_rate_limits, as_user  # noqa: F401 (fixture)
from tests.test_case_views import browser_for

WORKED_ON = {Status.REGISTERED, Status.DISPATCHED, Status.ACKNOWLEDGED}

#: (registered, resolution due) relative to now, in minutes; None: not set.
DUE = {
    "past": (-2 * 24 * 60, -60),
    "near": (-24 * 60, 30),  # half an hour left of a day
    "floor": (-20, 10),  # ten minutes left of half an hour: within the last fifteen minutes
    "short": (-10, 45),  # 45 minutes left of 55: on track
    "far": (-60, 3 * 24 * 60),
    "none": (None, None),
}


def _at(minutes: int | None, now: datetime) -> datetime | None:
    return None if minutes is None else now + timedelta(minutes=minutes)


def _new_case(actor, household, description: str) -> Case:
    return services.case_report(
        actor=actor,
        community=household.building.community,
        details=ReportDetails(
            category=Category.objects.get(code="utilities-water"),
            description=description,
            channel=Channel.PHONE,
            urgency=Urgency.URGENT,
            household=household,
            answers={"has_drinking_water": "no", "can_move": "no"},
        ),
    )


@pytest.fixture
def every_case(socialworker, household_a) -> dict[tuple[str, str], Case]:
    """A case for every (status, due) pair, written straight to the rows: the clock is derived."""
    now = timezone.now()
    cases = {}
    for status in Status.values:
        for due, (registered_minutes, due_minutes) in DUE.items():
            case = _new_case(socialworker, household_a, f"{status} / {due}")
            merged_into = next(iter(cases.values())) if status == Status.MERGED else None
            Case.objects.filter(pk=case.pk).update(
                status=status,
                registered_at=_at(registered_minutes, now),
                resolution_due=_at(due_minutes, now),
                merged_into=merged_into,
            )
            cases[status, due] = Case.objects.get(pk=case.pk)
    return cases


def _numbers(cases) -> set[str]:
    return {case.number for case in cases}


def test_only_cases_being_worked_on_are_overdue_or_near_due(every_case):
    overdue = {key for key, case in every_case.items() if case.is_overdue()}
    near = {key for key, case in every_case.items() if case.is_near_due()}
    assert overdue == {(status, "past") for status in WORKED_ON}
    assert near == {(status, due) for status in WORKED_ON for due in ("near", "floor")}
    assert not every_case[Status.RESOLVED, "past"].is_overdue()  # waiting for its call-back


def test_the_api_filter_and_field_agree_with_the_case(socialworker, every_case):
    api = as_user(socialworker)
    overdue = _numbers(case for case in every_case.values() if case.is_overdue())
    listed = api.get("/api/v1/cases/", {"page_size": 200}).json()
    assert listed["count"] == len(every_case)
    assert {row["number"] for row in listed["results"] if row["overdue"]} == overdue
    filtered = api.get("/api/v1/cases/", {"overdue": "true", "page_size": 200}).json()
    assert {row["number"] for row in filtered["results"]} == overdue
    assert all(row["overdue"] for row in filtered["results"])
    not_overdue = api.get("/api/v1/cases/", {"overdue": "false", "page_size": 200}).json()
    assert {row["number"] for row in not_overdue["results"]} == _numbers(every_case.values()) - overdue


def test_the_board_ranks_and_counts_as_the_case_says(secretary, every_case):
    response = browser_for(secretary).get(reverse("case-board"))
    on_board = [case for case in every_case.values() if case.status in OPEN]
    overdue = _numbers(case for case in on_board if case.is_overdue())
    near = _numbers(case for case in on_board if case.is_near_due())
    figures = response.context["figures"]
    assert (figures["total"], figures["overdue"], figures["near"]) == (len(on_board), len(overdue), len(near))
    ranks = dict(re.findall(r'<tr id="row-([^"]+)" class="rank-(\d)"', response.text))
    assert set(ranks) == _numbers(on_board)
    assert {number for number, rank in ranks.items() if rank == "0"} == overdue
    assert {number for number, rank in ranks.items() if rank == "1"} == near
    rows = response.context["page"].object_list
    assert {row.number for row in rows if row.is_overdue_now} == overdue
    order = [row.clock for row in rows]
    assert order == sorted(order)  # overdue, near due, on track, no clock yet, stopped
    row_texts = [chunk.split("</tr>", 1)[0] for chunk in response.text.split('<tr id="row-')[1:]]
    late = {text.split('"', 1)[0] for text in row_texts if "overdue-text" in text}
    assert late == overdue  # "... late" in the due column


def test_the_sweep_announces_the_cases_that_are_overdue(secretary, every_case):
    overdue = {case.pk for case in every_case.values() if case.is_overdue()}
    assert set(sweep_overdue()) == overdue
    assert sweep_overdue() == []


def test_the_annotation_answers_as_the_properties(every_case):
    now = timezone.now()
    annotated = Case.objects.with_clock(now)
    assert len(annotated) == len(every_case)
    for case in annotated:
        assert case.clock == clock_of(case, now), case.description
        assert case.is_overdue_now == case.is_overdue(now), case.description
        assert case.overdue_since == overdue_since(case, now), case.description  # the board's order
    assert _numbers(Case.objects.overdue(now)) == _numbers(c for c in annotated if c.is_overdue(now))
    assert _numbers(Case.objects.near_due(now)) == _numbers(c for c in annotated if c.is_near_due(now))
    clocks = {key: clock_of(case, now) for key, case in every_case.items()}
    assert clocks[Status.REPORTED, "none"] == Clock.NO_CLOCK
    assert clocks[Status.RESOLVED, "past"] == Clock.STOPPED
    assert clocks[Status.DISPATCHED, "short"] == Clock.ON_TRACK


START = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("registered", "window"),
    [
        (START, timedelta(minutes=30)),  # a fifth is under the floor
        (START, timedelta(hours=5)),  # a fifth is an hour
        (START, timedelta(days=3)),  # a fifth is over the cap
        (START, timedelta(0)),
        (START, -timedelta(hours=1)),  # due before it was registered (bad data): still one answer
        (None, timedelta(hours=5)),  # no registration time: never near due
    ],
)
def test_sql_and_python_agree_at_every_edge(socialworker, household_a, registered, window):
    due = START + window
    case = _new_case(socialworker, household_a, "edges")
    Case.objects.filter(pk=case.pk).update(
        status=Status.DISPATCHED, registered_at=registered, resolution_due=due
    )
    case.refresh_from_db()
    share = window * NEAR_DUE_FRACTION.numerator / NEAR_DUE_FRACTION.denominator
    edges = [due, due - NEAR_DUE_FLOOR, due - NEAR_DUE_CAP, due - share]
    tick = timedelta(microseconds=1)
    seen = set()
    for now in sorted({edge + step for edge in edges for step in (-tick, timedelta(0), tick)}):
        row = Case.objects.with_clock(now).get(pk=case.pk)
        assert (row.clock, row.is_overdue_now) == (clock_of(case, now), case.is_overdue(now)), now
        assert Case.objects.near_due(now).filter(pk=case.pk).exists() == case.is_near_due(now), now
        assert Case.objects.overdue(now).filter(pk=case.pk).exists() == case.is_overdue(now), now
        seen.add(clock_of(case, now))
    assert Clock.OVERDUE in seen
    assert (Clock.NEAR_DUE in seen) == (registered is not None)


@pytest.mark.parametrize(
    ("window", "warned"),
    [
        (timedelta(minutes=30), timedelta(minutes=15)),  # a fifth would be 6 minutes: the floor
        (timedelta(hours=5), timedelta(hours=1)),  # a fifth
        (timedelta(days=3), timedelta(hours=2)),  # a fifth would be 14.4 hours: the cap
    ],
)
def test_near_due_is_the_last_fifth_of_the_window_within_fifteen_minutes_and_two_hours(window, warned):
    case = Case(status=Status.ACKNOWLEDGED, registered_at=START, resolution_due=START + window)
    due, tick = case.resolution_due, timedelta(microseconds=1)
    assert not case.is_near_due(due - warned - tick)
    assert case.is_near_due(due - warned) and case.is_near_due(due)
    assert case.is_overdue(due + tick) and not case.is_near_due(due + tick)
    case.status = Status.RESOLVED
    assert not case.is_near_due(due - warned) and not case.is_overdue(due + tick)
