from django.contrib import admin

from grassroots.cases.models import Case, CaseEvent, Category, CategoryQuestion, HotspotRule
from grassroots.core.admin import ReadOnlyAdminMixin, ScopedAdmin


class CategoryQuestionInline(admin.TabularInline):
    model = CategoryQuestion
    extra = 0
    fields = ["order", "code", "label_zh", "label_en", "kind", "choices", "required"]


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    """The category tree, its time limits and conditions: configuration an administrator owns."""

    list_display = [
        "code",
        "name_zh",
        "name_en",
        "parent",
        "response_minutes_urgent",
        "resolution_minutes_urgent",
        "response_minutes_normal",
        "resolution_minutes_normal",
        "working_time",
        "sensitive",
        "public",
        "active",
    ]
    list_filter = ["active", "sensitive", "public", "working_time", "urban_class", "parent"]
    search_fields = ["code", "name_zh", "name_en"]
    list_editable = ["active"]
    inlines = [CategoryQuestionInline]
    autocomplete_fields = ["parent", "default_team"]


@admin.register(HotspotRule)
class HotspotRuleAdmin(admin.ModelAdmin):
    """The hotspot rules (未诉先办, cases.hotspots): configuration an administrator owns, like categories."""

    list_display = ["name", "community", "category", "scope", "min_cases", "window_days", "active"]
    list_filter = ["active", "scope"]
    list_editable = ["active"]
    autocomplete_fields = ["category"]


class CaseEventInline(admin.TabularInline):
    """The timeline is append-only: shown here, never edited."""

    model = CaseEvent
    extra = 0
    can_delete = False
    fields = ["at", "actor", "actor_role", "action", "from_status", "to_status", "note"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Case)
class CaseAdmin(ReadOnlyAdminMixin, ScopedAdmin):
    """Read-only in the admin: cases change only through the workflow services."""

    list_display = [
        "number",
        "category",
        "status",
        "urgency",
        "channel",
        "grid",
        "reported_at",
        "resolution_due",
    ]
    list_filter = ["status", "urgency", "channel", "category", "grid"]
    search_fields = ["=number"]
    date_hierarchy = "reported_at"
    inlines = [CaseEventInline]
    list_select_related = ["category", "grid"]
