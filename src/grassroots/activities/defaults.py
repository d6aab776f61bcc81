"""The themes and points rules a community starts with (data: the office changes them in the admin).

Used by the data migration and by the demo builder after it empties the tables.
"""

from __future__ import annotations

from decimal import Decimal

#: code, Chinese name, English name: the article's theme activities.
THEMES = (
    ("red-lighthouse", "红色灯塔", "Red lighthouse"),
    ("neighbourhood-watch", "邻里守望·幸福敲门", "Neighbourhood watch: knocking on doors with happiness"),
    ("silver-mutual-aid", "银发互助", "Silver-hair mutual aid"),
)

#: source kind ("" any), condition ("" none), points per hour, multiplier.
POINTS_RULES = (
    ("", "", Decimal(1), Decimal(1)),  # one point an hour, whatever the work
    ("", "high_risk_household", Decimal(1), Decimal(2)),  # double for a high-risk household
)


def install_defaults(apps=None) -> None:
    """Create the default themes and points rules where they are missing (idempotent)."""
    if apps is None:
        from django.apps import apps
    Theme = apps.get_model("activities", "Theme")
    PointsRule = apps.get_model("activities", "PointsRule")
    for order, (code, zh, en) in enumerate(THEMES):
        Theme.objects.get_or_create(code=code, defaults={"name_zh": zh, "name_en": en, "order": order})
    for source_kind, condition, rate, multiplier in POINTS_RULES:
        PointsRule.objects.get_or_create(
            community=None,
            source_kind=source_kind,
            condition=condition,
            defaults={"points_per_hour": rate, "multiplier": multiplier},
        )
