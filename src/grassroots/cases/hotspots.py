"""Hotspots (未诉先办, acting before anyone complains): when similar cases cluster. The rule, stated once.

A hotspot is a cluster that a `HotspotRule` (data) describes: at least `min_cases` cases of one
category (or of one category group: a category with its children, counted together; without a
category, each category on its own) at the same building or the same grid, reported within the
last `window_days` days. A case counts when it is a real report of a problem (`COUNTED`): not
rejected, not merged into another case, and not itself a proactive case.

The clusters are found with one grouped query per rule over the cases reported in the window,
through the `(community, reported_at)` index: the window bounds the read, never the history. They
are found inside the viewer's reach (cases.figures.reach_q: their scope, without what they see only
as a party, sensitive categories only for who may see them), and the click-through (the case list
with `?hotspot=<key>`) applies the same filter, so a hotspot never counts a case its list hides.

The dashboard offers to raise one proactive case for a hotspot (`hotspot_raise`): a case of the
cluster's category at its place, channel "raised by the community itself", linked to the cases
behind it (`Hotspot`). A cluster is raised once: after a raise, only cases reported after it count
towards a new hotspot of the same key, so raising again (two clicks, two people) returns the
hotspot already raised.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Max, Min, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from grassroots.accounts.models import User
from grassroots.accounts.roles import user_can
from grassroots.cases.figures import reach_q
from grassroots.cases.models import (
    Case,
    Category,
    Channel,
    Hotspot,
    HotspotRule,
    HotspotScope,
    category_family_q,
)
from grassroots.cases.workflow import OPEN, Status

#: The cases a hotspot counts: real reports of a problem, not the community's own proactive cases.
COUNTED = ~Q(status__in=[Status.REJECTED, Status.MERGED]) & ~Q(channel=Channel.PROACTIVE)
#: At most this many hotspots are shown (the clusters with the most cases first).
SHOWN = 50

KEY = re.compile(r"^(?P<rule>\d+)\.(?P<place>[bg])(?P<place_id>\d+)\.c(?P<category>\d+)$")


@dataclass
class Found:
    """A cluster the rules find now: where, what, how many, and whether it was raised."""

    rule: HotspotRule
    community_id: int
    place: str  # "building" or "grid"
    place_id: int
    category: Category
    count: int
    first_at: datetime
    last_at: datetime
    raised: Hotspot | None = None  # the hotspot raised for it (its cases reported before the raise)
    place_name: str = ""

    @property
    def key(self) -> str:
        return f"{self.rule.pk}.{self.place[0]}{self.place_id}.c{self.category.pk}"

    @property
    def url(self) -> str:
        """The case list of the cases behind it (the same filter: `hotspot_cases_q`)."""
        from django.urls import reverse

        return f"{reverse('case-list')}?hotspot={self.key}"

    @property
    def raisable(self) -> bool:
        return self.raised is None

    @property
    def is_open(self) -> bool:
        """Waiting to be raised, or raised and its proactive case still open: what the board shows."""
        return self.raised is None or self.raised.case.status in OPEN


def active_rules(community_ids: list[int] | None) -> list[HotspotRule]:
    """The rules in force for these communities (theirs and those of every community): a handful."""
    rules = HotspotRule.objects.filter(active=True)
    if community_ids is not None:
        rules = rules.filter(Q(community__isnull=True) | Q(community_id__in=community_ids))
    return list(rules.select_related("category").order_by("id"))


def _place_field(rule: HotspotRule) -> str:
    return "building_id" if rule.scope == HotspotScope.BUILDING else "grid_id"


def _rule_cases(rule: HotspotRule, *, reach: Q, community_ids: list[int] | None, now: datetime):
    """The counted cases of one rule's window in reach: the (community, reported_at) index's range."""
    where = Q() if community_ids is None else Q(community_id__in=community_ids)
    if rule.community_id:
        where &= Q(community_id=rule.community_id)
    cases = Case.objects.filter(
        reach,
        COUNTED,
        where,
        reported_at__gt=now - timedelta(days=rule.window_days),
        reported_at__lte=now,
        **{f"{_place_field(rule)}__isnull": False},
    )
    if rule.category_id:
        cases = cases.filter(category_family_q(rule.category_id))
    return cases


def _clusters(rule: HotspotRule, cases) -> list[dict]:
    """Rows of (community, place, category, n, first, last) with at least the rule's cases."""
    place = _place_field(rule)
    named = "building__number" if rule.scope == HotspotScope.BUILDING else "grid__name"
    dims = ["community_id", place, named]
    if not rule.category_id:
        dims += ["category_id", "category__name_zh", "category__name_en", "category__code"]
    return list(
        cases.order_by()
        .values(*dims)
        .annotate(n=Count("id"), first=Min("reported_at"), last=Max("reported_at"))
        .filter(n__gte=rule.min_cases)
        .order_by("-n", "-last")[:SHOWN]
    )


