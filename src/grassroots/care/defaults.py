"""The tier rules a community starts with (installed by migration 0002; administrators change them).

High risk is visited weekly (and within 24 hours of a major change), key people monthly,
general ones quarterly, as national guidance on visiting elderly people in special
difficulty suggests. Rules with no community apply to every community.
"""

from __future__ import annotations

# name (Chinese), tier, days, tag codes, all tags, max tag level, min age, lives alone
RULES = [
    (
        "失能、失智、重病或特困",
        "high",
        7,
        ("bedridden", "dementia", "seriously-ill", "extreme-poverty"),
        None,
        None,
        False,
    ),
    ("八十岁以上独居", "high", 7, (), None, 80, True),
    ("一级残疾", "high", 7, ("disabled",), 1, None, False),
    ("独居、空巢或留守", "key", 30, ("living-alone", "empty-nest", "left-behind"), None, None, False),
    (
        "残疾、低保、计生特殊家庭或需心理关爱",
        "key",
        30,
        ("disabled", "low-income", "special-family", "psychological"),
        None,
        None,
        False,
    ),
    ("六十岁以上独居", "key", 30, (), None, 60, True),
    ("八十岁以上高龄", "key", 30, (), None, 80, False),
    ("慢性病或退役军人", "general", 90, ("chronic-illness", "veteran"), None, None, False),
]


def install_default_rules(apps=None) -> None:
    """Create (or restore) the default rules; `apps`: a migration's app registry, or None (live models)."""
    if apps is None:
        from django.apps import apps as live_apps

        apps = live_apps
    rule_model = apps.get_model("care", "TierRule")
    tag_model = apps.get_model("people", "VulnerabilityTag")
    for order, (name, tier, days, tags, max_level, min_age, alone) in enumerate(RULES, start=1):
        rule, _created = rule_model.objects.update_or_create(
            community=None,
            name=name,
            defaults={
                "tier": tier,
                "frequency_days": days,
                "all_tags": False,
                "max_tag_level": max_level,
                "min_age": min_age,
                "lives_alone": alone,
                "order": order * 10,
                "active": True,
            },
        )
        rule.tags.set(tag_model.objects.filter(code__in=tags))
