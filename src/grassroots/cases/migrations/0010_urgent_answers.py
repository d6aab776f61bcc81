"""Answers that make a case urgent: "no drinking water", "water leaking now", "someone hurt".

A choice of a category question may carry `"urgent": true`; intake then proposes the urgent time
limits as soon as that answer is ticked (the coordinator still decides). Only the seeded questions
are touched, and only where the community has not changed them.
"""

from django.db import migrations, models

URGENT_ANSWERS = {
    ("utilities-water", "has_drinking_water"): "no",
    ("repairs-pipe", "leaking_now"): "yes",
    ("facilities-hazard", "injured"): "yes",
}


def _mark(apps, urgent: bool) -> None:
    CategoryQuestion = apps.get_model("cases", "CategoryQuestion")
    for (category, code), key in URGENT_ANSWERS.items():
        for question in CategoryQuestion.objects.filter(category__code=category, code=code):
            choices = [dict(choice) for choice in question.choices]
            for choice in choices:
                if choice.get("key") == key:
                    if urgent:
                        choice["urgent"] = True
                    else:
                        choice.pop("urgent", None)
            question.choices = choices
            question.save(update_fields=["choices"])


def mark_urgent(apps, schema_editor):
    _mark(apps, True)


def unmark_urgent(apps, schema_editor):
    _mark(apps, False)


class Migration(migrations.Migration):
    dependencies = [("cases", "0009_dashboard_rollups")]

    operations = [
        migrations.AlterField(
            model_name="categoryquestion",
            name="choices",
            field=models.JSONField(
                blank=True,
                default=list,
                help_text='For choice questions: a list of {"key": ..., "zh": ..., "en": ...}; add "urgent": true to an answer that makes the case urgent.',
                verbose_name="choices",
            ),
        ),
        migrations.RunPython(mark_urgent, unmark_urgent),
    ]
