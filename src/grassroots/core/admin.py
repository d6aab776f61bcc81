"""The admin reads scoped models through the same door as the pages: `visible_to(request.user)`.

A staff account that is not a superuser sees in the admin exactly what its role and scope
show it elsewhere; superusers see everything, as they do everywhere. Nothing is registered
here: each app's admin uses these bases for its scoped models.
"""

from __future__ import annotations

from django.contrib import admin

from grassroots.core.models import AuditEvent, DataKey


class ReadOnlyAdminMixin:
    """A record nobody adds, edits or deletes by hand in the admin (logs, keys, the trail)."""

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class ScopedAdminMixin:
    """get_queryset through `Model.objects.visible_to(request.user)`: changelists, change pages, inlines."""

    def get_queryset(self, request):
        return super().get_queryset(request).visible_to(request.user)


class ScopedAdmin(ScopedAdminMixin, admin.ModelAdmin):
    pass


class ScopedTabularInline(ScopedAdminMixin, admin.TabularInline):
    pass


@admin.register(DataKey)
class DataKeyAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """The keys on record, read only: they change through `grassroots keys rotate`, never by hand."""

    list_display = ("fingerprint", "state", "recorded_at", "retired_at")


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """The audit trail, read only: written by core.audit.record, never edited or deleted by hand.

    For superusers (and whoever is given the model's view permission); an inspector's copy comes
    from `grassroots audit export`, the chain's check from `grassroots audit verify`.
    """

    list_display = (
        "seq",
        "at",
        "kind",
        "outcome",
        "actor_username",
        "subject_type",
        "subject_id",
        "ip_address",
    )
    list_filter = ("kind", "outcome")
    search_fields = ("actor_username", "subject_type", "subject_id")
    date_hierarchy = "at"
    readonly_fields = (
        "seq",
        "at",
        "kind",
        "outcome",
        "actor",
        "actor_username",
        "subject_type",
        "subject_id",
        "ip_address",
        "path",
        "detail",
        "prev_hash",
        "row_hash",
    )
