from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _

from grassroots.accounts import mfa
from grassroots.accounts.models import SignInEvent, User
from grassroots.core import audit
from grassroots.core.admin import ReadOnlyAdminMixin


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
    actions = ["reset_second_factor"]

    @admin.action(description=_("Reset the second factor (a lost phone)"))
    def reset_second_factor(self, request, queryset) -> None:
        """The account's authenticator and recovery codes go; its next sign-in enrols a new one."""
        for user in queryset:
            removed = mfa.reset_second_factor(user)
            audit.record(
                audit.SECOND_FACTOR_RESET, request=request, subject=user, detail={"devices": removed}
            )
        self.message_user(request, _("The second factor was reset; the next sign-in sets up a new one."))


@admin.register(SignInEvent)
class SignInEventAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """The sign-in record, read-only: an audit trail nobody edits or deletes from the admin."""

    list_display = ["at", "username", "outcome", "ip_address", "path"]
    list_filter = ["outcome"]
    search_fields = ["username"]
    date_hierarchy = "at"
