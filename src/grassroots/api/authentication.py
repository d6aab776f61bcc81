"""How a caller proves who they are: a bearer token or key, an X-Api-Key header, or a session.

`Authorization: Bearer <secret>` takes either a person's token (from POST /auth/token/)
or an integration's key; `X-Api-Key: <key>` takes a key only. After authentication,
`request.user` is the person or the integration's service account, and `request.auth`
is the ApiToken or the ApiClient, so permissions can tell them apart.
"""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions

from grassroots.api.keys import key_hash
from grassroots.api.models import ApiClient, ApiToken

#: last_used_at is written at most this often per token or key (one UPDATE, not one per call).
TOUCH_EVERY = timedelta(minutes=1)


def _touch(instance) -> None:
    now = timezone.now()
    if instance.last_used_at is None or now - instance.last_used_at > TOUCH_EVERY:
        type(instance).objects.filter(pk=instance.pk).update(last_used_at=now)
        instance.last_used_at = now


def client_for_key(raw: str) -> ApiClient | None:
    """The usable integration whose key this is, or None."""
    if not raw:
        return None
    client = (
        ApiClient.objects.usable()
        .filter(key_hash=key_hash(raw), user__is_active=True)
        .select_related("user", "community")
        .first()
    )
    if client is not None:
        _touch(client)
    return client


def api_client_of(request) -> ApiClient | None:
    """The integration behind this request, if the caller is one."""
    auth = getattr(request, "auth", None)
    return auth if isinstance(auth, ApiClient) else None


class BearerAuthentication(authentication.BaseAuthentication):
    """`Authorization: Bearer <token or key>`."""

    keyword = "Bearer"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword.lower().encode():
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed(_("Invalid Authorization header: give one token."))
        try:
            raw = header[1].decode()
        except UnicodeError:
            raise exceptions.AuthenticationFailed(_("Invalid token.")) from None
        token = ApiToken.objects.usable().filter(key_hash=key_hash(raw)).select_related("user").first()
        if token is not None:
            _touch(token)
            return token.user, token
        client = client_for_key(raw)
        if client is not None:
            return client.user, client
        raise exceptions.AuthenticationFailed(_("Invalid or expired token."))

    def authenticate_header(self, request) -> str:
        return f'{self.keyword} realm="api"'


class ApiKeyAuthentication(authentication.BaseAuthentication):
    """`X-Api-Key: <key>` for integrations that cannot set an Authorization header."""

    header = "X-Api-Key"

    def authenticate(self, request):
        raw = request.headers.get(self.header)
        if not raw:
            return None
        client = client_for_key(raw)
        if client is None:
            raise exceptions.AuthenticationFailed(_("Invalid API key."))
        return client.user, client


class BearerScheme(OpenApiAuthenticationExtension):
    target_class = "grassroots.api.authentication.BearerAuthentication"
    name = "bearerAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "A person's token from POST /api/v1/auth/token/, or an integration's key.",
        }


class ApiKeyScheme(OpenApiAuthenticationExtension):
    target_class = "grassroots.api.authentication.ApiKeyAuthentication"
    name = "apiKeyAuth"

    def get_security_definition(self, auto_schema):
        return {"type": "apiKey", "in": "header", "name": "X-Api-Key"}
