"""Requests about personal information (PIPL art. 44-47) and the record of each erasure.

A resident may ask what the community holds about them (and who saw it), ask for a correction,
or ask for their data to be erased. Each request is a record with a due date that the community
office answers and closes with its decision; nothing is handled off the books. An erasure strips
the person's personal data and leaves a nameless row, because cases, visits and the access logs
that refer to it must stay whole for their own legal periods.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from grassroots.core.fields import SealedTextField
from grassroots.core.scoping import ScopedQuerySet

#: A request is answered within this many days (GB/T 35273-2020 §8.7: 15 working days; we count
#: calendar days, the stricter reading).
ANSWER_WITHIN = timedelta(days=15)


class RequestKind(models.TextChoices):
    ACCESS = "access", _("a copy of my data and who saw it")
    CORRECTION = "correction", _("correct my data")
    ERASURE = "erasure", _("erase my data")


class RequestStatus(models.TextChoices):
    OPEN = "open", _("open")
    DONE = "done", _("done")
    REFUSED = "refused", _("refused, with the reason")


class DataRequest(models.Model):
    """One request by a person about their personal information, and how it was answered."""

    community = models.ForeignKey(
        "places.Community", on_delete=models.PROTECT, related_name="+", verbose_name=_("community")
    )
    person = models.ForeignKey(
        "people.Person", on_delete=models.PROTECT, related_name="data_requests", verbose_name=_("person")
    )
    kind = models.CharField(_("request"), max_length=12, choices=RequestKind.choices)
    details = SealedTextField(_("what they ask"), max_length=1000, blank=True)
    status = models.CharField(
        _("status"), max_length=8, choices=RequestStatus.choices, default=RequestStatus.OPEN, db_index=True
    )
    decision = SealedTextField(_("answer"), max_length=1000, blank=True)
    received_at = models.DateTimeField(_("received"), default=timezone.now)
    due_at = models.DateTimeField(_("answer due"))
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    filed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
        verbose_name=_("filed by"),
    )
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("closed by"),
    )

    objects = ScopedQuerySet.as_manager()
    scope_community_path = "community_id"

    class Meta:
        verbose_name = _("personal information request")
        verbose_name_plural = _("personal information requests")
        ordering = ["-received_at", "-id"]
        indexes = [models.Index(fields=["community", "status", "due_at"], name="datarequest_worklist")]

    def __str__(self) -> str:
        return f"#{self.pk} {self.get_kind_display()}"


class Erasure(models.Model):
    """The record that a person's personal data was erased: when, why, by whom (kept for proof)."""

    person = models.OneToOneField(
        "people.Person", on_delete=models.PROTECT, related_name="erasure", verbose_name=_("person")
    )
    community = models.ForeignKey(
        "places.Community", on_delete=models.PROTECT, related_name="+", verbose_name=_("community")
    )
    reason = models.CharField(_("reason"), max_length=40)
    request = models.ForeignKey(
        DataRequest,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("request"),
    )
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
        verbose_name=_("by"),
    )
    at = models.DateTimeField(_("at"), auto_now_add=True)

    class Meta:
        verbose_name = _("erasure")
        verbose_name_plural = _("erasures")
        ordering = ["-at"]

    def __str__(self) -> str:
        return f"{self.person_id} {self.at:%Y-%m-%d}"
