"""Writing many rows at once on PostgreSQL: ids taken in one query, rows sent with COPY.

`bulk_create` builds a model instance per row and an INSERT of thousands of parameters, which
costs more than the database's own work; COPY in the binary format (psycopg 3's `cursor.copy()`)
sends the values as they are. It is for bulk writers that already hold each row's values (the
ledger import, people.bulk), inside the caller's transaction: a row the database refuses
(a constraint, a foreign key checked at commit) undoes the whole transaction as an INSERT would.
On other databases the callers keep `bulk_create`.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterable, Iterator, Sequence

from django.db import connection, models
from django.db.models import NOT_PROVIDED

#: The PostgreSQL type each kind of field is sent as (COPY's binary format names the type).
_COPY_TYPES = {
    "AutoField": "int4",
    "BigAutoField": "int8",
    "BigIntegerField": "int8",
    "IntegerField": "int4",
    "PositiveIntegerField": "int4",
    "PositiveSmallIntegerField": "int2",
    "SmallIntegerField": "int2",
    "BooleanField": "bool",
    "CharField": "text",
    "TextField": "text",
    "DateField": "date",
    "DateTimeField": "timestamptz",
    "DecimalField": "numeric",
    "FloatField": "float8",
    "JSONField": "jsonb",
}


@contextlib.contextmanager
def without_cyclic_gc() -> Iterator[None]:
    """No cyclic garbage collection inside (reference counting still frees nearly everything).

    A bulk job keeps hundreds of thousands of objects alive (a file's rows and what each became)
    and makes a million more: every full collection walks all of them again, which cost an import
    a fifth of its time. What cycles the job leaves (few) are collected after it, as usual.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def copy_supported() -> bool:
    """Whether this database takes COPY (PostgreSQL); elsewhere callers use bulk_create."""
    return connection.vendor == "postgresql"


def _copy_type(field: models.Field) -> str:
    if field.is_relation:
        field = field.target_field
    for kind in (field.get_internal_type(), *(base.__name__ for base in type(field).__mro__)):
        if kind in _COPY_TYPES:
            return _COPY_TYPES[kind]
    raise TypeError(f"no COPY type for {field!r}")


def allocate_ids(model: type[models.Model], count: int) -> list[int]:
    """`count` new primary keys of the model's table, taken from its sequence in one query.

    Other writers may take ids at the same time, so the ids are not always consecutive; each
    is this caller's alone, and a rolled-back transaction only leaves a gap, as an INSERT would.
    """
    if count <= 0:
        return []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [model._meta.db_table, model._meta.pk.column, count],
        )
        return [row[0] for row in cursor.fetchall()]


def copy_rows(model: type[models.Model], attnames: Sequence[str], rows: Iterable[Sequence]) -> int:
    """Write rows (values in the order of `attnames`, as the fields store them) with COPY.

    Values go as the database stores them: a sealed field's value must already be sealed
    (core.pii.sealer), since no field's `get_db_prep_save` runs. `rows` may be a generator, so
    that the rows are made while the database takes them, but it must not query the database:
    the connection is busy with the COPY until the last row. Returns how many were written.
    """
    fields = [model._meta.get_field(attname) for attname in attnames]
    # COPY gives no Django default: a column left out must be one the database fills or leaves null.
    left_out = [
        field.attname
        for field in model._meta.concrete_fields
        if field not in fields
        and not (field.primary_key or field.null or field.db_default is not NOT_PROVIDED)
    ]
    if left_out:
        raise ValueError(f"COPY into {model._meta.db_table} leaves out {', '.join(left_out)}")
    columns = ", ".join(connection.ops.quote_name(field.column) for field in fields)
    sql = f"COPY {connection.ops.quote_name(model._meta.db_table)} ({columns}) FROM STDIN (FORMAT BINARY)"
    written = 0
    # The psycopg cursor under Django's wrapper; its errors raised as Django's (IntegrityError...).
    with connection.cursor() as wrapper, connection.wrap_database_errors, wrapper.cursor.copy(sql) as copy:
        copy.set_types([_copy_type(field) for field in fields])
        write = copy.write_row
        for row in rows:
            write(row)
            written += 1
    return written
