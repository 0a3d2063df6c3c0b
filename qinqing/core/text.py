"""Visible text only: names and text fields refuse bidirectional overrides and invisible characters.

An enterprise named `某某公司\u202egpj.exe` would print as `某某公司exe.jpg` on a signed licence; a
zero-width space makes two names look equal that are not. Refused: Unicode format characters
(category Cf: U+200B–U+200F, U+202A–U+202E, U+2060–U+2064, U+2066–U+2069, U+FEFF, U+00AD,
U+061C, tag characters…), control characters other than tab and line breaks in multi-line
fields (Cc), line and paragraph separators (Zl, Zp) and lone surrogates (Cs). Private-use
characters stay allowed: older systems encode rare characters of Chinese names there.
"""

from __future__ import annotations

import re
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.deconstruct import deconstructible
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

_REFUSED_CATEGORIES = frozenset({"Cf", "Cc", "Cs", "Zl", "Zp"})
_MULTILINE_ALLOWED = frozenset("\t\n\r")


# Every code point of the refused categories, from Python 3.11's Unicode 14 tables (computing it
# at import costs a second per process); `test_the_refused_class_matches_the_unicode_tables` checks it.
REFUSED_CLASS = (
    "\u0000-\u001f\u007f-\u009f\u00ad\u0600-\u0605\u061c\u06dd\u070f\u0890-\u0891\u08e2\u180e"
    "\u200b-\u200f\u2028-\u202e\u2060-\u2064\u2066-\u206f\ud800-\udfff\ufeff\ufff9-\ufffb"
    "\U000110bd\U000110cd\U00013430-\U00013438\U0001bca0-\U0001bca3\U0001d173-\U0001d17a"
    "\U000e0001\U000e0020-\U000e007f"
)

_REFUSED = re.compile(f"[{REFUSED_CLASS}]")
_REFUSED_MULTILINE = re.compile(f"(?![\t\n\r])[{REFUSED_CLASS}]")


def has_invisible(text: str, *, multiline: bool = False) -> bool:
    """Tell quickly whether `text` holds a refused character (a multi-line text may hold tabs and line breaks)."""
    return (_REFUSED_MULTILINE if multiline else _REFUSED).search(text) is not None


def invisible_characters(text: str, *, multiline: bool = False) -> list[str]:
    """The refused characters in `text`, as `U+202E` labels, first occurrence order."""
    found: list[str] = []
    for match in _REFUSED.finditer(text):
        char = match.group()
        if multiline and char in _MULTILINE_ALLOWED:
            continue
        label = f"U+{ord(char):04X}"
        if label not in found:
            found.append(label)
    return found


def invisible_message(found: list[str]) -> str:
    return _("Remove the invisible or direction-changing characters (%(chars)s): they can make text "
             "display differently from what it is.") % {"chars": ", ".join(found[:5])}


def check_visible(text: str, *, multiline: bool = False) -> str:
    """Return `text` unchanged, or raise ValueError with a translated message naming the characters."""
    if not has_invisible(text, multiline=multiline):
        return text
    found = invisible_characters(text, multiline=multiline)
    if found:
        raise ValueError(invisible_message(found))
    return text


@deconstructible
class VisibleTextValidator:
    """A model and form field validator: refuse invisible and bidirectional control characters."""

    message = gettext_lazy("Remove the invisible or direction-changing characters.")
    code = "invisible_characters"

    def __init__(self, *, multiline: bool = False) -> None:
        self.multiline = multiline

    def __call__(self, value: Any) -> None:
        if not isinstance(value, str):
            return
        try:
            check_visible(value, multiline=self.multiline)
        except ValueError as exc:
            raise ValidationError(str(exc), code=self.code) from exc

    def __eq__(self, other: object) -> bool:
        return isinstance(other, VisibleTextValidator) and other.multiline == self.multiline

    def __hash__(self) -> int:
        return hash((type(self), self.multiline))
