"""A source's field definitions (its `fields` JSON) and the values they hold."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext as _

from qinqing.core.values import unit_label, unit_problem

if TYPE_CHECKING:
    from qinqing.datahub.models import Source

FIELD_TYPES = ("text", "integer", "decimal", "date")
# What a value means beyond its type, checked on import (the same names as a form field's kind).
TEXT_KINDS = ("uscc", "resident_id", "mobile", "landline", "phone", "bank_account", "postcode", "email")
NUMBER_KINDS = ("amount", "area")
DEFAULT_TEXT_LENGTH = 200
DEFAULT_MAX_DIGITS = 16
_NAME = re.compile(r"[a-z][a-z0-9_]{0,31}\Z")


class SourceDefinitionError(ValueError):
    """A source's `fields` JSON is not a valid list of field definitions."""


@dataclass(frozen=True)
class FieldSpec:
    """One field of a source, from its `fields` JSON."""

    name: str
    label: str
    label_en: str = ""
    type: str = "text"
    required: bool = False
    max_length: int | None = None
    choices: tuple[str, ...] = ()
    choice_labels: tuple[tuple[str, str, str], ...] = ()
    decimal_places: int = 2
    max_digits: int = DEFAULT_MAX_DIGITS
    pattern: str = ""
    kind: str = ""
    unit: str = ""

    def display_label(self, english: bool = False) -> str:
        return (self.label_en if english else "") or self.label or self.name

    def display_value(self, value: Any, english: bool = False) -> str:
        """A stored value as a person reads it: a choice's label, thousands separators; "—" when empty."""
        if value is None or value == "":
            return "—"
        for choice, label, label_en in self.choice_labels:
            if choice == value:
                return (label_en if english else "") or label or choice
        if self.type in ("decimal", "integer"):
            try:
                figure = f"{Decimal(str(value)):,}"
            except InvalidOperation:
                return str(value)
            unit = unit_label(self.unit, english)
            return f"{figure} {unit}" if unit else figure
        return str(value)


def field_specs(source: Source) -> list[FieldSpec]:
    """Read and check a source's field definitions."""
    raw = source.fields
    if not isinstance(raw, list):
        raise SourceDefinitionError(_("Enter a list of field definitions."))
    specs: list[FieldSpec] = []
    seen: set[str] = set()
    for item in raw:
        if not isinstance(item, dict):
            raise SourceDefinitionError(_("Each field definition must be an object."))
        name = item.get("name")
        if not isinstance(name, str) or not _NAME.match(name):
            raise SourceDefinitionError(_("A field name must be lower-case letters, digits and underscores."))
        if name in seen:
            raise SourceDefinitionError(_("The field %(name)s is defined twice.") % {"name": name})
        seen.add(name)
        kind = item.get("type", "text")
        if kind not in FIELD_TYPES:
            raise SourceDefinitionError(_("The field %(name)s has an unknown type.") % {"name": name})
        max_length = item.get("max_length")
        if max_length is not None and (not isinstance(max_length, int) or max_length < 1):
            raise SourceDefinitionError(_("The field %(name)s has an invalid max_length.") % {"name": name})
        choices, labels = _choices(name, item.get("choices") or [])
        pattern = item.get("pattern") or ""
        try:
            re.compile(pattern)
        except (re.error, TypeError):
            raise SourceDefinitionError(_("The field %(name)s has an invalid pattern.") % {"name": name}) from None
        value_kind = str(item.get("kind") or "")
        if value_kind and not ((value_kind in TEXT_KINDS and kind == "text")
                               or (value_kind in NUMBER_KINDS and kind == "decimal")):
            raise SourceDefinitionError(_("The field %(name)s has an unknown kind for its type.") % {"name": name})
        unit = str(item.get("unit") or "")
        if unit_problem(unit) or (unit and kind not in ("decimal", "integer")):
            raise SourceDefinitionError(_("The field %(name)s has an unknown unit.") % {"name": name})
        specs.append(FieldSpec(
            name=name, label=str(item.get("label") or name), label_en=str(item.get("label_en") or ""), type=kind,
            required=bool(item.get("required", False)), max_length=max_length, choices=choices,
            choice_labels=labels, decimal_places=int(item.get("decimal_places", 2)),
            max_digits=int(item.get("max_digits", DEFAULT_MAX_DIGITS)),
            pattern=pattern, kind=value_kind, unit=unit,
        ))
    return specs


def _choices(name: str, raw: Any) -> tuple[tuple[str, ...], tuple[tuple[str, str, str], ...]]:
    """Choices as plain strings, or as {value, label, label_en} like a form's choices."""
    if not isinstance(raw, list | tuple):
        raise SourceDefinitionError(_("The field %(name)s has invalid choices.") % {"name": name})
    values: list[str] = []
    labels: list[tuple[str, str, str]] = []
    for choice in raw:
        if isinstance(choice, str):
            values.append(choice)
        elif isinstance(choice, dict) and isinstance(choice.get("value"), str):
            values.append(choice["value"])
            labels.append((choice["value"], str(choice.get("label") or ""), str(choice.get("label_en") or "")))
        else:
            raise SourceDefinitionError(_("The field %(name)s has invalid choices.") % {"name": name})
    return tuple(values), tuple(labels)


def json_value(value: Any) -> Any:
    """A typed value as stored in JSON: decimals and dates as text."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def typed_value(spec: FieldSpec, value: Any) -> Any:
    """A stored JSON value back in its field's type (Decimal, date, int); None stays None."""
    if value is None:
        return None
    try:
        if spec.type == "decimal":
            return Decimal(str(value))
        if spec.type == "date":
            return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))
        if spec.type == "integer":
            return int(value)
    except (ValueError, InvalidOperation):
        return value
    return value
