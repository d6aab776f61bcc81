"""The case facts and rollups behind the dashboard: kept in step with the timeline, rebuildable from it.

`case_changed(case)` runs in the transaction of every timeline entry (cases.services._record, and
last in a report's): it derives the case's `CaseFact` from the case and its timeline and moves the
rollups **by delta**. The fact as it was counted (read locked) and the fact it becomes each pass
some of the counters of cases.metrics (`fact_counts`: each counter's filter answered in Python on
the one fact); their difference is added to the group row(s) the case leaves and joins, and to
their month rows, `n = n + d` for the counters that moved (`apply`). Nothing is counted again, no
row is read first, and a change that moves no counter writes no rollup. Every stored figure is a
count, the medians and percentiles too (time buckets, cases.metrics.BUCKET_EDGES), so every one is
kept exactly by delta.

`rebuild()` (`grassroots rollups rebuild`) derives every fact again from the timeline and counts
every group with the counters' filters in SQL: an incremental rollup and a rebuilt one agree
(tests/test_rollups.py proves it after random sequences of actions, and that the Python answer of
each filter is the database's). Rows written around the services (the demo's year of history,
bulk-created) are counted after a rebuild; a row missing when a fact moves is counted from the facts
(a group's) or from its groups (a month's), never started from nothing.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from django.db import transaction
from django.db.models import Count, F, Prefetch, Q, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from grassroots.cases.metrics import COUNTERS, REPEAT_WINDOW
from grassroots.cases.models import (
    Assignment,
    Case,
    CaseEvent,
    CaseFact,
    CaseMonthRollup,
    CaseRollup,
    Category,
    DuplicatePlace,
)
from grassroots.cases.workflow import Action, Status
from grassroots.core.compiled import QueryTemplate

DIMENSIONS = ("community_id", "month", "grid_id", "category_id", "channel", "lead")
DONE = frozenset({Status.RESOLVED, Status.VERIFIED, Status.CLOSED})
FACT_FIELDS = (
    "status",
    "accepted",
    "responded",
    "responded_on_time",
    "response_minutes",
    "resolved_ever",
    "resolved_on_time",
    "resolve_minutes",
    "satisfaction",
    "reworked",
    "extension_requested",
    "extended",
    "escalated",
    "repeat",
)


# --- one case's facts ------------------------------------------------------------------------------


def _moment(value) -> datetime | None:
    return parse_datetime(value) if isinstance(value, str) else None


def _minutes(start: datetime | None, end: datetime | None) -> int | None:
    if start is None or end is None:
        return None
    return max(0, int((end - start).total_seconds() // 60))


def month_of(moment: datetime):
    """The first day of the local month of a moment: the month a case is counted in."""
    return timezone.localtime(moment).date().replace(day=1)


def lead_text(assignment: Assignment | None) -> str:
    """An active lead as the handler filter names it ("team:3"), "" for none."""
    return (
        f"{assignment.party_kind}:{getattr(assignment, assignment.party_kind + '_id')}" if assignment else ""
    )


def derive(case: Case, events: Sequence[CaseEvent], *, lead: str, repeat: bool) -> dict:
    """The fact row of a case, from the case and its timeline (oldest entry first).

    The timeline is read where the case row forgets: rework restarts the clocks and clears the
    response and resolution times, and a decided extension clears the request. So the response is
    the lead's first report for duty, measured against the response due time set at registration;
    "on time" for the resolution is the first report of the work done against the due time in force
    then (approved extensions included); the time to resolve runs to the latest report done of a case
    that is resolved now.
    """
    accepted = case.registered_at is not None and case.status != Status.MERGED
    registration = next((e for e in events if e.action == Action.REGISTER), None)
    changes = registration.changes if registration else {}
    response_due = _moment(changes.get("response_due")) or case.response_due
    due = _moment(changes.get("resolution_due")) or case.resolution_due
    first_ack = first_resolve = last_resolve = None
    extension_requested = extended = False
    for event in events:
        if (
            event.action == Action.ACKNOWLEDGE
            and event.to_status == Status.ACKNOWLEDGED
            and first_ack is None
        ):
            first_ack = event
        elif event.action == Action.RESOLVE:
            first_resolve = first_resolve or event
            last_resolve = event
        elif event.action == Action.EXTEND:
            extension_requested = True
        elif event.action == Action.DECIDE_EXTENSION and event.changes.get("approved"):
            extended = True
        moved = event.changes.get("resolution_due") if first_resolve is None else None
        if isinstance(moved, dict) and event is not registration:
            due = _moment(moved.get("new")) or due
    registered_at = case.registered_at
    done = case.status in DONE
    return {
        "community_id": case.community_id,
        "month": month_of(case.reported_at),
        "grid_id": case.grid_id,
        "category_id": case.category_id,
        "channel": case.channel,
        "lead": lead,
        "status": case.status,
        "accepted": accepted,
        "responded": first_ack is not None,
        "responded_on_time": bool(first_ack and response_due and first_ack.at <= response_due),
        "response_minutes": _minutes(registered_at, first_ack.at) if first_ack else None,
        "resolved_ever": first_resolve is not None,
        "resolved_on_time": bool(first_resolve and due and first_resolve.at <= due),
        "resolve_minutes": _minutes(registered_at, last_resolve.at) if done and last_resolve else None,
        "satisfaction": case.satisfaction if accepted else "",
        "reworked": case.rework_count > 0,
        "extension_requested": extension_requested,
        "extended": extended,
        "escalated": case.escalated_at is not None,
        "repeat": repeat,
    }


def repeat_place(case: Case) -> tuple[str, int] | None:
    """Where a repeat of this case would be: its household when its category says so, else its building."""
    if case.category.duplicate_place == DuplicatePlace.HOUSEHOLD and case.household_id:
        return ("household_id", case.household_id)
    if case.building_id:
        return ("building_id", case.building_id)
    return None


def _same_problem(case: Case) -> Q | None:
    place = repeat_place(case)
    if place is None:
        return None
    return Q(community_id=case.community_id, category_id=case.category_id, **{place[0]: place[1]})


def is_repeat(case: Case) -> bool:
    """An earlier report (any outcome) of the same category at the same place within the window."""
    same = _same_problem(case)
    if same is None:
        return False
    earlier = Q(reported_at__lt=case.reported_at) | Q(reported_at=case.reported_at, pk__lt=case.pk)
    window = Q(reported_at__gte=case.reported_at - REPEAT_WINDOW)
    return Case.objects.filter(same, window, earlier).exists()


def _later_repeats(case: Case) -> list[Case]:
    """The reports a (possibly back-dated) new case makes repeats: same problem, within the window after.

    Those already counted as repeats stay as they are (an earlier report made them so), so only the
    others are read again: none, when the same problem is reported again and again.
    """
    same = _same_problem(case)
    if same is None:
        return []
    later = Q(reported_at__gt=case.reported_at) | Q(reported_at=case.reported_at, pk__gt=case.pk)
    window = Q(reported_at__lte=case.reported_at + REPEAT_WINDOW)
    return list(
        Case.objects.filter(same, window, later).exclude(fact__repeat=True).select_related("category")[:200]
    )


# --- one fact's counters, in Python ----------------------------------------------------------------


#: How each lookup the counters use compares a fact's value with the filter's (a NULL compares false,
#: as in SQL; Django's negation of these over a nullable column is then plain `not`).
_LOOKUPS: dict[str, Callable[[object, object], bool]] = {
    "exact": lambda value, arg: value is None if arg is None else value == arg,
    "isnull": lambda value, arg: (value is None) == arg,
    "gt": lambda value, arg: value is not None and value > arg,
    "gte": lambda value, arg: value is not None and value >= arg,
    "lt": lambda value, arg: value is not None and value < arg,
    "lte": lambda value, arg: value is not None and value <= arg,
    "in": lambda value, arg: value in arg,
}


def _predicate(condition: Q) -> Callable[[Mapping], bool]:
    """A counter's filter answered on one fact (a dict of its columns), as the database answers it on
    the row. A lookup the table does not know (or a related field) fails here, at import, so a new
    counter cannot be kept by delta wrongly: tests/test_rollups.py checks both answers agree."""
    tests: list[Callable[[Mapping], bool]] = []
    for child in condition.children:
        if isinstance(child, Q):
            tests.append(_predicate(child))
            continue
        lookup, arg = child
        column, _, name = lookup.partition("__")
        if (name or "exact") not in _LOOKUPS or column not in FACT_COLUMNS:
            raise ValueError(f"cases.rollups cannot count {lookup!r} on one fact")
        compare = _LOOKUPS[name or "exact"]
        tests.append(lambda fact, column=column, arg=arg, compare=compare: compare(fact[column], arg))
    combine = all if condition.connector == Q.AND else any
    negated = condition.negated
    return lambda fact: combine(test(fact) for test in tests) != negated


FACT_COLUMNS = frozenset((*DIMENSIONS, *FACT_FIELDS))
_COUNTED = {name: _predicate(condition) for name, condition in COUNTERS.items()}


def fact_counts(fact: Mapping) -> dict[str, int]:
    """What one fact adds to its group's row: 1 for each counter whose filter it passes."""
    return {name: 1 for name, holds in _COUNTED.items() if holds(fact)}


