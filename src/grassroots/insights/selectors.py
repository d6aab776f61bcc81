"""Reads of the dashboard: the case figures (cases.figures, from the rollups) and the care figures
(care.selectors, the register's and the plan's own rules), per community, with the link behind
every number.

A link lists exactly what its number counted: case figures link to the case list with `figure=`
and the dashboard's filters (cases.figures.figure_cases_q), visit coverage to the care register
with `reached=`, services and hours to the planned-services list. The page, the API and (later)
the monthly report all read `dashboard_for`, so they show the same numbers.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from urllib.parse import urlencode

from django.urls import reverse

from grassroots.accounts.models import User
from grassroots.accounts.roles import user_can
from grassroots.care import selectors as care
from grassroots.cases import figures as case_figures
from grassroots.cases import metrics
from grassroots.cases import selectors as case_selectors
from grassroots.cases.figures import Figure, Filters, Part
from grassroots.places.models import Community


@dataclass
class CareFigures:
    """Visit coverage now, and planned services due in the period (delivered, missed, hours)."""

    people: int = 0
    reached: int = 0
    due: int = 0
    done: int = 0
    missed: int = 0
    hours: float | None = None  # None: no volunteer hours recorded in the period

    @property
    def not_reached_count(self) -> int:
        return self.people - self.reached

    @property
    def coverage(self) -> float | None:
        return self.reached / self.people if self.people else None

    @property
    def delivered(self) -> float | None:
        return self.done / self.due if self.due else None


@dataclass
class CommunityFigures:
    community: Community
    figures: dict[str, Figure]
    care: CareFigures | None
    links: Mapping[str, str] = field(default_factory=dict)  # part name -> URL of its list


@dataclass
class TrendPoint:
    """One month of the trend: its figures (the dashboard's own, for that month) and its list."""

    month: date
    figures: dict[str, Figure]
    url: str  # the cases taken on that month

    @property
    def accepted(self) -> int:
        return self.figures["reported"].parts[1].count


@dataclass
class Dashboard:
    filters: Filters
    communities: list[CommunityFigures]
    total: CommunityFigures | None  # all communities together (a street), or None for one community
    top_categories: list[tuple] = field(default_factory=list)  # (category, count, url)
    months: list[tuple] = field(default_factory=list)  # (month, count, url)
    trend: list[TrendPoint] = field(default_factory=list)  # every month of `trend_period`
    trend_period: case_figures.Period | None = None


#: A trend of one month is a dot: a dashboard of a single month shows the twelve months to it.
TREND_MONTHS = 12


def trend_period(period: case_figures.Period) -> case_figures.Period:
    """The months the trend shows: the period, or the twelve months to its end for a single month."""
    if period.first != period.last:
        return period
    first = period.last
    for _ in range(TREND_MONTHS - 1):
        first = (first - timedelta(days=1)).replace(day=1)
    return case_figures.Period(first, period.last)


def _month_filters(filters: Filters, period: case_figures.Period) -> Filters:
    return Filters(period, filters.grid_id, filters.category_id, filters.channel, filters.handler)


def _trend(
    by_month: dict[date, dict[str, int]], filters: Filters, single: Community | None
) -> list[TrendPoint]:
    """Every month of the trend with the dashboard's figures of that month (counted with the period's)."""
    period = trend_period(filters.period)
    points, month = [], period.first
    while month <= period.last:
        one = _month_filters(filters, case_figures.Period(month, month))
        figures = case_figures.figures_from(by_month.get(month) or case_figures.added([]))
        points.append(TrendPoint(month, figures, _case_link("accepted", single, one)))
        month = (month + timedelta(days=32)).replace(day=1)
    return points


def _counted(
    user: User, ids: list[int], filters: Filters
) -> tuple[dict[int, dict[str, int]], dict[date, dict[str, int]]]:
    """The counters per community for the period and per month for the trend, from one grouped query
    over the trend's months (which hold the period's)."""
    wide = _month_filters(filters, trend_period(filters.period))
    cells = case_figures.counters_by_community_month(user=user, community_ids=ids, filters=wide)
    per_community: dict[int, list] = {community_id: [] for community_id in ids}
    per_month: dict[date, list] = {}
    for (community_id, month), vector in cells.items():
        per_month.setdefault(month, []).append(vector)
        if filters.period.first <= month <= filters.period.last:
            per_community[community_id].append(vector)
    return (
        {community_id: case_figures.added(vectors) for community_id, vectors in per_community.items()},
        {month: case_figures.added(vectors) for month, vectors in per_month.items()},
    )


def _case_link(name: str, community: Community | None, filters: Filters, **extra) -> str:
    return _case_links(community, filters)(name, **extra)


def _case_links(community: Community | None, filters: Filters):
    """Links to the case list for one community and filters: `link(figure, **extra)`.

    The part every link of a community shares (the filters, the community) is encoded once: a
    street's dashboard draws some 700 links, and encoding each whole took a fifth of its time.
    """
    shared = urlencode(filters.params())
    tail = urlencode({"community": community.pk}) if community is not None else ""
    head = f"{reverse('case-list')}?"

    def link(name: str, **extra) -> str:
        parts = [urlencode({"figure": name}), shared, urlencode(extra) if extra else "", tail]
        return head + "&".join(part for part in parts if part)

    return link


class Links(Mapping):
    """The lists behind a community's numbers, by part name, each encoded when first read.

    A street's dashboard holds some 700 numbers, of which its page links about 60 (the street's own
    figures, three per community row): encoding them all up front was a tenth of its time.
    """

    def __init__(self, community: Community | None, filters: Filters, names: Iterable[str]) -> None:
        self._case_link = _case_links(community, filters)
        self._care = (community, filters)
        self._names = list(dict.fromkeys([*names, *CARE_LINKS]))
        self._made: dict[str, str] = {}

    def __getitem__(self, name: str) -> str:
        if name not in self._made:
            if name in CARE_LINKS:
                self._made.update(_care_links(*self._care))
            elif name in self._names:
                self._made[name] = self._case_link(name)
            else:
                raise KeyError(name)
        return self._made[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._names)

    def __len__(self) -> int:
        return len(self._names)


#: The care register's and the plan's lists linked from the dashboard (`_care_links`).
CARE_LINKS = (
    "care_people",
    "care_reached",
    "care_not_reached",
    "services_due",
    "services_done",
    "services_missed",
)


def _care_links(community: Community | None, filters: Filters) -> dict[str, str]:
    where = {"community": community.pk} if community is not None else {}
    if filters.grid_id:
        where["grid"] = filters.grid_id
    register, services = reverse("care-register"), reverse("care-services")
    period = filters.period.params()
    return {
        "care_people": f"{register}?{urlencode(where)}",
        "care_reached": f"{register}?{urlencode({**where, 'reached': 'yes'})}",
        "care_not_reached": f"{register}?{urlencode({**where, 'reached': 'no'})}",
        "services_due": f"{services}?{urlencode({**where, **period})}",
        "services_done": f"{services}?{urlencode({**where, **period, 'status': 'done'})}",
        "services_missed": f"{services}?{urlencode({**where, **period, 'status': 'missed'})}",
    }


def _links(figures: dict[str, Figure], community: Community | None, filters: Filters) -> Links:
    """Every part's list, set on the part too (the page links each number to it)."""
    parts = [part for figure in figures.values() for part in figure.parts]
    links = Links(community, filters, (part.name for part in parts))
    for part in parts:
        part.links = links
    return links


def _care_for(user: User, ids: list[int], filters: Filters, today: date) -> dict[int, CareFigures] | None:
    """Care figures per community, or None when the viewer may not read the care register."""
    if not user_can(user, "care.careprofile.view"):
        return None
    coverage = care.coverage_counts(user, community_ids=ids, grid_id=filters.grid_id, today=today)
    services = care.service_counts_by_community(
        user, community_ids=ids, first=filters.period.first, end=filters.period.end, grid_id=filters.grid_id
    )
    result = {}
    for community_id in ids:
        row = services.get(community_id, {})
        result[community_id] = CareFigures(
            people=coverage.get(community_id, {}).get("people", 0),
            reached=coverage.get(community_id, {}).get("reached", 0),
            due=row.get("due", 0),
            done=row.get("done", 0),
            missed=row.get("missed", 0),
            hours=float(row["hours"]) if row.get("with_hours") else None,
        )
    return result


def _care_total(cares: list[CareFigures]) -> CareFigures:
    hours = [c.hours for c in cares if c.hours is not None]
    return CareFigures(
        people=sum(c.people for c in cares),
        reached=sum(c.reached for c in cares),
        due=sum(c.due for c in cares),
        done=sum(c.done for c in cares),
        missed=sum(c.missed for c in cares),
        hours=sum(hours) if hours else None,
    )


def dashboard_for(
    *, user: User, communities: list[Community], filters: Filters, now: datetime, today: date
) -> Dashboard:
    """The figures of each community asked (and, for several, of all of them together).

    A fixed handful of grouped queries whatever the number of communities or cases: the rollups
    (counters per community and month, top categories), the open cases (now), the care register and
    the plan.
    """
    ids = [community.pk for community in communities]
    counters, by_month = _counted(user, ids, filters)
    live = case_figures.live_for(user=user, community_ids=ids, filters=filters, now=now)
    cares = _care_for(user, ids, filters, today)
    rows = []
    for community in communities:
        figures = case_figures.figures_from(counters[community.pk], live[community.pk])
        care_figures = cares[community.pk] if cares is not None else None
        rows.append(CommunityFigures(community, figures, care_figures, _links(figures, community, filters)))
    total = None
    single = communities[0] if len(communities) == 1 else None
    if len(communities) > 1:
        figures = case_figures.figures_from(
            case_figures.sum_counts(counters.values()), case_figures.sum_counts(live.values(), metrics.LIVE)
        )
        care_total = _care_total(list(cares.values())) if cares is not None else None
        total = CommunityFigures(None, figures, care_total, _links(figures, None, filters))
    top = [
        (category, count, _case_link("accepted", single, filters, category=category.pk))
        for category, count in case_figures.top_categories(user=user, community_ids=ids, filters=filters)
    ]
    months = []
    for month in sorted(by_month):  # the period's months that hold cases, as the trend counted them
        if filters.period.first <= month <= filters.period.last:
            one = _month_filters(filters, case_figures.Period(month, month))
            months.append((month, by_month[month]["accepted"], _case_link("accepted", single, one)))
    trend = _trend(by_month, filters, single)
    return Dashboard(filters, rows, total, top, months, trend, trend_period(filters.period))


# --- the handlers' evaluation (the legs') ------------------------------------------------------------

#: The kinds of lead evaluated, in the page's order: volunteers and party members, teams, member units.
HANDLER_KINDS = ("person", "team", "unit")
#: At most this many handlers of each kind are listed (the most cases first).
HANDLERS_SHOWN = 100
#: The figures of a handler: the dashboard's own, by their keys (cases.figures.figures_from).
HANDLER_FIGURES = ("on_time_response", "on_time_resolution", "rework_rate", "satisfaction_rate")


@dataclass
class HandlerRow:
    """One handler's figures for the period, each part linked to its list (the handler filter on)."""

    lead: str  # "team:3", as the case list's handler filter names it
    name: str
    figures: dict[str, Figure]

    @property
    def volume(self) -> Part:
        return self.figures["reported"].parts[1]  # taken on

    @property
    def shown(self) -> list[Figure]:
        return [self.figures[key] for key in HANDLER_FIGURES]


@dataclass
class Evaluation:
    filters: Filters
    kinds: dict[str, list[HandlerRow]]  # kind -> rows, the most cases first
    more: dict[str, int]  # kind -> how many more handlers were not listed


def _handler_names(leads: list[str]) -> dict[str, str]:
    """The names of the leads, one query per kind."""
    from grassroots.orgs.models import MemberUnit, VolunteerTeam
    from grassroots.people.models import Person

    models = {"person": Person, "team": VolunteerTeam, "unit": MemberUnit}
    ids: dict[str, set[int]] = {}
    for lead in leads:
        kind, _sep, pk = lead.partition(":")
        ids.setdefault(kind, set()).add(int(pk))
    names = {}
    for kind, pks in ids.items():
        for pk, obj in models[kind].objects.in_bulk(pks).items():
            names[f"{kind}:{pk}"] = getattr(obj, "name", str(obj))
    return names


def evaluation_for(*, user: User, communities: list[Community], filters: Filters) -> Evaluation | None:
    """Volume, on time, rework and satisfaction per volunteer, team and member unit: the dashboard's
    figures per lead (one grouped query over the fine rollups of the period, whose `lead` is the case's
    active lead), named in a query per kind. None for who may not read evaluations.
    """
    if not user_can(user, "insights.evaluation.view"):
        return None
    ids = [community.pk for community in communities]
    by_lead = case_figures.counters_by(user=user, community_ids=ids, filters=filters, dimension="lead")
    leads = [
        lead for lead in by_lead if lead.partition(":")[0] in HANDLER_KINDS and by_lead[lead]["accepted"]
    ]
    leads.sort(key=lambda lead: (-by_lead[lead]["accepted"], lead))
    kinds: dict[str, list[str]] = {kind: [] for kind in HANDLER_KINDS}
    for lead in leads:
        kinds[lead.partition(":")[0]].append(lead)
    shown = {kind: found[:HANDLERS_SHOWN] for kind, found in kinds.items()}
    names = _handler_names([lead for found in shown.values() for lead in found])
    single = communities[0] if len(communities) == 1 else None
    rows: dict[str, list[HandlerRow]] = {}
    for kind, found in shown.items():
        rows[kind] = []
        for lead in found:
            figures = case_figures.figures_from(by_lead[lead])
            mine = Filters(filters.period, filters.grid_id, filters.category_id, filters.channel, lead)
            _links(figures, single, mine)
            rows[kind].append(HandlerRow(lead, names.get(lead, lead), figures))
    more = {kind: max(0, len(kinds[kind]) - HANDLERS_SHOWN) for kind in HANDLER_KINDS}
    return Evaluation(filters, rows, more)


def handler_choices_for(*, user: User, today: date) -> list[tuple[str, str]]:
    """cases.selectors.counted_handler_choices_for, kept a few minutes per viewer and day (a street's
    some 800 leads take 25 ms to read)."""
    return case_selectors.kept_for_viewer(
        user,
        f"insights:handlers:{today:%Y%m%d}",
        lambda: case_selectors.counted_handler_choices_for(user=user, today=today),
    )
