"""Accounts: who signs in, the role they play and where, and the system actor.

`system_actor()` is what the shell, the CLI and imports pass as `actor=` to the services,
so that nothing is ever written by nobody (see accounts.roles.system_actor).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from grassroots.accounts.models import User


def system_actor() -> User:
    """The recorded system account, created on first use; it can never sign in."""
    from grassroots.accounts.roles import system_actor as recorded_system_actor

    return recorded_system_actor()
