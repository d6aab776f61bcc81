"""Related rows a write already holds, kept on the instance the way Django keeps prefetched ones.

A service that creates a row often creates its related rows too (a new case, its first timeline
entry, its attachments) and knows that others are absent (a new case has no parties yet). Held on
the instance as its prefetched relations, `case.events.all()` then answers from memory, so whoever
shows the new row (the API's 201 answer) need not read back what was just written. Django's own
`prefetch_related` stores a relation exactly so (django.db.models.query.prefetch_one_level).

Only a reverse foreign key is held. Like a prefetched relation, a held one does not see rows
written later through another instance (a service acts on the row it locks, not on the caller's
instance); hold a relation only for as long as nothing else writes it, and release it after.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import models


def _cache_name(manager) -> str:
    return manager.field.remote_field.cache_name


def hold(instance: models.Model, relation: str, rows: Iterable[models.Model] = ()) -> None:
    """`instance.<relation>.all()` is `rows` from now on, as if prefetched (a reverse foreign key)."""
    manager = getattr(instance, relation)
    cache = instance.__dict__.setdefault("_prefetched_objects_cache", {})
    cache.pop(_cache_name(manager), None)
    queryset = manager.get_queryset()  # lazy: never evaluated, its result is set here
    queryset._result_cache = list(rows)
    queryset._prefetch_done = True
    cache[_cache_name(manager)] = queryset


def held(instance: models.Model, relation: str) -> list[models.Model] | None:
    """The rows of a relation held on (or prefetched for) the instance, None when not in hand."""
    cache = instance.__dict__.get("_prefetched_objects_cache") or {}
    queryset = cache.get(_cache_name(getattr(instance, relation)))
    if queryset is None or queryset._result_cache is None:
        return None
    return queryset._result_cache


def release(instance: models.Model, *relations: str) -> None:
    """Forget the held rows of these relations: `.all()` asks the database again."""
    cache = instance.__dict__.get("_prefetched_objects_cache") or {}
    for relation in relations:
        cache.pop(_cache_name(getattr(instance, relation)), None)


def keep(instance: models.Model, relation: str, row: models.Model) -> None:
    """A row just written for a relation the instance holds joins it (a relation not held stays so)."""
    rows = held(instance, relation)
    if rows is not None:
        rows.append(row)
