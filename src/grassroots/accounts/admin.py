from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _

from grassroots.accounts.models import SignInEvent, User


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    list_display = ["username", "first_name", "last_name", "role", "community", "is_active"]
    list_filter = ["role", "community", "is_active", "is_superuser"]
    fieldsets = (
        *DjangoUserAdmin.fieldsets,
        (_("Role and scope"), {"fields": ("role", "street", "community", "grids", "person", "member_unit")}),
    )
    add_fieldsets = (
        *DjangoUserAdmin.add_fieldsets,
        (_("Role and scope"), {"fields": ("role", "street", "community")}),
    )
    filter_horizontal = ["grids", "groups", "user_permissions"]
    autocomplete_fields = ["person"]


@admin.register(SignInEvent)
class SignInEventAdmin(admin.ModelAdmin):
    """The sign-in record, read-only: an audit trail nobody edits or deletes from the admin."""

    list_display = ["at", "username", "outcome", "ip_address", "path"]
    list_filter = ["outcome"]
    search_fields = ["username"]
    date_hierarchy = "at"

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
