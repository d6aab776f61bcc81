"""The database cache's table, so that `grassroots migrate` leaves a working shared cache.

Rate-limit counters live in the default cache, which is the database cache unless Redis or a
folder is configured. Its table is not a model, so Django would only create it with
`grassroots createcachetable`, a step an operator forgets until the first rate-limited request
fails. The table is created whatever the cache settings say at migration time, so that switching
back from Redis to the database needs nothing either; creating it is a no-op when it exists.
"""

from django.core.management import call_command
from django.db import migrations

from grassroots.config.env import CACHE_TABLE


def create_cache_table(apps, schema_editor):
    call_command("createcachetable", CACHE_TABLE, database=schema_editor.connection.alias, verbosity=0)


def drop_cache_table(apps, schema_editor):
    schema_editor.execute(f"DROP TABLE IF EXISTS {schema_editor.quote_name(CACHE_TABLE)}")


class Migration(migrations.Migration):
    initial = True

    dependencies: list = []

    operations = [migrations.RunPython(create_cache_table, drop_cache_table)]