def hotspots_for(
    *, user: User, community_ids: Iterable[int] | None = None, now: datetime | None = None
) -> list[Found]:
    """The hotspots in the viewer's reach now (in these communities, or wherever the reach goes), the
    biggest first, each with its raise if any.

    A fixed handful of queries: the rules, one grouped query per rule (naming the place and the
    category), and when something is found the raises of the found keys within their windows, and
    (for a key raised) the cases since.
    """
    now = now or timezone.now()
    ids = None if community_ids is None else sorted(set(community_ids))
    reach = reach_q(user)
    if reach is None or ids == []:
        return []
    found: list[Found] = []
    for rule in active_rules(ids):
        for row in _clusters(rule, _rule_cases(rule, reach=reach, community_ids=ids, now=now)):
            place = "building" if rule.scope == HotspotScope.BUILDING else "grid"
            found.append(
                Found(
                    rule=rule,
                    community_id=row["community_id"],
                    place=place,
                    place_id=row[_place_field(rule)],
                    category=rule.category or _category_of(row),
                    count=row["n"],
                    first_at=row["first"],
                    last_at=row["last"],
                    place_name=_place_name(place, row),
                )
            )
    if not found:
        return []
    _attach_raises(found, user=user, reach=reach, now=now)
    found.sort(key=lambda item: (-item.count, -item.last_at.timestamp()))
    return found[:SHOWN]


def _place_name(place: str, row: dict) -> str:
    if place == "building":
        return _("Building %(number)s") % {"number": row["building__number"]}
    return row["grid__name"]


def _category_of(row: dict) -> Category:
    """The category of a grouped row, named from the row itself (no query of its own)."""
    return Category(
        pk=row["category_id"],
        code=row["category__code"],
        name_zh=row["category__name_zh"],
        name_en=row["category__name_en"],
    )


def _attach_raises(found: list[Found], *, user: User, reach: Q, now: datetime) -> None:
    """A cluster raised within its window keeps its raise until enough new cases make a new one."""
    longest = max(item.rule.window_days for item in found)
    raises: dict[str, Hotspot] = {}
    for hotspot in (
        Hotspot.objects.filter(
            community_id__in={item.community_id for item in found},
            key__in={item.key for item in found},
            raised_at__gt=now - timedelta(days=longest),
        )
        .select_related("case")
        .order_by("raised_at")
    ):
        raises[hotspot.key] = hotspot  # the latest raise of each key
    for item in found:
        hotspot = raises.get(item.key)
        if hotspot is None or hotspot.raised_at <= now - timedelta(days=item.rule.window_days):
            continue
        since = cluster_cases_q(item, now=now, reach=reach) & Q(reported_at__gt=hotspot.raised_at)
        if Case.objects.filter(since).count() < item.rule.min_cases:
            item.raised = hotspot


def cluster_cases_q(item: Found, *, now: datetime, reach: Q) -> Q:
    """The cases behind a cluster, as a filter over cases (what its click-through lists)."""
    rule = item.rule
    condition = (
        reach
        & COUNTED
        & Q(community_id=item.community_id)
        & Q(reported_at__gt=now - timedelta(days=rule.window_days), reported_at__lte=now)
        & Q(**{_place_field(rule): item.place_id})
    )
    if rule.category_id:
        return condition & category_family_q(rule.category_id)
    return condition & Q(category_id=item.category.pk)