# --- kept in step, by delta ------------------------------------------------------------------------


@dataclass
class _Move:
    dims: dict
    delta: Counter = field(default_factory=Counter)


class Moves:
    """What the facts changed in one transaction do to their groups: each counter's difference.

    A fact that leaves a group takes its counts away (`-1` for each counter it passed), the fact it
    becomes adds its own (`+1`) to the group it joins, which may be the same group: a status change
    moves two counters of one row.
    """

    def __init__(self) -> None:
        self.groups: dict[str, _Move] = {}

    def move(self, old: Mapping | None, new: Mapping | None) -> None:
        if old is not None:
            self._add(old, -1)
        if new is not None:
            self._add(new, 1)

    def _add(self, fact: Mapping, sign: int) -> None:
        key = group_key(fact)
        move = self.groups.get(key)
        if move is None:
            move = self.groups[key] = _Move(_dims(fact))
        for name in fact_counts(fact):
            move.delta[name] += sign


def case_changed(
    case: Case, *, action: str = "", timeline: Sequence[CaseEvent] | None = None, new: bool = False
) -> None:
    """Rewrite the case's fact and add the difference to its groups, in the caller's transaction.

    A caller that holds the case's whole `timeline` (oldest first) passes it; a case created in this
    transaction (`new`) has no fact yet and no parties. A report may make later reports of the same
    problem repeats (a back-dated one): their facts move too. The rows are written last, by delta
    (`apply`), so their locks are held from there to the commit only.
    """
    moves = Moves()
    _refresh(case, moves, timeline=timeline, new=new)
    if action == Action.REPORT:
        for later in _later_repeats(case):
            _recheck_repeat(later, moves)
    known = [case.category] if Case.category.is_cached(case) else []
    apply(moves, categories=known)


