"""Messages: every notice the system sends, kept as a row before any attempt to deliver it.

A message is written (status "queued") in the same breath as the decision to send
it, then handed to the task queue. Delivery may fail and be retried; the row
records each attempt and is never deleted, so the case page can always show who
was told what, when, and whether it reached them. Phone numbers are kept only
encrypted, with a masked form for display (PIPL by design).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from grassroots.core import pii


class MessageChannel(models.TextChoices):
    """How a message reaches its recipient (the transport behind it is configured in settings)."""

    INBOX = "inbox", _("in-app inbox")
    EMAIL = "email", _("e-mail")
    SMS = "sms", _("SMS")
    # A WeCom (企业微信) group robot: one message to the staff's group, never to a person.
    WECOM = "wecom", _("WeCom group")
    # A template message of the WeChat Official Account to a follower bound to a resident (grassroots.wechat).
    WECHAT = "wechat", _("WeChat")


class MessageStatus(models.TextChoices):
    QUEUED = "queued", _("queued")
    SENDING = "sending", _("sending")
    SENT = "sent", _("sent")
    # An SMS gateway's delivery receipt said the phone received it.
    DELIVERED = "delivered", _("delivered")
    FAILED = "failed", _("failed")
    # An SMS that cannot reach its phone (a landline, "no SMS"): a coordinator was asked to call.
    REROUTED = "rerouted", _("passed on to call")


class MessageReason(models.TextChoices):
    """Why a message was sent: the notice kinds that cases.workflow declares, plus the notify app's own.

    The code is stored; people read the label (case page, notification list, admin, outbox log).
    """

    REGISTERED = "registered", pgettext_lazy("message reason", "registered")
    REJECTED = "rejected", pgettext_lazy("message reason", "not accepted")
    DISPATCHED = "dispatched", pgettext_lazy("message reason", "dispatched")
    WHISTLED = "whistled", pgettext_lazy("message reason", "whistle")
    RESOLVED = "resolved", pgettext_lazy("message reason", "resolved")
    CLOSED = "closed", pgettext_lazy("message reason", "closed")
    URGED = "urged", pgettext_lazy("message reason", "urged")
    OVERDUE = "overdue", pgettext_lazy("message reason", "overdue")
    ESCALATED = "escalated", pgettext_lazy("message reason", "escalated to the street")
    REOPENED = "reopened", pgettext_lazy("message reason", "rework")
    MERGED = "merged", pgettext_lazy("message reason", "merged into another case")
    CALL = "call", pgettext_lazy("message reason", "call instead of SMS")
    CALLBACK = "callback", pgettext_lazy("message reason", "call-back due")
    SUMMARY = "summary", pgettext_lazy("message reason", "daily summary")
    # The code a WeChat follower types to bind their account to a resident's phone (grassroots.wechat).
    VERIFY = "verify", pgettext_lazy("message reason", "verification code")
    REPORT = "report", pgettext_lazy("message reason", "monthly report")
    ACTIVITY_CANCELLED = "activity_cancelled", pgettext_lazy("message reason", "activity cancelled")
    ACTIVITY_CHANGED = "activity_changed", pgettext_lazy("message reason", "activity changed")
    ACTIVITY_PLACE = "activity_place", pgettext_lazy("message reason", "a place at an activity")


def reason_display(code: str) -> str:
    """The translated label of a reason code; an unknown code (a kind added later) reads as itself."""
    try:
        return str(MessageReason(code).label)
    except ValueError:
        return code


#: The most unread messages the header's badge counts ("99+" beyond): a bounded count on every page.
BADGE_CAP = 99


class MessageQuerySet(models.QuerySet):
    def unread_for(self, user):
        return self.filter(recipient=user, channel=MessageChannel.INBOX, read_at__isnull=True)

    def unread_count_for(self, user, *, cap: int = BADGE_CAP) -> int:
        """Unread in-app messages, counted up to cap + 1 only (message_inbox_idx leads with the user)."""
        return self.unread_for(user).values("pk")[: cap + 1].count()


class Message(models.Model):
    """One notice to one recipient over one channel, with its delivery history."""

    case = models.ForeignKey(
        "cases.Case",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="messages",
        verbose_name=_("case"),
    )
    event = models.ForeignKey(
        "cases.CaseEvent",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="messages",
        verbose_name=_("timeline entry"),
    )
    reason = models.CharField(_("reason"), max_length=24, blank=True, choices=MessageReason.choices)
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="notifications",
        verbose_name=_("recipient"),
    )
    # Who the message is for, stable across retries: "user:5", "phone:<blind index>", "email:<address>".
    recipient_key = models.CharField(max_length=120, editable=False)
    recipient_name = models.CharField(_("recipient's name"), max_length=100, blank=True)
    address = models.CharField(_("e-mail address"), max_length=254, blank=True)
    address_encrypted = models.TextField(blank=True, editable=False)
    address_masked = models.CharField(_("to"), max_length=254, blank=True, editable=False)
    channel = models.CharField(_("channel"), max_length=8, choices=MessageChannel.choices)
    transport = models.CharField(_("sent through"), max_length=16, blank=True)
    subject = models.CharField(_("subject"), max_length=200, blank=True)
    body = models.TextField(_("text"))
    status = models.CharField(
        _("status"), max_length=12, choices=MessageStatus.choices, default=MessageStatus.QUEUED, db_index=True
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, db_index=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    # What the gateway calls this message (Aliyun BizId, Tencent SerialNo): its receipts name it.
    provider_ref = models.CharField(_("gateway reference"), max_length=64, blank=True)
    # An attempt timed out after the request left: the gateway may have sent it. The next attempt
    # asks the gateway first (by our out-id), so that a resident never gets the same SMS twice.
    maybe_sent = models.BooleanField(default=False, editable=False)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    # The one-tap link an SMS to a party without an account carries (cases.links). The stored body
    # shows it masked; the secret is derived again only for the text as it is sent.
    party_link = models.ForeignKey(
        "cases.PartyLink",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="messages",
        verbose_name=_("one-tap link"),
    )

    objects = MessageQuerySet.as_manager()

    class Meta:
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="message_due_idx"),
            models.Index(fields=["recipient", "channel", "read_at"], name="message_inbox_idx"),
            models.Index(
                fields=["provider_ref"], condition=~Q(provider_ref=""), name="message_provider_ref_idx"
            ),
        ]
        constraints = [
            # Announcing the same event twice must not tell anyone twice.
            models.UniqueConstraint(
                fields=["event", "recipient_key", "channel"],
                condition=Q(event__isnull=False),
                name="message_once_per_event_recipient_channel",
            ),
            # The daily summary to a group: once per day ("wecom-summary:2026-12-04"), however many sweeps.
            models.UniqueConstraint(
                fields=["recipient_key", "channel"],
                condition=Q(reason="summary"),
                name="message_summary_once_per_day",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} → {self.address_masked or self.recipient_name}"

    @property
    def reason_label(self) -> str:
        """What the reason code means, in the reader's language."""
        return reason_display(self.reason)

    def set_phone(self, digits: str) -> None:
        """Keep a phone number only encrypted; show it masked."""
        self.address = ""
        self.address_encrypted = pii.encrypt(digits)
        self.address_masked = pii.mask_phone(digits)

    def deliverable_body(self) -> str:
        """The text as it leaves: with the one-tap link's secret in place of its mask."""
        if self.party_link_id is None:
            return self.body
        from grassroots.cases import links

        return self.body.replace(links.masked_path(), links.link_path(self.party_link))

    def deliverable_address(self) -> str:
        """The address a channel sends to: the e-mail address, or the decrypted phone number."""
        if self.address_encrypted:
            return pii.decrypt(self.address_encrypted)
        return self.address
