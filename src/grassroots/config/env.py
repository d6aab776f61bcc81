"""Small helpers to read settings from the environment."""

from __future__ import annotations

import base64
import os
import secrets
from pathlib import Path


def env_bool(name: str, *, default: bool) -> bool:
    """Read a yes/no variable; anything but the usual "true" spellings is false."""
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, *, default: list[str]) -> list[str]:
    """Read a comma-separated list, ignoring blanks."""
    value = os.environ.get(name)
    if not value:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


def var_dir() -> Path:
    """The folder for the SQLite file, generated keys, uploads and collected static files."""
    path = Path(os.environ.get("GRASSROOTS_VAR_DIR", Path.cwd() / "var")).resolve()
    path.mkdir(parents=True, exist_ok=True)
    return path


def persistent_secret(filename: str) -> str:
    """Return a random key kept in ./var/, creating it (mode 0600) on first use.

    This is what lets `grassroots demo` run with nothing configured while keeping
    sessions and encrypted columns readable across restarts. Production deployments
    set GRASSROOTS_SECRET_KEY and GRASSROOTS_DATA_KEY instead and back them up.
    """
    path = var_dir() / filename
    if path.exists():
        return path.read_text().strip()
    key = base64.urlsafe_b64encode(secrets.token_bytes(48)).decode()
    draft = path.with_name(f".{filename}.{os.getpid()}")
    fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(key)
    try:
        os.link(draft, path)  # atomic: the first process to get here wins
    except FileExistsError:
        pass
    finally:
        draft.unlink()
    return path.read_text().strip()
