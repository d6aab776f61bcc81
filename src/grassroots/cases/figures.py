"""Reads of the dashboard's case figures: the rollups for a period, the board's rule for "now".

The counters are cases.metrics'; this module sums them for the viewer's reach and filters, turns
them into rates, a score and percentiles, and gives the case list the filter that lists the cases
behind any number (`figure_cases_q`). Where a figure reaches is `reach_q`: the viewer's community,
street or grids, and sensitive categories only for a viewer who may see them, so that a figure
never counts a case its list would hide.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Count, F, Q, QuerySet, Sum
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from grassroots.accounts.models import User
from grassroots.accounts.roles import user_can, user_scope
from grassroots.cases import metrics
from grassroots.cases.calendar import duration_text
from grassroots.cases.models import Case, CaseFact, CaseMonthRollup, CaseRollup, Category, category_family_q
from grassroots.core.scoping import scope_filter


@dataclass(frozen=True)
class Period:
    """Whole months, first to last (each the first day of its month)."""

    first: date
    last: date

    @classmethod
    def month_of(cls, day: date) -> Period:
        start = day.replace(day=1)
        return cls(start, start)

    @property
    def end(self) -> date:
        """The first day after the period."""
        year, month = (
            (self.last.year + 1, 1) if self.last.month == 12 else (self.last.year, self.last.month + 1)
        )
        return date(year, month, 1)

    def params(self) -> dict[str, str]:
        return {"month_from": self.first.strftime("%Y-%m"), "month_to": self.last.strftime("%Y-%m")}


def parse_month(text: str | None) -> date | None:
    """ "2026-12" as the first day of that month; None when it is not a month."""
    try:
        year, month = (int(part) for part in (text or "").split("-"))
        return date(year, month, 1) if 2000 <= year <= 2100 else None
    except ValueError:
        return None


@dataclass(frozen=True)
class Filters:
    """The dashboard's filters, as the case list applies them too (ids and codes, already checked)."""

    period: Period
    grid_id: int | None = None
    category_id: int | None = None
    channel: str = ""
    handler: str = ""

    def case_list_filters(self) -> dict[str, Any]:
        """The same filters as the case list's form hands them to cases.selectors (ids for objects)."""
        return {
            "grid": self.grid_id,
            "category": self.category_id,
            "channel": self.channel,
            "handler": self.handler,
        }

    def params(self) -> dict[str, str]:
        params = self.period.params()
        for name, value in (
            ("grid", self.grid_id),
            ("category", self.category_id),
            ("channel", self.channel),
            ("handler", self.handler),
        ):
            if value:
                params[name] = str(value)
        return params


def reach_q(user: User) -> Q | None:
    """Which cases a viewer's figures may count (None: none): their scope, without what they only
    see as a party, and sensitive categories only with `cases.case.view_sensitive`.

    It applies to facts, rollups and cases alike (they share the community, grid and category names).
    """
    if not user_can(user, "cases.case.view"):
        return None
    reach = scope_filter(CaseFact, user_scope(user))
    if reach is None:
        return None
    if not user_can(user, "cases.case.view_sensitive"):
        reach &= Q(category__sensitive=False)
    return reach


def _dimension_q(filters: Filters) -> Q:
    """The filters over a fact's or a rollup's dimensions (a category includes its children)."""
    condition = Q()
    if filters.grid_id:
        condition &= Q(grid_id=filters.grid_id)
    if filters.category_id:
        condition &= category_family_q(filters.category_id)
    if filters.channel:
        condition &= Q(channel=filters.channel)
    if filters.handler:
        condition &= Q(lead=filters.handler)
    return condition


def _period_q(period: Period) -> Q:
    return Q(month__gte=period.first, month__lte=period.last)


# --- sums ---------------------------------------------------------------------------------------------


def _month_reach(user: User, filters: Filters) -> Q | None:
    """The reach over the month rollups, or None when only the fine rollups can answer: a grid
    worker's reach, or a grid, channel, handler or child-category filter."""
    if filters.grid_id or filters.channel or filters.handler or not user_can(user, "cases.case.view"):
        return None
    scope = user_scope(user)
    reach = scope_filter(CaseMonthRollup, scope) if scope.level != "grid" else None
    if reach is None:
        return None
    if not user_can(user, "cases.case.view_sensitive"):
        reach &= Q(sensitive=False)
    if filters.category_id:
        if Category.objects.filter(pk=filters.category_id, parent__isnull=False).exists():
            return None
        reach &= Q(top_category_id=filters.category_id)
    return reach


