"""Signing in with a username and password, never as the system actor."""

from __future__ import annotations

from django.contrib.auth.backends import ModelBackend

from grassroots.accounts.roles import is_system


class AccountBackend(ModelBackend):
    """Django's backend, refusing the system actor even if someone gave it a password.

    The same check serves every request of a session (get_user), so a session forged for
    the system account is not honoured either.
    """

    def user_can_authenticate(self, user) -> bool:
        return super().user_can_authenticate(user) and not is_system(user)
