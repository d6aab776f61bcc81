"""Re-key the pinyin of people whose surname is read otherwise as a surname (阚: kan, not han).

Only the names starting with such a surname are read, one indexed prefix lookup each.
"""

from django.db import migrations


def rekey(apps, schema_editor):
    from grassroots.people.search import SURNAME_READINGS, pinyin_keys

    Person = apps.get_model("people", "Person")
    for surname in SURNAME_READINGS:
        people = list(Person.objects.filter(name__startswith=surname).only("pk", "name"))
        for person in people:
            person.name_pinyin, person.name_initials = pinyin_keys(person.name)
        Person.objects.bulk_update(people, ["name_pinyin", "name_initials"], batch_size=1000)


class Migration(migrations.Migration):
    dependencies = [("people", "0003_default_vulnerability_tags")]

    operations = [migrations.RunPython(rekey, migrations.RunPython.noop)]
