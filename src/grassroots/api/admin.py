"""Issuing and revoking API keys in the admin.

"Add API client" creates the integration and shows its key once, in the confirmation
message; nothing on the server can show it again. "Issue a new key" (an action) replaces
a lost or leaked key; "Revoke" stops a key for good. Personal tokens can be revoked here.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from grassroots.api import clients
from grassroots.api.models import ApiClient, ApiToken, IdempotencyRecord, Scope


class ApiClientForm(forms.ModelForm):
    scopes = forms.MultipleChoiceField(
        choices=Scope.choices, widget=forms.CheckboxSelectMultiple, required=False, label=_("scopes")
    )

    class Meta:
        model = ApiClient
        fields = ["name", "community", "channel", "scopes", "contact", "active"]


@admin.register(ApiClient)
class ApiClientAdmin(admin.ModelAdmin):
    form = ApiClientForm
    list_display = ["name", "community", "channel", "key_prefix", "active", "revoked_at", "last_used_at"]
    list_filter = ["active", "channel", "community"]
    search_fields = ["name", "contact", "key_prefix"]
    readonly_fields = ["key_prefix", "user", "created_at", "revoked_at", "last_used_at"]
    actions = ["issue_new_key", "revoke"]

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # revoke instead: the client stays, named on the timeline entries it wrote

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
            clients.sync_service_user(obj)
            return
        client, key = clients.apiclient_create(
            name=obj.name,
            community=obj.community,
            channel=obj.channel,
            scopes=form.cleaned_data.get("scopes") or [],
            contact=obj.contact,
        )
        obj.pk, obj.user_id, obj.key_prefix = client.pk, client.user_id, client.key_prefix
        obj._state.adding = False
        self.message_user(
            request,
            _("The key of “%(name)s” is %(key)s — copy it now: it is not stored and cannot be shown again.")
            % {"name": client.name, "key": key},
            messages.WARNING,
        )

    @admin.action(description=_("Issue a new key (the old one stops working)"))
    def issue_new_key(self, request, queryset):
        for client in queryset:
            if client.revoked_at:
                continue
            key = clients.apiclient_rotate_key(client=client)
            self.message_user(
                request,
                _("New key of “%(name)s”: %(key)s — copy it now, it cannot be shown again.")
                % {"name": client.name, "key": key},
                messages.WARNING,
            )

    @admin.action(description=_("Revoke (for good)"))
    def revoke(self, request, queryset):
        for client in queryset:
            clients.apiclient_revoke(client=client)
        self.message_user(request, _("Revoked."), messages.SUCCESS)


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["user", "key_prefix", "created_at", "expires_at", "last_used_at", "revoked_at"]
    list_filter = ["revoked_at"]
    search_fields = ["user__username", "key_prefix"]
    readonly_fields = ["user", "key_prefix", "created_at", "expires_at", "last_used_at", "revoked_at"]
    actions = ["revoke"]

    def has_add_permission(self, request) -> bool:
        return False

    @admin.action(description=_("Revoke"))
    def revoke(self, request, queryset):
        queryset.filter(revoked_at__isnull=True).update(revoked_at=timezone.now())


@admin.register(IdempotencyRecord)
class IdempotencyRecordAdmin(admin.ModelAdmin):
    list_display = ["owner", "key", "method", "path", "status_code", "created_at"]
    readonly_fields = [field.name for field in IdempotencyRecord._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False