def _old_fact(case_id: int) -> dict | None:
    """The case's fact as counted, locked: a fact moves once at a time, from the counts it holds."""
    return CaseFact.objects.select_for_update().filter(case_id=case_id).values(*FACT_COLUMNS).first()


def _refresh(
    case: Case, moves: Moves, *, timeline: Sequence[CaseEvent] | None = None, new: bool = False
) -> None:
    # Locked before the timeline and the repeat rule are read: whoever changed it last has committed.
    old = None if new else _old_fact(case.pk)
    events = (
        list(CaseEvent.objects.filter(case_id=case.pk).order_by("at", "id")) if timeline is None else timeline
    )
    lead = None if new else Assignment.objects.filter(case_id=case.pk, is_lead=True, active=True).first()
    fields = derive(case, events, lead=lead_text(lead), repeat=is_repeat(case))
    if old == fields:
        return
    if old is None:
        CaseFact.objects.create(case_id=case.pk, **fields)
    else:
        CaseFact.objects.filter(case_id=case.pk).update(
            **{name: value for name, value in fields.items() if old[name] != value}
        )
    moves.move(old, fields)


def _recheck_repeat(later: Case, moves: Moves) -> None:
    """A later report of the same problem: only its repeat flag can change (the rest of its fact is
    its own timeline's), so only the flag is read again."""
    old = _old_fact(later.pk)
    if old is None:
        _refresh(later, moves)
        return
    repeat = is_repeat(later)
    if repeat != old["repeat"]:
        CaseFact.objects.filter(case_id=later.pk).update(repeat=repeat)
        moves.move(old, {**old, "repeat": repeat})


def _dims(fields: Mapping) -> dict:
    return {name: fields[name] for name in DIMENSIONS}


def group_key(fields: Mapping) -> str:
    """A group's name: community, month, grid (0: none), category, channel and lead."""
    return ":".join(
        [
            str(fields["community_id"]),
            fields["month"].strftime("%Y-%m"),
            str(fields["grid_id"] or 0),
            str(fields["category_id"]),
            fields["channel"],
            fields["lead"],
        ]
    )


def counter_aggregates() -> dict:
    """Every counter of cases.metrics as an aggregate over facts: what the rebuild counts with.

    The aliases are prefixed (a counter may share its name with a fact's column); `counts` strips it.
    """
    return {
        f"n_{name}": Count("pk", filter=condition) if condition else Count("pk")
        for name, condition in COUNTERS.items()
    }


