"""The case and timeline tables, ready for partitioning by time (docs/scaling.md, "Partitioning by time").

The migration path is written down, not run: these tests keep it true. Every foreign key that
points at the case or the timeline table blocks a plain conversion (PostgreSQL's unique keys on
a partitioned table must hold the partition key, and Django's foreign keys name `id` alone), so
each must be named in the document, and a new one fails here until it is. On PostgreSQL the
document's DDL is run on a shadow copy of the timeline, inside the test's transaction: the
partitioned table takes its rows, a timeline read that carries the time reads one partition, and
the two refusals the document describes are PostgreSQL's own.
"""

from __future__ import annotations

import itertools
import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from grassroots.cases.models import Case, CaseEvent, Category
from grassroots.cases.services import ReportDetails, case_report

SCALING = Path(__file__).resolve().parent.parent / "docs" / "scaling.md"


def _section() -> str:
    text = SCALING.read_text()
    start = text.index("## Partitioning by time")
    end = text.find("\n## ", start + 1)
    return text[start:] if end < 0 else text[start:end]


@pytest.mark.parametrize("model", [Case, CaseEvent], ids=lambda model: model.__name__)
def test_every_foreign_key_that_blocks_partitioning_is_in_the_migration_path(model):
    section = _section()
    referencing = sorted(
        f"{relation.related_model._meta.db_table}.{relation.field.column}"
        for relation in model._meta.get_fields(include_hidden=True)
        if relation.auto_created
        and not relation.concrete
        and relation.is_relation
        and relation.field.concrete
    )
    assert referencing, "the tables are referenced: the test would prove nothing"
    missing = [name for name in referencing if f"`{name}`" not in section]
    assert not missing, (
        f"docs/scaling.md must say what happens to {missing} when {model._meta.db_table} is partitioned"
    )
    # The primary key the document starts from: `id` alone.
    assert [field.column for field in model._meta.fields if field.primary_key] == ["id"]


def _partitions(plan: str) -> set[str]:
    """The partitions a plan scans (an index of a partition is named after it, and not counted)."""
    return set(re.findall(r"\bon (shadow_event_(?:\d+|default))\b", plan))


def _explain(sql: str, params: list) -> str:
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN " + sql, params)
        return "\n".join(row[0] for row in cursor.fetchall())


def test_the_documented_ddl_partitions_the_timeline_on_postgresql(community, socialworker, db):
    now = timezone.now()
    case = case_report(
        actor=socialworker,
        community=community,
        details=ReportDetails(
            category=Category.objects.create(code="pt-light", name_zh="楼道灯", name_en="corridor light"),
            description="楼道灯不亮",
            channel="phone",
            reported_at=now - timedelta(days=40),
        ),
        register=True,
    )
    events = CaseEvent.objects.filter(case=case).count()
    assert events >= 2
    if connection.vendor != "postgresql":
        # SQLite has no declarative partitioning: the plain table is all there is.
        assert CaseEvent._meta.db_table == "cases_caseevent"
        return
    months = [
        (now - timedelta(days=31 * back)).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
        for back in (2, 1, 0)
    ]
    bounds = [*months, (months[-1] + timedelta(days=32)).replace(day=1)]
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE shadow_event (LIKE cases_caseevent INCLUDING DEFAULTS) PARTITION BY RANGE (at)"
        )
        cursor.execute("ALTER TABLE shadow_event ADD PRIMARY KEY (id, at)")
        cursor.execute("CREATE INDEX shadow_event_case ON shadow_event (case_id, at)")
        cursor.execute("ALTER TABLE shadow_event ADD FOREIGN KEY (case_id) REFERENCES cases_case (id)")
        for number, (start, end) in enumerate(itertools.pairwise(bounds)):
            cursor.execute(
                f"CREATE TABLE shadow_event_{number} PARTITION OF shadow_event FOR VALUES FROM (%s) TO (%s)",
                [start, end],
            )
        cursor.execute("CREATE TABLE shadow_event_default PARTITION OF shadow_event DEFAULT")
        cursor.execute("INSERT INTO shadow_event SELECT * FROM cases_caseevent")
        cursor.execute("SELECT count(*) FROM shadow_event WHERE case_id = %s", [case.pk])
        assert cursor.fetchone()[0] == events
    # A timeline read that carries the time reads one partition; one without it reads them all.
    bounded = _explain(
        "SELECT * FROM shadow_event WHERE case_id = %s AND at >= %s AND at < %s",
        [case.pk, bounds[2], bounds[3]],
    )
    assert _partitions(bounded) == {"shadow_event_2"}
    unbounded = _explain("SELECT * FROM shadow_event WHERE case_id = %s", [case.pk])
    assert _partitions(unbounded) == {
        "shadow_event_0",
        "shadow_event_1",
        "shadow_event_2",
        "shadow_event_default",
    }
    # The two refusals the migration path works around.
    with pytest.raises(DatabaseError, match="partition"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("ALTER TABLE shadow_event ADD UNIQUE (id)")
    with (
        pytest.raises(DatabaseError, match="unique constraint"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("ALTER TABLE cases_attachment ADD FOREIGN KEY (event_id) REFERENCES shadow_event (id)")
