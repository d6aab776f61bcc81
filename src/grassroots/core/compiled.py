"""A query compiled to SQL once and run again with other values: for the few that run at every write.

Django compiles a queryset to SQL each time it is evaluated. For a query of fifty filtered counts
(the dashboard's rollups, counted again at every timeline entry: cases.rollups) the compiling costs
far more than the database does. A `QueryTemplate` compiles the queryset once per shape, with a
probe standing for each value that changes, finds where each probe went among the parameters, and
then runs the same SQL with the real values in their places.

A shape is which values are None or booleans (they change the SQL itself, `IS NULL`), so those are
compiled as they are. When a probe cannot be found exactly once among the parameters, the template
evaluates the queryset as usual: never a wrong answer, at worst no saving.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import date, datetime

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import QuerySet


def _probe(value, n: int):
    """A value of the same kind that no query holds as a constant."""
    if isinstance(value, int):
        return -987_654_321 - n
    if isinstance(value, str):
        return f"\x00probe-{n}"
    if isinstance(value, date) and not isinstance(value, datetime):
        return date(1001 + n, 1, 1)
    return None


class QueryTemplate:
    """`build(**values)`, a `.values()` queryset, compiled once per shape; `rows(**values)` runs it and
    answers its rows as dicts, by column name, as the queryset would."""

    def __init__(self, build: Callable[..., QuerySet], *, using: str = DEFAULT_DB_ALIAS) -> None:
        self.build, self.using = build, using
        self._compiled: dict[tuple, tuple[str, list, dict[str, tuple[int, bool]]] | None] = {}
        self._lock = threading.Lock()

    def rows(self, **values) -> list[dict]:
        shape = tuple(
            (name, value if value is None or isinstance(value, bool) else type(value).__name__)
            for name, value in sorted(values.items())
        )
        with self._lock:
            if shape not in self._compiled:
                self._compiled[shape] = self._compile(values)
            compiled = self._compiled[shape]
        if compiled is None:
            return list(self.build(**values))
        sql, params, slots = compiled
        connection = connections[self.using]
        params = list(params)
        for name, (index, as_date) in slots.items():
            value = values[name]
            params[index] = connection.ops.adapt_datefield_value(value) if as_date else value
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            columns = [column[0] for column in cursor.description]
            return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]

    def _compile(self, values: dict) -> tuple[str, list, dict[str, tuple[int, bool]]] | None:
        connection = connections[self.using]
        probes = {}
        for n, (name, value) in enumerate(sorted(values.items())):
            if value is None or isinstance(value, bool):
                continue
            probe = _probe(value, n)
            if probe is None:
                return None
            probes[name] = probe
        queryset = self.build(**{**values, **probes})
        sql, params = queryset.query.get_compiler(using=self.using).as_sql()
        params = list(params)
        slots: dict[str, tuple[int, bool]] = {}
        for name, probe in probes.items():
            as_date = isinstance(probe, date)
            prepared = connection.ops.adapt_datefield_value(probe) if as_date else probe
            found = [
                i for i, param in enumerate(params) if type(param) is type(prepared) and param == prepared
            ]
            if len(found) != 1:
                return None
            slots[name] = (found[0], as_date)
        return sql, params, slots