def counts(row: dict) -> dict[str, int]:
    """The counters of an aggregated row, by their own names."""
    return {name: row[f"n_{name}"] for name in COUNTERS}


def month_key(community_id: int, month, top: int, sensitive: bool) -> str:
    return f"{community_id}:{month:%Y-%m}:{top}:{int(sensitive)}"


def _tops(category_ids: Iterable[int], known: Iterable[Category]) -> dict[int, tuple[int, bool]]:
    """Each category's top-level category and sensitivity: the month rollup's dimensions."""
    tops = {c.pk: (c.parent_id or c.pk, c.sensitive) for c in known}
    missing = set(category_ids) - set(tops)
    if missing:
        for pk, parent, sensitive in Category.objects.filter(pk__in=missing).values_list(
            "pk", "parent_id", "sensitive"
        ):
            tops[pk] = (parent or pk, sensitive)
    return tops


def apply(moves: Moves, *, categories: Iterable[Category] = ()) -> None:
    """Add each group's differences to its row, then to its month's row.

    Only the counters that moved are written, `n = n + d` in one statement a row: nothing is counted
    again and nothing is read first. The UPDATE's row lock lasts to the commit, so the rows are
    taken in key order (groups, then months: no deadlock), last in the transaction. A group left
    empty is deleted, as a rebuild would not write it. A row that is not there (a group's or a
    month's first case, or rows written around the services before a rebuild) is counted from the
    facts or the groups instead, under its lock: so a missing row is never started from nothing.
    """
    moved = {key: move for key, move in sorted(moves.groups.items()) if any(move.delta.values())}
    if not moved:
        return
    tops = _tops({move.dims["category_id"] for move in moved.values()}, categories)
    months: dict[str, tuple[tuple, Counter | None]] = {}
    for key, move in moved.items():
        delta = {name: d for name, d in move.delta.items() if d}
        top, sensitive = tops[move.dims["category_id"]]
        month = (move.dims["community_id"], move.dims["month"], top, sensitive)
        summed = months.setdefault(month_key(*month), (month, Counter()))[1]
        if not _add_to(CaseRollup, key, delta):
            _recount_groups([move.dims])
            months[month_key(*month)] = (month, None)  # counted again from its groups, below
            continue
        if delta.get("reported", 0) < 0:
            _drop_if_empty(CaseRollup, key)
        if summed is not None:
            summed.update(delta)
    for key, (month, summed) in sorted(months.items()):
        delta = {name: d for name, d in (summed or {}).items() if d}
        if summed is None or (delta and not _add_to(CaseMonthRollup, key, delta)):
            _recount_month(*month)
        elif delta.get("reported", 0) < 0:
            _drop_if_empty(CaseMonthRollup, key)


def _add_to(model, key: str, delta: dict[str, int]) -> bool:
    """`n = n + d` for each counter that moved, on the row of `key`; False when there is no row."""
    return model.objects.filter(key=key).update(**{name: F(name) + d for name, d in delta.items()}) > 0


def _drop_if_empty(model, key: str) -> None:
    """A row whose last case left it: a rebuild writes no row for an empty group."""
    model.objects.filter(key=key, reported=0).delete()


# --- counted from the facts: a row's first case, or a missing row --------------------------------------


def recount(groups: Iterable[dict]) -> None:
    """Count each group again from its facts, under a lock on its row (in key order: no deadlock),
    then the month rows those groups add up to."""
    groups = list(groups)
    _recount_groups(groups)
    months = {(g["community_id"], g["month"], g["category_id"]) for g in groups}
    tops = _tops({m[2] for m in months}, ())
    for community_id, month, top, flag in sorted({(c, m, *tops[k]) for c, m, k in months}):
        _recount_month(community_id, month, top, flag)


def _month_rows(community_id: int, **only):
    """The fine rollups of a community summed by month, top-level category and sensitivity: what
    both the step-by-step path and the rebuild write into CaseMonthRollup."""
    return (
        CaseRollup.objects.filter(community_id=community_id)
        .annotate(top=Coalesce("category__parent_id", "category_id"), sensitive=F("category__sensitive"))
        .filter(**only)
        .order_by()
        .values("month", "top", "sensitive")
        .annotate(**{f"n_{name}": Sum(name) for name in COUNTERS})
    )


