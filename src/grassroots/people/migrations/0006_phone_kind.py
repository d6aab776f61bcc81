"""Say of every stored phone number whether it is a mobile, so no SMS goes to a landline (issue 14.8).

The kind is decided from the number itself (core.pii.phone_is_mobile); existing numbers are
decrypted one by one, classified and forgotten: nothing but the kind is written.
"""

from django.db import migrations, models


def classify(apps, schema_editor):
    from grassroots.core import pii
    from grassroots.people.models import phone_kind_of

    Person = apps.get_model("people", "Person")
    batch = []
    for person in Person.objects.exclude(phone_encrypted="").only("pk", "phone_encrypted").iterator(2000):
        person.phone_kind = phone_kind_of(pii.decrypt(person.phone_encrypted))
        batch.append(person)
        if len(batch) >= 1000:
            Person.objects.bulk_update(batch, ["phone_kind"])
            batch = []
    Person.objects.bulk_update(batch, ["phone_kind"])


class Migration(migrations.Migration):
    dependencies = [("people", "0005_other_readings")]

    operations = [
        migrations.AddField(
            model_name="person",
            name="no_sms",
            field=models.BooleanField(
                default=False,
                help_text="Do not send text messages to this phone (for example nobody there reads them).",
                verbose_name="no SMS",
            ),
        ),
        migrations.AddField(
            model_name="person",
            name="phone_kind",
            field=models.CharField(
                blank=True,
                choices=[("mobile", "mobile"), ("landline", "landline"), ("other", "other number")],
                editable=False,
                max_length=8,
                verbose_name="kind of phone",
            ),
        ),
        migrations.RunPython(classify, migrations.RunPython.noop),
    ]
