"""Safety-hazard categories (安全隐患): their open cases make the site plan's hazard layer.

The seeded gas smell and corridor/path hazard are marked; a community marks its own in the admin.
"""

from django.db import migrations, models

HAZARD_CATEGORIES = ("utilities-gas", "facilities-hazard")


def mark(apps, schema_editor):
    apps.get_model("cases", "Category").objects.filter(code__in=HAZARD_CATEGORIES).update(hazard=True)


class Migration(migrations.Migration):
    dependencies = [("cases", "0011_hotspots")]

    operations = [
        migrations.AddField(
            model_name="category",
            name="hazard",
            field=models.BooleanField(
                default=False,
                help_text="A safety hazard (安全隐患), such as a gas smell: shown on the site plan's hazard layer.",
                verbose_name="safety hazard",
            ),
        ),
        migrations.RunPython(mark, migrations.RunPython.noop),
    ]
