"""What the core keeps in the database: the data keys' fingerprints and the audit trail."""

from __future__ import annotations

import pgtrigger
from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class KeyState(models.TextChoices):
    CURRENT = "current", _("current")
    ROTATING = "rotating", _("taking over (a rotation is under way)")
    RETIRED = "retired", _("retired")


class DataKey(models.Model):
    """A data key this database's personal data was sealed with, known by its fingerprint only.

    Kept with the data so that a server started with another key (a restored database without
    its var/data.key, a mistyped GRASSROOTS_DATA_KEY) refuses to start instead of generating a
    new key and failing on every reveal. The rows are also the record of key rotations.
    """

    fingerprint = models.CharField(_("fingerprint"), max_length=32, unique=True, editable=False)
    state = models.CharField(_("state"), max_length=16, choices=KeyState.choices)
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)
    retired_at = models.DateTimeField(_("retired at"), null=True, blank=True)

    class Meta:
        verbose_name = _("data key")
        verbose_name_plural = _("data keys")
        ordering = ["recorded_at", "id"]

    def __str__(self) -> str:
        return f"{self.fingerprint[:8]}… ({self.get_state_display()})"


class AuditTrailIsAppendOnly(Exception):
    """Raised for any attempt to change or delete an audit row through Django."""


class AuditEventQuerySet(models.QuerySet):
    """Reads only: updates and deletes are refused (pruning goes through core.audit.prune)."""

    def update(self, **kwargs):
        raise AuditTrailIsAppendOnly("The audit trail is append-only: rows are never changed.")

    def delete(self):
        raise AuditTrailIsAppendOnly(
            "The audit trail is append-only: rows leave it only by `grassroots audit prune`."
        )

    def bulk_create(self, *args, **kwargs):
        raise AuditTrailIsAppendOnly("Audit rows are written one at a time by core.audit.record.")

    def bulk_update(self, *args, **kwargs):
        raise AuditTrailIsAppendOnly("The audit trail is append-only: rows are never changed.")


#: The legal floor (Cybersecurity Law art. 21: network logs kept at least six months): the database
#: itself refuses to delete an audit row younger than this, whatever the retention setting says.
AUDIT_MINIMUM_RETENTION_DAYS = 183

_APPEND_ONLY_SQL_CONDITION = f"OLD.at > now() - interval '{AUDIT_MINIMUM_RETENTION_DAYS} days'"


def append_only_triggers(prefix: str) -> list:
    """PostgreSQL triggers that make an audit table append-only (django-pgtrigger).

    Every UPDATE is refused; a DELETE is refused for any row younger than the legal floor, so
    that pruning old rows needs no bypass while nobody, not even the application's own database
    account, can erase a recent one. TRUNCATE is not covered (the test suite and the demo flush
    tables with it); the hash chain shows such a wipe (see core.audit.verify).
    """
    return [
        pgtrigger.Protect(name=f"{prefix}_no_update", operation=pgtrigger.Update),
        pgtrigger.Protect(
            name=f"{prefix}_no_recent_delete",
            operation=pgtrigger.Delete,
            condition=pgtrigger.Condition(_APPEND_ONLY_SQL_CONDITION),
        ),
    ]


class AuditEvent(models.Model):
    """One entry of the audit trail: who did what, to what, when, from where, and how it went.

    Sign-ins and their failures, lockouts, refused access, reveals of personal data, reads of
    care records, exports, role and permission changes and key rotations all land here, written
    by core.audit.record and nothing else. The rows form a hash chain: `row_hash` is SHA-256 over
    the previous row's hash and this row's canonical content (core.audit.row_digest), so editing
    or deleting a row breaks the chain at that point and `grassroots audit verify` names it.
    Append-only: Django refuses to save an existing row or delete one, and on PostgreSQL the
    database refuses too (append_only_triggers). No personal values: the subject is a model label
    and an id, the detail holds codes and ids, and every text passes core.pii.redact_numbers.
    The actor is an id without a database constraint plus a copy of the username, so the row
    outlives the account.
    """

    seq = models.PositiveBigIntegerField(_("sequence"), unique=True, editable=False)
    at = models.DateTimeField(_("at"), db_index=True, editable=False)
    kind = models.CharField(_("kind"), max_length=40, db_index=True, editable=False)
    outcome = models.CharField(_("outcome"), max_length=20, editable=False)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
        verbose_name=_("actor"),
    )
    actor_username = models.CharField(_("actor's username"), max_length=150, blank=True, editable=False)
    subject_type = models.CharField(_("subject type"), max_length=64, blank=True, editable=False)
    subject_id = models.CharField(_("subject id"), max_length=64, blank=True, editable=False)
    ip_address = models.GenericIPAddressField(_("address"), null=True, blank=True, editable=False)
    path = models.CharField(_("where"), max_length=200, blank=True, editable=False)
    detail = models.JSONField(_("detail"), default=dict, blank=True, editable=False)
    prev_hash = models.CharField(_("previous row's hash"), max_length=64, editable=False)
    row_hash = models.CharField(_("row hash"), max_length=64, unique=True, editable=False)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        ordering = ["-seq"]
        indexes = [models.Index(fields=["subject_type", "subject_id"], name="audit_subject_idx")]
        triggers = append_only_triggers("audit_event")

    def __str__(self) -> str:
        return f"#{self.seq} {self.kind} {self.outcome}"

    def save(self, *args, **kwargs):
        if not self._state.adding or not self.row_hash:
            raise AuditTrailIsAppendOnly("Audit rows are written once, by core.audit.record.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AuditTrailIsAppendOnly(
            "The audit trail is append-only: rows leave it only by `grassroots audit prune`."
        )


class AuditChainHead(models.Model):
    """The end of the audit hash chain: the last row's sequence number and hash (one row).

    Writers lock it (SELECT ... FOR UPDATE on PostgreSQL; SQLite's immediate transactions
    serialise writers anyway), so rows join the chain one at a time and in order. It also lets
    `verify` notice rows deleted from the end of the chain, which no later row points back to.
    """

    seq = models.PositiveBigIntegerField(default=0)
    last_hash = models.CharField(max_length=64)

    class Meta:
        verbose_name = _("audit chain head")
        verbose_name_plural = _("audit chain head")
        triggers = [pgtrigger.Protect(name="audit_head_no_delete", operation=pgtrigger.Delete)]

    def __str__(self) -> str:
        return f"#{self.seq} {self.last_hash[:12]}"
