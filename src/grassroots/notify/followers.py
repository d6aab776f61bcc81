"""Residents who follow the community on a messaging app (the WeChat Official Account), as notify asks.

The bindings of followers to residents belong to the app that keeps them (grassroots.wechat), which
sits above notify: notify never imports it. That app registers a directory here in its ready(), and
notify asks it two things: whether a person has a follower to tell (its recipient key, written on the
message), and, as the message leaves, that follower's address (the OpenID). Without a directory
nobody follows, and every message goes as it always did.
"""

from __future__ import annotations

from typing import Protocol


class Directory(Protocol):
    def follower_of(self, person_id: int) -> str | None:
        """The recipient key of the person's follower ("wechat:<id>"), or None."""

    def address_of(self, key: str) -> str | None:
        """The follower's OpenID for a recipient key, or None when they have unbound since."""


_directories: dict[str, Directory] = {}


def register(channel: str, directory: Directory) -> None:
    """Called by the app that keeps the bindings, once, in its ready()."""
    _directories[channel] = directory


def follower_of(channel: str, person_id: int | None) -> str | None:
    directory = _directories.get(channel)
    if directory is None or person_id is None:
        return None
    return directory.follower_of(person_id)


def address_of(key: str) -> str | None:
    channel = key.split(":", 1)[0]
    directory = _directories.get(channel)
    return directory.address_of(key) if directory is not None else None