def rollup_rows(
    *, user: User, community_ids: Iterable[int], filters: Filters, fine: bool = False
) -> QuerySet | None:
    """The rollup rows a figure sums for the viewer, annotated with `top` (the top-level category):
    the month rollups when they can answer (and `fine` does not ask for the lead or grid
    dimensions), else the fine ones; None when the viewer reaches nothing.

    Both are read through their (community, month) index: a street's year of month rollups is a few
    thousand rows, a filtered one a few hundred per community and month.
    """
    ids = sorted(set(community_ids))
    where = Q(community_id__in=ids) & _period_q(filters.period)
    coarse = None if fine else _month_reach(user, filters)
    if coarse is not None:
        return CaseMonthRollup.objects.filter(coarse, where).annotate(top=F("top_category_id"))
    reach = reach_q(user)
    if reach is None:
        return None
    return CaseRollup.objects.filter(reach, where, _dimension_q(filters)).annotate(
        top=Coalesce("category__parent_id", "category_id")
    )


def sum_counts(
    rows: Iterable[Mapping[str, int]], names: Iterable[str] = metrics.COUNTER_NAMES
) -> dict[str, int]:
    """Counters (or live counts) added up name by name; every name present, 0 with no row."""
    total = dict.fromkeys(names, 0)
    for row in rows:
        for name, value in row.items():
            total[name] = total.get(name, 0) + value
    return total


def _summed(rows: QuerySet, dimensions: tuple[str, ...]) -> dict[tuple, tuple[int, ...]]:
    """Every counter per value of the dimensions, as a vector in COUNTER_NAMES' order: one grouped
    query, read as tuples (a street's year is some 240 rows of 55 counters)."""
    width = len(dimensions)
    grouped = (
        rows.order_by()
        .values(*dimensions)
        .annotate(**{f"n_{name}": Sum(name) for name in metrics.COUNTER_NAMES})
        .values_list(*dimensions, *(f"n_{name}" for name in metrics.COUNTER_NAMES))
    )
    return {row[:width]: tuple(value or 0 for value in row[width:]) for row in grouped}


def added(vectors: Iterable[tuple[int, ...]]) -> dict[str, int]:
    """Counter vectors (`_summed`) added up, as counters by name."""
    totals = [sum(column) for column in zip(*vectors, strict=True)]
    return dict(zip(metrics.COUNTER_NAMES, totals or [0] * len(metrics.COUNTER_NAMES), strict=True))


def counters_by_community_month(
    *, user: User, community_ids: Iterable[int], filters: Filters
) -> dict[tuple[int, date], tuple[int, ...]]:
    """Every counter per community and month of the period (vectors for `added`): one grouped query,
    which the dashboard adds up both ways (per community over its period, per month over its
    communities for the trend)."""
    rows = rollup_rows(user=user, community_ids=community_ids, filters=filters)
    return {} if rows is None else _summed(rows, ("community_id", "month"))


def counters_for(*, user: User, community_ids: Iterable[int], filters: Filters) -> dict[int, dict[str, int]]:
    """Every counter per community for the period: the sum of its months."""
    ids = sorted(set(community_ids))
    months: dict[int, list[tuple[int, ...]]] = {community_id: [] for community_id in ids}
    for (community_id, _month), vector in counters_by_community_month(
        user=user, community_ids=ids, filters=filters
    ).items():
        months[community_id].append(vector)
    return {community_id: added(vectors) for community_id, vectors in months.items()}


def live_for(
    *, user: User, community_ids: Iterable[int], filters: Filters, now: datetime
) -> dict[int, dict[str, int]]:
    """Open and overdue now, per community: the board's rule (cases.clock) over the open cases only
    (the board's index: community, status, due)."""
    ids = sorted(set(community_ids))
    result = {community_id: {name: 0 for name in metrics.LIVE} for community_id in ids}
    reach = reach_q(user)
    if reach is None or not ids:
        return result
    from grassroots.cases.selectors import filtered_cases

    cases = filtered_cases(Case.objects.filter(reach, community_id__in=ids), filters.case_list_filters())
    rows = (
        cases.filter(metrics.live_q("open_now", now))
        .order_by()
        .values("community_id")
        .annotate(open_now=Count("id"), overdue_now=Count("id", filter=metrics.live_q("overdue_now", now)))
    )
    for row in rows:
        result[row["community_id"]] = {name: row[name] for name in metrics.LIVE}
    return result


