"""The notify settings, with the defaults of grassroots.config.notify_settings when unset."""

from __future__ import annotations

from typing import Any

from django.conf import settings

from grassroots.config import notify_settings


def get(name: str) -> Any:
    """settings.NAME, else the default read from the environment in notify_settings."""
    return getattr(settings, name, getattr(notify_settings, name))
