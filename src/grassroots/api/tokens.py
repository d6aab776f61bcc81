"""API tokens end with the password that got them (OWASP ASVS V7.4: a credential change ends sessions)."""

from __future__ import annotations

from django.utils import timezone

from grassroots.api.models import ApiToken


def note_password_change(sender, instance, **kwargs) -> None:
    """Before a user is saved: remember whether set_password() gave them a new password."""
    instance._grassroots_new_password = bool(instance.pk) and getattr(instance, "_password", None) is not None


def revoke_after_password_change(sender, instance, created, **kwargs) -> None:
    """After the save: revoke every token the account still holds if its password changed."""
    if created or not getattr(instance, "_grassroots_new_password", False):
        return
    ApiToken.objects.filter(user=instance, revoked_at__isnull=True).update(revoked_at=timezone.now())
    instance._grassroots_new_password = False
