"""Ranking rows by conditions in SQL: a list puts what matters most on top, on every database."""

from __future__ import annotations

from django.db.models import Case, IntegerField, Q, Value, When


def flag(condition: Q) -> Case:
    """1 where the condition holds for the row, else 0: order by it descending to put those first.

    A When, not the bare condition: a boolean expression sorts NULL apart from False on some
    databases, and SQLite cannot sort on an EXISTS in every position.
    """
    return Case(When(condition, then=Value(1)), default=Value(0), output_field=IntegerField())