def top_categories(
    *, user: User, community_ids: Iterable[int], filters: Filters, limit: int = 5
) -> list[tuple[Category, int]]:
    """The top-level categories (each with its children, as the category filter counts them) with
    the most cases taken on in the period, most first."""
    rows = rollup_rows(user=user, community_ids=community_ids, filters=filters)
    if rows is None:
        return []
    top = list(
        rows.order_by()
        .values("top")
        .annotate(n=Sum("accepted"))
        .filter(n__gt=0)
        .order_by("-n", "top")[:limit]
    )
    categories = Category.objects.in_bulk([row["top"] for row in top])
    return [(categories[row["top"]], row["n"]) for row in top]


def counters_by(
    *, user: User, community_ids: Iterable[int], filters: Filters, dimension: str
) -> dict[object, dict[str, int]]:
    """Every counter per value of one rollup dimension ("month", "lead"): one grouped query.

    What the trend (per month) and the handlers' evaluation (per lead) read: the same counters as
    the dashboard's, so a rate per month or per handler is computed by the same `figures_from`.
    """
    rows = rollup_rows(
        user=user, community_ids=community_ids, filters=filters, fine=dimension not in ("month", "top")
    )
    if rows is None:
        return {}
    return {key[0]: added([vector]) for key, vector in _summed(rows, (dimension,)).items()}


# --- figures from counters -----------------------------------------------------------------------------


@dataclass
class Part:
    """A number shown with a figure, and the counter (or live figure) whose list it is."""

    name: str
    count: int
    # The links of whoever shows it (insights.selectors), by part name: drawn only when read.
    links: Mapping[str, str] | None = field(default=None, repr=False, compare=False)

    @property
    def url(self) -> str:
        """The list behind it, "" when nobody set the links."""
        return self.links[self.name] if self.links is not None else ""

    @property
    def label(self) -> str:
        return metrics.label_of(self.name)


@dataclass
class Figure:
    """One figure: its value (a share, a score, a time) and the parts to click through to."""

    key: str
    label: str
    value: float | None
    text: str
    parts: list[Part] = field(default_factory=list)
    definition: str = ""


def _share(numerator: int, denominator: int) -> float | None:
    return numerator / denominator if denominator else None


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{100 * value:.1f}%"


def percentile_bucket(histogram: list[int], share: float) -> int | None:
    """The bucket holding the nearest-rank percentile (rank ⌈share × n⌉), None with no case."""
    total = sum(histogram)
    if not total:
        return None
    rank = max(1, math.ceil(share * total))
    running = 0
    for index, count in enumerate(histogram):
        running += count
        if running >= rank:
            return index
    return len(histogram) - 1


def bucket_text(index: int | None) -> str:
    if index is None:
        return "—"
    low, high = metrics.bucket_bounds(index)
    if high is None:
        return _("%(low)s or more") % {"low": duration_text(low)}
    return f"{duration_text(low) if low else '0'}–{duration_text(high)}"


#: The plain rates: key, label, numerator counter, denominator counter.
RATES = (
    ("on_time_response", _("Responded on time"), "responded_on_time", "responded"),
    ("on_time_resolution", _("Resolved on time"), "resolved_on_time", "resolved_ever"),
    ("rework_rate", _("Rework rate"), "reworked", "resolved_ever"),
    ("extension_rate", _("Extension rate"), "extended", "accepted"),
    ("escalation_rate", _("Escalation rate"), "escalated", "accepted"),
    ("repeat_rate", _("Repeat problems"), "repeat", "accepted"),
)
#: The times: key, label, histogram counters' prefix, share, the counter of the cases timed.
TIMES = (
    ("respond_p50", _("Time to respond, median"), "respond_b", 0.5, "responded"),
    ("respond_p90", _("Time to respond, 90th percentile"), "respond_b", 0.9, "responded"),
    ("resolve_p50", _("Time to resolve, median"), "resolve_b", 0.5, "resolve_timed"),
    ("resolve_p90", _("Time to resolve, 90th percentile"), "resolve_b", 0.9, "resolve_timed"),
)


def _rate(key: str, label, numerator: Part, denominator: Part, *more: Part) -> Figure:
    value = _share(numerator.count, denominator.count)
    return Figure(key, str(label), value, _percent(value), [numerator, *more, denominator])


