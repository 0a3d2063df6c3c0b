"""Choosing between the Chinese and English names that data carries."""

from __future__ import annotations

from django.utils.translation import get_language


def english() -> bool:
    """Tell whether the active language is English (Chinese is the default)."""
    return (get_language() or "zh-hans").startswith("en")


def localised(zh: str, en: str) -> str:
    """The English text when English is active and there is one, else the Chinese."""
    return en if english() and en else zh
