"""Data stored in both languages (tags, skills, categories): pick the reader's."""

from __future__ import annotations

from django.utils.translation import get_language


def reading_chinese() -> bool:
    """True when the active language is Chinese (zh-hans or any other zh variant)."""
    return (get_language() or "").startswith("zh")


def in_reader_language(zh: str, en: str) -> str:
    """The Chinese or the English text, as the active language asks."""
    return zh if reading_chinese() else en
