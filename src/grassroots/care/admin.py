"""Admin for care: tier rules and programmes are data an administrator edits.

Saving a programme (or its services) replans the future services of everyone
enrolled, through care.services.programme_replan: only what is still to come and not
yet done or missed changes; history stays. Saving tier rules recomputes the register.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from grassroots.care import services
from grassroots.care.models import (
    Campaign,
    CareProfile,
    CareRecordAccess,
    Enrolment,
    Programme,
    ProgrammeService,
    TierChange,
    TierRule,
    Visit,
)
from grassroots.core.admin import ScopedAdmin
from grassroots.places.models import Community


@admin.register(TierRule)
class TierRuleAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "tier",
        "frequency_days",
        "min_age",
        "lives_alone",
        "max_tag_level",
        "community",
        "active",
        "order",
    ]
    list_editable = ["active", "order"]
    list_filter = ["tier", "active", "community"]
    filter_horizontal = ["tags"]
    actions = ["recompute"]

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        self._recompute(request, [form.instance.community] if form.instance.community_id else None)

    @admin.action(description=_("Recompute the care register"))
    def recompute(self, request, queryset):
        self._recompute(request, None)

    def _recompute(self, request, communities):
        for community in communities or Community.objects.all():
            result = services.register_refresh(community=community)
            messages.info(
                request,
                _("%(community)s: %(count)d people on the care register.")
                % {"community": community, "count": result.on_register},
            )


class ProgrammeServiceInline(admin.TabularInline):
    model = ProgrammeService
    extra = 1
    fields = ["kind", "name", "times", "period", "hours", "active", "order"]


@admin.register(Programme)
class ProgrammeAdmin(ScopedAdmin):
    list_display = ["name", "community", "team", "active"]
    list_filter = ["community", "active"]
    inlines = [ProgrammeServiceInline]

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        if change:
            withdrawn, added = services.programme_replan(programme=form.instance)
            messages.info(
                request,
                _("Future services replanned: %(withdrawn)d withdrawn, %(added)d added.")
                % {"withdrawn": withdrawn, "added": added},
            )


@admin.register(CareProfile)
class CareProfileAdmin(ScopedAdmin):
    list_display = [
        "person",
        "tier",
        "computed_tier",
        "override_tier",
        "frequency_days",
        "next_due_on",
        "grid",
    ]
    list_filter = ["tier", "on_register", "community", "grid"]
    search_fields = ["person__name"]
    readonly_fields = [f.name for f in CareProfile._meta.fields if f.name != "responsible"]


@admin.register(TierChange)
class TierChangeAdmin(admin.ModelAdmin):
    list_display = ["profile", "from_tier", "to_tier", "reason", "by", "at"]
    readonly_fields = ["profile", "from_tier", "to_tier", "reason", "by", "at"]

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(Campaign)
class CampaignAdmin(ScopedAdmin):
    list_display = ["name", "community", "starts_on", "ends_on"]
    list_filter = ["community"]


@admin.register(Enrolment)
class EnrolmentAdmin(ScopedAdmin):
    list_display = ["programme", "household", "person", "team", "starts_on", "ends_on"]
    list_filter = ["programme"]
    raw_id_fields = ["household", "person", "visit"]
    readonly_fields = ["programme", "household", "community", "grid"]


@admin.register(Visit)
class VisitAdmin(ScopedAdmin):
    """Visits are read here, not edited: findings are sensitive and their record is the visitor's."""

    list_display = ["household", "visited_at", "method", "outcome", "visitor"]
    list_filter = ["method", "outcome"]
    fields = ["household", "visited_at", "method", "outcome", "visitor", "campaign", "case"]
    readonly_fields = fields

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(CareRecordAccess)
class CareRecordAccessAdmin(ScopedAdmin):
    list_display = ["at", "user", "what", "person", "household", "ip_address"]
    readonly_fields = ["at", "user", "what", "person", "household", "visit", "community", "ip_address"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # an audit trail: nobody deletes from it, an administrator neither