def found_by_key(*, user: User, key: str, now: datetime | None = None) -> Found | None:
    """The hotspot a key names, if the rules still find it in the viewer's reach now; else None."""
    match = KEY.match(key or "")
    if match is None:
        return None
    rule = HotspotRule.objects.filter(pk=int(match["rule"]), active=True).first()
    if rule is None:
        return None
    from grassroots.cases.figures import communities_for

    ids = list(communities_for(user=user).values_list("pk", flat=True))
    return next(
        (item for item in hotspots_for(user=user, community_ids=ids, now=now) if item.key == key), None
    )


def hotspot_cases_q(*, user: User, key: str, now: datetime | None = None) -> Q:
    """The case list's `?hotspot=<key>`: the cases behind that hotspot now, none when it is gone."""
    now = now or timezone.now()
    item = found_by_key(user=user, key=key, now=now)
    reach = reach_q(user)
    if item is None or reach is None:
        return Q(pk__in=[])
    return cluster_cases_q(item, now=now, reach=reach)


def proactive_description(item: Found) -> str:
    """What the proactive case says, in the reader's language (the raiser may change it)."""
    return _(
        "%(count)s reports of “%(category)s” at %(place)s within %(days)s days: the community acts "
        "before anyone else has to complain."
    ) % {
        "count": item.count,
        "category": item.category,
        "place": item.place_name,
        "days": item.rule.window_days,
    }


def hotspot_raise(*, actor: User, key: str, description: str = "", now: datetime | None = None) -> Hotspot:
    """Raise the one proactive case of a hotspot, linked to the cases behind it. Idempotent: a
    hotspot already raised returns its raise, and no second case is made.

    The rule's row is locked for the check and the write, so two people raising the same hotspot
    at once make one case (the second finds the first's raise).
    """
    from grassroots.cases.services import ReportDetails, case_report

    if not user_can(actor, "cases.hotspot.raise"):
        raise PermissionDenied
    now = now or timezone.now()
    match = KEY.match(key or "")
    if match is None:
        raise ValidationError({"hotspot": _("There is no such hotspot.")})
    with transaction.atomic():
        HotspotRule.objects.select_for_update().filter(pk=int(match["rule"])).first()
        item = found_by_key(user=actor, key=key, now=now)
        if item is None:
            raise ValidationError({"hotspot": _("The rules no longer find this hotspot.")})
        if item.raised is not None:
            return item.raised
        reach = reach_q(actor)
        behind = list(
            Case.objects.filter(cluster_cases_q(item, now=now, reach=reach)).values_list("pk", flat=True)
        )
        place = {"building": None, "grid": None}
        if item.place == "building":
            from grassroots.places.models import Building

            place["building"] = Building.objects.get(pk=item.place_id)
        else:
            from grassroots.places.models import Grid

            place["grid"] = Grid.objects.get(pk=item.place_id)
        from grassroots.places.models import Community

        case = case_report(
            actor=actor,
            community=Community.objects.get(pk=item.community_id),
            details=ReportDetails(
                category=Category.objects.get(pk=item.category.pk),  # the whole row: limits, questions
                description=description.strip() or proactive_description(item),
                channel=Channel.PROACTIVE,
                **place,
            ),
            register=True,
        )
        hotspot = Hotspot.objects.create(
            rule=item.rule,
            community_id=item.community_id,
            building=place["building"],
            grid=place["grid"] or case.grid,
            category=item.category,
            key=key,
            case=case,
            raised_at=now,
            raised_by=actor,
        )
        hotspot.cases.set(behind)
    return hotspot


def linked_for(*, user: User, case: Case) -> tuple[Hotspot | None, list[Case], list[Hotspot]]:
    """For a case page: the hotspot this proactive case was raised for and the cases behind it the
    viewer may see; and the hotspots this case is behind."""
    visible = Case.objects.visible_to(user)
    linked = list(
        Hotspot.objects.filter(Q(case=case) | Q(cases=case, case__in=visible.values("id")))
        .select_related("case")
        .distinct()
        .order_by("-raised_at")[:10]
    )
    raised = next((hotspot for hotspot in linked if hotspot.case_id == case.pk), None)
    behind = list(visible.filter(hotspots=raised).order_by("reported_at")[:100]) if raised else []
    return raised, behind, [hotspot for hotspot in linked if hotspot is not raised]
