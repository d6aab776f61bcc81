"""The dashboard's figures, defined once: each counter is one filter over the case facts.

A figure on the dashboard, in the API and (later) in the monthly report is a counter or a ratio of
two counters; a counter is a `Q` over `CaseFact` (one row per case, derived from its timeline by
cases.rollups). The same `Q` is

- aggregated into the rollups (`CaseRollup`, one row per community, month, grid, category, channel
  and lead), which the figures read, and
- applied to the case list when a figure is clicked (`?figure=<counter>`), which lists the cases
  behind the number.

So the number and the list cannot disagree: there is no second definition to drift. The "now"
figures (open, overdue) are not rolled up; they read the board's own rule (cases.clock) on the
open cases, and the list applies the same rule. docs/metrics.md states every formula with a worked
example.

Times (to respond, to resolve) are kept as minutes on the fact and counted in buckets
(`BUCKET_EDGES`): a median or 90th percentile read from the rollup is the bucket it falls in
("2–4 h"), never an invented exact value.

The rules that are policy rather than fact (which statuses count as resolved, how a "basically
satisfied" verdict counts, the weights of the composite score) are data: `rules()` reads the
`GRASSROOTS_METRICS` setting over `DEFAULT_RULES`. They change what is read from the rollups, not
what is stored, so changing them needs no rebuild.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from grassroots.cases.workflow import OPEN, Status

#: A repeat problem: an earlier report of the same category at the same place within this window.
REPEAT_WINDOW = timedelta(days=30)

#: Upper edges (minutes, exclusive) of the time buckets; the last bucket is "30 days or more".
BUCKET_EDGES: tuple[int, ...] = (
    15,
    30,
    60,
    2 * 60,
    4 * 60,
    8 * 60,
    12 * 60,
    24 * 60,
    2 * 24 * 60,
    3 * 24 * 60,
    5 * 24 * 60,
    7 * 24 * 60,
    14 * 24 * 60,
    30 * 24 * 60,
)
BUCKETS = len(BUCKET_EDGES) + 1


def bucket_bounds(index: int) -> tuple[int, int | None]:
    """[low, high) minutes of a bucket; high is None for the last, open-ended one."""
    low = BUCKET_EDGES[index - 1] if index else 0
    high = BUCKET_EDGES[index] if index < len(BUCKET_EDGES) else None
    return low, high


def _bucket_q(field: str, index: int) -> Q:
    low, high = bucket_bounds(index)
    condition = Q(**{f"{field}__gte": low})
    if high is not None:
        condition &= Q(**{f"{field}__lt": high})
    return condition


#: Statuses a taken-on case can be in (the rollup keeps a count of each, for the rules to combine).
ACCEPTED_STATUSES = (
    Status.REGISTERED,
    Status.DISPATCHED,
    Status.ACKNOWLEDGED,
    Status.RESOLVED,
    Status.VERIFIED,
    Status.CLOSED,
)
VERDICTS = ("satisfied", "basic", "unsatisfied")

ACCEPTED = Q(accepted=True)

#: Every stored counter: name -> the cases it counts (a filter over CaseFact). Order is the rollup's.
COUNTERS: dict[str, Q] = {
    "reported": Q(),
    "pending": Q(status=Status.REPORTED),
    "rejected": Q(status=Status.REJECTED),
    "merged": Q(status=Status.MERGED),
    "accepted": ACCEPTED,
    "responded": ACCEPTED & Q(responded=True),
    "responded_on_time": ACCEPTED & Q(responded_on_time=True),
    "resolved_ever": ACCEPTED & Q(resolved_ever=True),
    "resolved_on_time": ACCEPTED & Q(resolved_on_time=True),
    **{f"status_{status}": ACCEPTED & Q(status=status) for status in ACCEPTED_STATUSES},
    "rated": ACCEPTED & ~Q(satisfaction=""),
    **{f"verdict_{verdict}": ACCEPTED & Q(satisfaction=verdict) for verdict in VERDICTS},
    "reworked": ACCEPTED & Q(reworked=True),
    "extension_requested": ACCEPTED & Q(extension_requested=True),
    "extended": ACCEPTED & Q(extended=True),
    "escalated": ACCEPTED & Q(escalated=True),
    "repeat": ACCEPTED & Q(repeat=True),
    "resolve_timed": ACCEPTED & Q(resolve_minutes__isnull=False),
    **{f"respond_b{i}": ACCEPTED & _bucket_q("response_minutes", i) for i in range(BUCKETS)},
    **{f"resolve_b{i}": ACCEPTED & _bucket_q("resolve_minutes", i) for i in range(BUCKETS)},
}
COUNTER_NAMES = tuple(COUNTERS)

#: Figures read live from the open cases (the board's rule), not from the rollups.
LIVE = ("open_now", "overdue_now")


# --- the rules (policy, as data) -----------------------------------------------------------------

DEFAULT_RULES: dict = {
    # 解决率: a taken-on case counts as resolved in these statuses (work reported done, not sent back).
    "resolved_statuses": [Status.RESOLVED.value, Status.VERIFIED.value, Status.CLOSED.value],
    # 满意率: what each call-back verdict is worth.
    "satisfaction_weights": {"satisfied": 1.0, "basic": 0.8, "unsatisfied": 0.0},
    # The composite score: the weights of the three rates (rescaled over the rates that have cases).
    "score_weights": {"response": 0.1, "resolution": 0.45, "satisfaction": 0.45},
}


@dataclass(frozen=True)
class Rules:
    resolved_statuses: tuple[str, ...]
    satisfaction_weights: Mapping[str, float]
    score_weights: Mapping[str, float]


def rules() -> Rules:
    """The rules in force: DEFAULT_RULES, with what GRASSROOTS_METRICS overrides (checked)."""
    merged = {**DEFAULT_RULES, **(getattr(settings, "GRASSROOTS_METRICS", None) or {})}
    statuses = tuple(merged["resolved_statuses"])
    if not statuses or set(statuses) - {s.value for s in ACCEPTED_STATUSES}:
        raise ImproperlyConfigured(
            "GRASSROOTS_METRICS: resolved_statuses must name statuses of taken-on cases"
        )
    weights = {verdict: float(merged["satisfaction_weights"].get(verdict, 0)) for verdict in VERDICTS}
    score = {
        rate: float(merged["score_weights"].get(rate, 0))
        for rate in ("response", "resolution", "satisfaction")
    }
    if (
        any(not 0 <= w <= 1 for w in weights.values())
        or any(w < 0 for w in score.values())
        or not any(score.values())
    ):
        raise ImproperlyConfigured(
            "GRASSROOTS_METRICS: weights must be between 0 and 1, and some score weight > 0"
        )
    return Rules(statuses, weights, score)


def resolved_q() -> Q:
    """解决率's numerator as a filter: taken on and in one of the resolved statuses of the rules."""
    return ACCEPTED & Q(status__in=rules().resolved_statuses)


