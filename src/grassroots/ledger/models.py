"""A record of every import of a ledger (台账): who brought which file in, when, with what result.

The run's primary key names its changes in the register's history ("import #12", see
people.history). The uploaded file is kept only while the run needs it (preview, then the
import), sealed with the data key because it holds ID and phone numbers in clear; once the run
has ended only its name, size and SHA-256 remain, so the same file brought in again is known.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from grassroots.core.fields import SealedTextField
from grassroots.core.scoping import ScopedQuerySet


class ImportKind(models.TextChoices):
    RESIDENTS = "residents", _("residents")
    HOUSEHOLDS = "households", _("households")
    PARTY_MEMBERS = "party-members", _("party members")
    VOLUNTEERS = "volunteers", _("volunteers")
    UNITS = "units", _("member units")


class ImportStatus(models.TextChoices):
    UPLOADED = "uploaded", _("waiting to be checked")
    CHECKING = "checking", _("checking")
    CHECKED = "checked", _("checked: see the preview")
    IMPORTING = "importing", _("importing")
    DONE = "done", _("imported")
    REFUSED = "refused", _("refused: bad rows, nothing written")
    FAILED = "failed", _("failed")


class ImportRun(models.Model):
    """One file brought into the register, from the command line or the import page."""

    community = models.ForeignKey(
        "places.Community", on_delete=models.PROTECT, related_name="+", verbose_name=_("community")
    )
    kind = models.CharField(_("kind"), max_length=16, choices=ImportKind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("by")
    )
    via = models.CharField(_("through"), max_length=8, default="web")  # "web" or "cli"
    file_name = models.CharField(_("file name"), max_length=200)
    sha256 = models.CharField(_("SHA-256"), max_length=64, db_index=True)
    size = models.PositiveIntegerField(_("size in bytes"), default=0)
    content = SealedTextField(blank=True, editable=False)  # base64 of the file, while the run needs it
    header_mapping = models.JSONField(_("header mapping"), default=dict, blank=True)
    create_households = models.BooleanField(_("create missing households"), default=False)
    good_rows_only = models.BooleanField(_("import the good rows, return the rest"), default=False)
    status = models.CharField(
        _("status"), max_length=16, choices=ImportStatus.choices, default=ImportStatus.UPLOADED
    )
    rows_total = models.PositiveIntegerField(_("rows"), default=0)
    rows_done = models.PositiveIntegerField(_("rows done"), default=0)
    new_count = models.PositiveIntegerField(_("new"), default=0)
    changed_count = models.PositiveIntegerField(_("changed"), default=0)
    unchanged_count = models.PositiveIntegerField(_("unchanged"), default=0)
    rejected_count = models.PositiveIntegerField(_("rejected"), default=0)
    #: [{"row": 5, "column": "身份证号", "message": "..."}]: messages only, never a number from the file.
    problems = models.JSONField(_("problems"), default=list, blank=True)
    message = models.CharField(_("message"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("started"), auto_now_add=True, db_index=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    objects = ScopedQuerySet.as_manager()
    scope_community_path = "community_id"

    class Meta:
        verbose_name = _("import")
        verbose_name_plural = _("imports")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.source

    @property
    def source(self) -> str:
        """How the register's history names this run's changes."""
        return f"import #{self.pk}"

    @property
    def is_busy(self) -> bool:
        return self.status in {ImportStatus.UPLOADED, ImportStatus.CHECKING, ImportStatus.IMPORTING}

    @property
    def percent(self) -> int:
        return int(100 * self.rows_done / self.rows_total) if self.rows_total else 0
