"""Followers of the community's WeChat Official Account, bound to the residents they are.

An OpenID names one WeChat user to one Official Account: it is personal information (PIPL art. 4),
an identifier like a phone number. It is kept sealed (core.fields.SealedTextField) and found by its
keyed hash, never logged, never shown, and kept only while the follower stays bound: unbinding or
unsubscribing deletes the binding, and a binding idle for two years is deleted by the retention sweep.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from grassroots.core import pii
from grassroots.core.fields import SealedTextField
from grassroots.core.scoping import ScopedQuerySet


def openid_hash(openid: str) -> str:
    """The keyed hash an OpenID is found by (core.pii.blind_index, its own kind)."""
    return pii.blind_index("wechat-openid", openid.strip())


class Follower(models.Model):
    """A WeChat follower who proved, by a code sent to the phone, that they are this resident.

    Their messages become cases reported by the resident, with the household as the place; the
    progress of those cases (and of any case the resident reported) reaches them as template messages.
    """

    community = models.ForeignKey(
        "places.Community", on_delete=models.CASCADE, related_name="+", verbose_name=_("community")
    )
    person = models.ForeignKey(
        "people.Person", on_delete=models.CASCADE, related_name="wechat_followers", verbose_name=_("resident")
    )
    openid = SealedTextField(editable=False)
    openid_hash = models.CharField(max_length=64, unique=True, editable=False)
    bound_at = models.DateTimeField(_("bound at"), default=timezone.now)
    last_message_at = models.DateTimeField(_("last message"), null=True, blank=True)
    # The case their last message went to: a message soon after, while it is open, adds to it.
    last_case = models.ForeignKey(
        "cases.Case",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("case"),
    )

    objects = ScopedQuerySet.as_manager()
    scope_community_path = "community_id"
    scope_household_path = "person__current_household_id"

    class Meta:
        verbose_name = _("WeChat follower")
        verbose_name_plural = _("WeChat followers")
        indexes = [models.Index(fields=["community", "person"], name="wechat_follower_person_idx")]

    def __str__(self) -> str:
        return f"WeChat follower {self.pk}"


class BindingRequest(models.Model):
    """A follower asked to bind a phone number: the code sent to it, hashed, expiring, tries counted.

    A request is written even when no resident has the number (no SMS is sent then, and every code
    is wrong), so the follower's answer never tells whether a number is in the register.
    """

    community = models.ForeignKey("places.Community", on_delete=models.CASCADE, related_name="+")
    openid_hash = models.CharField(max_length=64, editable=False)
    phone_hash = models.CharField(max_length=64, editable=False)
    person = models.ForeignKey("people.Person", on_delete=models.CASCADE, null=True, related_name="+")
    code_hash = models.CharField(max_length=64, editable=False)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    # Bound, expired, tried too often or replaced by a newer request: no code opens it any more.
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["openid_hash", "created_at"], name="wechat_request_follower_idx"),
            models.Index(fields=["phone_hash", "created_at"], name="wechat_request_phone_idx"),
        ]

    def __str__(self) -> str:
        return f"binding request {self.pk}"


class Inbound(models.Model):
    """A message or event WeChat delivered, kept a week so that its retries are answered, not redone.

    WeChat repeats a message three times when no answer comes within five seconds; the key (its
    MsgId, or for an event the follower, time and kind) makes the second one find the first, and
    get the same reply (which holds a case number, never the message's text).
    """

    key = models.CharField(max_length=120, unique=True)
    community = models.ForeignKey("places.Community", on_delete=models.CASCADE, related_name="+")
    case = models.ForeignKey("cases.Case", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    reply = models.TextField(blank=True)
    received_at = models.DateTimeField(default=timezone.now, db_index=True)

    def __str__(self) -> str:
        return self.key
