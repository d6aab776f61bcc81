"""Who may call the API, and what the API remembers between calls.

Two kinds of caller: people (staff and residents) who sign in with a password and get a
personal token, and integrations (a 12345 hotline, a WeChat bridge, a district dashboard)
that an administrator issues a key to. Neither secret is stored: only its SHA-256 and a
short prefix to recognise it by, so a copy of the database opens nothing.

An integration acts through a service account of its own (`ApiClient.user`): a
patroller-like user of the client's community (the "eyes"), who may report problems, see
the places of the community and follow the cases it reported, and never sees the
registry of people. Its scopes narrow further which endpoints it may call.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from grassroots.api.keys import key_hash, key_prefix, new_key


class Scope(models.TextChoices):
    """What an integration's key opens (people are governed by their role alone)."""

    OPEN311 = "open311", _("Open311: submit service requests")
    CASES_REPORT = "cases:report", _("report new cases")
    CASES_READ = "cases:read", _("read the cases it reported")
    CASES_ACT = "cases:act", _("act on the cases it reported (call-back verdict, notes)")
    INBOUND = "inbound", _("inbound messages (WeChat or SMS bridge)")
    REGISTRY_READ = "registry:read", _("read places and categories")
    TELEPHONY = "telephony", _("call events of the phone lines (switchboard)")


#: What a new client gets unless the administrator chooses otherwise.
DEFAULT_SCOPES = [Scope.OPEN311, Scope.CASES_REPORT, Scope.CASES_READ, Scope.REGISTRY_READ]


class ApiClientChannel(models.TextChoices):
    """The channel recorded on the cases an integration creates (a subset of cases.Channel)."""

    API = "api", _("API")
    HOTLINE = "hotline", _("hotline transfer (12345)")


class ApiClientQuerySet(models.QuerySet):
    def usable(self) -> ApiClientQuerySet:
        return self.filter(active=True, revoked_at__isnull=True)

    def with_key(self, raw: str) -> ApiClientQuerySet:
        return self.filter(key_hash=key_hash(raw))


class ApiClient(models.Model):
    """An integration (not a person) allowed to call the API and Open311 with a key."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    community = models.ForeignKey(
        "places.Community", on_delete=models.PROTECT, related_name="api_clients", verbose_name=_("community")
    )
    channel = models.CharField(
        _("channel of its cases"),
        max_length=16,
        choices=ApiClientChannel.choices,
        default=ApiClientChannel.API,
    )
    scopes = models.JSONField(_("scopes"), default=list, blank=True)
    contact = models.CharField(
        _("contact"),
        max_length=200,
        blank=True,
        help_text=_("Who runs the integration, and how to reach them."),
    )
    key_prefix = models.CharField(_("key starts with"), max_length=12, editable=False)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="api_client",
        editable=False,
        verbose_name=_("service account"),
    )
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True, editable=False)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True, editable=False)

    objects = ApiClientQuerySet.as_manager()

    class Meta:
        verbose_name = _("API client")
        verbose_name_plural = _("API clients")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def usable(self) -> bool:
        return self.active and self.revoked_at is None

    def has_scope(self, scope: str) -> bool:
        return scope in (self.scopes or [])


class ApiTokenQuerySet(models.QuerySet):
    def usable(self, now=None) -> ApiTokenQuerySet:
        now = now or timezone.now()
        return self.filter(revoked_at__isnull=True, user__is_active=True).filter(
            models.Q(expires_at__isnull=True) | models.Q(expires_at__gt=now)
        )


class ApiToken(models.Model):
    """A person's token for the API, given for their username and password, until it expires."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens", verbose_name=_("user")
    )
    key_prefix = models.CharField(_("token starts with"), max_length=12, editable=False)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.user} {self.key_prefix}…"

    @classmethod
    def issue(cls, user, *, days: int | None) -> tuple[ApiToken, str]:
        """A new token for the user; the clear key is returned once and never stored."""
        raw = new_key("grt_")
        token = cls.objects.create(
            user=user,
            key_prefix=key_prefix(raw),
            key_hash=key_hash(raw),
            expires_at=timezone.now() + timedelta(days=days) if days else None,
        )
        return token, raw


class IdempotencyRecord(models.Model):
    """The first answer to a POST sent with an `Idempotency-Key`, replayed for 24 hours.

    `status_code` is empty while the first request is still running; a second request
    with the same key then waits its turn (409). Only successful answers are kept: a
    refused request leaves nothing behind, so it can simply be sent again.
    """

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    fingerprint = models.CharField(max_length=64)
    method = models.CharField(max_length=8)
    path = models.CharField(max_length=300)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    data = models.JSONField(null=True, blank=True, encoder=DjangoJSONEncoder)
    content = models.TextField(blank=True)
    content_type = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("idempotency record")
        verbose_name_plural = _("idempotency records")
        constraints = [
            models.UniqueConstraint(fields=["owner", "key"], name="idempotency_key_unique_per_owner")
        ]

    def __str__(self) -> str:
        return f"{self.owner_id} {self.key}"
