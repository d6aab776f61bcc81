"""The community's phone lines, who is on duty for each, and the calls the switchboard announces.

A line is data: it belongs to one community and is known to the switchboard by its code (the
number dialled, or the trunk's name). A social worker signs on to a line from the intake screen
and is on duty for it until they sign off (or their shift of `DUTY_HOURS` has passed): the calls
of the line pop on their screen. A call is one row per switchboard call id, moved along by the
switchboard's events (ringing, answered, ended, missed); while it rings or is answered it is the
"active call" whose panel survives a page reload.

The caller's number is personal data: kept sealed (AES-GCM, `core.pii`), found by its keyed hash,
shown masked; calls are kept for a year (`core.retention`, kind "calls").
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from grassroots.care.models import CommunityWideScope
from grassroots.core import pii
from grassroots.core.scoping import ScopedQuerySet

#: A worker who forgot to sign off is off duty after a shift this long.
DUTY_HOURS = 12
#: A call still "ringing" or "answered" after this long lost its end event: it is no longer shown.
ACTIVE_FOR = timedelta(hours=2)
#: An answered call that ended stays on the worker's screen this long (or until the next call), so
#: that the case can still be written from it once the caller has hung up.
ENDED_SHOWN_FOR = timedelta(minutes=10)


class Line(models.Model):
    """A phone line of a community (the community office's number, a hotline), as the switchboard names it."""

    community = models.ForeignKey(
        "places.Community", on_delete=models.PROTECT, related_name="phone_lines", verbose_name=_("community")
    )
    code = models.SlugField(
        _("code"),
        max_length=40,
        help_text=_("How the switchboard names the line in its events (the number dialled, or the trunk)."),
    )
    name = models.CharField(_("name"), max_length=100)
    number = models.CharField(
        _("public number"),
        max_length=30,
        blank=True,
        help_text=_("The line's own number, as residents dial it."),
    )
    active = models.BooleanField(_("active"), default=True)

    objects = ScopedQuerySet.as_manager()
    scope_community_path = "community_id"
    scope_policy = CommunityWideScope()

    class Meta:
        verbose_name = _("phone line")
        verbose_name_plural = _("phone lines")
        ordering = ["community", "name"]
        constraints = [
            models.UniqueConstraint(fields=["community", "code"], name="line_code_unique_per_community")
        ]

    def __str__(self) -> str:
        return self.name


class LineDuty(models.Model):
    """A worker on duty for a line: from signing on until signing off (or the shift's end)."""

    line = models.ForeignKey(Line, on_delete=models.CASCADE, related_name="duties", verbose_name=_("line"))
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="line_duties", verbose_name=_("user")
    )
    started_at = models.DateTimeField(_("signed on"))
    ended_at = models.DateTimeField(_("signed off"), null=True, blank=True)

    class Meta:
        verbose_name = _("duty on a line")
        verbose_name_plural = _("duties on lines")
        indexes = [models.Index(fields=["user", "ended_at", "started_at"], name="lineduty_user_open_idx")]
        constraints = [
            models.UniqueConstraint(
                fields=["line", "user"], condition=Q(ended_at__isnull=True), name="lineduty_one_open_per_user"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user_id} @ {self.line_id}"


class CallStatus(models.TextChoices):
    RINGING = "ringing", pgettext_lazy("phone call", "ringing")
    ANSWERED = "answered", pgettext_lazy("phone call", "answered")
    ENDED = "ended", pgettext_lazy("phone call", "ended")
    MISSED = "missed", pgettext_lazy("phone call", "missed")


#: A call on someone's screen.
ACTIVE_STATUSES = (CallStatus.RINGING, CallStatus.ANSWERED)


class CallBack(models.TextChoices):
    NONE = "", _("none")
    DUE = "due", _("call-back due")
    DONE = "done", _("called back")


class Call(models.Model):
    """One call on a line, as the switchboard reported it; the caller's number sealed."""

    community = models.ForeignKey(
        "places.Community", on_delete=models.PROTECT, related_name="+", verbose_name=_("community")
    )
    line = models.ForeignKey(Line, on_delete=models.PROTECT, related_name="calls", verbose_name=_("line"))
    call_id = models.CharField(_("switchboard call id"), max_length=100)
    caller_encrypted = models.TextField(blank=True, editable=False)
    caller_hash = models.CharField(max_length=64, blank=True, editable=False)
    caller_masked = models.CharField(_("caller"), max_length=20, blank=True, editable=False)
    person = models.ForeignKey(
        "people.Person",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("resident calling"),
    )
    status = models.CharField(_("status"), max_length=10, choices=CallStatus.choices)
    rang_at = models.DateTimeField(_("rang at"))
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated at"))
    callback = models.CharField(_("call-back"), max_length=4, blank=True, choices=CallBack.choices)
    called_back_at = models.DateTimeField(_("called back at"), null=True, blank=True)
    called_back_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("called back by"),
    )

    objects = ScopedQuerySet.as_manager()
    scope_community_path = "community_id"
    scope_policy = CommunityWideScope()

    class Meta:
        verbose_name = _("call")
        verbose_name_plural = _("calls")
        ordering = ["-rang_at"]
        indexes = [
            models.Index(fields=["community", "line", "status", "rang_at"], name="call_active_idx"),
            models.Index(fields=["community", "callback", "rang_at"], name="call_callback_idx"),
            models.Index(fields=["rang_at"], name="call_retention_idx"),
        ]
        constraints = [models.UniqueConstraint(fields=["line", "call_id"], name="call_id_unique_per_line")]

    def __str__(self) -> str:
        return f"{self.line_id}:{self.call_id}"

    def set_caller(self, digits: str) -> None:
        """Keep the caller's number only sealed, with its blind index and a mask ("" when withheld)."""
        if not digits:
            self.caller_encrypted = self.caller_hash = self.caller_masked = ""
            return
        self.caller_encrypted = pii.encrypt(digits)
        self.caller_hash = pii.phone_hash(digits)
        self.caller_masked = pii.mask_phone(digits)

    def caller_number(self) -> str:
        """The number in clear, for the lookup and the intake form only (never shown or logged)."""
        return pii.decrypt(self.caller_encrypted) if self.caller_encrypted else ""

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES
