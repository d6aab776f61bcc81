"""Issuing, rotating and revoking integration keys (used by the admin and `grassroots apiclient`).

An integration acts through its own service account, so that everything it does goes
through the same services, scoping and timeline as a person's work, and shows on the
timeline as the integration. The account is a patroller ("eyes") of the client's
community: it may report, see the community's places and follow the cases it reported
(and record the call-back verdict or a note on them), and it never sees people. It has
no usable password, so nobody can sign in to the pages with it.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from grassroots.accounts.models import Role, User
from grassroots.api.keys import key_hash, key_prefix, new_key
from grassroots.api.models import DEFAULT_SCOPES, ApiClient, ApiClientChannel, Scope
from grassroots.places.models import Community

#: The role of every integration's service account (see the module docstring).
CLIENT_ROLE = Role.PATROLLER


def _service_username(name: str) -> str:
    base = f"api-{slugify(name)[:100] or 'client'}"
    username, n = base, 1
    while User.objects.filter(username=username).exists():
        n += 1
        username = f"{base}-{n}"
    return username


def _sync_user(client: ApiClient) -> None:
    """Keep the service account's community, role and activity in step with the client."""
    user = client.user
    user.role = CLIENT_ROLE
    user.community = client.community
    user.first_name = client.name[:150]
    user.is_active = client.usable
    user.save(update_fields=["role", "community", "first_name", "is_active"])


def clean_scopes(scopes: Iterable[str] | None) -> list[str]:
    """Known scopes only, in a stable order; None means the defaults."""
    if scopes is None:
        return [str(scope) for scope in DEFAULT_SCOPES]
    wanted = set(scopes)
    unknown = wanted - set(Scope.values)
    if unknown:
        raise ValueError(f"unknown scopes: {', '.join(sorted(unknown))}")
    return [scope for scope in Scope.values if scope in wanted]


@transaction.atomic
def apiclient_create(
    *,
    name: str,
    community: Community,
    channel: str = ApiClientChannel.API,
    scopes: Iterable[str] | None = None,
    contact: str = "",
    key: str | None = None,
) -> tuple[ApiClient, str]:
    """A new integration and its key. The key is returned once: show it, it is not kept."""
    raw = key or new_key()
    user = User(
        username=_service_username(name), role=CLIENT_ROLE, community=community, first_name=name[:150]
    )
    user.set_unusable_password()
    user.save()
    client = ApiClient.objects.create(
        name=name,
        community=community,
        channel=channel,
        scopes=clean_scopes(scopes),
        contact=contact,
        key_prefix=key_prefix(raw),
        key_hash=key_hash(raw),
        user=user,
    )
    return client, raw


@transaction.atomic
def apiclient_rotate_key(*, client: ApiClient, key: str | None = None) -> str:
    """Replace the key (the old one stops working at once); the new key is returned once."""
    raw = key or new_key()
    client.key_prefix, client.key_hash = key_prefix(raw), key_hash(raw)
    client.save(update_fields=["key_prefix", "key_hash"])
    return raw


@transaction.atomic
def apiclient_revoke(*, client: ApiClient) -> ApiClient:
    """Stop the key for good: the client and its timeline entries stay for the record."""
    client.active = False
    client.revoked_at = client.revoked_at or timezone.now()
    client.save(update_fields=["active", "revoked_at"])
    _sync_user(client)
    return client


@transaction.atomic
def apiclient_update(
    *,
    client: ApiClient,
    scopes: Iterable[str] | None = None,
    channel: str | None = None,
    active: bool | None = None,
) -> ApiClient:
    if scopes is not None:
        client.scopes = clean_scopes(scopes)
    if channel is not None:
        client.channel = channel
    if active is not None and client.revoked_at is None:
        client.active = active
    client.save()
    _sync_user(client)
    return client


def sync_service_user(client: ApiClient) -> None:
    """Public for the admin: after an edit, bring the service account in line."""
    _sync_user(client)
