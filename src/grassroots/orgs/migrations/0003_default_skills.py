"""The volunteer skills a community starts with. Administrators add more in the admin."""

from django.db import migrations

SKILLS = [
    ("plumbing", "水暖维修", "plumbing"),
    ("electrical", "电工", "electrical repairs"),
    ("repairs", "家居维修", "home repairs"),
    ("delivery", "送水送物", "delivering water and goods"),
    ("companionship", "陪伴聊天", "companionship"),
    ("haircut", "理发", "haircuts"),
    ("medical", "医疗义诊", "medical care"),
    ("psychology", "心理疏导", "psychological support"),
    ("legal", "法律咨询", "legal advice"),
    ("mediation", "调解", "mediating disputes"),
    ("cleaning", "保洁", "cleaning"),
    ("patrol", "巡逻", "patrol"),
    ("tutoring", "课业辅导", "tutoring"),
    ("digital", "智能手机帮教", "helping with smartphones"),
]


def add_skills(apps, schema_editor):
    skill_model = apps.get_model("orgs", "Skill")
    for code, zh, en in SKILLS:
        skill_model.objects.update_or_create(code=code, defaults={"name_zh": zh, "name_en": en})


class Migration(migrations.Migration):
    dependencies = [("orgs", "0002_initial")]
    operations = [migrations.RunPython(add_skills, migrations.RunPython.noop)]
