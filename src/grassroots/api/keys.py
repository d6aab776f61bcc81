"""Secrets for the API: generated once, shown once, stored only as a SHA-256 digest.

Keys and tokens are long random strings, so a plain (unsalted) digest is enough to make
a stolen database useless for calling the API, and it keeps the lookup a single indexed
equality. The demo's well-known key `grassroots-demo` is the one exception to "random",
and lives only in the demo database.
"""

from __future__ import annotations

import hashlib
import secrets

PREFIX_LENGTH = 8


def new_key(prefix: str = "grk_") -> str:
    """A fresh random key, e.g. "grk_3q2X…" (about 256 bits)."""
    return prefix + secrets.token_urlsafe(32)


def key_hash(raw: str) -> str:
    return hashlib.sha256((raw or "").encode()).hexdigest()


def key_prefix(raw: str) -> str:
    """What the admin shows to tell keys apart, never enough to use one."""
    return raw[:PREFIX_LENGTH]
