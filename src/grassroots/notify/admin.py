from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from grassroots.notify import services
from grassroots.notify.models import Message


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin):
    """Every message sent or tried, read-only: the record of who was told what. Phones shown masked."""

    list_display = [
        "created_at",
        "case",
        "reason",
        "recipient_name",
        "address_masked",
        "channel",
        "status",
        "attempts",
        "sent_at",
    ]
    list_filter = ["status", "channel", "reason"]
    search_fields = ["case__number", "recipient_name", "recipient__username"]
    list_select_related = ["case"]
    date_hierarchy = "created_at"
    fields = [
        "case",
        "event",
        "reason",
        "recipient",
        "recipient_name",
        "address_masked",
        "channel",
        "transport",
        "subject",
        "body",
        "status",
        "attempts",
        "last_error",
        "next_attempt_at",
        "created_at",
        "sent_at",
        "provider_ref",
        "delivered_at",
        "read_at",
    ]
    readonly_fields = fields
    actions = ["retry_now"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # the record stays, sent or failed

    @admin.action(description=_("Try the selected failed or queued messages again now"))
    def retry_now(self, request, queryset) -> None:
        ids = services.messages_retry(queryset.values_list("pk", flat=True))
        self.message_user(
            request,
            ngettext("%(count)d message queued again.", "%(count)d messages queued again.", len(ids))
            % {"count": len(ids)},
            messages.INFO,
        )
