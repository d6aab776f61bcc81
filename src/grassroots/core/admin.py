"""The admin reads scoped models through the same door as the pages: `visible_to(request.user)`.

A staff account that is not a superuser sees in the admin exactly what its role and scope
show it elsewhere; superusers see everything, as they do everywhere. Nothing is registered
here: each app's admin uses these bases for its scoped models.
"""

from __future__ import annotations

from django.contrib import admin


class ScopedAdminMixin:
    """get_queryset through `Model.objects.visible_to(request.user)`: changelists, change pages, inlines."""

    def get_queryset(self, request):
        return super().get_queryset(request).visible_to(request.user)


class ScopedAdmin(ScopedAdminMixin, admin.ModelAdmin):
    pass


class ScopedTabularInline(ScopedAdminMixin, admin.TabularInline):
    pass
