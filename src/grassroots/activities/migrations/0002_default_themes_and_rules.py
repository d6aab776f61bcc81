"""The themes (红色灯塔, 邻里守望·幸福敲门, 银发互助) and points rules a community starts with."""

from django.db import migrations


def add_defaults(apps, schema_editor):
    from grassroots.activities.defaults import install_defaults

    install_defaults(apps)


class Migration(migrations.Migration):
    dependencies = [("activities", "0001_initial")]
    operations = [migrations.RunPython(add_defaults, migrations.RunPython.noop)]
