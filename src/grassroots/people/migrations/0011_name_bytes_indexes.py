"""Byte-wise name indexes for the resident search at district size (people.search.name_key).

PostgreSQL only: on a database whose collation is not "C" (C.UTF-8 too), `name LIKE '王%'`
cannot be a range of the ordinary name index, and ordering by the name walked it from the
start. These index `name COLLATE "C"`, district-wide and after the community (a worker's
search reads one community), so the prefix and the order are one range read. SQLite compares
bytes already and gets nothing.
"""

from django.db import migrations

INDEXES = {
    "person_name_bytes": 'CREATE INDEX IF NOT EXISTS person_name_bytes ON people_person ((name COLLATE "C"), id)',
    "person_community_name_bytes": (
        "CREATE INDEX IF NOT EXISTS person_community_name_bytes"
        ' ON people_person (community_id, (name COLLATE "C"), id)'
    ),
}


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for sql in INDEXES.values():
        schema_editor.execute(sql)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("people", "0010_import_speed_indexes")]

    operations = [migrations.RunPython(create, drop)]
