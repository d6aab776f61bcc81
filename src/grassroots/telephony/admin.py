"""Lines are configured here (by an administrator); calls are read only, as the switchboard wrote them."""

from django.contrib import admin

from grassroots.core.admin import ReadOnlyAdminMixin, ScopedAdmin
from grassroots.telephony.models import Call, Line


@admin.register(Line)
class LineAdmin(ScopedAdmin):
    list_display = ("name", "code", "number", "community", "active")
    list_filter = ("active",)
    search_fields = ("name", "code")


@admin.register(Call)
class CallAdmin(ReadOnlyAdminMixin, ScopedAdmin):
    """The caller shows masked; the sealed number and its hash are never on the page."""

    list_display = ("rang_at", "line", "caller_masked", "status", "callback")
    list_filter = ("status", "callback")
    fields = ("line", "call_id", "caller_masked", "status", "rang_at", "answered_at", "ended_at", "callback")
    readonly_fields = fields
