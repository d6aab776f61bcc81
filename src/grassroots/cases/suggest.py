"""Who fits this case best right now: the dispatch screen's ranked suggestions, each with its reasons.

The dispatch screen (cases.selectors.dispatch_suggestions_for) gathers everyone who could handle a
case, group by group. This module ranks them so that the coordinator does not have to read 70
names: a candidate who *fits* the case (has the category's skill, is the category's team or a
member unit of the right kind, lives in the building or the grid, is the grid's worker or the
building head) gets points for each fit, for being free at this part of the week, and loses points
for the open tasks they already carry and the hours they gave in the last 30 days (so the same
willing neighbour is not asked every time). The weights are data (`WEIGHTS`), stated once here,
and every point becomes a reason in words ("plumbing; free Tue afternoon; lives in this grid; 1
open task"), so the coordinator sees why.

Recent hours live in the hours ledger (grassroots.activities, a layer above cases): that app
registers a source with `register_hours_source` in its AppConfig.ready, as the plan's layers do.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from grassroots.cases.models import Assignment
from grassroots.cases.workflow import IN_HAND
from grassroots.orgs.models import slot_label, week_slot

#: Points for each way a candidate fits the case, for availability, load and recent hours.
WEIGHTS = {
    "skill": 40,  # a volunteer with the category's skill
    "team": 35,  # the category's own volunteer team
    "unit_kind": 30,  # a member unit of the kind that handles this problem
    "building": 20,  # lives in the case's building (a volunteer or party member)
    "building_head": 15,
    "grid_worker": 15,  # the grid worker of the case's grid
    "grid": 10,  # a volunteer living in the case's grid
    "free_now": 15,  # this part of the week is among the volunteer's usual times
    "not_free_now": -10,  # the volunteer gave their times, and now is not one of them
    "per_open_task": -8,  # each case they are summoned to and still working on
    "per_recent_hour": Decimal("-0.5"),  # each hour in the ledger over the last RECENT_DAYS
    "recent_hours_floor": -10,  # recent hours never cost more than this
}
RECENT_DAYS = 30
#: How many ranked suggestions the screen shows first (the rest stay in their folded groups).
SUGGESTED_LIMIT = 3


@dataclass
class Fit:
    """What dispatch_suggestions_for knows of a candidate that bears on the ranking."""

    fits: dict[str, str] = field(default_factory=dict)  # WEIGHTS key -> its reason in words
    slots: Sequence[str] = ()  # usual parts of the week (orgs.models.WEEK_SLOTS), volunteers only
    person_id: int | None = None  # whose hours count (a volunteer, party member, building head)


@dataclass(frozen=True)
class Ranked:
    party: str
    score: Decimal
    reasons: list[str]


HoursSource = Callable[[Sequence[int], datetime], dict[int, Decimal]]
_HOURS_SOURCES: dict[str, HoursSource] = {}


def register_hours_source(code: str, source: HoursSource) -> None:
    """Add (or replace, for a reloaded app) a source of people's recent hours: {person id: hours}."""
    _HOURS_SOURCES[code] = source


def recent_hours(person_ids: Sequence[int], *, now: datetime) -> dict[int, Decimal]:
    """Each person's hours over the last RECENT_DAYS, summed over every registered source."""
    totals: dict[int, Decimal] = {}
    if not person_ids:
        return totals
    since = now - timedelta(days=RECENT_DAYS)
    for source in _HOURS_SOURCES.values():
        for person_id, hours in source(person_ids, since).items():
            totals[person_id] = totals.get(person_id, Decimal(0)) + Decimal(hours)
    return totals


def open_tasks(parties: Iterable[str]) -> dict[str, int]:
    """How many cases in hand ("kind:id" -> count) each party is summoned to: one grouped query."""
    ids: dict[str, list[int]] = {}
    for party in parties:
        kind, _sep, pk = party.partition(":")
        ids.setdefault(kind, []).append(int(pk))
    condition = Q()
    for kind, pks in ids.items():
        condition |= Q(**{f"{kind}_id__in": pks})
    if not ids:
        return {}
    rows = (
        Assignment.objects.filter(condition, active=True, case__status__in=IN_HAND)
        .values("user_id", "person_id", "team_id", "unit_id")
        .annotate(n=Count("id"))
    )
    counts: dict[str, int] = {}
    for row in rows:
        n = row.pop("n")
        for column, pk in row.items():
            if pk is not None:
                party = f"{column.removesuffix('_id')}:{pk}"
                counts[party] = counts.get(party, 0) + n
    return counts


def _availability(slots: Sequence[str], now_slot: str) -> tuple[int, str]:
    if not slots:
        return 0, ""
    if now_slot in slots:
        return WEIGHTS["free_now"], _("free %(when)s") % {"when": slot_label(now_slot)}
    return WEIGHTS["not_free_now"], _("not usually free now")


def _load(count: int) -> tuple[int, str]:
    if count == 0:
        return 0, _("no open tasks")
    text = ngettext("%(count)d open task", "%(count)d open tasks", count) % {"count": count}
    return WEIGHTS["per_open_task"] * count, text


def _hours(hours: Decimal) -> tuple[Decimal, str]:
    if hours <= 0:
        return Decimal(0), ""
    cost = max(WEIGHTS["per_recent_hour"] * hours, Decimal(WEIGHTS["recent_hours_floor"]))
    text = _("%(hours)s h in the last %(days)d days") % {
        "hours": f"{hours.normalize():f}",
        "days": RECENT_DAYS,
    }
    return cost, text


def rank(facts: dict[str, Fit], *, now: datetime | None = None) -> list[Ranked]:
    """The candidates who fit the case, best first, each with every reason for its place.

    Ties keep the order in which the candidates were gathered (the article's order), so the
    ranking is stable from one page load to the next.
    """
    now = now or timezone.now()
    fitting = {party: fit for party, fit in facts.items() if fit.fits}
    loads = open_tasks(fitting)
    hours = recent_hours([fit.person_id for fit in fitting.values() if fit.person_id], now=now)
    now_slot = week_slot(timezone.localtime(now))
    ranked = []
    for party, fit in fitting.items():
        score = Decimal(sum(WEIGHTS[key] for key in fit.fits))
        reasons = list(fit.fits.values())
        for points, reason in (
            _availability(fit.slots, now_slot),
            _load(loads.get(party, 0)),
            _hours(hours.get(fit.person_id, Decimal(0)) if fit.person_id else Decimal(0)),
        ):
            score += points
            if reason:
                reasons.append(reason)
        ranked.append(Ranked(party, score, reasons))
    ranked.sort(key=lambda item: -item.score)  # stable: ties keep the gathering order
    return ranked
