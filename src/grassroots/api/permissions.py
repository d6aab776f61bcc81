"""Who may call an endpoint at all. What they then see is decided by `visible_to` alone.

People: any signed-in user; their role and scope decide what the querysets hold (an
empty list, or 404, for what they may not see). Integrations: additionally the scope the
view asks for (`required_scope`, or `required_scopes` per viewset action). A few
endpoints serve integrations only (`clients_only`), such as inbound messages.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework.permissions import BasePermission

from grassroots.api.authentication import api_client_of

#: `required_scope` of endpoints any key may call (e.g. "who am I").
ANY_SCOPE = "*"


def required_scope(view) -> str | None:
    per_action = getattr(view, "required_scopes", None) or {}
    action = getattr(view, "action", None)
    if action in per_action:
        return per_action[action]
    return getattr(view, "required_scope", None)


class ApiAccess(BasePermission):
    message = _("Your API key does not have the scope this endpoint needs.")

    def has_permission(self, request, view) -> bool:
        user = request.user
        if user is None or not user.is_authenticated or not user.is_active:
            return False
        client = api_client_of(request)
        if client is None:
            if getattr(view, "clients_only", False):
                self.message = _("This endpoint is for integrations with an API key.")
                return False
            return True
        scope = required_scope(view)
        return scope == ANY_SCOPE or (scope is not None and client.has_scope(scope))
