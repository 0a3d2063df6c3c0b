"""A message stored without its language: a msgid and its values, rendered in the reader's language.

The inbox row keeps the Chinese text too (the SMS and e-mail copies go out in it, and it is the fallback),
but a reader who switched to English sees the English message, with data names in their English column.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.utils import translation
from django.utils.translation import gettext

from qinqing.core.i18n import english


@dataclass(frozen=True)
class Named:
    """A value that data carries in both languages (a matter's name, a bundle's title)."""

    zh: str
    en: str = ""


@dataclass(frozen=True)
class Text:
    """A translatable message (an English msgid, marked with gettext_noop) and the values it formats."""

    msgid: str
    values: Mapping[str, str | Named] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return {"msgid": self.msgid, "values": {
            k: ({"zh": v.zh, "en": v.en} if isinstance(v, Named) else v) for k, v in self.values.items()}}

    def in_chinese(self) -> str:
        with translation.override("zh-hans"):
            return render(self.as_json())


def render(stored: Mapping[str, Any]) -> str:
    """The stored message in the active language."""
    values = {k: (v.get("en") or v.get("zh", "")) if english() and isinstance(v, dict) else
              (v.get("zh", "") if isinstance(v, dict) else v) for k, v in stored.get("values", {}).items()}
    message = gettext(str(stored.get("msgid", "")))
    return message % values if values else message


def named(obj: Any) -> Named:
    """The `name` / `name_en` pair of a data row (a matter, a bundle, a department)."""
    return Named(str(obj.name), str(getattr(obj, "name_en", "") or ""))
