"""The port through which the lower layers ask the permission module.

`accounts.roles` holds every rule (which role holds which capability, how far each scope
reaches). The apps below it (core's scoping door, places, people, orgs) must not import it,
so they ask here, and accounts installs itself when Django starts (AccountsConfig.ready).
The same functions, never a second set of rules: before accounts has installed itself, every
answer is "no" (deny by default).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from grassroots.core.scoping import Scope


class Authority(Protocol):
    def user_can(self, user, capability: str) -> bool: ...

    def user_scope(self, user) -> Scope: ...


_installed: Authority | None = None


def install(authority: Authority) -> None:
    """Called once by accounts at start-up with the permission module."""
    global _installed
    _installed = authority


def user_can(user, capability: str) -> bool:
    """True when the user's role holds the capability (accounts.roles decides)."""
    return _installed is not None and _installed.user_can(user, capability)


def user_scope(user) -> Scope:
    """Where the user's view reaches (accounts.roles decides); nothing before accounts is installed."""
    from grassroots.core.scoping import Scope

    return _installed.user_scope(user) if _installed is not None else Scope.nothing()
