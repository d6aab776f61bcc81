"""The tier rules a community starts with (see grassroots.care.defaults)."""

from django.db import migrations


def add_rules(apps, schema_editor):
    from grassroots.care.defaults import install_default_rules

    install_default_rules(apps)


class Migration(migrations.Migration):
    dependencies = [("care", "0001_initial"), ("people", "0003_default_vulnerability_tags")]
    operations = [migrations.RunPython(add_rules, migrations.RunPython.noop)]
