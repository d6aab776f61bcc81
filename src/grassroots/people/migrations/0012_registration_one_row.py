"""A registration's history is one row (people.history.registration_values): its "to" holds every
detail registered, so it is text rather than 200 characters. On PostgreSQL varchar to text
rewrites nothing (the same storage); the rows already written read as before.
"""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("people", "0011_name_bytes_indexes"),
    ]

    operations = [
        migrations.AlterField(
            model_name="registrychange",
            name="new_display",
            field=models.TextField(blank=True, verbose_name="to"),
        ),
    ]
