"""Staff and resident accounts: who a user is, which role they play and where.

A user's role decides what they may do (accounts.roles); their community, grids
or street decide where. A user may be linked to the Person they are (a volunteer,
a resident), so their own records are found through the registry.
"""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser, UserManager
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from grassroots.core.models import append_only_triggers


class Role(models.TextChoices):
    """The article's eyes, mouth, hands and legs, plus administrators, residents and the system.

    SYSTEM is no person's role: it is the one account the shell, the CLI and imports act as
    (accounts.system_actor), so that what they write is recorded with an actor.
    """

    ADMIN = "admin", _("administrator")
    SECRETARY = "secretary", _("Party committee (legs)")
    STREET = "street", _("street office (legs)")
    SOCIAL_WORKER = "socialworker", _("social worker (mouth)")
    GRID_WORKER = "gridworker", _("grid worker (mouth)")
    VOLUNTEER = "volunteer", _("volunteer or party member (hands)")
    UNIT_CONTACT = "unitcontact", _("member unit contact (hands)")
    PATROLLER = "patroller", _("patroller (eyes)")
    RESIDENT = "resident", _("resident")
    SYSTEM = "system", _("system")


def full_name(first: str, last: str) -> str:
    """A person's name from its parts: Chinese order (family name first, no space: 陈丽娟) for
    Chinese names, Western order with a space (Alice Smith) otherwise. Every screen names staff so."""
    first, last = (first or "").strip(), (last or "").strip()
    if any("\u3400" <= char <= "\u9fff" for char in first + last):
        return f"{last}{first}"
    return " ".join(part for part in (first, last) if part)


class User(AbstractUser):
    """A person who signs in. Deny by default: no role, no scope, nothing visible."""

    role = models.CharField(_("role"), max_length=16, choices=Role.choices, default=Role.RESIDENT)
    street = models.ForeignKey(
        "places.Street",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="users",
        verbose_name=_("street"),
    )
    community = models.ForeignKey(
        "places.Community",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="users",
        verbose_name=_("community"),
    )
    grids = models.ManyToManyField("places.Grid", blank=True, related_name="workers", verbose_name=_("grids"))
    person = models.OneToOneField(
        "people.Person",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="user",
        verbose_name=_("person"),
    )
    member_unit = models.ForeignKey(
        "orgs.MemberUnit",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="contacts",
        verbose_name=_("member unit"),
    )

    objects = UserManager()

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def get_full_name(self) -> str:
        return full_name(self.first_name, self.last_name)

    @property
    def display_name(self) -> str:
        """How the pages name the account's holder: their full name, else the username."""
        return self.get_full_name() or self.username

    def clean(self) -> None:
        super().clean()
        from grassroots.accounts.roles import role_field_errors  # the permission module imports this one

        errors = role_field_errors(self)
        if errors:
            raise ValidationError(errors)


class SignInOutcome(models.TextChoices):
    SIGNED_IN = "signed_in", _("signed in")
    FAILED = "failed", _("wrong username or password")
    LOCKED_OUT = "locked_out", _("locked out after repeated failures")
    SIGNED_OUT = "signed_out", _("signed out")


class SignInEvent(models.Model):
    """One sign-in, failed sign-in, lockout or sign-out: who (as typed), when, from where, how it went.

    Written by accounts.signins from Django's and django-axes' signals, on the page and the API
    alike; never a password. Read by administrators (the admin, read-only) and kept like the
    other audit rows: each also has its entry in the hash-chained audit trail (core.audit), and on
    PostgreSQL the database refuses to change or (before 183 days) delete one.
    """

    at = models.DateTimeField(_("at"), auto_now_add=True, db_index=True)
    username = models.CharField(_("username given"), max_length=150, blank=True)
    # No database constraint: the row outlives the account (the username is kept beside it), and
    # the row is never updated, so deleting the account leaves it as it was.
    user = models.ForeignKey(
        User,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("account"),
    )
    outcome = models.CharField(_("outcome"), max_length=16, choices=SignInOutcome.choices)
    ip_address = models.GenericIPAddressField(_("address"), null=True, blank=True)
    path = models.CharField(_("where"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("sign-in event")
        verbose_name_plural = _("sign-in events")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["username", "at"], name="signin_username_at_idx")]
        triggers = append_only_triggers("signin_event")

    def __str__(self) -> str:
        return f"{self.username} {self.outcome}"
