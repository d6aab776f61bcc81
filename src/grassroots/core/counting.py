"""Counting at district size: a count that stops at a cap ("1,000+") instead of count(*) over millions.

A list of a street's or a district's cases matches hundreds of thousands of rows; counting them
all costs the database a scan of every one, on every page view, for a number nobody reads past
its first digits. `capped_count` counts at most `cap + 1` rows (`SELECT count(*) FROM (... LIMIT
cap + 1)`), so the cost is bounded by the cap, and says whether there were more; `CappedPaginator`
pages through the first `cap` rows of such a list (beyond them, one narrows the filters). The
resident search pages and counts the same way (people.views).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property

from django.core.exceptions import EmptyResultSet
from django.core.paginator import Paginator
from django.db import connections
from django.db.models import QuerySet
from django.utils.formats import number_format

#: How far the lists count: beyond it they say "1,000+".
COUNT_CAP = 1000


@dataclass(frozen=True)
class CappedCount:
    """A count that stopped at the cap: `value` (at most the cap) and whether there were `more`."""

    value: int
    more: bool = False

    def __str__(self) -> str:
        shown = number_format(self.value, force_grouping=True)
        return f"{shown}+" if self.more else shown

    def __int__(self) -> int:
        return self.value

    def __bool__(self) -> bool:
        return self.value > 0

    def __eq__(self, other) -> bool:  # compares with a plain number too (tests, templates)
        if isinstance(other, CappedCount):
            return (self.value, self.more) == (other.value, other.more)
        return not self.more and self.value == other

    def __hash__(self) -> int:
        return hash((self.value, self.more))


def capped_count(queryset, cap: int = COUNT_CAP) -> CappedCount:
    """How many rows the queryset holds, counted no further than `cap` (one bounded query)."""
    found = queryset.order_by()[: cap + 1].count()
    return CappedCount(min(found, cap), more=found > cap)


def capped_counts(querysets: Mapping[str, QuerySet], cap: int = COUNT_CAP) -> dict[str, CappedCount]:
    """Several capped counts in one query: `SELECT (SELECT count(*) FROM (... LIMIT cap + 1)), ...`.

    For the status links of a list: one count per status, each bounded by the cap, for the price
    of one round trip (every queryset on the same database).
    """
    counted: dict[str, int] = dict.fromkeys(querysets, 0)
    parts, params, names = [], [], []
    for name, queryset in querysets.items():
        try:
            sql, part_params = queryset.order_by().values("pk")[: cap + 1].query.sql_with_params()
        except EmptyResultSet:  # a filter Django knows to match nothing (such as `IN ()`): 0, no SQL
            continue
        parts.append(f"(SELECT COUNT(*) FROM ({sql}) AS capped)")  # noqa: S608 (Django-compiled SQL, values as parameters)
        params.extend(part_params)
        names.append(name)
    if parts:
        database = next(iter(querysets.values())).db
        with connections[database].cursor() as cursor:
            cursor.execute("SELECT " + ", ".join(parts), params)
            counted.update(zip(names, cursor.fetchone(), strict=True))
    return {name: CappedCount(min(n, cap), more=n > cap) for name, n in counted.items()}


class CappedPaginator(Paginator):
    """A Paginator over the first `cap` rows: its count is bounded, `capped` says "1,000+"."""

    def __init__(self, object_list, per_page, *, cap: int = COUNT_CAP, **kwargs) -> None:
        super().__init__(object_list, per_page, **kwargs)
        self.cap = cap

    @cached_property
    def capped(self) -> CappedCount:
        return capped_count(self.object_list, self.cap)

    @cached_property
    def count(self) -> int:
        return self.capped.value
