"""What the core keeps in the database: the fingerprints of the data keys it was sealed with."""

from __future__ import annotations

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