def figures_from(counts: Mapping[str, int], live: Mapping[str, int] | None = None) -> dict[str, Figure]:
    """Every case figure from the counters (and the live counts), by the rules in force (metrics.rules).

    The three rates: 响应率 = responded / taken on; 解决率 = resolved (the rules' statuses) / taken on;
    满意率 = Σ weight × verdicts / cases with a verdict. The score is their weighted mean × 100 over
    the rates that have cases. docs/metrics.md gives every formula with a worked example.
    """
    rules = metrics.rules()
    c = counts
    resolved = sum(c[f"status_{status}"] for status in rules.resolved_statuses)
    verdicts = [Part(f"verdict_{v}", c[f"verdict_{v}"]) for v in metrics.VERDICTS]
    weighted = sum(rules.satisfaction_weights[v] * c[f"verdict_{v}"] for v in metrics.VERDICTS)
    accepted = Part("accepted", c["accepted"])
    three = [
        _rate("response_rate", _("Response rate (响应率)"), Part("responded", c["responded"]), accepted),
        _rate("resolution_rate", _("Resolution rate (解决率)"), Part("resolved", resolved), accepted),
    ]
    satisfaction = _share(weighted, c["rated"])
    three.append(
        Figure(
            "satisfaction_rate",
            str(_("Satisfaction rate (满意率)")),
            satisfaction,
            _percent(satisfaction),
            [*verdicts, Part("rated", c["rated"])],
        )
    )
    rates = dict(zip(("response", "resolution", "satisfaction"), (f.value for f in three), strict=True))
    weights = {name: rules.score_weights[name] for name, rate in rates.items() if rate is not None}
    score = None
    if sum(weights.values()):
        score = 100 * sum(weights[name] * rates[name] for name in weights) / sum(weights.values())
    reported = [Part(name, c[name]) for name in ("reported", "accepted", "pending", "rejected", "merged")]
    figures = [
        Figure(
            "reported",
            str(pgettext_lazy("dashboard figure", "Reported")),
            c["reported"],
            str(c["reported"]),
            reported,
        ),
        *three,
        Figure("score", str(_("Composite score")), score, "—" if score is None else f"{score:.1f}"),
        *(_rate(key, label, Part(num, c[num]), Part(den, c[den])) for key, label, num, den in RATES),
    ]
    for key, label, prefix, share, timed in TIMES:
        histogram = [c[f"{prefix}{i}"] for i in range(metrics.BUCKETS)]
        bucket = percentile_bucket(histogram, share)
        figures.append(Figure(key, str(label), bucket, bucket_text(bucket), [Part(timed, sum(histogram))]))
    for name in metrics.LIVE if live is not None else ():
        figures.append(
            Figure(name, metrics.label_of(name), live[name], str(live[name]), [Part(name, live[name])])
        )
    return {figure.key: figure for figure in figures}


# --- the list behind a number --------------------------------------------------------------------------


def figure_cases_q(*, user: User, figure: str, community_id: int | None, period: Period, now: datetime) -> Q:
    """The cases behind a figure's number, as a filter over cases (the list adds the same dimension
    filters as the dashboard: grid, category, channel, handler).

    A stored counter lists the cases whose fact it counted in the period; a "now" figure lists the
    open cases by the board's rule. Both only inside `reach_q`, so the list's count is the number.
    """
    reach = reach_q(user)
    if reach is None:
        return Q(pk__in=[])
    where = Q(community_id=community_id) if community_id else Q()
    live = metrics.live_q(figure, now)
    if live is not None:
        return reach & where & live
    condition = metrics.counter_q(figure)
    if condition is None:
        raise ValidationError({"figure": _("Unknown figure.")})
    facts = CaseFact.objects.filter(reach, where, condition, _period_q(period)).values("case_id")
    return Q(id__in=facts)


def figure_period(params: Mapping[str, Any], *, today: date) -> Period:
    """The months asked (`month_from`, `month_to`, cleaned to dates), this month by default."""
    first = params.get("month_from") or today.replace(day=1)
    last = params.get("month_to") or first
    if last < first:
        first, last = last, first
    return Period(first, last)


def communities_for(*, user: User):
    """The communities whose dashboard a viewer opens: those in their scope, or a grid worker's own."""
    from grassroots.places.models import Community

    if reach_q(user) is None:
        return Community.objects.none()
    visible = Community.objects.visible_to(user)
    if user.community_id and not visible.exists():
        return Community.objects.filter(pk=user.community_id)
    return visible.select_related("street").order_by("street_id", "code")


def filters_from(params: Mapping[str, Any], *, today: date) -> Filters:
    """The dashboard's filters from cleaned values (the form checked grid, category and handler)."""
    grid = params.get("grid")
    category = params.get("category")
    return Filters(
        period=figure_period(params, today=today),
        grid_id=grid.pk if grid else None,
        category_id=category.pk if category else None,
        channel=params.get("channel") or "",
        handler=params.get("handler") or "",
    )
