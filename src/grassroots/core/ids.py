"""Ids from outside (query strings, form fields, JSON bodies): one rule for what an id can be.

A database id is a positive whole number that fits a 64-bit column (Django's BigAutoField,
SQLite's INTEGER). Anything else typed into a URL (`?household=` with 30 digits, a 40-digit
building, "²", "-1") is simply not an id: the caller gets "not found" or "not a valid choice",
never a database overflow (a 500).
"""

from __future__ import annotations

import re
from typing import Any

#: The largest id a 64-bit signed column holds.
MAX_ID = 2**63 - 1
_DIGITS = re.compile(r"[0-9]{1,19}")


def parse_id(value: Any) -> int | None:
    """The id `value` stands for, or None when it cannot be one."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if 0 < value <= MAX_ID else None
    text = str(value if value is not None else "").strip()
    if not _DIGITS.fullmatch(text):
        return None
    number = int(text)
    return number if 0 < number <= MAX_ID else None