#: One group's counts and one month row's sums, each compiled to SQL once (core.compiled).
_GROUP_COUNTS = QueryTemplate(
    lambda **dims: (
        CaseFact.objects.filter(**dims).order_by().values("community_id").annotate(**counter_aggregates())
    )
)
_MONTH_SUMS = QueryTemplate(lambda *, community_id, **only: _month_rows(community_id, **only))


def _recount_month(community_id: int, month, top: int, sensitive: bool) -> None:
    key = month_key(community_id, month, top, sensitive)
    row, _created = CaseMonthRollup.objects.select_for_update().get_or_create(
        key=key,
        defaults={
            "community_id": community_id,
            "month": month,
            "top_category_id": top,
            "sensitive": sensitive,
        },
    )
    summed = next(
        iter(_MONTH_SUMS.rows(community_id=community_id, month=month, top=top, sensitive=sensitive)), None
    )
    if summed is None:
        row.delete()
        return
    for name, value in counts(summed).items():
        setattr(row, name, value)
    row.save()


def _recount_groups(groups: list[dict]) -> None:
    for dims in sorted(groups, key=group_key):
        key = group_key(dims)
        row, _created = CaseRollup.objects.select_for_update().get_or_create(key=key, defaults=dict(dims))
        found = _GROUP_COUNTS.rows(**dims)
        counted = counts(found[0]) if found else None
        if not counted or not counted["reported"]:
            row.delete()
            continue
        for name, value in counted.items():
            setattr(row, name, value)
        row.save()


# --- rebuilt from the timeline ---------------------------------------------------------------------------


def rebuild(*, community_ids: Iterable[int] | None = None, batch: int = 2000) -> dict[str, int]:
    """Derive every fact from the timeline again and count every group: one community per transaction.

    The repeat rule is applied in one pass over a community's cases in report order (the latest
    report of each category and place is remembered), the twin of `is_repeat`.
    """
    from grassroots.places.models import Community

    communities = Community.objects.order_by("pk").values_list("pk", flat=True)
    if community_ids is not None:
        communities = communities.filter(pk__in=list(community_ids))
    totals = {"communities": 0, "cases": 0, "groups": 0}
    for community_id in communities:
        with transaction.atomic():
            cases, groups = _rebuild_community(community_id, batch)
        totals["communities"] += 1
        totals["cases"] += cases
        totals["groups"] += groups
    return totals


def _rebuild_community(community_id: int, batch: int) -> tuple[int, int]:
    CaseMonthRollup.objects.filter(community_id=community_id).delete()
    CaseRollup.objects.filter(community_id=community_id).delete()
    CaseFact.objects.filter(community_id=community_id).delete()
    cases = (
        Case.objects.filter(community_id=community_id)
        .select_related("category")
        .prefetch_related(
            Prefetch("events", queryset=CaseEvent.objects.order_by("at", "id"), to_attr="timeline"),
            Prefetch(
                "assignments", queryset=Assignment.objects.filter(is_lead=True, active=True), to_attr="leads"
            ),
        )
        .order_by("reported_at", "pk")
    )
    latest: dict[tuple, datetime] = {}
    facts: list[CaseFact] = []
    count = 0
    for case in cases.iterator(chunk_size=batch):
        place = repeat_place(case)
        repeat = False
        if place is not None:
            problem = (case.category_id, *place)
            before = latest.get(problem)
            repeat = before is not None and before >= case.reported_at - REPEAT_WINDOW
            latest[problem] = case.reported_at
        lead = case.leads[0] if case.leads else None
        facts.append(
            CaseFact(case_id=case.pk, **derive(case, case.timeline, lead=lead_text(lead), repeat=repeat))
        )
        count += 1
        if len(facts) >= batch:
            CaseFact.objects.bulk_create(facts)
            facts = []
    CaseFact.objects.bulk_create(facts)
    rows = (
        CaseFact.objects.filter(community_id=community_id)
        .order_by()
        .values(*DIMENSIONS)
        .annotate(**counter_aggregates())
    )
    rollups = [CaseRollup(key=group_key(row), **_dims(row), **counts(row)) for row in rows]
    CaseRollup.objects.bulk_create(rollups, batch_size=batch)
    CaseMonthRollup.objects.bulk_create(
        [
            CaseMonthRollup(
                key=month_key(community_id, row["month"], row["top"], row["sensitive"]),
                community_id=community_id,
                month=row["month"],
                top_category_id=row["top"],
                sensitive=row["sensitive"],
                **counts(row),
            )
            for row in _month_rows(community_id)
        ],
        batch_size=batch,
    )
    return count, len(rollups)