def counter_q(name: str) -> Q | None:
    """The filter behind a counter (stored, or `resolved` from the rules); None for an unknown name."""
    if name == "resolved":
        return resolved_q()
    return COUNTERS.get(name)


def live_q(name: str, now) -> Q | None:
    """The filter behind a "now" figure over cases (the board's rule: cases.clock)."""
    from grassroots.cases.clock import overdue_q

    if name == "open_now":
        return Q(status__in=OPEN)
    if name == "overdue_now":
        return overdue_q(now)
    return None


#: What each clickable counter is called on the dashboard and above its list.
LABELS: dict[str, object] = {
    "reported": pgettext_lazy("dashboard figure", "reported"),
    "pending": _("waiting to be registered"),
    "rejected": _("rejected"),
    "merged": _("merged into another case"),
    "accepted": _("taken on"),
    "responded": _("responded"),
    "responded_on_time": _("responded on time"),
    "resolved": _("resolved"),
    "resolved_ever": _("reported done at least once"),
    "resolved_on_time": _("first reported done on time"),
    "rated": _("with a call-back verdict"),
    "verdict_satisfied": _("satisfied"),
    "verdict_basic": _("basically satisfied"),
    "verdict_unsatisfied": _("unsatisfied"),
    "reworked": _("sent back as rework"),
    "extension_requested": _("asked for more time"),
    "extended": _("given more time"),
    "escalated": _("escalated to the street"),
    "repeat": _("repeat problems"),
    "resolve_timed": _("resolved, with a time to resolve"),
    "open_now": _("open now"),
    "overdue_now": _("overdue now"),
}


def label_of(name: str) -> str:
    return str(LABELS.get(name, name))


#: Every name the case list accepts as `?figure=`: the counters, `resolved` (from the rules), the live ones.
FIGURE_LISTS = (*COUNTER_NAMES, "resolved", *LIVE)
