from django.contrib import admin

from grassroots.activities.models import HoursEntry, PointsRule, Theme
from grassroots.core.admin import ReadOnlyAdminMixin, ScopedAdmin


@admin.register(Theme)
class ThemeAdmin(admin.ModelAdmin):
    list_display = ["code", "name_zh", "name_en", "active", "order"]
    search_fields = ["code", "name_zh", "name_en"]


@admin.register(PointsRule)
class PointsRuleAdmin(admin.ModelAdmin):
    list_display = ["source_kind", "condition", "points_per_hour", "multiplier", "community", "active"]
    list_filter = ["source_kind", "condition", "active"]


@admin.register(HoursEntry)
class HoursEntryAdmin(ReadOnlyAdminMixin, ScopedAdmin):
    """The ledger, read-only: a correction is made on the statement page, as a compensating entry."""

    list_display = ["worked_at", "person", "source_kind", "source_id", "hours", "points", "corrects"]
    list_filter = ["source_kind"]
    list_select_related = ["person"]
    raw_id_fields = ["person", "corrects"]
