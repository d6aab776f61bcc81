"""The case facts and rollups behind the dashboard: kept in step with the timeline, rebuildable from it.

`case_changed(case)` runs in the transaction of every timeline entry (cases.services._record): it
derives the case's `CaseFact` from the case and its timeline, and recounts the rollup group(s) the
case leaves and joins. A group is recounted from the facts with the counters of cases.metrics, under
a lock on its row, so two cases of one group changing at once cannot lose a count.

`rebuild()` (`grassroots rollups rebuild`) derives every fact again from the timeline and counts
every group with the same counters: the same code, so an incremental rollup and a rebuilt one agree
(tests/test_rollups.py proves it after random sequences of actions). Rows written around the
services (the demo's year of history, bulk-created) are counted after a rebuild.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
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


# --- kept in step ------------------------------------------------------------------------------------


def case_changed(
    case: Case, *, action: str = "", timeline: Sequence[CaseEvent] | None = None, new: bool = False
) -> None:
    """Rewrite the case's fact and recount its groups, in the caller's transaction.

    A caller that holds the case's whole `timeline` (oldest first) passes it; a case created in this
    transaction (`new`) has no fact yet and no parties.
    """
    _refresh(case, timeline=timeline, new=new)
    if action == Action.REPORT:
        for later in _later_repeats(case):
            _refresh(later)


def _refresh(case: Case, *, timeline: Sequence[CaseEvent] | None = None, new: bool = False) -> None:
    events = (
        list(CaseEvent.objects.filter(case_id=case.pk).order_by("at", "id")) if timeline is None else timeline
    )
    lead = None if new else Assignment.objects.filter(case_id=case.pk, is_lead=True, active=True).first()
    fields = derive(case, events, lead=lead_text(lead), repeat=is_repeat(case))
    groups = {group_key(fields): _dims(fields)}
    if new:
        CaseFact.objects.create(case_id=case.pk, **fields)
    else:
        old = CaseFact.objects.select_for_update().filter(case_id=case.pk).values(*DIMENSIONS).first()
        CaseFact.objects.update_or_create(case_id=case.pk, defaults=fields)
        if old is not None:
            groups[group_key(old)] = old
    recount(groups.values())


def _dims(fields: dict) -> dict:
    return {name: fields[name] for name in DIMENSIONS}


def group_key(fields: dict) -> str:
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
    """Every counter of cases.metrics as an aggregate over facts: what both paths count with.

    The aliases are prefixed (a counter may share its name with a fact's column); `counts` strips it.
    """
    return {
        f"n_{name}": Count("pk", filter=condition) if condition else Count("pk")
        for name, condition in COUNTERS.items()
    }


def counts(row: dict) -> dict[str, int]:
    """The counters of an aggregated row, by their own names."""
    return {name: row[f"n_{name}"] for name in COUNTERS}


def recount(groups: Iterable[dict]) -> None:
    """Count each group again from its facts, under a lock on its row (in key order: no deadlock),
    then the month rows those groups add up to."""
    groups = list(groups)
    _recount_groups(groups)
    months = {(g["community_id"], g["month"], g["category_id"]) for g in groups}
    tops = {
        pk: (top, sensitive)
        for pk, top, sensitive in Category.objects.filter(pk__in={m[2] for m in months})
        .annotate(top=Coalesce("parent_id", "id"))
        .values_list("pk", "top", "sensitive")
    }
    for community_id, month, top, flag in sorted({(c, m, *tops[k]) for c, m, k in months}):
        _recount_month(community_id, month, top, flag)


def month_key(community_id: int, month, top: int, sensitive: bool) -> str:
    return f"{community_id}:{month:%Y-%m}:{top}:{int(sensitive)}"


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


#: One group's counts and one month row's sums, each compiled to SQL once (core.compiled): compiling
#: their fifty counters again at every timeline entry cost more than the database did.
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
